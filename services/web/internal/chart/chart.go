// Package chart draws a service's report series as a PNG for social cards
// and articles, as the service page draws it: bars of reports per bucket,
// the detector's alert threshold as a band and its expected count as a
// dashed line, the service's incidents shaded in the page's status colours,
// a time axis in the reader's zone and a footer that says where and when
// the numbers are from, in the page's language.
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
	"sync"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	lapor "github.com/lapor/lapor/services/shared"
)

// Size of every chart: the 1.91:1 that social cards use.
const (
	Width  = 1200
	Height = 630
)

// Point is one bucket of the series.
type Point struct {
	T       time.Time // start of the bucket
	Reports float64
	// Expected is the count the detector expected, Possible the count
	// at which it calls the bucket "possible problems": the band drawn
	// is up to it. NaN where the detector judged nothing.
	Expected float64
	Possible float64
}

// Mark is an incident of the service that overlaps the chart's range.
type Mark struct {
	Level lapor.Level
	Start time.Time
	End   time.Time // zero while it goes on: the shade runs to the range's end
}

// Chart is what to draw.
type Chart struct {
	Title    string // e.g. "WhatsApp — reports per 15 minutes" (Lang.Title)
	From, To time.Time
	Step     time.Duration
	Points   []Point
	Lang     Lang           // of the words, dates and numbers; "" is English
	Zone     *time.Location // the times are written in; nil is UTC
	// Now tells a last bucket cut at To that is still filling (it ends
	// after Now) from one of a past range; zero takes it as past.
	Now   time.Time
	Marks []Mark
}

// Colours of the service page's chart (frontend/src/components/Chart.tsx,
// const C) and status (frontend/src/styles.css), so the image and the page
// it is cut from look alike.
var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink        = color.RGBA{0x33, 0x33, 0x33, 0xff} // C.text
	muted      = color.RGBA{0x55, 0x5d, 0x66, 0xff} // --muted
	grid       = color.RGBA{0xe3, 0xe3, 0xe3, 0xff} // C.grid
	barLine    = color.RGBA{0x1f, 0x5f, 0xbf, 0xff} // C.bar: the partial bar's stripes
	barFill    = color.NRGBA{0x1f, 0x5f, 0xbf, 191} // C.barFill, alpha 0.75
	barPartial = color.NRGBA{0x1f, 0x5f, 0xbf, 64}  // C.barPartial, alpha 0.25
	band       = color.NRGBA{120, 120, 120, 46}     // C.band, alpha 0.18
	median     = color.RGBA{0x4a, 0x4a, 0x4a, 0xff} // C.median
	// The status: the strong colour for words and edges, the light one
	// for areas, as the page's banners (--bad, --bad-bg, --warn, --warn-bg).
	bad    = color.RGBA{0xa4, 0x16, 0x1a, 0xff}
	badBg  = color.RGBA{0xfd, 0xea, 0xea, 0xff}
	warn   = color.RGBA{0x7a, 0x46, 0x00, 0xff}
	warnBg = color.RGBA{0xff, 0xf3, 0xd6, 0xff}
)

// statusColours are a level's strong and light colours.
func statusColours(l lapor.Level) (strong, light color.RGBA) {
	if l == lapor.LevelDetected {
		return bad, badBg
	}
	return warn, warnBg
}

// Layout: the title and status above the plot, the time axis, legend and
// footer below it.
const (
	margin      = 48
	plotLeft    = 110
	plotRight   = Width - margin
	plotTop     = 128
	plotBottom  = Height - 140
	titleY      = 62
	statusY     = 104
	axisLabelY  = plotBottom + 30
	legendY     = Height - 66
	footerY     = Height - 22
	statusStrip = 6 // the bar along the top of an incident's shade, as the banner's edge
	dash, gap   = 6, 4
	maxTicks    = 8
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
	title, status, label, footer, brand font.Face
}

func newFaces() (faces, error) {
	fs, err := fonts()
	if err != nil {
		return faces{}, err
	}
	var fc faces
	for _, f := range []struct {
		dst  *font.Face
		bold bool
		size float64
		name string
	}{
		{&fc.title, true, 36, "title"}, {&fc.status, true, 24, "status"}, {&fc.label, false, 20, "label"},
		{&fc.footer, false, 20, "footer"}, {&fc.brand, true, 28, "brand"},
	} {
		src := fs[0]
		if f.bold {
			src = fs[1]
		}
		face, err := opentype.NewFace(src, &opentype.FaceOptions{Size: f.size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return fc, fmt.Errorf("make %s face: %w", f.name, err)
		}
		*f.dst = face
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

// frame maps the chart's times and counts to pixels.
type frame struct {
	start, end time.Time // of the x axis: the first bucket's start to the last one's end
	top        float64   // of the y axis
	n          int
}

// newFrame is the chart's frame: its x axis runs over its buckets, or
// over its range when it has none.
func newFrame(c Chart) frame {
	n := len(c.Points)
	fr := frame{start: c.From, end: c.To, top: niceTop(maxValue(c.Points)), n: n}
	if n > 0 {
		fr.start = c.Points[0].T
		fr.end = fr.start.Add(time.Duration(n) * c.Step)
	}
	return fr
}

func (f frame) x(i int) int {
	return plotLeft + int(math.Round(float64(i)*float64(plotRight-plotLeft)/float64(max(f.n, 1))))
}

// xAt is the x of a time, clamped to the plot.
func (f frame) xAt(t time.Time) int {
	span := f.end.Sub(f.start)
	if span <= 0 {
		return plotLeft
	}
	r := min(max(float64(t.Sub(f.start))/float64(span), 0), 1)
	return plotLeft + int(math.Round(r*float64(plotRight-plotLeft)))
}

func (f frame) y(v float64) int {
	return plotBottom - int(math.Round(v/f.top*float64(plotBottom-plotTop)))
}

// Draw draws the chart.
func Draw(c Chart) (*image.RGBA, error) {
	if c.Step <= 0 {
		return nil, errors.New("chart: step must be positive")
	}
	if c.Zone == nil {
		c.Zone = time.UTC
	}
	w := c.Lang.words()
	fc, err := newFaces()
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	fill(img, img.Bounds(), background)

	n := len(c.Points)
	fr := newFrame(c)
	partial := n > 0 && !c.To.IsZero() && fr.end.After(c.To)

	// Incidents behind everything, in the light colour of the page's
	// banner for their level.
	shades, newest := marksOn(fr, c.Marks)
	for _, sh := range shades {
		fill(img, image.Rect(sh.x0, plotTop, sh.x1, plotBottom), sh.light)
	}
	ticks := axisTicks(fr.start, fr.end, c.Zone, w)

	// Grid, then the data, as uPlot draws them.
	const yTicks = 5
	for i := 0; i <= yTicks; i++ {
		v := fr.top * float64(i) / yTicks
		y := fr.y(v)
		fill(img, image.Rect(plotLeft, y, plotRight, y+1), grid)
		label := c.Lang.Count(v)
		text(img, fc.label, ink, plotLeft-12-width(fc.label, label), y+7, label)
	}
	for _, tk := range ticks {
		x := fr.xAt(tk.at)
		fill(img, image.Rect(x, plotTop, x+1, plotBottom), grid)
	}
	if n == 0 {
		msg := w.noReports
		text(img, fc.footer, muted, (plotLeft+plotRight-width(fc.footer, msg))/2, (plotTop+plotBottom)/2, msg)
	}
	drawBars(img, fr, c.Points, partial)
	// The band over the bars, as the page's uPlot band is drawn after them.
	for i, p := range c.Points {
		if p.Possible > 0 && !math.IsInf(p.Possible, 0) {
			over(img, image.Rect(fr.x(i), fr.y(p.Possible), fr.x(i+1), plotBottom), band)
		}
	}
	drawExpected(img, fr, c.Points)
	// Their strong colour along the top, over the grid, as the banner's edge.
	for _, sh := range shades {
		fill(img, image.Rect(sh.x0, plotTop, sh.x1, plotTop+statusStrip), sh.strong)
	}
	fill(img, image.Rect(plotLeft, plotBottom, plotRight, plotBottom+2), ink)
	drawAxis(img, fc.label, fr, ticks, c.Zone)

	text(img, fc.title, ink, margin, titleY, fit(fc.title, c.Title, Width-2*margin))
	if newest != nil {
		strong, _ := statusColours(newest.Level)
		fill(img, image.Rect(margin, statusY-18, margin+18, statusY), strong)
		msg := status(w, *newest, c.Zone)
		text(img, fc.status, strong, margin+28, statusY, fit(fc.status, msg, Width-2*margin-28))
	}
	drawLegend(img, fc.label, legend(w, c, partial))

	brand := "lapor"
	text(img, fc.brand, ink, margin, footerY, brand)
	x := margin + width(fc.brand, brand) + 20
	text(img, fc.footer, muted, x, footerY, fit(fc.footer, rangeText(c.From, c.To, c.Zone), Width-margin-x))
	return img, nil
}

// shade is an incident's span on the plot.
type shade struct {
	x0, x1        int
	strong, light color.RGBA
}

// marksOn gives the spans of the incidents on the plot and the newest one
// (nil without any), whose status the chart writes.
func marksOn(fr frame, marks []Mark) ([]shade, *Mark) {
	var out []shade
	var newest *Mark
	for i, m := range marks {
		end := m.End
		if end.IsZero() || end.After(fr.end) {
			end = fr.end
		}
		if !m.Start.Before(fr.end) || !end.After(fr.start) {
			continue
		}
		x0, x1 := fr.xAt(m.Start), fr.xAt(end)
		strong, light := statusColours(m.Level)
		// An incident shorter than a pixel is still seen.
		out = append(out, shade{x0, max(x1, x0+2), strong, light})
		if newest == nil || m.Start.After(newest.Start) {
			newest = &marks[i]
		}
	}
	return out, newest
}

// drawBars draws a bar per bucket; a partial last bucket (cut at the
// range's end) lighter and hatched, as the page draws it.
func drawBars(img *image.RGBA, fr frame, pts []Point, partial bool) {
	// A bar is a pixel narrower than its bucket where buckets are wide
	// enough, so that neighbours stay apart.
	gap := 0
	if (plotRight-plotLeft)/max(fr.n, 1) >= 4 {
		gap = 1
	}
	for i, p := range pts {
		if !(p.Reports > 0) {
			continue
		}
		x0, x1 := fr.x(i), fr.x(i+1)-gap
		// A report is never invisible, even under the expected line.
		y := min(fr.y(p.Reports), plotBottom-4)
		r := image.Rect(x0, y, max(x1, x0+1), plotBottom)
		if partial && i == len(pts)-1 {
			hatch(img, r)
			continue
		}
		over(img, r, barFill)
	}
}

// hatch fills r as the page's partial bar: the fill at a third of its
// strength with diagonal stripes of the bar colour every 8 pixels.
func hatch(img *image.RGBA, r image.Rectangle) {
	over(img, r, barPartial)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x+y)%8 < 2 {
				img.SetRGBA(x, y, barLine)
			}
		}
	}
}

// drawExpected draws the expected count as a dashed step line, broken
// where nothing was judged.
func drawExpected(img *image.RGBA, fr frame, pts []Point) {
	prev := -1
	for i, p := range pts {
		if math.IsNaN(p.Expected) || math.IsInf(p.Expected, 0) {
			prev = -1
			continue
		}
		x0, x1 := fr.x(i), fr.x(i+1)
		y := fr.y(p.Expected)
		for x := x0; x < x1; x++ {
			if (x-plotLeft)%(dash+gap) < dash {
				fill(img, image.Rect(x, y-1, x+1, y+1), median)
			}
		}
		if prev >= 0 && prev != y {
			for yy := min(prev, y) - 1; yy < max(prev, y)+1; yy++ {
				if (yy-plotTop)%(dash+gap) < dash {
					fill(img, image.Rect(x0-1, yy, x0+1, yy+1), median)
				}
			}
		}
		prev = y
	}
}

// drawAxis draws the time ticks and their labels, leaving out a label that
// would touch the one before it or leave the image, and the zone's name at
// the left when there is room for it.
func drawAxis(img *image.RGBA, face font.Face, fr frame, ticks []tick, loc *time.Location) {
	const space = 12
	lastRight, firstLeft := math.MinInt, math.MaxInt
	for _, tk := range ticks {
		x := fr.xAt(tk.at)
		fill(img, image.Rect(x, plotBottom, x+1, plotBottom+8), ink)
		wd := width(face, tk.label)
		l := x - wd/2
		if l < lastRight+space || l+wd > Width-8 {
			continue
		}
		text(img, face, ink, l, axisLabelY, tk.label)
		lastRight = l + wd
		firstLeft = min(firstLeft, l)
	}
	zone := ZoneName(fr.end.In(loc))
	if 36+width(face, zone)+2*space <= firstLeft {
		text(img, face, muted, 36, axisLabelY, zone)
	}
}

// status says the newest incident's level and when it was, in the words
// of the page's banner: "Problems detected since 3 Dec, 14:05 WIB" while
// it goes on, "Problems detected: 3 Dec, 14:05 – 15:30 WIB" once over.
func status(w *words, m Mark, loc *time.Location) string {
	level := w.possible
	if m.Level == lapor.LevelDetected {
		level = w.detected
	}
	start := m.Start.In(loc)
	if m.End.IsZero() {
		return level + " " + w.since + " " + w.dateTime(start) + " " + ZoneName(start)
	}
	end := m.End.In(loc)
	s := level + ": " + w.dateTime(start)
	if ZoneName(start) != ZoneName(end) {
		s += " " + ZoneName(start)
	}
	if y, mo, d := start.Date(); end.Year() == y && end.Month() == mo && end.Day() == d {
		return s + " – " + w.clock(end) + " " + ZoneName(end)
	}
	return s + " – " + w.dateTime(end) + " " + ZoneName(end)
}

// rangeText is the footer's range in the zone, named:
// "2026-12-03 08:00 – 2026-12-04 08:00 WIB (Asia/Jakarta)". The dates are
// ISO's, which read the same in every language.
func rangeText(from, to time.Time, loc *time.Location) string {
	const layout = "2006-01-02 15:04"
	f, t := from.In(loc), to.In(loc)
	s := f.Format(layout)
	if ZoneName(f) != ZoneName(t) {
		s += " " + ZoneName(f)
	}
	s += " – " + t.Format(layout) + " " + ZoneName(t)
	if name := loc.String(); name != ZoneName(t) && name != ZoneName(f) {
		s += " (" + name + ")"
	}
	return s
}

// legendItem is one mark of the chart and what it means.
type legendItem struct {
	swatch func(img *image.RGBA, r image.Rectangle)
	label  string
}

// legend names the marks in the page's words (its ChartLegend); the
// partial bar only when the chart has one.
func legend(w *words, c Chart, partial bool) []legendItem {
	items := []legendItem{{func(img *image.RGBA, r image.Rectangle) { over(img, r, barFill) }, w.reports}}
	if partial {
		// The last bucket ends after To: it is still filling when it also
		// ends after now, else the range cut it ("until 14:05").
		note := w.until + " " + w.clock(c.To.In(c.Zone))
		if last := c.Points[len(c.Points)-1].T.Add(c.Step); !c.Now.IsZero() && last.After(c.Now) {
			note = w.filling
		}
		items = append(items, legendItem{hatch, w.reports + " (" + note + ")"})
	}
	items = append(items,
		legendItem{func(img *image.RGBA, r image.Rectangle) { over(img, r, band) }, w.usual},
		legendItem{func(img *image.RGBA, r image.Rectangle) {
			y := (r.Min.Y + r.Max.Y) / 2
			for x := r.Min.X; x < r.Max.X; x++ {
				if (x-r.Min.X)%(dash+gap) < dash {
					fill(img, image.Rect(x, y-1, x+1, y+1), median)
				}
			}
		}, w.expected},
	)
	return items
}

const (
	swatchW, swatchH = 24, 14
	swatchGap        = 8  // between a swatch and its words
	itemGap          = 28 // between items
)

// legendWidth is how wide the legend is drawn.
func legendWidth(face font.Face, items []legendItem) int {
	wd := 0
	for i, it := range items {
		if i > 0 {
			wd += itemGap
		}
		wd += swatchW + swatchGap + width(face, it.label)
	}
	return wd
}

func drawLegend(img *image.RGBA, face font.Face, items []legendItem) {
	x := margin
	for i, it := range items {
		label := it.label
		if i == len(items)-1 {
			// Never past the edge, whatever the words' length.
			label = fit(face, label, Width-margin-x-swatchW-swatchGap)
		}
		it.swatch(img, image.Rect(x, legendY-swatchH, x+swatchW, legendY))
		x += swatchW + swatchGap
		text(img, face, ink, x, legendY, label)
		x += width(face, label) + itemGap
	}
}

// maxValue is the largest value the chart must show.
func maxValue(pts []Point) float64 {
	m := 0.0
	for _, p := range pts {
		for _, v := range []float64{p.Reports, p.Expected, p.Possible} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				m = max(m, v)
			}
		}
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
