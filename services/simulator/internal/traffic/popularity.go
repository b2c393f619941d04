package traffic

// popularity is how many reports a service draws relative to the others on
// an ordinary day. The numbers are judgement, not data: the giants that
// everyone uses sit near 100, a national bank near 10, a niche app near 1.
var popularity = map[string]float64{
	"whatsapp": 100, "instagram": 80, "chatgpt": 75, "facebook": 70, "youtube": 70,
	"tiktok": 60, "x": 50, "gmail": 45, "google-search": 40, "netflix": 35,
	"roblox": 32, "spotify": 30, "discord": 30, "telegram": 30, "shopee": 28,
	"microsoft-teams": 25, "outlook": 25, "fortnite": 25, "steam": 25, "playstation-network": 25,
	"amazon": 25, "telkomsel": 22, "gojek": 22, "microsoft-365": 20, "claude": 20,
	"gemini": 20, "xbox-live": 20, "paypal": 20, "mobile-legends": 20, "bri": 18,
	"bca": 18, "indihome": 18, "snapchat": 18, "reddit": 18, "messenger": 16,
	"icloud": 16, "zoom": 15, "aws": 15, "league-of-legends": 15, "grab": 15,
	"tokopedia": 15, "google-drive": 14, "mandiri": 14, "verizon": 14, "att": 14,
	"t-mobile": 14, "comcast-xfinity": 14, "twitch": 13, "cloudflare": 12, "slack": 12,
	"linkedin": 12, "dana": 12, "indosat": 12, "google-play": 12, "apple-app-store": 12,
	"free-fire": 12, "uber": 12, "google-maps": 12, "jio": 12, "azure": 10,
	"github": 10, "chase": 10, "xl": 10, "gopay": 10, "vodafone": 10,
	"disney-plus": 10, "pinterest": 9, "nintendo-switch-online": 9, "ebay": 9, "copilot": 8,
	"google-cloud": 8, "bank-of-america": 8, "wells-fargo": 8, "ovo": 8, "bni": 8,
	"visa": 7, "mastercard": 7, "line": 7, "paytm": 7, "nubank": 7,
	"yahoo-mail": 6, "signal": 6, "bsi": 6, "pln-mobile": 6, "lazada": 6, "deutsche-telekom": 6,
	"stripe": 5, "revolut": 5, "smartfren": 5, "tri": 5, "apple-music": 5,
	"bpjs-kesehatan": 4, "biznet": 4, "first-media": 4, "traveloka": 4, "vidio": 4,
	"bing": 4, "detik": 3, "monzo": 3, "myrepublic": 3, "kai-access": 3,
	"mobile-jkn": 3, "blibli": 3, "bukalapak": 3, "djp-online": 3, "seabank": 3,
	"maxim": 3, "jenius": 2, "linkaja": 2, "bank-jago": 2, "gov-uk": 2,
	"irs": 2, "bbc-news": 2, "kompas": 2, "satu-sehat": 1.5,
}

// categoryPopularity covers services added to the catalog after this table.
var categoryPopularity = map[string]float64{
	"messaging": 8, "social": 8, "video": 8, "streaming": 5, "email": 5, "search": 5,
	"ai": 6, "cloud": 3, "cdn": 3, "gaming": 5, "banking": 2, "payments": 3,
	"ecommerce": 4, "transport": 3, "telecom": 5, "isp": 3, "utilities": 2,
	"productivity": 4, "dev": 2, "government": 1.5, "news": 1.5, "music": 4,
}

// Popularity is the relative weight of a service's everyday traffic.
func Popularity(slug, category string) float64 {
	if w, ok := popularity[slug]; ok {
		return w
	}
	if w, ok := categoryPopularity[category]; ok {
		return w
	}
	return 1
}
