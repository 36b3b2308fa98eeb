package netaddr

import (
	"net"
	"testing"
)

func TestLimitKey(t *testing.T) {
	tests := []struct {
		name, addr, want string
	}{
		{"v4 with port", "192.0.2.7:51234", "192.0.2.7"},
		{"v4 bare", "192.0.2.7", "192.0.2.7"},
		{"v4 loopback", "127.0.0.5:22", "127.0.0.5"},
		{"v6 with port", "[2001:db8:1:2:3:4:5:6]:22", "2001:db8:1:2::/64"},
		{"v6 bare", "2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"v6 same /64", "[2001:db8:1:2::9]:40000", "2001:db8:1:2::/64"},
		{"v6 next /64", "[2001:db8:1:3::9]:40000", "2001:db8:1:3::/64"},
		{"v6 loopback", "[::1]:22", "::/64"},
		{"v6 with zone", "[fe80::1%eth0]:22", "fe80::/64"},
		{"v4-mapped v6", "[::ffff:192.0.2.7]:22", "192.0.2.7"},
		{"v4-mapped v6 bare", "::ffff:10.1.2.3", "10.1.2.3"},
		{"not an address", "pipe", "pipe"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LimitKey(tt.addr); got != tt.want {
				t.Errorf("LimitKey(%q) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestLimitKeyOf(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "192.0.2.7"}, // 16-byte form of a v4 address
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7).To4(), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, "2001:db8::/64"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::2"), Port: 2}, "2001:db8::/64"},
		{&net.UnixAddr{Name: "@sock", Net: "unix"}, "@sock"},
	}
	for _, tt := range tests {
		if got := LimitKeyOf(tt.addr); got != tt.want {
			t.Errorf("LimitKeyOf(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
