package persona

import (
	"fmt"
	"math/rand/v2"
)

// Platforms a report can come from.
const (
	Android = "android"
	IOS     = "ios"
	Web     = "web"
)

var androidDevices = []string{
	"SM-A546E", "SM-A155F", "SM-S918B", "SM-A057F", "23124RA7EO", "2312DRAABG",
	"CPH2591", "CPH2477", "V2250", "V2311", "RMX3771", "RMX3830", "Infinix X6833B",
	"Pixel 8", "Pixel 7a", "moto g54 5G",
}

// UserAgent returns a realistic User-Agent for a platform; desktop is for
// the web platform only.
func UserAgent(rng *rand.Rand, platform string) string {
	chrome := 120 + rng.IntN(17)
	switch platform {
	case Android:
		if rng.Float64() < 0.5 {
			// Chrome's reduced UA hides the model and version.
			return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", chrome)
		}
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Mobile Safari/537.36",
			11+rng.IntN(5), androidDevices[rng.IntN(len(androidDevices))], chrome, 6000+rng.IntN(1000), 50+rng.IntN(150))
	case IOS:
		major := 16 + rng.IntN(3)
		minor := rng.IntN(7)
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %d_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Mobile/15E148 Safari/604.1",
			major, minor, major, minor)
	}
	switch x := rng.Float64(); {
	case x < 0.45:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", chrome)
	case x < 0.6:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.0.0", chrome, chrome)
	case x < 0.75:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", chrome)
	case x < 0.87:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Safari/605.1.15", 16+rng.IntN(3), rng.IntN(6))
	case x < 0.96:
		ff := 115 + rng.IntN(24)
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
	default:
		ff := 115 + rng.IntN(24)
		return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
	}
}

// iosShare is the share of phones that are iPhones, by country.
var iosShare = map[string]float64{
	"US": 0.55, "CA": 0.55, "GB": 0.5, "AU": 0.55, "JP": 0.65, "DE": 0.35, "FR": 0.35, "NL": 0.4,
	"IE": 0.5, "SG": 0.45, "KR": 0.3, "TW": 0.45, "ID": 0.12, "IN": 0.05, "BR": 0.15, "PH": 0.15,
	"VN": 0.25, "TH": 0.3, "MY": 0.25, "MX": 0.2, "TR": 0.2, "EG": 0.1,
}

// MobilePlatform picks Android or iOS for a phone in the country.
func MobilePlatform(rng *rand.Rand, country string) string {
	share, ok := iosShare[country]
	if !ok {
		share = 0.25
	}
	if rng.Float64() < share {
		return IOS
	}
	return Android
}

// DesktopShare is how many of a category's reports come from a desktop
// browser rather than a phone.
func DesktopShare(category string) float64 {
	switch category {
	case "cloud", "cdn", "dev":
		return 0.85
	case "productivity":
		return 0.6
	case "email":
		return 0.4
	case "government", "news", "search":
		return 0.3
	default:
		return 0.15
	}
}
