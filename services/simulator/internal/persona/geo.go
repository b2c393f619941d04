package persona

import "math/rand/v2"

// worldMix is where reports on a global service come from: roughly each
// country's share of people online, tilted towards Lapor's home market.
var worldMix = []struct {
	country string
	weight  float64
}{
	{"US", 20}, {"ID", 16}, {"IN", 12}, {"BR", 8}, {"GB", 6}, {"DE", 5}, {"JP", 5},
	{"FR", 4}, {"MX", 3}, {"PH", 3}, {"CA", 3}, {"ES", 3}, {"IT", 3}, {"AU", 2},
	{"MY", 2}, {"TH", 2}, {"VN", 2}, {"TR", 2}, {"KR", 1.5}, {"NL", 1.5}, {"SG", 1},
	{"PL", 1}, {"EG", 1}, {"TW", 1}, {"IE", 0.5}, {"PT", 0.5},
}

var worldTotal = func() float64 {
	s := 0.0
	for _, c := range worldMix {
		s += c.weight
	}
	return s
}()

// PickCountry picks where one report on a service comes from. A global
// service ("*") draws from the world mix; otherwise the first listed
// country, the service's home, gets most reports and the rest share the
// remainder.
func PickCountry(rng *rand.Rand, countries []string) string {
	if len(countries) == 0 || countries[0] == "*" {
		x := rng.Float64() * worldTotal
		for _, c := range worldMix {
			if x -= c.weight; x < 0 {
				return c.country
			}
		}
		return worldMix[0].country
	}
	if len(countries) == 1 || rng.Float64() < 0.6 {
		return countries[0]
	}
	return countries[1+rng.IntN(len(countries)-1)]
}

// Language is the Accept-Language a browser in the country would send.
func Language(country string) string {
	switch country {
	case "ID":
		return "id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7"
	case "DE":
		return "de-DE,de;q=0.9,en;q=0.8"
	case "FR":
		return "fr-FR,fr;q=0.9,en;q=0.8"
	case "ES", "MX":
		return "es-ES,es;q=0.9,en;q=0.8"
	case "BR", "PT":
		return "pt-BR,pt;q=0.9,en;q=0.8"
	case "JP":
		return "ja-JP,ja;q=0.9,en;q=0.8"
	case "IT":
		return "it-IT,it;q=0.9,en;q=0.8"
	case "GB", "IE", "AU":
		return "en-GB,en;q=0.9"
	default:
		return "en-US,en;q=0.9"
	}
}
