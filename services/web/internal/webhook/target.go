package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// MaxURLLength bounds a subscription's URL.
const MaxURLLength = 2048

// Lookup resolves a host name to its addresses (net.DefaultResolver's
// LookupNetIP with network "ip" in production).
type Lookup func(ctx context.Context, host string) ([]netip.Addr, error)

// checkURL says what is wrong with a subscription URL, or returns it
// normalised. Unless allowPrivate, a host that is, or resolves to, an
// address inside a private, loopback, link-local or otherwise
// non-public range is refused: partners choose these URLs and must not
// reach Lapor's own network. The dispatcher checks again at every dial
// (see guardedClient), since a name can be repointed after this check.
func checkURL(ctx context.Context, raw string, allowPrivate bool, lookup Lookup) (string, error) {
	if raw == "" {
		return "", errors.New("url is required")
	}
	if len(raw) > MaxURLLength {
		return "", fmt.Errorf("url is longer than %d characters", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("url must be http or https")
	}
	if u.User != nil {
		return "", errors.New("url must not contain credentials; verify deliveries by their signature")
	}
	host := u.Hostname()
	if host == "" {
		return "", errors.New("url has no host")
	}
	u.Fragment, u.RawFragment = "", "" // never sent
	if allowPrivate {
		return u.String(), nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !publicAddr(a) {
			return "", errors.New("url points at a private, loopback or link-local address")
		}
		return u.String(), nil
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := lookup(lctx, host)
	if err != nil || len(addrs) == 0 {
		return "", fmt.Errorf("url host %q does not resolve", host)
	}
	for _, a := range addrs {
		if !publicAddr(a) {
			return "", fmt.Errorf("url host %q resolves to a private, loopback or link-local address", host)
		}
	}
	return u.String(), nil
}

// nonPublic lists ranges that are not reachable public unicast addresses
// beyond what netip's own predicates cover.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // carrier-grade NAT
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"240.0.0.0/4",     // reserved, and broadcast
		"64:ff9b::/96",    // NAT64: may embed a private IPv4 address
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4: may embed a private IPv4 address
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// publicAddr says whether a is a public unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// errPrivateTarget is the dial-time refusal.
var errPrivateTarget = errors.New("refusing to connect to a non-public address")

// guardedClient returns the HTTP client deliveries go through. Unless
// allowPrivate, every connection's actual address is checked as it is
// dialled, so a name resolving to an internal address after the URL was
// accepted (DNS rebinding) still cannot reach it. No proxy is used (it
// would hide the real target), and redirects are not followed: a 3xx is a
// failed attempt, as a redirect could lead anywhere.
func guardedClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return errPrivateTarget
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// defaultLookup resolves with the system resolver.
func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(host, ".")
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}
