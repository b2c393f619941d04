package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Lang is the language of a chart's words, dates and numbers.
type Lang string

// The languages the page speaks; a chart in any other is drawn in English.
const (
	English    Lang = "en"
	Indonesian Lang = "id"
)

// ParseLang reads a lang parameter; ok is false for a language the page
// does not speak.
func ParseLang(s string) (l Lang, ok bool) {
	switch Lang(s) {
	case English, Indonesian:
		return Lang(s), true
	}
	return English, false
}

// words are a language's phrases. Where the page says the same thing
// (frontend/src/i18n.ts, key in the comment) they are its words, so an
// article's image and the page it links to agree.
type words struct {
	reportsPer string // "reports per" (unit_15m and its kin)
	minute     [2]string
	hour       [2]string
	day        [2]string
	noReports  string // no point at all in the range
	reports    string // reports
	usual      string // usual: the band
	expected   string // median: the line
	filling    string // still_filling
	until      string // until: a past range's last bucket, cut at its end
	detected   string // status_detected
	possible   string // status_possible
	since      string // since
	months     [12]string
	timeSep    string // between hours and minutes, as Intl writes them
	thousands  string
	decimal    string
	// Large numbers shortened as Intl's compact notation does: thousands,
	// millions, billions.
	short [3]string
}

var tables = map[Lang]*words{
	English: {
		reportsPer: "reports per",
		minute:     [2]string{"minute", "minutes"},
		hour:       [2]string{"hour", "hours"},
		day:        [2]string{"day", "days"},
		noReports:  "No reports in this range",
		reports:    "Reports",
		usual:      "Normal range (under the alert threshold)",
		expected:   "Expected",
		filling:    "still filling",
		until:      "until",
		detected:   "Problems detected",
		possible:   "Possible problems",
		since:      "since",
		months:     [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		timeSep:    ":",
		thousands:  ",",
		decimal:    ".",
		short:      [3]string{"k", "M", "B"},
	},
	Indonesian: {
		reportsPer: "laporan per",
		// Indonesian nouns do not change with the number.
		minute:    [2]string{"menit", "menit"},
		hour:      [2]string{"jam", "jam"},
		day:       [2]string{"hari", "hari"},
		noReports: "Tidak ada laporan dalam rentang ini",
		reports:   "Laporan",
		usual:     "Rentang normal (di bawah ambang peringatan)",
		expected:  "Perkiraan",
		filling:   "masih berjalan",
		until:     "hingga",
		detected:  "Masalah terdeteksi",
		possible:  "Kemungkinan ada masalah",
		since:     "sejak",
		months:    [12]string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"},
		timeSep:   ".",
		thousands: ".",
		decimal:   ",",
		short:     [3]string{" rb", " jt", " M"},
	},
}

// words gives the language's phrases, English for one the page does not
// speak: a chart is never refused for its language.
func (l Lang) words() *words {
	if w, ok := tables[l]; ok {
		return w
	}
	return tables[English]
}

// Unit says what a chart of this step counts: "reports per 15 minutes",
// "laporan per jam".
func (l Lang) Unit(step time.Duration) string {
	w := l.words()
	n, unit := int64(step/time.Minute), w.minute
	switch {
	case step >= 24*time.Hour && step%(24*time.Hour) == 0:
		n, unit = int64(step/(24*time.Hour)), w.day
	case step >= time.Hour && step%time.Hour == 0:
		n, unit = int64(step/time.Hour), w.hour
	}
	if n == 1 {
		return w.reportsPer + " " + unit[0]
	}
	return w.reportsPer + " " + strconv.FormatInt(n, 10) + " " + unit[1]
}

// Title is a chart's title: "WhatsApp — reports per 15 minutes".
func (l Lang) Title(service string, step time.Duration) string {
	return service + " — " + l.Unit(step)
}

// Count writes a count for a label in the language: whole numbers with
// thousands separators, large ones shortened ("12.5k", "12,5 rb").
func (l Lang) Count(v float64) string {
	w := l.words()
	switch a := math.Abs(v); {
	case a >= 1e9:
		return w.shorten(v/1e9) + w.short[2]
	case a >= 1e6:
		return w.shorten(v/1e6) + w.short[1]
	case a >= 1e4:
		return w.shorten(v/1e3) + w.short[0]
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) > 3 {
		s = s[:len(s)-3] + w.thousands + s[len(s)-3:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Count writes a count for a label in English.
func Count(v float64) string { return English.Count(v) }

func (w *words) shorten(v float64) string {
	s := strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	return strings.Replace(s, ".", w.decimal, 1)
}

// clock writes a wall time: "14:05", "14.05".
func (w *words) clock(t time.Time) string {
	return fmt.Sprintf("%02d%s%02d", t.Hour(), w.timeSep, t.Minute())
}

// dayMonth writes a date as the page's axis does: "3 Dec", "3 Des".
func (w *words) dayMonth(t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + w.months[t.Month()-1]
}

// monthYear: "Dec 2026", "Des 2026".
func (w *words) monthYear(t time.Time) string {
	return w.months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// dateTime writes a time as the page's dateTimeTZ does, without the zone:
// "3 Dec, 14:05".
func (w *words) dateTime(t time.Time) string {
	return w.dayMonth(t) + ", " + w.clock(t)
}

// ZoneName is what a chart calls a time's zone: its abbreviation ("WIB",
// "UTC", "CEST"), or its offset from UTC ("UTC+05:45") where the zone has
// no letters for it.
func ZoneName(t time.Time) string {
	abbr, off := t.Zone()
	if abbr != "" && !strings.ContainsAny(abbr[:1], "+-0123456789") {
		return abbr
	}
	if off == 0 {
		return "UTC"
	}
	return "UTC" + t.Format("-07:00")
}
