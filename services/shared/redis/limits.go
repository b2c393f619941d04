package redis

// Rate limits are counted in Redis by github.com/ulule/limiter, whose store
// names its keys "<prefix>:<key>"; these are Lapor's prefixes, each a
// limiter store of its own so that one kind of limit never spends
// another's budget.
const (
	// RateLimitPrefix prefixes ingest's per-client and per-network limits.
	RateLimitPrefix = "lapor:ratelimit"
	// PartnerLimitPrefix prefixes the partner API's per-key limits.
	PartnerLimitPrefix = "lapor:partner:limit"
)
