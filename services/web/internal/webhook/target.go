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

// prefixes parses CIDR literals.
func prefixes(cidrs ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(cidrs))
	for i, s := range cidrs {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// nonPublic4 lists the IPv4 ranges that are not public unicast (RFC 6890
// and its updates).
var nonPublic4 = prefixes(
	"0.0.0.0/8",       // "this network", 0.0.0.0 included
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // carrier-grade NAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata included
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and broadcast
)

// global6 is the only IPv6 space routed on the internet. Outside it lie
// loopback, unspecified, the IPv4-compatible ::/96 (::127.0.0.1), the
// IPv4-translated ::ffff:0:0:0/96, NAT64, discard, unique-local,
// link-local and multicast ranges: testing membership here refuses them
// all, and any range assigned later, without listing each.
var global6 = netip.MustParsePrefix("2000::/3")

// nonPublic6 lists the parts of global6 that are not public unicast.
// Those that embed an IPv4 address (6to4, Teredo) are refused outright
// rather than judged by the embedded address: 6to4 is deprecated (RFC
// 7526) and reaches its host through whatever 6to4 router the network
// has, Teredo hides its client address and goes through a relay, and no
// webhook receiver needs either.
var nonPublic6 = prefixes(
	"2001::/23",     // IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID
	"2001:db8::/32", // documentation
	"2002::/16",     // 6to4
	"3fff::/20",     // documentation (RFC 9637)
)

// nat64 is the well-known NAT64 prefix (RFC 6052). Lapor on an IPv6-only
// network with DNS64 reaches every IPv4-only receiver through it, so it is
// judged by the IPv4 address in its last 32 bits, which the translator
// connects to; RFC 6052 forbids the prefix for non-global IPv4 addresses,
// but a partner can still write one into a URL. The local-use
// 64:ff9b:1::/48 (RFC 8215) is the operator's to lay out, so its embedded
// address cannot be read reliably: it stays refused, outside global6.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// publicAddr says whether a is a public unicast address, the only kind a
// webhook may reach. IPv4-mapped addresses (::ffff:a.b.c.d) are dialled
// as IPv4 and judged as such; a zone only makes sense on a link-local
// address, so any address with one is refused.
func publicAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		return publicV4(a)
	}
	if nat64.Contains(a) {
		b := a.As16()
		return publicV4(netip.AddrFrom4([4]byte(b[12:])))
	}
	if !global6.Contains(a) {
		return false
	}
	for _, p := range nonPublic6 {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// publicV4 says whether the IPv4 address a is public unicast.
func publicV4(a netip.Addr) bool {
	for _, p := range nonPublic4 {
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
		d.Control = refuseNonPublic
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

// refuseNonPublic is the dialer's Control: it sees the address a
// connection is about to be made to, after any name was resolved.
func refuseNonPublic(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !publicAddr(ap.Addr()) {
		return errPrivateTarget
	}
	return nil
}

// defaultLookup resolves with the system resolver.
func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(host, ".")
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}
