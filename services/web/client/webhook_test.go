package client

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestSignMatchesAKnownValue(t *testing.T) {
	// Computed independently: printf '1700000000.{"a":1}' |
	// openssl dgst -sha256 -hmac whsec_test
	got := Sign("whsec_test", time.Unix(1700000000, 0), []byte(`{"a":1}`))
	want := "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"e1","kind":"opened"}`)
	signed := func(secret string, ts time.Time, b []byte) http.Header {
		h := http.Header{}
		h.Set(TimestampHeader, strconv.FormatInt(ts.Unix(), 10))
		h.Set(SignatureHeader, Sign(secret, ts, b))
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{"valid", signed("s", now, body), body, nil},
		{"valid within tolerance", signed("s", now.Add(-4*time.Minute), body), body, nil},
		{"too old", signed("s", now.Add(-6*time.Minute), body), body, ErrTimestamp},
		{"from the future", signed("s", now.Add(6*time.Minute), body), body, ErrTimestamp},
		{"other secret", signed("t", now, body), body, ErrSignature},
		{"body changed", signed("s", now, body), []byte(`{"id":"e2","kind":"opened"}`), ErrSignature},
		{"no headers", http.Header{}, body, ErrNoSignature},
		{"timestamp not a number", http.Header{TimestampHeader: {"soon"}, SignatureHeader: {"v1=00"}}, body, ErrTimestamp},
		{"signature not hex", http.Header{TimestampHeader: {"1700000000"}, SignatureHeader: {"v1=zz"}}, body, ErrSignature},
		{"timestamp swapped", func() http.Header {
			h := signed("s", now.Add(-time.Second), body)
			h.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
			return h
		}(), body, ErrSignature},
		{"one of several signatures", func() http.Header {
			h := signed("s", now, body)
			h.Set(SignatureHeader, Sign("old", now, body)+", "+h.Get(SignatureHeader))
			return h
		}(), body, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyAt("s", tt.header, tt.body, 5*time.Minute, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
