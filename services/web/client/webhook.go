package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of every webhook delivery.
const (
	// EventIDHeader carries the alert event's id: the same event sent again
	// (a retry, or a resend after the sender crashed) has the same id, so a
	// receiver that keeps the ids it has seen handles each event once.
	EventIDHeader = "Lapor-Event-Id"
	// DeliveryIDHeader names the delivery of one event to one subscription;
	// it stays the same across that delivery's attempts.
	DeliveryIDHeader = "Lapor-Delivery-Id"
	// TimestampHeader is when the attempt was signed, in unix seconds.
	TimestampHeader = "Lapor-Timestamp"
	// SignatureHeader is "v1=" and the hex HMAC-SHA256 of the timestamp, a
	// dot and the body, keyed with the subscription's secret.
	SignatureHeader = "Lapor-Signature"
)

// DefaultTolerance is how old (or how far in the future) a delivery's
// timestamp may be for Verify to accept it: enough for clock skew, short
// enough that a captured delivery cannot be replayed much later.
const DefaultTolerance = 5 * time.Minute

// Reasons Verify refuses a delivery.
var (
	ErrNoSignature = errors.New("webhook: missing Lapor-Timestamp or Lapor-Signature header")
	ErrTimestamp   = errors.New("webhook: timestamp is malformed or outside the tolerance")
	ErrSignature   = errors.New("webhook: signature does not match")
)

// Sign returns the Lapor-Signature header value for body sent at ts:
// "v1=" followed by hex(HMAC-SHA256(secret, "<unix seconds>.<body>")).
func Sign(secret string, ts time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a received delivery: its timestamp must lie within
// tolerance of now (DefaultTolerance when zero or less), and one of the v1
// signatures in its Lapor-Signature header must match body. Pass the raw
// body as received, before any JSON decoding.
func Verify(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	return verifyAt(secret, header, body, tolerance, time.Now())
}

func verifyAt(secret string, header http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sig := header.Get(TimestampHeader), header.Get(SignatureHeader)
	if ts == "" || sig == "" {
		return ErrNoSignature
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, ts)
	}
	if age := now.Sub(time.Unix(secs, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: %s old", ErrTimestamp, age.Round(time.Second))
	}
	want := mac(secret, ts, body)
	// Several comma-separated signatures are accepted so that a secret can
	// be rotated without a gap.
	for _, part := range strings.Split(sig, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}
