package catalog_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/lapor/lapor/services/shared/catalog"
)

// TestSeedCoverage checks that the embedded seed is big enough to be useful
// and carries the Indonesian services Lapor is built around.
func TestSeedCoverage(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() < 70 {
		t.Fatalf("seed has %d services, want at least 70", c.Len())
	}
	indonesian := []string{
		"gojek", "grab", "tokopedia", "shopee", "bukalapak", "traveloka",
		"bca", "bri", "mandiri", "bni", "bsi", "jenius",
		"dana", "ovo", "gopay", "linkaja",
		"telkomsel", "indosat", "xl", "smartfren", "tri",
		"indihome", "biznet", "first-media", "myrepublic",
		"pln-mobile", "bpjs-kesehatan", "kai-access", "mobile-jkn", "satu-sehat",
		"blibli", "lazada", "vidio", "mobile-legends",
	}
	for _, slug := range indonesian {
		t.Run(slug, func(t *testing.T) {
			s, ok := c.Get(slug)
			if !ok {
				t.Fatalf("%s missing from seed", slug)
			}
			if !slices.Contains(s.Countries, "ID") {
				t.Errorf("%s countries %v do not include ID", slug, s.Countries)
			}
		})
	}
	global := []string{
		"chatgpt", "claude", "gemini", "whatsapp", "instagram", "facebook", "messenger", "x",
		"tiktok", "youtube", "netflix", "spotify", "discord", "telegram", "signal", "zoom",
		"microsoft-teams", "outlook", "microsoft-365", "gmail", "google-search", "google-drive",
		"icloud", "apple-app-store", "aws", "azure", "google-cloud", "cloudflare", "github", "slack",
		"steam", "playstation-network", "xbox-live", "nintendo-switch-online", "fortnite", "roblox",
		"league-of-legends", "paypal", "visa", "mastercard", "stripe", "amazon", "ebay", "uber",
		"reddit", "twitch", "linkedin", "snapchat", "pinterest", "verizon", "att", "t-mobile",
		"vodafone", "comcast-xfinity", "chase", "bank-of-america", "wells-fargo", "revolut", "monzo",
	}
	for _, slug := range global {
		if _, ok := c.Get(slug); !ok {
			t.Errorf("%s missing from seed", slug)
		}
	}
}

// TestSeedEntriesComplete checks every seeded entry has what the pages and
// the simulator rely on.
func TestSeedEntriesComplete(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	categories := map[string]bool{}
	for _, k := range []string{"messaging", "social", "video", "streaming", "email", "search", "ai", "cloud", "cdn",
		"gaming", "banking", "payments", "ecommerce", "transport", "telecom", "isp", "utilities", "productivity",
		"dev", "government", "news", "music"} {
		categories[k] = true
	}
	country := regexp.MustCompile(`^[A-Z]{2}$`)
	https := regexp.MustCompile(`^https://[a-z0-9.-]+`)
	for _, s := range c.All() {
		t.Run(s.Slug, func(t *testing.T) {
			if len(s.Indicators) < 3 {
				t.Errorf("%d indicators, want at least 3", len(s.Indicators))
			}
			seen := map[string]bool{}
			for _, in := range s.Indicators {
				if seen[in] {
					t.Errorf("indicator %q repeated", in)
				}
				seen[in] = true
			}
			if !categories[s.Category] {
				t.Errorf("unknown category %q", s.Category)
			}
			if len(s.Countries) == 0 {
				t.Error("no countries")
			}
			for _, cc := range s.Countries {
				if cc == "*" && len(s.Countries) != 1 {
					t.Errorf("global marker mixed with countries: %v", s.Countries)
				}
				if cc != "*" && !country.MatchString(cc) {
					t.Errorf("bad country code %q", cc)
				}
			}
			if len(s.Aliases) == 0 {
				t.Error("no aliases")
			}
			if !https.MatchString(s.URL) {
				t.Errorf("url %q is not https", s.URL)
			}
		})
	}
}
