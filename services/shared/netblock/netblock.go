// Package netblock says which host and which network an address belongs
// to, the units Lapor counts and limits clients by: a host is an IPv4
// address or an IPv6 /64 (one host usually holds a whole /64), a network an
// IPv4 /24 or an IPv6 /48.
package netblock

import "net/netip"

// Prefix lengths of a host and of a network.
const (
	HostBitsV4    = 32
	HostBitsV6    = 64
	NetworkBitsV4 = 24
	NetworkBitsV6 = 48
)

// Host returns the host addr belongs to: the IPv4 address as a /32, or the
// IPv6 /64. IPv4-mapped IPv6 addresses count as IPv4; zones are dropped.
// The zero Addr gives the zero Prefix.
func Host(addr netip.Addr) netip.Prefix { return prefix(addr, HostBitsV4, HostBitsV6) }

// Network returns the network addr belongs to: the IPv4 /24 or the IPv6
// /48, with the same rules as Host.
func Network(addr netip.Addr) netip.Prefix { return prefix(addr, NetworkBitsV4, NetworkBitsV6) }

func prefix(addr netip.Addr, v4, v6 int) netip.Prefix {
	addr = addr.Unmap().WithZone("")
	bits := v6
	if addr.Is4() {
		bits = v4
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Prefix{} // only for the zero Addr
	}
	return p
}
