package chart

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)

// series makes n buckets of 15 minutes with reports from f and a usual
// range around 10.
func series(n int, f func(i int) float64) Chart {
	c := Chart{Title: "WhatsApp — reports per 15 minutes", From: t0, To: t0.Add(time.Duration(n) * 15 * time.Minute), Step: 15 * time.Minute}
	for i := 0; i < n; i++ {
		c.Points = append(c.Points, Point{T: t0.Add(time.Duration(i) * 15 * time.Minute), Reports: f(i), Baseline: 10, BaselineLow: 5, BaselineHigh: 17})
	}
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

// isBar says whether the pixel is the bar colour.
func isBar(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	br, bg, bb, _ := bar.RGBA()
	return r == br && g == bg && b == bb
}

// barPixels counts bar-coloured pixels in the columns of bucket i of n.
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
			// The title is drawn: dark pixels in its line.
			dark := 0
			for x := 48; x < 600; x++ {
				for y := 40; y < 80; y++ {
					if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
						dark++
					}
				}
			}
			if dark == 0 {
				t.Error("no title drawn")
			}
		})
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

func TestCount(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 9999: "9,999", 12500: "12.5k", 20000: "20k",
		1.5e6: "1.5M", 3e9: "3B", 2.5: "3",
	} {
		if got := Count(v); got != want {
			t.Errorf("Count(%v) = %q, want %q", v, got, want)
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
