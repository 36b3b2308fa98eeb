// Package netaddr says which host a peer address counts as, for every
// per-address limit: the listener's connection and session counts and the
// log-in limits all key by the same string, so a host cannot be one peer
// to one limit and many to another.
package netaddr

import (
	"net"
	"net/netip"
)

// LimitKey is the host a peer at addr counts as. addr is "host:port" or a
// bare host. An IPv4 address (IPv4-mapped IPv6 included) counts alone; an
// IPv6 address counts as its /64, since a subscriber is given a whole /64
// and may take a new address in it for every try, which would make a limit
// per IPv6 address no limit at all. Anything that is not an IP address
// counts as itself.
func LimitKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if ip = ip.Unmap(); ip.Is4() {
		return ip.String()
	}
	block, err := ip.WithZone("").Prefix(64)
	if err != nil {
		return host
	}
	return block.String()
}

// LimitKeyOf is LimitKey for a net.Addr, without a round trip through its
// string form when it is a TCP address.
func LimitKeyOf(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(tcp.IP); ok {
			return LimitKey(ip.String())
		}
	}
	return LimitKey(addr.String())
}
