package traffic

import (
	"math"
	"time"
)

// Rhythm is the relative report rate at a local hour of day in [0, 24),
// normalised so that its mean over a day is 1. People report least in the
// small hours and most late in the morning and in the evening, when they are
// awake and using their phones.
func Rhythm(hour float64) float64 {
	return rawRhythm(hour) / rhythmMean
}

func rawRhythm(h float64) float64 {
	return 0.15 +
		0.9*bump(h, 11, 2.8) + // late morning
		0.35*bump(h, 15.5, 2.5) + // afternoon shoulder
		1.1*bump(h, 20.5, 2.3) // evening
}

// bump is a Gaussian on the 24-hour circle, so 23:00 is close to 01:00.
func bump(h, centre, width float64) float64 {
	d := math.Abs(math.Mod(h, 24) - centre)
	if d > 12 {
		d = 24 - d
	}
	return math.Exp(-d * d / (2 * width * width))
}

var rhythmMean = func() float64 {
	const steps = 24 * 60
	sum := 0.0
	for i := range steps {
		sum += rawRhythm(float64(i) * 24 / steps)
	}
	return sum / steps
}()

// LocalHour is the hour of day, with fraction, at t in a zone offset from
// UTC by offset.
func LocalHour(t time.Time, offset time.Duration) float64 {
	local := t.UTC().Add(offset)
	return float64(local.Hour()) + float64(local.Minute())/60 + float64(local.Second())/3600
}

// utcOffsets holds one fixed offset per country: the zone where most of its
// people live, without daylight saving. Close enough for a daily rhythm.
var utcOffsets = map[string]time.Duration{
	"ID": 7 * time.Hour, "SG": 8 * time.Hour, "MY": 8 * time.Hour, "PH": 8 * time.Hour,
	"TH": 7 * time.Hour, "VN": 7 * time.Hour, "MM": 6*time.Hour + 30*time.Minute, "KH": 7 * time.Hour,
	"TW": 8 * time.Hour, "CN": 8 * time.Hour, "HK": 8 * time.Hour, "JP": 9 * time.Hour, "KR": 9 * time.Hour,
	"IN": 5*time.Hour + 30*time.Minute, "PK": 5 * time.Hour, "BD": 6 * time.Hour, "AE": 4 * time.Hour,
	"SA": 3 * time.Hour, "TR": 3 * time.Hour, "EG": 2 * time.Hour, "ZA": 2 * time.Hour, "NG": time.Hour,
	"KE": 3 * time.Hour, "AU": 10 * time.Hour, "NZ": 12 * time.Hour,
	"GB": 0, "IE": 0, "PT": 0, "DE": time.Hour, "FR": time.Hour, "ES": time.Hour, "IT": time.Hour,
	"NL": time.Hour, "BE": time.Hour, "PL": time.Hour, "SE": time.Hour, "AT": time.Hour, "CH": time.Hour,
	"LT": 2 * time.Hour, "FI": 2 * time.Hour, "GR": 2 * time.Hour, "RO": 2 * time.Hour, "UA": 2 * time.Hour,
	"US": -5 * time.Hour, "CA": -5 * time.Hour, "MX": -6 * time.Hour, "BR": -3 * time.Hour,
	"AR": -3 * time.Hour, "CO": -5 * time.Hour, "CL": -4 * time.Hour, "PE": -5 * time.Hour,
}

// UTCOffset is the fixed offset used for a country's daily rhythm. Global
// services ("*") and unknown countries follow UTC.
func UTCOffset(country string) time.Duration {
	return utcOffsets[country]
}
