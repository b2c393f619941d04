package chart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

var t0 = time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)

// series makes n buckets of 15 minutes with reports from f, an expected
// count of 10 and an alert threshold of 17.
func series(n int, f func(i int) float64) Chart {
	c := Chart{Title: "WhatsApp — reports per 15 minutes", From: t0, To: t0.Add(time.Duration(n) * 15 * time.Minute), Step: 15 * time.Minute}
	for i := 0; i < n; i++ {
		c.Points = append(c.Points, Point{T: t0.Add(time.Duration(i) * 15 * time.Minute), Reports: f(i), Expected: 10, Possible: 17})
	}
	return c
}

// with changes a chart.
func with(c Chart, f func(*Chart)) Chart {
	f(&c)
	return c
}

func decode(t *testing.T, c Chart) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, c); err != nil {
		t.Fatalf("render: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
		t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), Width, Height)
	}
	return img
}

func rgb(img image.Image, x, y int) color.RGBA {
	r, g, b, _ := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// near says two colours differ by at most 2 in each channel: compositing
// rounds.
func near(a, b color.RGBA) bool {
	d := func(x, y uint8) bool { return x-y <= 2 || y-x <= 2 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// The page's colours (Chart.tsx, styles.css) as they show on white, worked
// out by hand from its CSS so that a change of the chart's own constants
// is caught.
var (
	white       = color.RGBA{255, 255, 255, 255}
	barOnWhite  = color.RGBA{87, 135, 207, 255}  // rgba(31, 95, 191, 0.75)
	bandOnWhite = color.RGBA{231, 231, 231, 255} // rgba(120, 120, 120, 0.18)
	bandOnBar   = color.RGBA{93, 132, 191, 255}  // the band over a bar, as uPlot draws it
	partialFill = color.RGBA{199, 215, 239, 255} // rgba(31, 95, 191, 0.25)
	stripe      = color.RGBA{0x1f, 0x5f, 0xbf, 255}
	expectedInk = color.RGBA{0x4a, 0x4a, 0x4a, 255}
	gridInk     = color.RGBA{0xe3, 0xe3, 0xe3, 255}
	textInk     = color.RGBA{0x33, 0x33, 0x33, 255}
	badInk      = color.RGBA{0xa4, 0x16, 0x1a, 255}
	badShade    = color.RGBA{0xfd, 0xea, 0xea, 255}
	warnInk     = color.RGBA{0x7a, 0x46, 0x00, 255}
	warnShade   = color.RGBA{0xff, 0xf3, 0xd6, 255}
)

// isBar says whether the pixel is a bar's, over white, a shade or under
// the band: only bars are blue.
func isBar(img image.Image, x, y int) bool {
	c := rgb(img, x, y)
	return int(c.B)-int(c.R) > 40
}

// barPixels counts bar pixels in the columns of bucket i of n.
func barPixels(img image.Image, i, n int) int {
	x0 := plotLeft + i*(plotRight-plotLeft)/n
	x1 := plotLeft + (i+1)*(plotRight-plotLeft)/n
	count := 0
	for x := x0; x < x1; x++ {
		for y := plotTop; y < plotBottom; y++ {
			if isBar(img, x, y) {
				count++
			}
		}
	}
	return count
}

func TestRender(t *testing.T) {
	tests := []struct {
		name  string
		chart Chart
		// bars[i] says whether bucket i must show a bar.
		bars map[int]bool
	}{
		{"spike", series(96, func(i int) float64 {
			if i == 90 {
				return 400
			}
			return 8
		}), map[int]bool{0: true, 90: true}},
		{"gap", series(96, func(i int) float64 {
			if i%2 == 0 {
				return 0
			}
			return 12
		}), map[int]bool{0: false, 1: true, 2: false}},
		{"all zero", series(96, func(int) float64 { return 0 }), map[int]bool{0: false, 50: false}},
		{"big numbers", series(96, func(i int) float64 { return 3e9 + float64(i)*1e7 }), map[int]bool{0: true, 95: true}},
		{"one report among thousands", series(24, func(i int) float64 {
			if i == 3 {
				return 1
			}
			return 5000
		}), map[int]bool{3: true}},
		{"empty", Chart{Title: "Empty", From: t0, To: t0.Add(time.Hour), Step: time.Hour}, nil},
		{"empty in Indonesian", Chart{Title: "Kosong", From: t0, To: t0.Add(time.Hour), Step: time.Hour, Lang: Indonesian}, nil},
		{"a language the page does not speak is English", with(series(4, func(int) float64 { return 3 }), func(c *Chart) { c.Lang = "fr" }),
			map[int]bool{0: true}},
		{"NaN and infinite judgements", with(series(4, func(int) float64 { return 3 }), func(c *Chart) {
			c.Points[1].Expected, c.Points[1].Possible = math.NaN(), math.NaN()
			c.Points[2].Expected, c.Points[2].Possible = math.Inf(1), math.Inf(1)
		}), map[int]bool{1: true, 2: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := decode(t, tc.chart)
			n := len(tc.chart.Points)
			for i, want := range tc.bars {
				if got := barPixels(img, i, n) > 0; got != want {
					t.Errorf("bucket %d: bar drawn %v, want %v", i, got, want)
				}
			}
			if n == 0 && barPixels(img, 0, 1) > 0 {
				t.Error("an empty chart has bars")
			}
			// The title is drawn in the page's text colour.
			if count(img, image.Rect(margin, titleY-36, 600, titleY+8), textInk) == 0 {
				t.Error("no title drawn in #333")
			}
		})
	}
}

// count counts the pixels of r that are exactly c.
func count(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if rgb(img, x, y) == c {
				n++
			}
		}
	}
	return n
}

// at is a pixel of the plot: the middle of bucket i (or ·x· pixels into it)
// at the height of value v, in chart c.
type at struct {
	bucket int
	dx     int // from the bucket's middle
	v      float64
}

func (a at) point(c Chart) image.Point {
	fr := newFrame(c)
	return image.Pt((fr.x(a.bucket)+fr.x(a.bucket+1))/2+a.dx, fr.y(a.v))
}

// spike is 24 buckets of 3 reports but for 300 in bucket 6; the axis of
// 24 buckets at 43 px each has its ticks at bucket starts only.
var spike = series(24, func(i int) float64 {
	if i == 6 {
		return 300
	}
	return 3
})

// TestColours samples known pixels: each mark must be the page's colour.
func TestColours(t *testing.T) {
	detected := with(spike, func(c *Chart) {
		c.Marks = []Mark{{Level: lapor.LevelDetected, Start: t0.Add(5 * 15 * time.Minute), End: t0.Add(9 * 15 * time.Minute)}}
	})
	possibleOpen := with(spike, func(c *Chart) {
		c.Marks = []Mark{{Level: lapor.LevelPossible, Start: t0.Add(20 * 15 * time.Minute)}}
	})
	tests := []struct {
		name  string
		chart Chart
		at    at
		want  color.RGBA
	}{
		{"bar above the band", spike, at{6, 0, 250}, barOnWhite},
		{"bar in the band", spike, at{6, 0, 1}, bandOnBar},
		{"band over nothing", spike, at{6, 0, 14}, bandOnBar},
		{"band beside a low bar", spike, at{3, 0, 14}, bandOnWhite},
		{"above everything", spike, at{3, 0, 250}, white},
		{"detected shade", detected, at{7, 0, 310}, badShade},
		{"detected edge", detected, at{7, 0, 0}, badInk}, // replaced below: the top of the plot
		{"outside the shade", detected, at{3, 0, 250}, white},
		{"possible shade to the range's end", possibleOpen, at{23, 0, 250}, warnShade},
		{"before it", possibleOpen, at{19, 0, 250}, white},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := decode(t, tc.chart)
			p := tc.at.point(tc.chart)
			if strings.HasSuffix(tc.name, "edge") {
				p.Y = plotTop + statusStrip/2
			}
			if got := rgb(img, p.X, p.Y); !near(got, tc.want) {
				t.Errorf("pixel %v = %v, want %v", p, got, tc.want)
			}
		})
	}
}

func TestGridAndExpectedLine(t *testing.T) {
	img := decode(t, spike)
	fr := newFrame(spike)
	// The top grid line, between ticks. (The colour tests sample between
	// grid lines: the grid is under the bars, as uPlot draws it.)
	if got := rgb(img, at{3, 0, 0}.point(spike).X, fr.y(fr.top)); got != gridInk {
		t.Errorf("grid %v, want %v", got, gridInk)
	}
	// The expected line is dashed: along it, its colour and gaps.
	y := fr.y(10)
	on, off := 0, 0
	for x := fr.x(2); x < fr.x(4); x++ {
		if rgb(img, x, y) == expectedInk {
			on++
		} else {
			off++
		}
	}
	if on == 0 || off == 0 {
		t.Errorf("expected line: %d pixels of #4a4a4a and %d others, want both (dashed)", on, off)
	}
}

// A status is shaded and written only with an incident in the range.
func TestStatusMark(t *testing.T) {
	tests := []struct {
		name        string
		marks       []Mark
		shade, text color.RGBA // colours sought in the plot and in the status line
		want        bool
	}{
		{"none", nil, badShade, badInk, false},
		{"detected", []Mark{{Level: lapor.LevelDetected, Start: t0.Add(time.Hour)}}, badShade, badInk, true},
		{"possible", []Mark{{Level: lapor.LevelPossible, Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}}, warnShade, warnInk, true},
		{"before the range", []Mark{{Level: lapor.LevelDetected, Start: t0.Add(-3 * time.Hour), End: t0.Add(-time.Hour)}}, badShade, badInk, false},
		{"after the range", []Mark{{Level: lapor.LevelDetected, Start: t0.Add(7 * time.Hour)}}, badShade, badInk, false},
		{"started before, ongoing", []Mark{{Level: lapor.LevelDetected, Start: t0.Add(-time.Hour)}}, badShade, badInk, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := with(spike, func(c *Chart) { c.Marks = tc.marks })
			img := decode(t, c)
			plot := image.Rect(plotLeft, plotTop, plotRight, plotBottom)
			line := image.Rect(0, statusY-24, Width, statusY+6)
			if got := count(img, plot, tc.shade) > 0; got != tc.want {
				t.Errorf("shade in the plot: %v, want %v", got, tc.want)
			}
			if got := count(img, line, tc.text) > 0; got != tc.want {
				t.Errorf("status written: %v, want %v", got, tc.want)
			}
		})
	}
}

// The last bucket is hatched and lighter when the range ends inside it,
// as on the page.
func TestPartialBucketHatched(t *testing.T) {
	full := series(8, func(int) float64 { return 40 })
	cut := with(full, func(c *Chart) { c.To = c.To.Add(-10 * time.Minute) })
	for _, tc := range []struct {
		name  string
		chart Chart
		want  bool
	}{{"whole", full, false}, {"cut at to", cut, true}} {
		t.Run(tc.name, func(t *testing.T) {
			img := decode(t, tc.chart)
			fr := newFrame(tc.chart)
			// Above the band, inside the bar.
			r := image.Rect(fr.x(7), fr.y(38), fr.x(8)-1, fr.y(20))
			stripes, light := count(img, r, stripe), 0
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					if near(rgb(img, x, y), partialFill) {
						light++
					}
				}
			}
			if got := stripes > 0 && light > 0; got != tc.want {
				t.Errorf("last bar: %d stripe and %d light pixels; hatched %v, want %v", stripes, light, got, tc.want)
			}
			if got := rgb(img, (fr.x(6)+fr.x(7))/2, fr.y(35)); !near(got, barOnWhite) {
				t.Errorf("the bar before it is %v, want %v", got, barOnWhite)
			}
		})
	}
}

func TestAxisTicks(t *testing.T) {
	jakarta := mustZone(t, "Asia/Jakarta")
	berlin := mustZone(t, "Europe/Berlin")
	day := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC) // 08:00 WIB
	tests := []struct {
		name       string
		start, end time.Time
		loc        *time.Location
		lang       Lang
		want       []string
		first      time.Time
	}{
		{"24 h in UTC", day, day.Add(24 * time.Hour), time.UTC, English,
			[]string{"03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "4 Dec"}, day.Add(2 * time.Hour)},
		{"24 h in Jakarta", day, day.Add(24 * time.Hour), jakarta, English,
			[]string{"09:00", "12:00", "15:00", "18:00", "21:00", "4 Dec", "03:00", "06:00"}, day.Add(time.Hour)},
		{"in Indonesian", day, day.Add(24 * time.Hour), jakarta, Indonesian,
			[]string{"09.00", "12.00", "15.00", "18.00", "21.00", "4 Des", "03.00", "06.00"}, day.Add(time.Hour)},
		{"a week over the clock change", time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), berlin, English,
			[]string{"26 Mar", "27 Mar", "28 Mar", "29 Mar", "30 Mar", "31 Mar", "1 Apr"}, time.Date(2026, 3, 25, 23, 0, 0, 0, time.UTC)},
		{"30 days, weekly on Mondays", time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 8, 31, 0, 0, 0, 0, time.UTC), time.UTC, Indonesian,
			[]string{"3 Agu", "10 Agu", "17 Agu", "24 Agu", "31 Agu"}, time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)},
		{"months", time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), time.UTC, Indonesian,
			[]string{"Feb 2025", "Mar 2025", "Apr 2025", "Mei 2025", "Jun 2025", "Jul 2025", "Agu 2025", "Sep 2025"}, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"years", time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.UTC, English,
			[]string{"2021", "2022", "2023", "2024", "2025", "2026"}, time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"an hour by minutes", day, day.Add(time.Hour), time.UTC, English,
			[]string{"01:00", "01:10", "01:20", "01:30", "01:40", "01:50", "02:00"}, day},
		{"no span", day, day, time.UTC, English, nil, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ticks := axisTicks(tc.start, tc.end, tc.loc, tc.lang.words())
			var got []string
			for _, tk := range ticks {
				got = append(got, tk.label)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
			if len(ticks) > 0 && !ticks[0].at.Equal(tc.first) {
				t.Errorf("first tick at %v, want %v", ticks[0].at, tc.first)
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestLoadZone(t *testing.T) {
	for _, tc := range []struct {
		name, want string // want "" for an error
	}{
		{"", "UTC"}, {"UTC", "UTC"}, {"Asia/Jakarta", "Asia/Jakarta"}, {"America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"Etc/GMT-7", "Etc/GMT-7"}, {"America/Port-au-Prince", "America/Port-au-Prince"},
		{"Local", ""}, {"asia/jakarta", ""}, {"Nowhere/City", ""}, {"../../etc/passwd", ""}, {"/etc/localtime", ""},
		{"Asia/Jakarta\x00", ""}, {strings.Repeat("A", 100), ""}, {"WIB", ""},
	} {
		loc, err := LoadZone(tc.name)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("LoadZone(%q) = %v, want an error", tc.name, loc)
		case tc.want == "" && !errors.Is(err, errZone):
			t.Errorf("LoadZone(%q): error %v does not say it is no zone", tc.name, err)
		case tc.want != "" && (err != nil || loc.String() != tc.want):
			t.Errorf("LoadZone(%q) = %v, %v; want %s", tc.name, loc, err, tc.want)
		}
	}
}

func TestWords(t *testing.T) {
	jakarta := mustZone(t, "Asia/Jakarta")
	berlin := mustZone(t, "Europe/Berlin")
	kathmandu := mustZone(t, "Asia/Kathmandu")
	from := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("English title", English.Title("WhatsApp", 15*time.Minute), "WhatsApp — reports per 15 minutes")
	check("Indonesian title", Indonesian.Title("WhatsApp", 15*time.Minute), "WhatsApp — laporan per 15 menit")
	for step, want := range map[time.Duration][2]string{
		time.Minute:      {"reports per minute", "laporan per menit"},
		5 * time.Minute:  {"reports per 5 minutes", "laporan per 5 menit"},
		time.Hour:        {"reports per hour", "laporan per jam"},
		2 * time.Hour:    {"reports per 2 hours", "laporan per 2 jam"},
		90 * time.Minute: {"reports per 90 minutes", "laporan per 90 menit"},
		24 * time.Hour:   {"reports per day", "laporan per hari"},
	} {
		check("English unit of "+step.String(), English.Unit(step), want[0])
		check("Indonesian unit of "+step.String(), Indonesian.Unit(step), want[1])
	}
	check("footer in UTC", rangeText(from, from.Add(24*time.Hour), time.UTC), "2026-12-03 01:00 – 2026-12-04 01:00 UTC")
	check("footer in Jakarta", rangeText(from, from.Add(24*time.Hour), jakarta), "2026-12-03 08:00 – 2026-12-04 08:00 WIB (Asia/Jakarta)")
	check("footer over a clock change", rangeText(time.Date(2026, 3, 28, 7, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC), berlin),
		"2026-03-28 08:00 CET – 2026-03-29 09:00 CEST (Europe/Berlin)")
	check("footer in a zone without letters", rangeText(from, from.Add(time.Hour), kathmandu),
		"2026-12-03 06:45 – 2026-12-03 07:45 UTC+05:45 (Asia/Kathmandu)")

	start, end := from.Add(6*time.Hour+5*time.Minute), from.Add(7*time.Hour+30*time.Minute)
	for _, tc := range []struct {
		lang Lang
		mark Mark
		loc  *time.Location
		want string
	}{
		{English, Mark{Level: lapor.LevelDetected, Start: start}, jakarta, "Problems detected since 3 Dec, 14:05 WIB"},
		{Indonesian, Mark{Level: lapor.LevelDetected, Start: start}, jakarta, "Masalah terdeteksi sejak 3 Des, 14.05 WIB"},
		{English, Mark{Level: lapor.LevelPossible, Start: start, End: end}, jakarta, "Possible problems: 3 Dec, 14:05 – 15:30 WIB"},
		{Indonesian, Mark{Level: lapor.LevelPossible, Start: start, End: end}, jakarta, "Kemungkinan ada masalah: 3 Des, 14.05 – 15.30 WIB"},
		{English, Mark{Level: lapor.LevelDetected, Start: start, End: end.Add(12 * time.Hour)}, time.UTC, "Problems detected: 3 Dec, 07:05 – 20:30 UTC"},
		{English, Mark{Level: lapor.LevelDetected, Start: start, End: end.Add(18 * time.Hour)}, time.UTC, "Problems detected: 3 Dec, 07:05 – 4 Dec, 02:30 UTC"},
	} {
		check("status", status(tc.lang.words(), tc.mark, tc.loc), tc.want)
	}

	for v, want := range map[float64][2]string{
		0: {"0", "0"}, 7: {"7", "7"}, 999: {"999", "999"}, 1000: {"1,000", "1.000"}, 9999: {"9,999", "9.999"},
		12500: {"12.5k", "12,5 rb"}, 20000: {"20k", "20 rb"}, 1.5e6: {"1.5M", "1,5 jt"}, 3e9: {"3B", "3 M"}, 2.5: {"3", "3"},
		-1234: {"-1,234", "-1.234"},
	} {
		check("English count", English.Count(v), want[0])
		check("Indonesian count", Indonesian.Count(v), want[1])
	}
	check("Count", Count(12500), "12.5k")
	if l, ok := ParseLang("id"); !ok || l != Indonesian {
		t.Errorf("ParseLang(id) = %q, %v", l, ok)
	}
	for _, s := range []string{"", "fr", "EN", "en-US"} {
		if _, ok := ParseLang(s); ok {
			t.Errorf("ParseLang(%q) accepted", s)
		}
	}
}

// The legend fits on its line in each language, with every item.
func TestLegendFits(t *testing.T) {
	fc, err := newFaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []Lang{English, Indonesian} {
		c := with(series(8, func(int) float64 { return 3 }), func(c *Chart) { c.Lang = l; c.To = c.To.Add(-time.Minute); c.Zone = time.UTC })
		items := legend(l.words(), c, true)
		if len(items) != 4 {
			t.Errorf("%s: %d legend items, want 4", l, len(items))
		}
		if wd := legendWidth(fc.label, items); wd > Width-2*margin {
			t.Errorf("%s: legend %d px wide, more than the %d there is", l, wd, Width-2*margin)
		}
	}
}

// A past range's cut bucket says until when it counts; one still filling
// says so.
func TestPartialLegend(t *testing.T) {
	c := with(series(8, func(int) float64 { return 3 }), func(c *Chart) { c.To = c.To.Add(-10 * time.Minute); c.Zone = time.UTC })
	past := legend(English.words(), c, true)[1].label
	if past != "Reports (until 13:50)" {
		t.Errorf("past: %q", past)
	}
	c.Now = c.To
	if filling := legend(Indonesian.words(), c, true)[1].label; filling != "Laporan (masih berjalan)" {
		t.Errorf("filling: %q", filling)
	}
}

func TestDrawRejectsZeroStep(t *testing.T) {
	if _, err := Draw(Chart{Title: "x"}); err == nil {
		t.Error("Draw with step 0 succeeded")
	}
}

func TestTallerBarForMoreReports(t *testing.T) {
	img := decode(t, series(4, func(i int) float64 { return float64(10 * (i + 1)) }))
	for i := 1; i < 4; i++ {
		if barPixels(img, i, 4) <= barPixels(img, i-1, 4) {
			t.Errorf("bucket %d's bar is not taller than bucket %d's", i, i-1)
		}
	}
}

func TestNiceTop(t *testing.T) {
	for v, want := range map[float64]float64{0: 5, 1: 5, 4: 5, 7: 10, 23: 25, 99: 100, 101: 125, 4000: 5000} {
		if got := niceTop(v); got != want {
			t.Errorf("niceTop(%v) = %v, want %v", v, got, want)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	c := series(96, func(i int) float64 { return float64(i % 17 * 3) })
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/png")
}
