package lapor

import "strings"

// AlertFilter chooses alert events by service, country and level; an empty
// list lets every value through. The pull API, the event stream and
// webhook subscriptions all filter with it, so a partner's filter means
// the same everywhere.
type AlertFilter struct {
	Services  []string `json:"services,omitempty"`  // service slugs
	Countries []string `json:"countries,omitempty"` // ISO 3166-1 alpha-2, any case
	Levels    []string `json:"levels,omitempty"`    // possible, detected
}

// Match says whether e passes the filter. An event passes the country
// filter when any of its leading countries is listed.
func (f AlertFilter) Match(e AlertEvent) bool {
	if len(f.Services) > 0 && !has(f.Services, e.Service) {
		return false
	}
	if len(f.Levels) > 0 && !has(f.Levels, string(e.Level)) {
		return false
	}
	if len(f.Countries) > 0 {
		for _, c := range e.Countries {
			if has(f.Countries, c) {
				return true
			}
		}
		return false
	}
	return true
}

func has(xs []string, x string) bool {
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}
