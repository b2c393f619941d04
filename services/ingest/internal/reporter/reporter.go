// Package reporter derives the pseudonymous keys that stand in for a
// client's address: a reporter key per host and a network key per network,
// each a keyed hash under a key that changes every UTC day, so that keys
// cannot be linked across days and the address itself is never stored.
//
// A host is an IPv4 address or an IPv6 /64 (one host usually holds a whole
// /64 and can rotate freely inside it); a network is an IPv4 /24 or an IPv6
// /48 (what one site or customer usually gets). Nothing the client chooses,
// such as its user agent, takes part: a client that could change its key by
// changing a header could count as any number of reporters.
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

	"github.com/lapor/lapor/services/shared/netblock"
)

// keyBytes is how much of the HMAC is kept: 128 bits is far beyond any
// chance of two reporters colliding and keeps stored rows short.
const keyBytes = 16

// Domain tags keep a host's key and a network's key apart even if their
// prefixes were ever to print alike.
const (
	hostTag    = "host\x00"
	networkTag = "net\x00"
)

// Keyer computes reporter and network keys from a secret.
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

// Key returns the reporter key of the host addr belongs to (see netblock.Host), on
// the UTC day of at.
func (k *Keyer) Key(at time.Time, addr netip.Addr) string {
	return k.hash(at, hostTag, netblock.Host(addr))
}

// Network returns the key of the network addr belongs to (see netblock.Network), on
// the UTC day of at. It lets Redis count per network without holding the
// network's prefix.
func (k *Keyer) Network(at time.Time, addr netip.Addr) string {
	return k.hash(at, networkTag, netblock.Network(addr))
}

func (k *Keyer) hash(at time.Time, tag string, p netip.Prefix) string {
	m := hmac.New(sha256.New, k.dayKey(at))
	m.Write([]byte(tag))
	// The zero Prefix prints as "invalid Prefix": all unknown clients share
	// one key rather than escape counting.
	m.Write([]byte(p.String()))
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
