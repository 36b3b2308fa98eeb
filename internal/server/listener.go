package server

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientportal/portal/internal/netaddr"
)

// lingerAfterSession is how long a connection may stay open once its only
// session has ended: long enough for the client to read the exit status and
// close, short enough that a client that never closes costs nothing.
const lingerAfterSession = 5 * time.Second

// lingerWhileDraining replaces lingerAfterSession during Shutdown, which
// waits for every connection to close.
const lingerWhileDraining = 250 * time.Millisecond

// connState is where a connection is in its life.
type connState int

const (
	stateHandshake connState = iota // accepted, no session yet
	stateSession                    // its session is running
	stateDone                       // its session has ended
)

// limiter counts connections per source host (netaddr.LimitKey: an IPv6
// /64 is one host): those without a session yet, and live sessions.
type limiter struct {
	maxUnauth   int
	maxSessions int
	startups    Startups // over all addresses
	maxTotal    int      // live sessions over all addresses; 0 = no limit
	// draining is set once by stopAdmitting: no connection is admitted
	// any more, and sessions that end linger briefly. It is set under mu,
	// so admit, which reads it under mu, never counts a connection that
	// a snapshot taken after stopAdmitting misses.
	draining atomic.Bool

	mu          sync.Mutex
	unauth      map[string]int
	unauthTotal int
	sessions    map[string]int
	sessTotal   int
	conns       map[*trackedConn]struct{}
	idleWaits   []chan struct{} // closed when conns becomes empty
}

func newLimiter(maxUnauth, maxSessions int) *limiter {
	return &limiter{
		maxUnauth:   maxUnauth,
		maxSessions: maxSessions,
		startups:    Startups{Full: -1},
		unauth:      make(map[string]int),
		sessions:    make(map[string]int),
		conns:       make(map[*trackedConn]struct{}),
	}
}

// errTooManyUnauthenticated refuses one connection; net.ErrClosed (after
// stopAdmitting) refuses all that follow.
var (
	errTooManyUnauthenticated = errors.New("too many unauthenticated connections")
	errTooManyStartups        = errors.New("too many unauthenticated connections over all addresses (max-startups)")
)

// Startups is OpenSSH's MaxStartups start:rate:full: past Start
// connections still in their handshake, over all addresses, a new one is
// refused with probability Rate percent, rising linearly to 100% at Full.
// Full < 0 means no limit.
type Startups struct {
	Start, Rate, Full int
}

// DefaultStartups is OpenSSH's default.
var DefaultStartups = Startups{Start: 10, Rate: 30, Full: 100}

// refusal is the chance, in percent, that a new connection is refused while
// n are in their handshake (OpenSSH's drop_connection).
func (st Startups) refusal(n int) int {
	switch {
	case st.Full < 0 || n < st.Start:
		return 0
	case n >= st.Full:
		return 100
	default:
		return st.Rate + (100-st.Rate)*(n-st.Start)/(st.Full-st.Start)
	}
}

// admit counts a new connection from ip, or says why it is refused.
func (l *limiter) admit(c *trackedConn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.draining.Load() {
		return net.ErrClosed
	}
	if l.maxUnauth > 0 && l.unauth[c.ip] >= l.maxUnauth {
		return errTooManyUnauthenticated
	}
	if p := l.startups.refusal(l.unauthTotal); p >= 100 || (p > 0 && rand.IntN(100) < p) {
		return errTooManyStartups
	}
	l.unauth[c.ip]++
	l.unauthTotal++
	l.conns[c] = struct{}{}
	return nil
}

func (l *limiter) leaveHandshake(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	decrement(l.unauth, ip)
	l.unauthTotal--
}

func (l *limiter) forget(c *trackedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	if len(l.conns) == 0 {
		for _, w := range l.idleWaits {
			close(w)
		}
		l.idleWaits = nil
	}
}

// stopAdmitting refuses every connection from now on, so that once idle
// says the count is empty it stays empty, and shortens the linger of
// sessions that end from now on.
func (l *limiter) stopAdmitting() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draining.Store(true)
}

// idle is closed once no admitted connection is open.
func (l *limiter) idle() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := make(chan struct{})
	if len(l.conns) == 0 {
		close(w)
		return w
	}
	l.idleWaits = append(l.idleWaits, w)
	return w
}

// Why acquireSession refused a session.
var (
	errSessionsPerAddress = errors.New("too many sessions from one address")
	errSessionsTotal      = errors.New("too many sessions over all addresses (max-sessions)")
)

// acquireSession counts a live session from ip, or says why it is refused.
func (l *limiter) acquireSession(ip string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxSessions > 0 && l.sessions[ip] >= l.maxSessions {
		return errSessionsPerAddress
	}
	if l.maxTotal > 0 && l.sessTotal >= l.maxTotal {
		return errSessionsTotal
	}
	l.sessions[ip]++
	l.sessTotal++
	return nil
}

func (l *limiter) releaseSession(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	decrement(l.sessions, ip)
	l.sessTotal--
}

// drain closes every connection that has no running session.
func (l *limiter) drain() {
	for _, c := range l.snapshot() {
		if c.state() != stateSession {
			_ = c.Close()
		}
	}
}

// closeAll closes every admitted connection, sessions included.
func (l *limiter) closeAll() {
	for _, c := range l.snapshot() {
		_ = c.Close()
	}
}

func (l *limiter) snapshot() []*trackedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	return conns
}

func decrement(m map[string]int, key string) {
	if m[key] <= 1 {
		delete(m, key) // keeps the maps as small as the live connections
		return
	}
	m[key]--
}

// limitedListener applies the per-address limit and the handshake deadline
// to every connection it accepts.
type limitedListener struct {
	net.Listener
	limits    *limiter
	handshake time.Duration
	log       *slog.Logger
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	for {
		conn, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		c := &trackedConn{Conn: conn, limits: ln.limits, ip: netaddr.LimitKeyOf(conn.RemoteAddr())}
		c.writes.w = conn
		if err := ln.limits.admit(c); err != nil {
			_ = conn.Close()
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			ln.log.Warn(err.Error(), "remote", conn.RemoteAddr().String())
			continue
		}
		c.handshakeDeadline = time.Now().Add(ln.handshake)
		if err := c.Conn.SetDeadline(c.handshakeDeadline); err != nil {
			_ = c.Close()
			continue
		}
		return c, nil
	}
}

// trackedConn keeps its own deadlines under whatever charmbracelet/ssh asks
// for: the library sets the connection's deadline on every read and write
// (to zero when it has no timeouts of its own), which would silently clear
// the handshake deadline.
type trackedConn struct {
	net.Conn
	limits *limiter
	ip     string
	// writes times the writes to the socket: one waiting on a client that
	// reads nothing counts for the session's output deadline.
	writes writeClock

	mu                sync.Mutex
	st                connState
	handshakeDeadline time.Time // while in stateHandshake
	lingerDeadline    time.Time // once in stateDone
	requested         time.Time // the last deadline the library asked for
	closeOnce         sync.Once
}

func (c *trackedConn) Write(p []byte) (int, error) { return c.writes.Write(p) }

func (c *trackedConn) state() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// effective is the earliest non-zero of the library's deadline and ours.
func (c *trackedConn) effectiveLocked(t time.Time) time.Time {
	for _, own := range []time.Time{c.handshakeDeadline, c.lingerDeadline} {
		if !own.IsZero() && (t.IsZero() || own.Before(t)) {
			t = own
		}
	}
	return t
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requested = t
	return c.Conn.SetDeadline(c.effectiveLocked(t))
}

func (c *trackedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetReadDeadline(c.effectiveLocked(t))
}

func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(c.effectiveLocked(t))
}

// startSession moves the connection out of the handshake: its deadline is
// lifted and it no longer counts as unauthenticated. It reports false if
// the connection already had its session.
func (c *trackedConn) startSession() bool {
	c.mu.Lock()
	if c.st != stateHandshake {
		c.mu.Unlock()
		return false
	}
	c.st = stateSession
	c.handshakeDeadline = time.Time{}
	err := c.Conn.SetDeadline(c.effectiveLocked(c.requested))
	c.mu.Unlock()
	c.limits.leaveHandshake(c.ip)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		_ = c.Close()
	}
	return true
}

// endSession lets the connection linger briefly, then its deadline ends it.
func (c *trackedConn) endSession() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st = stateDone
	linger := lingerAfterSession
	if c.limits.draining.Load() {
		linger = lingerWhileDraining
	}
	c.lingerDeadline = time.Now().Add(linger)
	_ = c.Conn.SetDeadline(c.effectiveLocked(c.requested))
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.mu.Lock()
		st := c.st
		c.st = stateDone
		c.mu.Unlock()
		if st == stateHandshake {
			c.limits.leaveHandshake(c.ip)
		}
		c.limits.forget(c)
	})
	return err
}
