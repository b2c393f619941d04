package pages

// Internals the external tests check directly.
var (
	ChartKey       = chartKey
	IncidentWindow = incidentWindow
	WindowStep     = windowStep
)

// Constants the external tests check against.
const (
	ChartCacheTTL = chartCacheTTL
	SEOCache      = seoCache
	FaviconSVG    = faviconSVG
)
