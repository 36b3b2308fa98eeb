package server

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// gatedConn is a client's socket that can stop being read at all, as a
// client whose process is stopped: then not even the SSH layer answers.
type gatedConn struct {
	net.Conn
	stopped chan struct{}
	closed  chan struct{}
	stop    sync.Once
	close   sync.Once
}

func newGatedConn(c net.Conn) *gatedConn {
	return &gatedConn{Conn: c, stopped: make(chan struct{}), closed: make(chan struct{})}
}

func (g *gatedConn) Read(p []byte) (int, error) {
	select {
	case <-g.stopped:
		<-g.closed
		return 0, net.ErrClosed
	default:
		return g.Conn.Read(p) //nolint:wrapcheck // a pass-through
	}
}

// stopReading makes every later Read wait until the connection closes.
func (g *gatedConn) stopReading() { g.stop.Do(func() { close(g.stopped) }) }

func (g *gatedConn) Close() error {
	g.close.Do(func() { close(g.closed) })
	return g.Conn.Close() //nolint:wrapcheck // a pass-through
}

// gatedSSHFrom is h.abuseSSHFrom over a gatedConn.
func (h *harness) gatedSSHFrom(t testing.TB, local, user string) (*gossh.Client, *gatedConn) {
	t.Helper()
	raw, err := abuseDialFrom(local, h.addr)
	if err != nil {
		t.Fatal(err)
	}
	conn := newGatedConn(raw)
	cfg := h.clientConfig(user, gossh.PublicKeys(newSigner(t)))
	c, chans, reqs, err := gossh.NewClientConn(conn, h.addr, cfg)
	if err != nil {
		conn.Close()
		t.Fatalf("handshake from %s: %v", local, err)
	}
	client := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { client.Close() })
	return client, conn
}

// stallSession opens a fill session from the loopback address local with a
// PTY and a shell, and never reads what the server writes on it.
func (h *harness) stallSession(t *testing.T, local, user string) (*gossh.Client, gossh.Channel) {
	t.Helper()
	c, err := h.abuseSSHFrom(t, local, user)
	if err != nil {
		t.Fatal(err)
	}
	return c, openStalled(t, c)
}

// until calls send until stop is closed or send fails: a client that keeps
// sending (keys, window changes) while it reads nothing.
func until(stop <-chan struct{}, send func(n uint32) error) {
	for n := uint32(0); ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		if send(n) != nil {
			return
		}
	}
}

// openStalled opens a session channel on c with a PTY and a shell.
func openStalled(t *testing.T, c *gossh.Client) gossh.Channel {
	t.Helper()
	ch, reqs, err := c.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go gossh.DiscardRequests(reqs)
	pty := gossh.Marshal(struct {
		Term             string
		Cols, Rows, W, H uint32
		Modes            string
	}{"xterm-256color", 80, 24, 0, 0, ""})
	if ok, err := ch.SendRequest("pty-req", true, pty); !ok || err != nil {
		t.Fatalf("pty-req: %v %v", ok, err)
	}
	if ok, err := ch.SendRequest("shell", true, nil); !ok || err != nil {
		t.Fatalf("shell: %v %v", ok, err)
	}
	return ch
}

// resizeStorm sends window changes at the largest size the server takes,
// each asking for a reply, until one fails (the connection closed) or n
// are answered; it reports how many were answered.
func resizeStorm(ch gossh.Channel, n int) int {
	answered := 0
	for i := range n {
		if _, err := ch.SendRequest("window-change", true, abuseWindow(maxWindowCols-uint32(i%2), maxWindowRows)); err != nil {
			return answered
		}
		answered++
	}
	return answered
}

// abuseSteady waits until the goroutine count has not changed for 300 ms
// (or 10 s pass) and returns it.
func abuseSteady() int {
	deadline := time.Now().Add(10 * time.Second)
	n, since := runtime.NumGoroutine(), time.Now()
	for time.Since(since) < 300*time.Millisecond && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if m := runtime.NumGoroutine(); m != n {
			n, since = m, time.Now()
		}
	}
	return n
}

// waitConnsClosed waits until the server holds no connection, or d passes.
func waitConnsClosed(s *Server, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		n := len(s.limits.snapshot())
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOutputsBlocked waits until n sessions have output waiting on their
// clients.
func waitOutputsBlocked(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		blocked := 0
		now := time.Now()
		s.mu.Lock()
		for ls := range s.live {
			if ls.blockedFor(now) > 0 {
				blocked++
			}
		}
		s.mu.Unlock()
		if blocked >= n {
			return
		}
		if now.After(deadline) {
			t.Fatalf("%d sessions with blocked output after 10 s, want %d", blocked, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAbuseResizeStormWithoutReading: six clients from six addresses send
// window changes with want-reply at 1024x512 and never read their session.
// A server that forwards window changes on its request path wedges: the
// program's output waits for window space, the resize waits for the
// program, and the connection's only reader waits for the resize, so not
// even the client's close is read. Here every request is answered, half the
// clients close and are gone at once, the other half are ended by the
// output deadline, and nothing is left behind.
func TestAbuseResizeStormWithoutReading(t *testing.T) {
	const outputTimeout = time.Second
	h := newHarness(t, func(c *Config, _ *Routes) { c.OutputTimeout = outputTimeout })
	c := h.mustDial(t, "warmup")
	openTerminal(t, c).waitFor(t, "hello warmup")
	c.Close()
	base := abuseSteady()

	const sessions = 6
	var wg sync.WaitGroup
	var answered atomic.Int64
	var clients []*gossh.Client
	for i := range sessions {
		c, ch := h.stallSession(t, fmt.Sprintf("127.0.0.%d", 10+i), fmt.Sprintf("fill%d", i))
		clients = append(clients, c)
		wg.Go(func() { answered.Add(int64(resizeStorm(ch, 100_000))) })
		if i%2 == 0 {
			// This client gives up and closes, as a user closing the window.
			time.AfterFunc(300*time.Millisecond, func() { c.Close() })
		}
	}
	start := time.Now()
	stormsOver := make(chan struct{})
	go func() { wg.Wait(); close(stormsOver) }()
	select {
	case <-stormsOver:
	case <-time.After(15 * time.Second):
		// A generous bound: the output deadline is 1 s.
		t.Errorf("resize storms still running 15 s later; %d requests answered", answered.Load())
	}
	if n := waitConnsClosed(h.srv, 10*time.Second); n > 0 {
		t.Errorf("%d connections still open on the server after their clients closed or stalled", n)
	}
	t.Logf("%d window changes answered; every session ended %v after the storms began",
		answered.Load(), time.Since(start).Round(time.Millisecond))
	if answered.Load() < sessions {
		t.Errorf("only %d window changes answered: requests waited on the program", answered.Load())
	}
	for _, c := range clients {
		c.Close()
	}
	wg.Wait()
	if n := abuseSettle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the storms, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	// Their per-address places are free again.
	for i := range sessions {
		again, err := h.abuseSSHFrom(t, fmt.Sprintf("127.0.0.%d", 10+i), "alice")
		if err != nil {
			t.Fatal(err)
		}
		openTerminal(t, again).waitFor(t, "hello alice")
		again.Close()
	}
}

// TestAbuseShutdownNotHeldByStalledSessions: sessions whose output waits
// on a client that has stopped reading even its socket (the output
// deadline far off) do not hold Shutdown: their programs are ended, and
// after the grace period their connections, not only their channels, are
// closed (closing a channel waits for the client's answer).
func TestAbuseShutdownNotHeldByStalledSessions(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Routes) { c.OutputTimeout = time.Hour })
	const sessions = 3
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var gates []*gatedConn
	var clients []*gossh.Client
	for i := range sessions {
		c, gate := h.gatedSSHFrom(t, fmt.Sprintf("127.0.0.%d", 20+i), fmt.Sprintf("fill%d", i))
		gates = append(gates, gate)
		clients = append(clients, c)
		ch := openStalled(t, c)
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := ch.SendRequest("window-change", true, abuseWindow(maxWindowCols-uint32(i%2), maxWindowRows)); err != nil {
					return
				}
			}
		})
	}
	// The sessions' frames soon no longer fit in the windows the clients
	// never open again.
	waitOutputsBlocked(t, h.srv, sessions)
	for _, g := range gates {
		g.stopReading()
	}
	// The storms go on through Shutdown, as an attacker's would; a client
	// that reads nothing learns of the close only from its own Close.
	defer func() {
		close(stop)
		for _, c := range clients {
			c.Close()
		}
		wg.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	start := time.Now()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown held by stalled sessions: %v after %v", err, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("shutdown with %d stalled sessions took %v", sessions, time.Since(start).Round(time.Millisecond))
}
