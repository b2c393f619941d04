package redis

// Rate limits are counted in Redis as github.com/ulule/limiter counts them:
// the partner API's by the limiter's own store, which names its keys
// "<prefix>:<key>", and ingest's by limitScript (ratelimit.go), with the
// same semantics under "<prefix>:{<network>}" and
// "<prefix>:{<network>}:<host>", so that one script and one pipeline
// serve them on a cluster too. These are Lapor's prefixes, one each, so
// that one kind of limit never spends another's budget.
const (
	// RateLimitPrefix prefixes ingest's per-client and per-network limits.
	RateLimitPrefix = "lapor:ratelimit"
	// PartnerLimitPrefix prefixes the partner API's per-key limits.
	PartnerLimitPrefix = "lapor:partner:limit"
)
