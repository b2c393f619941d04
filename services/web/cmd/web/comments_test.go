package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/testenv"
)

func TestCommentsCommand(t *testing.T) {
	testenv.Need(t, env)
	ctx := testenv.Ctx(t)
	cfg := env.Config(t)
	getenv := func(string) string { return "" }
	if err := run(ctx, append([]string{"migrate"}, commonArgs(cfg)...), getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}

	// A report with a comment, as the worker stores it, under an id made
	// as ingest makes them (a UUIDv7).
	now := time.Now().UTC().Truncate(time.Second)
	ms := now.UnixMilli()
	id := fmt.Sprintf("%08x-%04x-7abc-8def-0123456789ab", ms>>16, ms&0xffff)
	conn, err := clickhouse.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO reports (id, service, symptom, ts, country, region, city, asn, isp, platform, reporter, network, comment)")
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Append(id, "whatsapp", "messages", now, "ID", "", "", uint32(0), "", "web", "reporter-key", "network-key", "spam\tspam\nfake row"); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}

	run := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(ctx, append([]string{"comments"}, args...), getenv, &out, io.Discard)
		return out.String(), err
	}
	// Flags go before a positional id, as the flag package reads them.
	withID := func(action, id string) (string, error) {
		return run(append(append([]string{action}, commonArgs(cfg)...), id)...)
	}
	list := func() string {
		t.Helper()
		out, err := run(append([]string{"list", "-service", "whatsapp"}, commonArgs(cfg)...)...)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		return out
	}
	row := func(out string) string {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, id) {
				return line
			}
		}
		t.Fatalf("list does not show %s:\n%s", id, out)
		return ""
	}

	// The text stays on one line, escaped, so that it cannot forge a row.
	if r := row(list()); !strings.Contains(r, `"spam\tspam\nfake row"`) || !strings.Contains(r, " no ") || strings.Contains(r, "reporter-key") {
		t.Fatalf("list row %q", r)
	}
	steps := []struct {
		action, say, hidden string
	}{
		{"hide", "hid the comment of report " + id, " yes "},
		{"hide", "hid the comment of report " + id, " yes "}, // again: no harm
		{"unhide", "showed again the comment of report " + id, " no "},
		{"hide", "hid the comment of report " + id, " yes "},
	}
	for i, s := range steps {
		out, err := withID(s.action, id)
		if err != nil || !strings.Contains(out, s.say) || !strings.Contains(out, "whatsapp") {
			t.Fatalf("step %d: %s = %q, %v", i, s.action, out, err)
		}
		// Each write is versioned by its time; a later one must win even
		// within the same second.
		if r := row(list()); !strings.Contains(r, s.hidden) {
			t.Fatalf("step %d: after %s the row is %q, want hidden %q", i, s.action, r, s.hidden)
		}
	}

	bad := []struct {
		name string
		args []string
	}{
		{"no action", nil},
		{"unknown action", []string{"delete"}},
		{"hide without an id", append([]string{"hide"}, commonArgs(cfg)...)},
		{"hide two ids", append(append([]string{"hide"}, commonArgs(cfg)...), id, id)},
		{"hide an id that is not a report's", append(append([]string{"hide"}, commonArgs(cfg)...), "1b4e28ba-2fa1-41d2-883f-0016d3cca427")},
		{"hide a report that does not exist", append(append([]string{"hide"}, commonArgs(cfg)...), strings.Replace(id, "0123456789ab", "0000000000ab", 1))},
		{"list without a service", append([]string{"list"}, commonArgs(cfg)...)},
		{"list an unknown service", append([]string{"list", "-service", "nope"}, commonArgs(cfg)...)},
		{"list too many", append([]string{"list", "-service", "whatsapp", "-limit", "101"}, commonArgs(cfg)...)},
		{"list with an id", append(append([]string{"list", "-service", "whatsapp"}, commonArgs(cfg)...), id)},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if out, err := run(b.args...); err == nil {
				t.Errorf("accepted: %q", out)
			}
		})
	}
}
