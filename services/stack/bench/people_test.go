package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"testing"

	"github.com/lapor/lapor/services/shared/catalog"
	"github.com/lapor/lapor/services/shared/forward"
)

// TestReportRequest checks that the load's requests are HTTP a server
// reads, with a report the ingest accepts, from an address the forward
// secret vouches for, every one a different person in a /24 of its own.
func TestReportRequest(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := forward.New(forwardSecret)
	if err != nil {
		t.Fatal(err)
	}
	mk := reportRequest("127.0.0.1:1", cat.All(), &people{}, signer)
	nets := map[netip.Prefix]bool{}
	for i := range int64(1000) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(mk(i, nil))))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		var body struct{ Service, Symptom, Platform string }
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("request %d body %q: %v", i, b, err)
		}
		svc, ok := cat.Get(body.Service)
		if !ok || !svc.HasIndicator(body.Symptom) || body.Platform != "web" {
			t.Fatalf("request %d: report %+v not one the ingest accepts", i, body)
		}
		addr, ok := signer.Addr(req.Header)
		if !ok {
			t.Fatalf("request %d: signed address does not verify", i)
		}
		p := netip.PrefixFrom(addr, 24).Masked()
		if nets[p] {
			t.Fatalf("request %d: network %s used twice", i, p)
		}
		nets[p] = true
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", -12345: "-12,345"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}
