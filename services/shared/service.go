package lapor

import "slices"

// Service is one reportable service.
type Service struct {
	Slug      string   `json:"slug"`
	Name      string   `json:"name"`
	Category  string   `json:"category"`
	Countries []string `json:"countries"`
	Aliases   []string `json:"aliases"`
	URL       string   `json:"url"`
	// StatusURL is the service's own status page, where it has one.
	StatusURL  string   `json:"status_url,omitempty"`
	Indicators []string `json:"indicators"`
}

// HasIndicator reports whether symptom is one of the service's indicators.
func (s *Service) HasIndicator(symptom string) bool {
	return slices.Contains(s.Indicators, symptom)
}
