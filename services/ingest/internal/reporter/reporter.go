// Package reporter derives the pseudonymous reporter key that stands in for
// a client's address: a keyed hash of IP and user agent, under a key that
// changes every UTC day so that keys cannot be linked across days.
package reporter

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"
)

// keyBytes is how much of the HMAC is kept: 128 bits is far beyond any
// chance of two reporters colliding and keeps stored rows short.
const keyBytes = 16

// Keyer computes reporter keys from a secret.
type Keyer struct {
	secret []byte
	// day caches the current day's derived key, since nearly every call
	// falls on the same day as the one before.
	day atomic.Pointer[dayKey]
}

type dayKey struct {
	date string
	key  []byte
}

// New returns a Keyer for the secret. The secret must not be empty.
func New(secret []byte) (*Keyer, error) {
	if len(secret) == 0 {
		return nil, fmt.Errorf("reporter secret is empty")
	}
	return &Keyer{secret: append([]byte(nil), secret...)}, nil
}

// RandomSecret returns a fresh secret for when none is configured.
func RandomSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate reporter secret: %w", err)
	}
	return b, nil
}

// Key returns the reporter key for a client on the UTC day of at.
// IPv4-mapped IPv6 addresses count as their IPv4 form.
func (k *Keyer) Key(at time.Time, addr netip.Addr, userAgent string) string {
	m := hmac.New(sha256.New, k.dayKey(at))
	m.Write([]byte(addr.Unmap().WithZone("").String()))
	m.Write([]byte{0})
	m.Write([]byte(userAgent))
	return hex.EncodeToString(m.Sum(nil)[:keyBytes])
}

// dayKey is HMAC(secret, "YYYY-MM-DD") for the UTC date of at.
func (k *Keyer) dayKey(at time.Time) []byte {
	date := at.UTC().Format(time.DateOnly)
	if d := k.day.Load(); d != nil && d.date == date {
		return d.key
	}
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(date))
	d := &dayKey{date: date, key: m.Sum(nil)}
	k.day.Store(d)
	return d.key
}
