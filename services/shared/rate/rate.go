// Package rate reads request rates in ulule/limiter's format ("60-M": 60
// a minute), for the ingest's per-client limits and the partner API's
// per-key quotas alike.
package rate

import (
	"fmt"

	"github.com/ulule/limiter/v3"
)

// Parse parses a rate such as "60-M" and insists on a positive limit,
// since "0-M" would refuse everything.
func Parse(s string) (limiter.Rate, error) {
	r, err := limiter.NewRateFromFormatted(s)
	if err != nil {
		return limiter.Rate{}, fmt.Errorf("parse rate %q: %w", s, err)
	}
	if r.Limit < 1 {
		return limiter.Rate{}, fmt.Errorf("parse rate %q: limit must be at least 1", s)
	}
	return r, nil
}
