package lapor

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits on the sizes of a report's parts.
const (
	MaxCommentRunes = 280
	MaxFieldBytes   = 64
	// MaxKeyBytes bounds the keyed hashes Reporter and Network.
	MaxKeyBytes = 128
)

// Report is one counted "I have a problem" click. Reporter is a keyed hash,
// under a key rotated daily, of the client's host (its IPv4 address, or its
// IPv6 /64); nothing the client chooses, such as its user agent, takes part.
// The address itself is never kept.
type Report struct {
	ID       string    `json:"id"`
	Service  string    `json:"service"`
	Symptom  string    `json:"symptom"`
	Time     time.Time `json:"ts"`
	Country  string    `json:"country,omitempty"`
	Region   string    `json:"region,omitempty"`
	City     string    `json:"city,omitempty"`
	ASN      uint32    `json:"asn,omitempty"`
	ISP      string    `json:"isp,omitempty"`
	Platform string    `json:"platform,omitempty"`
	Reporter string    `json:"reporter"`
	// Network is a keyed hash, under a key rotated daily, of the
	// reporter's network (its IPv4 /24, or its IPv6 /48), never the prefix
	// itself: the detector uses it to tell when one network alone would
	// carry an incident. Empty on reports from before it existed.
	Network string `json:"network,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// Validate checks what storage relies on; ingest checks the user-facing
// rules (catalog membership) before a report is built.
func (r *Report) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > MaxFieldBytes:
		return errors.New("id missing or too long")
	case r.Service == "" || len(r.Service) > MaxFieldBytes:
		return errors.New("service missing or too long")
	case r.Symptom == "" || len(r.Symptom) > MaxFieldBytes:
		return errors.New("symptom missing or too long")
	case r.Reporter == "" || len(r.Reporter) > MaxKeyBytes:
		return errors.New("reporter missing or too long")
	case len(r.Network) > MaxKeyBytes:
		return errors.New("network too long")
	case r.Time.IsZero():
		return errors.New("time missing")
	case !utf8.ValidString(r.Comment) || utf8.RuneCountInString(r.Comment) > MaxCommentRunes:
		return errors.New("comment not valid UTF-8 or too long")
	case len(r.Platform) > MaxFieldBytes || len(r.Country) > 8 || len(r.Region) > 128 || len(r.City) > 128 || len(r.ISP) > 256:
		return errors.New("a field is too long")
	}
	return nil
}

// Encode renders a report as a stream entry value.
func (r *Report) Encode() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode report: %w", err)
	}
	return string(b), nil
}

// DecodeReport parses and validates a stream entry value.
func DecodeReport(s string) (Report, error) {
	var r Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return Report{}, fmt.Errorf("decode report: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Report{}, fmt.Errorf("invalid report %q: %w", r.ID, err)
	}
	return r, nil
}
