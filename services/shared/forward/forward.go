// Package forward carries a client's address across Lapor's own hop, from
// the web (which forwards reports) to the ingest, without trusting any
// network range: the web signs the address it resolved with a secret both
// share, and the ingest believes the address only when the signature
// verifies. Anyone can send the headers; only a holder of the secret can
// make them count, so the ingest never has to trust "every pod in the
// cluster" to learn who the reporter is.
package forward

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
)

// Header names. AddrHeader holds the client's address as the forwarding
// hop resolved it; SigHeader its HMAC-SHA256 under the shared secret, hex.
const (
	AddrHeader = "X-Lapor-Client-Addr"
	SigHeader  = "X-Lapor-Client-Sig"
)

// MinSecret is the shortest secret accepted: 16 bytes, so the signature
// cannot be guessed.
const MinSecret = 16

// Signer signs and verifies forwarded addresses under one secret.
type Signer struct{ key []byte }

// New returns a Signer. The secret must be at least MinSecret bytes.
func New(secret string) (*Signer, error) {
	if len(secret) < MinSecret {
		return nil, errors.New("forward secret must be at least 16 bytes")
	}
	return &Signer{key: []byte(secret)}, nil
}

// Set puts addr and its signature on h, replacing whatever the client sent.
func (s *Signer) Set(h http.Header, addr netip.Addr) {
	a := addr.Unmap().WithZone("").String()
	h.Set(AddrHeader, a)
	h.Set(SigHeader, s.sign(a))
}

// Addr returns the signed address on h; false when there is none or its
// signature does not verify (the caller then falls back to the peer).
func (s *Signer) Addr(h http.Header) (netip.Addr, bool) {
	a, sig := h.Get(AddrHeader), h.Get(SigHeader)
	if a == "" || sig == "" {
		return netip.Addr{}, false
	}
	want := s.sign(a)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// Strip removes both headers, for hops that must not pass on what a
// client sent.
func Strip(h http.Header) {
	h.Del(AddrHeader)
	h.Del(SigHeader)
}

func (s *Signer) sign(addr string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("lapor-forward-v1\x00"))
	m.Write([]byte(addr))
	return hex.EncodeToString(m.Sum(nil))
}
