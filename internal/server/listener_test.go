package server

import (
	"log/slog"
	"net"
	"testing"
	"time"
)

// fakeConn is one end of a pipe that claims to come from addr.
type fakeConn struct {
	net.Conn
	addr net.Addr
}

func (c fakeConn) RemoteAddr() net.Addr { return c.addr }

// fakeListener hands out the connections sent on conns.
type fakeListener struct {
	conns chan net.Conn
}

func (l fakeListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (l fakeListener) Close() error   { return nil }
func (l fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv6loopback, Port: 22} }

// TestListenerCountsIPv6Slash64AsOneHost feeds the listener connections
// from many addresses of one IPv6 /64: they share one host's handshake
// limit, while the next /64 and an IPv4 address have their own.
func TestListenerCountsIPv6Slash64AsOneHost(t *testing.T) {
	const limit = 3
	ln := fakeListener{conns: make(chan net.Conn)}
	limits := newLimiter(limit, 0)
	wrapped := &limitedListener{Listener: ln, limits: limits, handshake: time.Minute, log: slog.New(slog.DiscardHandler)}
	accepted := make(chan *trackedConn)
	go func() {
		defer close(accepted)
		for {
			c, err := wrapped.Accept()
			if err != nil {
				return
			}
			accepted <- c.(*trackedConn)
		}
	}()
	t.Cleanup(func() { close(ln.conns); limits.closeAll() })

	// offer sends a connection from ip and reports whether the listener
	// kept it (handed it on) or closed it.
	offer := func(ip string) bool {
		t.Helper()
		server, client := net.Pipe()
		t.Cleanup(func() { client.Close() })
		ln.conns <- fakeConn{Conn: server, addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}
		closed := make(chan struct{})
		go func() {
			// A refused connection is closed: the read ends at once.
			if _, err := client.Read(make([]byte, 1)); err != nil {
				close(closed)
			}
		}()
		select {
		case <-accepted:
			return true
		case <-closed:
			return false
		case <-time.After(5 * time.Second):
			t.Fatalf("connection from %s neither accepted nor closed", ip)
			return false
		}
	}
	for i := 1; i <= limit; i++ {
		ip := net.ParseIP("2001:db8:0:7::").To16()
		ip[15] = byte(i)
		ip[8] = byte(i * 17) // other interface identifiers, same /64
		if !offer(ip.String()) {
			t.Fatalf("connection %d from the /64 refused under the limit", i)
		}
	}
	if offer("2001:db8:0:7:ffff:ffff:ffff:ffff") {
		t.Error("a fourth address of the same /64 was admitted: the limit counts /128s")
	}
	if !offer("2001:db8:0:8::1") {
		t.Error("the next /64 was refused")
	}
	// An IPv4 host is one host whether it comes mapped or not.
	for _, ip := range []string{"::ffff:192.0.2.1", "192.0.2.1", "192.0.2.1"} {
		if !offer(ip) {
			t.Fatalf("%s refused under the limit", ip)
		}
	}
	if offer("::ffff:192.0.2.1") {
		t.Error("a fourth connection from 192.0.2.1, IPv4-mapped, was admitted")
	}
}
