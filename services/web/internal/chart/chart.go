// Package chart draws a service's report series as a PNG for social cards
// and articles: bars of reports per bucket over the baseline's usual range,
// a UTC time axis and a footer that says where the numbers come from.
// It is pure: it knows nothing of HTTP or storage.
package chart

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Size of every chart: the 1.91:1 that social cards use.
const (
	Width  = 1200
	Height = 630
)

// Point is one bucket of the series.
type Point struct {
	T            time.Time // start of the bucket
	Reports      float64
	Baseline     float64 // the usual count for the bucket (median)
	BaselineLow  float64 // the usual range's lower end
	BaselineHigh float64 // the usual range's upper end
}

// Chart is what to draw.
type Chart struct {
	Title    string // e.g. "WhatsApp — reports per 15 minutes"
	From, To time.Time
	Step     time.Duration
	Points   []Point
}

// Colours, chosen to read in print and on dark and light cards alike.
var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink        = color.RGBA{0x1f, 0x29, 0x37, 0xff}
	muted      = color.RGBA{0x5f, 0x6b, 0x7a, 0xff}
	grid       = color.RGBA{0xe3, 0xe7, 0xec, 0xff}
	bar        = color.RGBA{0xc2, 0x41, 0x0c, 0xff}
	band       = color.NRGBA{0x64, 0x74, 0x8b, 0x4c}
	median     = color.RGBA{0x33, 0x41, 0x55, 0xff}
)

// Plot area inside the image.
const (
	plotLeft   = 110
	plotRight  = Width - 48
	plotTop    = 120
	plotBottom = Height - 110
)

var fonts = sync.OnceValues(func() ([2]*opentype.Font, error) {
	var out [2]*opentype.Font
	for i, src := range [][]byte{goregular.TTF, gobold.TTF} {
		f, err := opentype.Parse(src)
		if err != nil {
			return out, fmt.Errorf("parse Go font: %w", err)
		}
		out[i] = f
	}
	return out, nil
})

// faces are the type sizes of one drawing; opentype faces are not safe
// for concurrent use, so each drawing makes its own.
type faces struct {
	title, label, footer font.Face
}

func newFaces() (faces, error) {
	fs, err := fonts()
	if err != nil {
		return faces{}, err
	}
	mk := func(f *opentype.Font, size float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	var fc faces
	if fc.title, err = mk(fs[1], 36); err != nil {
		return fc, fmt.Errorf("make title face: %w", err)
	}
	if fc.label, err = mk(fs[0], 20); err != nil {
		return fc, fmt.Errorf("make label face: %w", err)
	}
	if fc.footer, err = mk(fs[0], 22); err != nil {
		return fc, fmt.Errorf("make footer face: %w", err)
	}
	return fc, nil
}

// Render writes the chart as a PNG of Width×Height.
func Render(w io.Writer, c Chart) error {
	img, err := Draw(c)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("encode chart PNG: %w", err)
	}
	return nil
}

// Draw draws the chart.
func Draw(c Chart) (*image.RGBA, error) {
	if c.Step <= 0 {
		return nil, errors.New("chart: step must be positive")
	}
	fc, err := newFaces()
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	fill(img, img.Bounds(), background)

	text(img, fc.title, ink, 48, 72, fit(fc.title, c.Title, Width-96))

	top := niceTop(maxValue(c.Points))
	yOf := func(v float64) int {
		return plotBottom - int(math.Round(v/top*float64(plotBottom-plotTop)))
	}
	// Horizontal grid and value labels.
	const ticks = 5
	for i := 0; i <= ticks; i++ {
		v := top * float64(i) / ticks
		y := yOf(v)
		fill(img, image.Rect(plotLeft, y, plotRight, y+1), grid)
		label := Count(v)
		text(img, fc.label, muted, plotLeft-12-width(fc.label, label), y+7, label)
	}

	n := len(c.Points)
	if n == 0 {
		msg := "No reports in this range"
		text(img, fc.footer, muted, (plotLeft+plotRight-width(fc.footer, msg))/2, (plotTop+plotBottom)/2, msg)
	}
	xOf := func(i int) int {
		return plotLeft + int(math.Round(float64(i)*float64(plotRight-plotLeft)/float64(max(n, 1))))
	}
	gap := 0
	if (plotRight-plotLeft)/max(n, 1) >= 4 {
		gap = 1
	}
	// The usual range first, so that the bars stand in front of it.
	for i, p := range c.Points {
		x0, x1 := xOf(i), xOf(i+1)
		if p.BaselineHigh > p.BaselineLow {
			over(img, image.Rect(x0, yOf(p.BaselineHigh), x1, yOf(p.BaselineLow)+1), band)
		}
	}
	for i, p := range c.Points {
		x0, x1 := xOf(i), xOf(i+1)-gap
		if p.Reports > 0 {
			y := yOf(p.Reports)
			// A report is never invisible, even under the median line.
			y = min(y, plotBottom-4)
			fill(img, image.Rect(x0, y, max(x1, x0+1), plotBottom), bar)
		}
	}
	// The median as a step line.
	prev := -1
	for i, p := range c.Points {
		x0, x1 := xOf(i), xOf(i+1)
		y := yOf(p.Baseline)
		fill(img, image.Rect(x0, y-1, x1, y+1), median)
		if prev >= 0 && prev != y {
			fill(img, image.Rect(x0-1, min(prev, y)-1, x0+1, max(prev, y)+1), median)
		}
		prev = y
	}
	fill(img, image.Rect(plotLeft, plotBottom, plotRight, plotBottom+2), ink)

	timeAxis(img, fc.label, c, xOf)

	footer := "lapor"
	text(img, fc.title, ink, 48, Height-32, footer)
	rng := c.From.UTC().Format("2006-01-02 15:04") + " – " + c.To.UTC().Format("2006-01-02 15:04") + " UTC"
	text(img, fc.footer, muted, 48+width(fc.title, footer)+24, Height-36, rng)
	legend := "bars: reports · line: usual count · band: usual range"
	text(img, fc.label, muted, Width-48-width(fc.label, legend), Height-36, legend)
	return img, nil
}

// timeAxis labels bucket starts at a round interval that leaves room
// between labels; a label at midnight gives the date.
func timeAxis(img *image.RGBA, face font.Face, c Chart, xOf func(int) int) {
	n := len(c.Points)
	if n == 0 {
		return
	}
	span := c.Points[n-1].T.Sub(c.Points[0].T) + c.Step
	every := 7 * 24 * time.Hour
	for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour} {
		if d >= c.Step && span/d <= 8 {
			every = d
			break
		}
	}
	for i, p := range c.Points {
		t := p.T.UTC()
		if t.Unix()%int64(every/time.Second) != 0 {
			continue
		}
		x := xOf(i)
		fill(img, image.Rect(x, plotBottom, x+1, plotBottom+8), ink)
		label := t.Format("15:04")
		if t.Hour() == 0 && t.Minute() == 0 {
			label = t.Format("Jan 2")
		}
		text(img, face, muted, x-width(face, label)/2, plotBottom+32, label)
	}
	text(img, face, muted, 36, plotBottom+32, "UTC")
}

// maxValue is the largest value the chart must show.
func maxValue(pts []Point) float64 {
	m := 0.0
	for _, p := range pts {
		m = max(m, p.Reports, p.Baseline, p.BaselineHigh)
	}
	return m
}

// niceTop rounds the top of the scale up to 1, 2 or 5 times a power of ten
// per grid step, so the grid labels are round; an empty scale still has
// one.
func niceTop(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 5
	}
	step := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(step)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= step {
			step = m * mag
			break
		}
	}
	if step < 1 {
		step = 1 // counts are whole
	}
	return step * 5
}

// Count writes a count for a label: whole numbers with thousands
// separators, large ones shortened (12.5k, 3M).
func Count(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return short(v/1e9) + "B"
	case a >= 1e6:
		return short(v/1e6) + "M"
	case a >= 1e4:
		return short(v/1e3) + "k"
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	if len(s) > 3 {
		s = s[:len(s)-3] + "," + s[len(s)-3:]
	}
	return s
}

func short(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func over(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Over)
}

func text(img *image.RGBA, face font.Face, c color.Color, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func width(face font.Face, s string) int {
	return font.MeasureString(face, s).Round()
}

// fit shortens s with an ellipsis until it is at most px wide.
func fit(face font.Face, s string, px int) string {
	if width(face, s) <= px {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && width(face, string(r)+"…") > px {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
