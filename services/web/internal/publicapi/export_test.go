package publicapi

// Internals the external tests check directly.
var (
	UnitName = unitName
	Elevated = elevated
)
