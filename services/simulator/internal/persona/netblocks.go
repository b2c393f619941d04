package persona

import (
	"math/rand/v2"
	"net/netip"
)

// netblocks holds a few address blocks per country, taken from large
// consumer ISPs and mobile carriers there. They are approximate: good
// enough that a geolocation database puts most addresses in the right
// country, which is all the simulation needs.
var netblocks = map[string][]netip.Prefix{
	"ID": prefixes("36.64.0.0/11", "114.120.0.0/13", "182.253.0.0/16", "110.136.0.0/13", "180.252.0.0/14",
		"112.215.0.0/16", "114.4.0.0/16", "139.192.0.0/11", "125.160.0.0/13", "120.188.0.0/14"),
	"US": prefixes("23.0.0.0/12", "73.0.0.0/8", "99.0.0.0/10", "174.192.0.0/10", "172.56.0.0/14", "24.0.0.0/12", "71.0.0.0/10"),
	"GB": prefixes("81.128.0.0/12", "86.128.0.0/10", "90.192.0.0/11", "82.0.0.0/11"),
	"DE": prefixes("84.128.0.0/10", "91.0.0.0/10", "79.192.0.0/10", "93.192.0.0/11"),
	"FR": prefixes("90.0.0.0/9", "86.192.0.0/11", "78.112.0.0/12"),
	"ES": prefixes("83.32.0.0/11", "88.0.0.0/11"),
	"IT": prefixes("79.0.0.0/11", "93.32.0.0/11", "151.0.0.0/11"),
	"NL": prefixes("84.24.0.0/13", "77.160.0.0/12"),
	"IE": prefixes("86.40.0.0/13", "89.100.0.0/14"),
	"PT": prefixes("85.240.0.0/12", "89.152.0.0/14"),
	"PL": prefixes("83.0.0.0/11", "37.47.0.0/16"),
	"LT": prefixes("78.56.0.0/13", "88.118.0.0/15"),
	"TR": prefixes("78.160.0.0/11", "88.224.0.0/11"),
	"EG": prefixes("41.32.0.0/12", "156.192.0.0/11"),
	"IN": prefixes("49.32.0.0/11", "117.192.0.0/10", "106.192.0.0/11", "223.176.0.0/12"),
	"BR": prefixes("177.0.0.0/8", "179.0.0.0/8", "187.0.0.0/9"),
	"MX": prefixes("189.128.0.0/10", "187.128.0.0/10"),
	"CA": prefixes("70.24.0.0/13", "24.48.0.0/13", "99.224.0.0/11"),
	"JP": prefixes("126.0.0.0/8", "60.32.0.0/12", "153.128.0.0/9"),
	"KR": prefixes("121.128.0.0/10", "175.192.0.0/10"),
	"TW": prefixes("1.160.0.0/12", "114.24.0.0/14"),
	"SG": prefixes("116.86.0.0/15", "118.189.0.0/16", "175.156.0.0/15"),
	"MY": prefixes("175.136.0.0/13", "60.48.0.0/13"),
	"PH": prefixes("112.198.0.0/15", "49.144.0.0/13"),
	"TH": prefixes("171.96.0.0/13", "1.46.0.0/15"),
	"VN": prefixes("113.160.0.0/11", "14.160.0.0/11"),
	"MM": prefixes("37.111.0.0/17", "136.228.160.0/19"),
	"AU": prefixes("1.120.0.0/13", "120.144.0.0/13", "58.160.0.0/12"),
}

// reserved lists the IPv4 blocks that are not public unicast space: a
// report "from" any of them would be meaningless or rejected.
var reserved = prefixes(
	"0.0.0.0/8",       // this network
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // carrier-grade NAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link local
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1
	"192.31.196.0/24", // AS112
	"192.52.193.0/24", // AMT
	"192.88.99.0/24",  // 6to4 relay
	"192.168.0.0/16",  // private
	"192.175.48.0/24", // AS112 direct delegation
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2
	"203.0.113.0/24",  // TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and broadcast
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// IsPublic reports whether a is a public unicast IPv4 address.
func IsPublic(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// HasNetblocks reports whether the country has its own address blocks.
func HasNetblocks(country string) bool {
	_, ok := netblocks[country]
	return ok
}

// RandomIP returns a public IPv4 address, from the country's blocks when it
// has any, anywhere in public space otherwise.
func RandomIP(rng *rand.Rand, country string) netip.Addr {
	blocks := netblocks[country]
	for {
		var a netip.Addr
		if len(blocks) > 0 {
			a = randomIn(rng, blocks[rng.IntN(len(blocks))])
		} else {
			a = netip.AddrFrom4(uint32ToBytes(rng.Uint32()))
		}
		// Skip .0 and .255 too: real clients rarely sit there and some
		// limiters treat them specially.
		if b := a.As4(); b[3] == 0 || b[3] == 255 || !IsPublic(a) {
			continue
		}
		return a
	}
}

func randomIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	base := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	size := uint64(1) << (32 - p.Bits())
	return netip.AddrFrom4(uint32ToBytes(base + uint32(rng.Uint64N(size))))
}

func uint32ToBytes(v uint32) [4]byte {
	return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
