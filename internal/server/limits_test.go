package server

import (
	"fmt"
	"testing"
	"time"
)

func TestStartupsRefusal(t *testing.T) {
	tests := []struct {
		st   Startups
		n    int
		want int
	}{
		{DefaultStartups, 0, 0},
		{DefaultStartups, 9, 0},
		{DefaultStartups, 10, 30},
		{DefaultStartups, 55, 65},
		{DefaultStartups, 99, 99},
		{DefaultStartups, 100, 100},
		{DefaultStartups, 5000, 100},
		{Startups{Start: 5, Rate: 100, Full: 5}, 4, 0},
		{Startups{Start: 5, Rate: 100, Full: 5}, 5, 100},
		{Startups{Start: 0, Rate: 0, Full: 10}, 0, 0},
		{Startups{Start: 0, Rate: 0, Full: 10}, 5, 50},
		{Startups{Full: -1}, 1_000_000, 0},
	}
	for _, tt := range tests {
		if got := tt.st.refusal(tt.n); got != tt.want {
			t.Errorf("%+v.refusal(%d) = %d%%, want %d%%", tt.st, tt.n, got, tt.want)
		}
	}
}

// rawFrom is dialRaw from the loopback address local.
func rawFrom(t *testing.T, local, addr string) *rawConn {
	t.Helper()
	conn, err := abuseDialFrom(local, addr)
	if err != nil {
		t.Fatal(err)
	}
	return watchRaw(t, conn)
}

// refused reports whether r is closed at once without a banner.
func (r *rawConn) refused(t *testing.T) bool {
	t.Helper()
	select {
	case <-r.closed:
		if got := r.received(); got != "" {
			t.Errorf("refused connection was sent %q", got)
		}
		return true
	case <-time.After(time.Second):
		return false
	}
}

// TestMaxStartupsOverAllAddresses: past max-startups' full, connections
// still in their handshake from many addresses, each well under its own
// limit, refuse every new one, from any address; one leaving frees a place.
func TestMaxStartupsOverAllAddresses(t *testing.T) {
	const full = 6
	h := newHarness(t, func(c *Config, _ *Routes) { c.MaxStartups = Startups{Start: full, Rate: 100, Full: full} })
	var silent []*rawConn
	for i := range full {
		r := rawFrom(t, fmt.Sprintf("127.0.0.%d", 50+i), h.addr)
		r.waitBanner(t)
		silent = append(silent, r)
	}
	for i := range 3 {
		if r := rawFrom(t, fmt.Sprintf("127.0.0.%d", 60+i), h.addr); !r.refused(t) {
			t.Fatalf("connection %d past max-startups (from an address of its own) was admitted", full+i+1)
		}
	}
	if _, err := h.abuseSSHFrom(t, "127.0.0.70", "alice"); err == nil {
		t.Fatal("an SSH client got in past max-startups")
	}
	silent[0].conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := h.abuseSSHFrom(t, "127.0.0.71", "alice")
		if err == nil {
			openTerminal(t, c).waitFor(t, "hello alice")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place freed when a connection in its handshake left: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMaxStartupsIsProbabilistic: between start and full, some new
// connections are refused and some are not (30% at start by default).
func TestMaxStartupsIsProbabilistic(t *testing.T) {
	l := newLimiter(-1, 0)
	l.startups = Startups{Start: 2, Rate: 50, Full: 1000}
	for i := range 2 {
		if err := l.admit(&trackedConn{ip: fmt.Sprintf("10.0.0.%d", i)}); err != nil {
			t.Fatalf("connection %d refused under start: %v", i, err)
		}
	}
	refused := 0
	const tries = 400
	for i := range tries {
		c := &trackedConn{ip: fmt.Sprintf("10.0.1.%d", i)}
		if err := l.admit(c); err != nil {
			refused++
			continue
		}
		l.leaveHandshake(c.ip) // keep the count at start
		l.forget(c)
	}
	// 50% of 400: 200, with a generous margin (the chance of leaving it is
	// far below one in a billion).
	if refused < 100 || refused > 300 {
		t.Errorf("%d of %d refused at 50%%", refused, tries)
	}
}

// TestMaxSessionsOverAllAddresses: past max-sessions, a session from a new
// address is refused with a line saying the portal is full; one ending
// frees a place.
func TestMaxSessionsOverAllAddresses(t *testing.T) {
	const limit = 4
	h := newHarness(t, func(c *Config, _ *Routes) { c.MaxSessions = limit })
	var open []*terminal
	for i := range limit {
		c, err := h.abuseSSHFrom(t, fmt.Sprintf("127.0.0.%d", 80+i), "alice")
		if err != nil {
			t.Fatal(err)
		}
		tm := openTerminal(t, c)
		tm.waitFor(t, "hello alice")
		open = append(open, tm)
	}
	c, err := h.abuseSSHFrom(t, "127.0.0.90", "bob")
	if err != nil {
		t.Fatal(err)
	}
	over := openTerminal(t, c)
	over.waitFor(t, "as many sessions open as it takes")
	if got := over.exit(t); got != 1 {
		t.Errorf("refused session's exit status %d, want 1", got)
	}
	open[0].send(t, "q")
	open[0].exit(t)
	c, err = h.abuseSSHFrom(t, "127.0.0.91", "carol")
	if err != nil {
		t.Fatal(err)
	}
	openTerminal(t, c).waitFor(t, "hello carol")
}
