package pages_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lapor/lapor/services/web/internal/pages"
	"github.com/lapor/lapor/services/web/internal/read"
	"github.com/lapor/lapor/services/web/internal/webtest"

	lapor "github.com/lapor/lapor/services/shared"
	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/web/internal/chart"
)

func TestChartPNG(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	history(t, f, t0)
	base := "/services/whatsapp/chart.png?from=" + t0.Format(time.RFC3339) + "&to=" + t0.Add(6*time.Hour).Format(time.RFC3339)
	get := func(t *testing.T, target string) []byte {
		t.Helper()
		rec := f.get(t, target)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("%s: status %d type %q cache %q: %.200s", target, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), rec.Body)
		}
		img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 630 {
			t.Errorf("size %v", b)
		}
		return rec.Body.Bytes()
	}
	plain := get(t, base)

	// Each language and zone draws its own words and times; a stated UTC,
	// or English, is the default.
	for _, tc := range []struct {
		query string
		same  bool // as the default chart
	}{
		{"&lang=en", true},
		{"&tz=UTC", true},
		{"&lang=en&tz=UTC", true},
		{"&lang=", true},
		{"&lang=id", false},
		{"&tz=Asia/Jakarta", false},
		{"&lang=id&tz=Asia/Jakarta", false},
		{"&tz=America/Argentina/Buenos_Aires", false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			if got := bytes.Equal(get(t, base+tc.query), plain); got != tc.same {
				t.Errorf("same image as the default: %v, want %v", got, tc.same)
			}
		})
	}

	for _, tc := range []struct {
		target string
		status int
	}{
		{"/services/nope/chart.png", 404},
		{"/services/nope/chart.png?lang=fr", 404},
		{"/services/whatsapp/chart.png?from=yesterday", 400},
		{"/services/whatsapp/chart.png?step=1m&from=2024-01-01T00:00:00Z", 400},
	} {
		if rec := f.get(t, tc.target); rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.target, rec.Code, tc.status)
		}
	}
	for _, tc := range []struct{ query, field string }{
		{"lang=fr", "lang"}, {"lang=EN", "lang"}, {"lang=en-US", "lang"},
		{"tz=Local", "tz"}, {"tz=Mars/Olympus_Mons", "tz"}, {"tz=asia/jakarta", "tz"}, {"tz=..%2F..%2Fetc%2Fpasswd", "tz"},
		{"tz=%2Fetc%2Flocaltime", "tz"}, {"tz=WIB", "tz"}, {"tz=" + strings.Repeat("A", 200), "tz"},
	} {
		t.Run(fmt.Sprintf("%.40s", tc.query), func(t *testing.T) {
			f.checkBadParameter(t, base+"&"+tc.query, tc.field)
		})
	}
}

// The PNG shades an incident that overlaps its range in the page's status
// colour and writes its status, and says nothing of one outside it.
func TestChartPNGStatusMark(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC)
	history(t, f, t0)
	detected := openIncident("inc-wa", "whatsapp", lapor.LevelDetected, t0.Add(5*time.Hour), 1)
	possible := resolved(openIncident("inc-gojek", "gojek", lapor.LevelPossible, t0.Add(time.Hour), 1), t0.Add(2*time.Hour), 2)
	if err := clickhouse.SaveIncidents(f.ctx, f.conn, []lapor.Incident{detected, possible}); err != nil {
		t.Fatal(err)
	}
	// The page's --bad and --warn, and their banners' backgrounds.
	bad, badBg := color.RGBA{0xa4, 0x16, 0x1a, 0xff}, color.RGBA{0xfd, 0xea, 0xea, 0xff}
	warn, warnBg := color.RGBA{0x7a, 0x46, 0x00, 0xff}, color.RGBA{0xff, 0xf3, 0xd6, 0xff}
	rng := func(from, to time.Duration) string {
		return "from=" + t0.Add(from).Format(time.RFC3339) + "&to=" + t0.Add(to).Format(time.RFC3339)
	}
	for _, tc := range []struct {
		name, target string
		seek         []color.RGBA
		want         bool
	}{
		{"open incident in range", "/services/whatsapp/chart.png?" + rng(0, 6*time.Hour), []color.RGBA{bad, badBg}, true},
		{"open incident, Indonesian in Jakarta", "/services/whatsapp/chart.png?lang=id&tz=Asia/Jakarta&" + rng(0, 6*time.Hour), []color.RGBA{bad, badBg}, true},
		{"range before it", "/services/whatsapp/chart.png?" + rng(0, 4*time.Hour), []color.RGBA{bad, badBg}, false},
		{"resolved incident in range", "/services/gojek/chart.png?" + rng(0, 6*time.Hour), []color.RGBA{warn, warnBg}, true},
		{"range after it ended", "/services/gojek/chart.png?" + rng(3*time.Hour, 6*time.Hour), []color.RGBA{warn, warnBg}, false},
		{"another service", "/services/bca/chart.png?" + rng(0, 6*time.Hour), []color.RGBA{bad, badBg, warn, warnBg}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.get(t, tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.seek {
				if got := hasColour(img, c); got != tc.want {
					t.Errorf("colour %v drawn: %v, want %v", c, got, tc.want)
				}
			}
		})
	}
}

// hasColour says whether any pixel of img is exactly c.
func hasColour(img image.Image, c color.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				return true
			}
		}
	}
	return false
}

// The PNG cache keeps one image per range, language and zone: a chart
// asked for in another language or zone within the minute is drawn anew,
// not served from another reader's.
func TestChartPNGCacheKeys(t *testing.T) {
	r := read.Range{From: time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 10, 16, 0, 0, 0, time.UTC), Step: 15 * time.Minute}
	jakarta, err := chart.LoadZone("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, tc := range []struct {
		name string
		lang chart.Lang
		zone *time.Location
	}{
		{"en UTC", chart.English, time.UTC},
		{"id UTC", chart.Indonesian, time.UTC},
		{"en Jakarta", chart.English, jakarta},
		{"id Jakarta", chart.Indonesian, jakarta},
	} {
		k := pages.ChartKey("whatsapp", r, tc.lang, tc.zone)
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s share the key %q", tc.name, other, k)
		}
		keys[k] = tc.name
	}
	if a, b := pages.ChartKey("whatsapp", r, chart.English, time.UTC), pages.ChartKey("gojek", r, chart.English, time.UTC); a == b {
		t.Errorf("two services share the key %q", a)
	}

	// Through the handler: within the minute, each language and zone gets
	// its own image, and the same one again.
	f := newFixture(t)
	history(t, f, r.From)
	base := "/services/whatsapp/chart.png?from=" + r.From.Format(time.RFC3339) + "&to=" + r.To.Format(time.RFC3339)
	seen := map[string]string{}
	for _, q := range []string{"", "&lang=id", "&tz=Asia/Jakarta", "&lang=id&tz=Asia/Jakarta"} {
		body := f.get(t, base+q).Body.String()
		if other, dup := seen[body]; dup {
			t.Errorf("%q got the image of %q", q, other)
		}
		seen[body] = q
		if again := f.get(t, base+q).Body.String(); again != body {
			t.Errorf("%q: a second request within the minute drew another image", q)
		}
	}
}

// A chart is drawn once per service, range and minute: every reader and
// link preview of an article in that minute gets the same image.
func TestChartPNGIsDrawnOncePerMinute(t *testing.T) {
	clock, advance := settableClock()
	f := newFixture(t, func(o *Options) { o.Now = clock })
	t0 := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	history(t, f, t0)
	target := "/services/whatsapp/chart.png?from=" + t0.Format(time.RFC3339) + "&to=" + t0.Add(time.Hour).Format(time.RFC3339)
	first := f.get(t, target).Body.Bytes()
	f.insert(t, reportsAt("more", "whatsapp", t0.Add(20*time.Minute), 40, 40)...)
	if again := f.get(t, target).Body.Bytes(); !bytes.Equal(again, first) {
		t.Error("the chart was drawn again within the minute")
	}
	// A minute later the old chart is still served at once, while it is
	// drawn again in the background.
	advance(pages.ChartCacheTTL + time.Second)
	if stale := f.get(t, target).Body.Bytes(); !bytes.Equal(stale, first) {
		t.Error("a minute later the first request waited for a new chart")
	}
	webtest.Eventually(t, "the chart with the new reports", func() bool {
		return !bytes.Equal(f.get(t, target).Body.Bytes(), first)
	})
}
