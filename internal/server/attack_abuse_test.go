package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	gossh "golang.org/x/crypto/ssh"
)

// abuseSettle waits until the goroutine count is at most limit (or 10 s
// pass) and returns it.
func abuseSettle(limit int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= limit || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// abuseHeap is the live heap after a collection, in bytes.
func abuseHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func abuseMiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// abuseDialFrom dials addr from the loopback address local (Linux routes
// all of 127.0.0.0/8 to lo), so tests can play several clients.
func abuseDialFrom(local, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial from %s: %w", local, err)
	}
	return conn, nil
}

// abuseSSHFrom is h.dial from the loopback address local.
func (h *harness) abuseSSHFrom(t testing.TB, local, user string) (*gossh.Client, error) {
	t.Helper()
	conn, err := abuseDialFrom(local, h.addr)
	if err != nil {
		return nil, err
	}
	cfg := h.clientConfig(user, gossh.PublicKeys(newSigner(t)))
	c, chans, reqs, err := gossh.NewClientConn(conn, h.addr, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("handshake from %s: %w", local, err)
	}
	client := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { client.Close() })
	return client, nil
}

// abuseKexInit is an unencrypted SSH_MSG_KEXINIT packet offering what the
// server accepts, so the server goes on to wait for the key exchange.
func abuseKexInit() []byte {
	var payload bytes.Buffer
	payload.WriteByte(20) // SSH_MSG_KEXINIT
	payload.Write(make([]byte, 16))
	for _, list := range []string{
		"curve25519-sha256", "ssh-ed25519",
		"aes128-gcm@openssh.com", "aes128-gcm@openssh.com",
		"hmac-sha2-256", "hmac-sha2-256", "none", "none", "", "",
	} {
		_ = binary.Write(&payload, binary.BigEndian, uint32(len(list)))
		payload.WriteString(list)
	}
	payload.Write([]byte{0, 0, 0, 0, 0}) // first_kex_packet_follows, reserved
	pad := 8 - (5+payload.Len())%8
	if pad < 4 {
		pad += 8
	}
	var pkt bytes.Buffer
	_ = binary.Write(&pkt, binary.BigEndian, uint32(1+payload.Len()+pad))
	pkt.WriteByte(byte(pad))
	pkt.Write(payload.Bytes())
	pkt.Write(make([]byte, pad))
	return pkt.Bytes()
}

// TestAbuseHalfHandshakes opens 1,000 connections that send garbage or
// stop mid-handshake, from 100 loopback addresses (10 each, the
// per-address limit), and checks the limit holds, another address is
// served while they are open, and the handshake deadline frees them all.
func TestAbuseHalfHandshakes(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections: skipped with -short")
	}
	const deadline = 1500 * time.Millisecond
	h := newHarness(t, func(c *Config, _ *Routes) { c.HandshakeTimeout = deadline })
	c := h.mustDial(t, "warmup")
	openTerminal(t, c).waitFor(t, "hello warmup")
	c.Close()
	base := abuseSettle(0)
	heapBefore := abuseHeap()

	kex := abuseKexInit()
	behaviours := []struct {
		name string
		send []byte
	}{
		{"garbage", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, '\n'}, 40)},
		{"version only", []byte("SSH-2.0-abuse\r\n")},
		{"after KEXINIT", append([]byte("SSH-2.0-abuse\r\n"), kex...)},
		{"nothing", nil},
	}
	const addrs, perAddr = 100, DefaultMaxUnauthenticatedPerAddress
	type held struct {
		conn   net.Conn
		closed chan time.Time
	}
	var conns []held
	for a := range addrs {
		local := fmt.Sprintf("127.0.1.%d", a+1)
		if a == 1 {
			// The 11th from a full address is closed at once, with
			// nothing said. Tried right after the address filled up: on
			// a loaded machine opening all 1,000 can outlast the
			// deadline, which frees the first address's connections.
			over, err := abuseDialFrom("127.0.1.1", h.addr)
			if err != nil {
				t.Fatal(err)
			}
			_ = over.SetReadDeadline(time.Now().Add(deadline / 2))
			if n, err := over.Read(make([]byte, 64)); n != 0 || err == nil || isTimeout(err) {
				t.Errorf("11th connection from a full address: read %d bytes, err %v; want closed at once", n, err)
			}
			over.Close()
		}
		for i := range perAddr {
			conn, err := abuseDialFrom(local, h.addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			if b := behaviours[(a*perAddr+i)%len(behaviours)].send; b != nil {
				if _, err := conn.Write(b); err != nil {
					t.Fatalf("write: %v", err)
				}
			}
			hd := held{conn: conn, closed: make(chan time.Time, 1)}
			go func() {
				_, _ = io.Copy(io.Discard, conn)
				hd.closed <- time.Now()
			}()
			conns = append(conns, hd)
		}
	}
	opened := time.Now()
	t.Logf("%d half-open connections from %d addresses; goroutines %d -> %d; heap %s -> %s",
		len(conns), addrs, base, runtime.NumGoroutine(), abuseMiB(heapBefore), abuseMiB(abuseHeap()))

	// Someone else is served meanwhile, before the deadline frees anything.
	real, err := h.abuseSSHFrom(t, "127.0.0.2", "alice")
	if err != nil {
		t.Fatalf("a real user could not get in during the flood: %v", err)
	}
	tm := openTerminal(t, real)
	tm.waitFor(t, "hello alice")
	if time.Since(opened) >= deadline {
		t.Logf("the real user got in only after the deadline (machine under load)")
	}

	var last time.Time
	for i, hd := range conns {
		select {
		case at := <-hd.closed:
			if at.After(last) {
				last = at
			}
		case <-time.After(10 * deadline):
			t.Fatalf("connection %d still open %v after the flood", i, time.Since(opened))
		}
	}
	t.Logf("deadline %v freed all %d connections %v after the last was opened", deadline, len(conns), last.Sub(opened).Round(time.Millisecond))

	// The full address gets in again once freed.
	again, err := h.abuseSSHFrom(t, "127.0.1.1", "bob")
	if err != nil {
		t.Fatalf("address still refused after the deadline: %v", err)
	}
	openTerminal(t, again).waitFor(t, "hello bob")
	again.Close()
	tm.send(t, "q")
	tm.exit(t)
	real.Close()
	if n := abuseSettle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the flood, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("goroutines back to %d; heap after %s", runtime.NumGoroutine(), abuseMiB(abuseHeap()))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestAbuseSameAddressWaits shows the design's trade-off: ten silent
// connections from one address keep a real user from that address out
// until the deadline frees them, while another address is served.
func TestAbuseSameAddressWaits(t *testing.T) {
	// Long enough that a loaded machine opens the ten connections and tries
	// the eleventh well inside it.
	const deadline = 2 * time.Second
	h := newHarness(t, func(c *Config, _ *Routes) { c.HandshakeTimeout = deadline })
	for range DefaultMaxUnauthenticatedPerAddress {
		r := dialRaw(t, h.addr)
		r.waitBanner(t)
	}
	start := time.Now()
	if c, err := h.dial("alice", gossh.PublicKeys(newSigner(t))); err == nil {
		c.Close()
		t.Fatal("a user from the flooded address got in while its ten slots were held")
	}
	other, err := h.abuseSSHFrom(t, "127.0.0.2", "carol")
	if err != nil {
		t.Fatalf("another address refused: %v", err)
	}
	openTerminal(t, other).waitFor(t, "hello carol")

	for {
		c, err := h.dial("alice", gossh.PublicKeys(newSigner(t)))
		if err == nil {
			t.Logf("the flooded address got in again %v after the flood", time.Since(start).Round(time.Millisecond))
			c.Close()
			return
		}
		if time.Since(start) > 10*deadline {
			t.Fatalf("still refused after %v: %v", time.Since(start), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// abuseWindow is a window-change payload.
func abuseWindow(cols, rows uint32) []byte {
	return gossh.Marshal(struct{ Cols, Rows, W, H uint32 }{cols, rows, 0, 0})
}

// TestAbuseResizeStorm sends 10,000 window changes of random sizes,
// extremes included, to one session, some of them while it ends: the
// session still answers and draws at 80x24 and nothing is left behind.
func TestAbuseResizeStorm(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "warmup")
	openTerminal(t, c).waitFor(t, "hello warmup")
	c.Close()
	base := abuseSettle(0)
	heapBefore := abuseHeap()

	n := 10_000
	if testing.Short() {
		n = 2_000
	}
	first := h.mustDial(t, "alice")
	clients := []*gossh.Client{first}
	tm := openTerminal(t, first)
	tm.waitFor(t, "hello alice")
	rng := rand.New(rand.NewPCG(1, 2))
	extremes := [][2]uint32{{0, 0}, {1, 1}, {65535, 65535}, {0xffffffff, 0xffffffff}, {0, 65535}, {65535, 0}}
	var peak uint64
	var ms runtime.MemStats
	for i := range n {
		w := [2]uint32{rng.Uint32N(400), rng.Uint32N(200)}
		if i%10 == 0 {
			w = extremes[(i/10)%len(extremes)]
		}
		if err := tm.sess.WindowChange(int(w[1]), int(w[0])); err != nil {
			t.Fatalf("window change %d: %v", i, err)
		}
		if i%500 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if err := tm.sess.WindowChange(24, 80); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(t, "width=80")
	tm.send(t, "x")
	tm.waitFor(t, "keys=1 width=80")

	// Resizes racing the end of the session must not strand the library's
	// request loop on a window channel nobody reads any more.
	for range 20 {
		c := h.mustDial(t, "bob")
		clients = append(clients, c)
		s := openTerminal(t, c)
		s.waitFor(t, "hello bob")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if s.sess.WindowChange(24, 80) != nil {
					return
				}
			}
		})
		s.send(t, "q")
		s.exit(t)
		close(stop)
		wg.Wait()
	}
	tm.send(t, "q")
	tm.exit(t)
	heapAfter := abuseHeap()
	t.Logf("%d resizes: heap before %s, peak seen %s, after %s", n, abuseMiB(heapBefore), abuseMiB(peak), abuseMiB(heapAfter))
	for _, c := range clients {
		c.Close()
	}
	if got := abuseSettle(base); got > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the storm, %d before:\n%s", got, base, buf[:runtime.Stack(buf, true)])
	}
}

// abuseKeys is n random keys: printable runes, controls, and escape
// sequences whole and cut short, never the model's quit, panic or suspend
// keys.
func abuseKeys(rng *rand.Rand, n int) []byte {
	seqs := []string{"\x1b[A", "\x1b[B", "\x1b[1;5C", "\x1b[200~", "\x1b[201~", "\x1b[", "\x1bO", "\x1b[99999999999999;",
		"\x1b]11;rgb:0000/0000/0000\x07", "\x1b[M", "\x1b[<0;1;1M", "\x1b", "\r", "\t", "\x7f", "\x00", "é", "\xff\xfe", "\u202e"}
	var b bytes.Buffer
	for range n {
		switch rng.IntN(3) {
		case 0:
			c := byte(' ' + rng.IntN(95))
			if c == 'q' || c == 'p' {
				c = 'k'
			}
			b.WriteByte(c)
		case 1:
			c := byte(rng.IntN(32))
			if c == 0x1a || c == 0x03 {
				c = 0x01
			}
			b.WriteByte(c)
		default:
			b.WriteString(seqs[rng.IntN(len(seqs))])
		}
	}
	return b.Bytes()
}

// TestAbuseKeyStorm sends random keys as fast as the connection takes
// them. A storm that fits the session's input buffer is taken (paced) and
// the session still answers; 100,000 keys at once are more than the buffer
// holds, so that session is ended with a line saying why. Another session
// never noticed either.
func TestAbuseKeyStorm(t *testing.T) {
	// A fast pace, so that the storm that fits is taken in well under a
	// second; pacing itself is TestInputIsPaced's.
	h := newHarness(t, func(c *Config, _ *Routes) { c.InputRate = 256 << 10 })
	other := openTerminal(t, h.mustDial(t, "bob"))
	other.waitFor(t, "hello bob")

	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")
	storm := abuseKeys(rand.New(rand.NewPCG(3, 4)), 20_000)
	if len(storm) > maxBufferedInput-1024 {
		t.Fatalf("the storm that should fit is %d bytes", len(storm))
	}
	start := time.Now()
	tm.send(t, string(storm))
	// A bracketed paste left open would swallow what follows as text.
	tm.send(t, "\x1b[201~")
	t.Logf("%d bytes of keys written in %v", len(storm), time.Since(start).Round(time.Millisecond))
	// Still responsive: a resize is drawn and the quit key still quits.
	if err := tm.sess.WindowChange(24, 77); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(t, "width=77")
	tm.send(t, "q")
	if got := tm.exit(t); got != 0 {
		t.Errorf("storm session exit status %d, want 0", got)
	}

	flood := openTerminal(t, h.mustDial(t, "carol"))
	flood.waitFor(t, "hello carol")
	keys := abuseKeys(rand.New(rand.NewPCG(5, 6)), 100_000)
	// The server stops reading once it ends the session: the write may fail.
	go flood.in.Write(keys) //nolint:errcheck
	flood.waitFor(t, "more input came at once than a session takes")
	if got := flood.exit(t); got != 1 {
		t.Errorf("flooded session exit status %d, want 1", got)
	}
	t.Logf("%d bytes of keys at once: session ended", len(keys))

	other.send(t, "x")
	other.waitFor(t, "keys=1")
	other.send(t, "q")
	other.exit(t)
}

// TestAbuseClientNeverReads opens sessions that never read what the
// server writes while it is made to redraw (resizes and keys): the
// server's heap stays bounded and another user is served.
func TestAbuseClientNeverReads(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "warmup")
	openTerminal(t, c).waitFor(t, "hello warmup")
	c.Close()
	base := abuseSettle(0)
	heapBefore := abuseHeap()

	const stalled = 5
	var clients []*gossh.Client
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range stalled {
		c := h.mustDial(t, fmt.Sprintf("mute%d", i))
		clients = append(clients, c)
		ch := openStalled(t, c)
		// Never read ch. Wide windows make each frame large.
		wg.Go(func() {
			until(stop, func(n uint32) error {
				_, err := ch.SendRequest("window-change", false, abuseWindow(2000+n%1000, 500))
				return err
			})
		})
		wg.Go(func() {
			keys := bytes.Repeat([]byte("abc"), 1000)
			until(stop, func(uint32) error { _, err := ch.Write(keys); return err })
		})
	}

	var ms runtime.MemStats
	var peak uint64
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	during := abuseHeap()

	// Someone else gets in and is served while they are stuck.
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")
	tm.send(t, "x")
	tm.waitFor(t, "keys=1")
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	later := abuseHeap()
	t.Logf("%d sessions that never read: heap before %s, peak %s, live after 2 s %s, a little later %s",
		stalled, abuseMiB(heapBefore), abuseMiB(peak), abuseMiB(during), abuseMiB(later))
	// Each client buffers at most its 2 MiB channel window; the server must
	// not buffer frames without end. It grows while the windows fill, so
	// compare two points after they are full.
	if limit := heapBefore + uint64(stalled)*8<<20; later > limit {
		t.Errorf("heap %s with %d stalled sessions, want under %s", abuseMiB(later), stalled, abuseMiB(limit))
	}
	if later > during+4<<20 {
		t.Errorf("heap still growing: %s then %s", abuseMiB(during), abuseMiB(later))
	}

	tm.send(t, "q")
	tm.exit(t)
	close(stop)
	for _, c := range clients {
		c.Close()
	}
	wg.Wait()
	if got := abuseSettle(base); got > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after the stalled sessions closed, %d before:\n%s", got, base, buf[:runtime.Stack(buf, true)])
	}
	t.Logf("heap after they closed %s", abuseMiB(abuseHeap()))
}

// TestAbuseRefusedRequests extends TestRefusedChannelsAndRequests with
// what it leaves out: agent and X11 channels, x11-req, huge exec command
// lines and env floods. Each is refused or bounded and the connection goes
// on to serve its session.
func TestAbuseRefusedRequests(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "alice")
	for _, kind := range []string{"auth-agent@openssh.com", "x11", "direct-streamlocal@openssh.com", "forwarded-tcpip"} {
		if ch, _, err := c.OpenChannel(kind, nil); err == nil {
			ch.Close()
			t.Errorf("%s channel accepted", kind)
		}
	}
	for _, req := range []string{"tcpip-forward", "streamlocal-forward@openssh.com", "cancel-tcpip-forward"} {
		if ok, _, err := c.SendRequest(req, true, gossh.Marshal(struct {
			Addr string
			Port uint32
		}{"127.0.0.1", 0})); ok || err != nil {
			t.Errorf("global request %s: ok=%v err=%v", req, ok, err)
		}
	}

	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := sess.SendRequest("x11-req", true, gossh.Marshal(struct {
		Single        bool
		Proto, Cookie string
		Screen        uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})); ok || err != nil {
		t.Errorf("x11-req: ok=%v err=%v", ok, err)
	}
	heapBefore := abuseHeap()
	huge := strings.Repeat("v", 200<<10)
	accepted := 0
	for i := range 5000 {
		name, value := fmt.Sprintf("LC_%d", i), "x"
		if i < 2*maxEnvRequests && i%2 == 0 {
			value = huge
		}
		if i%1000 == 999 {
			name = huge
		}
		if sess.Setenv(name, value) == nil {
			accepted++
		}
	}
	heapEnv := abuseHeap()
	t.Logf("5,000 env requests (%d with 200 KiB values, 5 with 200 KiB names): %d accepted; heap %s -> %s",
		maxEnvRequests, accepted, abuseMiB(heapBefore), abuseMiB(heapEnv))
	if accepted == 0 || accepted > maxEnvRequests {
		t.Errorf("%d env requests accepted, want some and at most %d", accepted, maxEnvRequests)
	}
	if heapEnv > heapBefore+2<<20 {
		t.Errorf("env requests grew the heap from %s to %s", abuseMiB(heapBefore), abuseMiB(heapEnv))
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	tm := startShell(t, sess)
	tm.waitFor(t, "hello alice")
	tm.send(t, "q")
	if got := tm.exit(t); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}

	// Long command lines: a client's is refused whatever its length (the
	// library's splitting of a 100 KiB word took seconds of CPU), and so is
	// a staff member's past the staff limit.
	tests := []struct {
		user   string
		auth   gossh.AuthMethod
		size   int
		status int // -1: the exec request itself is refused
	}{
		{"alice", gossh.PublicKeys(newSigner(t)), 100, 1},
		{"alice", gossh.PublicKeys(newSigner(t)), 100 << 10, -1},
		{"invite-abc", gossh.PublicKeys(newSigner(t)), 200 << 10, -1},
		{vocab.StaffUser, gossh.PublicKeys(h.staff), 20 << 10, 0},
		{vocab.StaffUser, gossh.PublicKeys(h.staff), 200 << 10, -1},
	}
	for _, tt := range tests {
		s, err := h.mustDial(t, tt.user, tt.auth).NewSession()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		long := strings.Repeat("x", tt.size)
		out, err := s.CombinedOutput(long)
		took := time.Since(start)
		if tt.status < 0 {
			// x/crypto reports a refused exec as "ssh: command … failed".
			if err == nil || !strings.HasPrefix(err.Error(), "ssh: command ") || !strings.HasSuffix(err.Error(), " failed") {
				t.Errorf("%s: %d-byte exec: %.100v, want the request refused", tt.user, tt.size, err)
			}
		} else if got := exitStatus(t, err); got != tt.status {
			t.Errorf("%s: %d-byte exec exit status %d, want %d", tt.user, tt.size, got, tt.status)
		}
		if tt.status != 0 && len(out) > 1024 {
			t.Errorf("%s: %d-byte exec answered with %d bytes", tt.user, tt.size, len(out))
		}
		// Refused or answered, never left hanging (a bound, not a speed:
		// the race detector on two busy cores is slow).
		if took > 15*time.Second {
			t.Errorf("%s: %d-byte exec took %v", tt.user, tt.size, took)
		}
	}
	h.logs.mu.Lock()
	defer h.logs.mu.Unlock()
	for _, r := range h.logs.records {
		for k, v := range r {
			if len(v) > 1024 {
				t.Errorf("log %q has a %d-byte %s", r["msg"], len(v), k)
			}
		}
	}
}

// abusePeakHeap samples the heap until stop is closed and returns the
// highest value seen.
func abusePeakHeap(stop <-chan struct{}) <-chan uint64 {
	peak := make(chan uint64, 1)
	go func() {
		var ms runtime.MemStats
		var top uint64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapAlloc)
			select {
			case <-stop:
				peak <- top
				return
			case <-tick.C:
			}
		}
	}()
	return peak
}

// TestAbuseInputFloods sends megabytes of input the way a paste arrives:
// letters with nothing between them, and a bracketed paste that does not
// end. Bubble Tea's input loop would keep all of it unparsed, re-scanning
// it on every read. The paste is cut to its limit and the session goes on;
// the letters pass the session's input buffer, so the session is ended with
// a line saying why. Either way the heap stays small.
func TestAbuseInputFloods(t *testing.T) {
	size := 8 << 20
	if testing.Short() {
		size = 2 << 20
	}
	tests := []struct {
		name       string
		head, tail string
		fill       byte
		ended      bool // the flood ends the session
	}{
		{"letters", "", "", 'a', true},
		{"unterminated paste", "\x1b[200~", "\x1b[201~", 'b', false},
	}
	chunk := bytes.Repeat([]byte{0}, 32<<10)
	h := newHarness(t, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := openTerminal(t, h.mustDial(t, "alice"))
			tm.waitFor(t, "hello alice")
			before := abuseHeap()
			stop := make(chan struct{})
			peak := abusePeakHeap(stop)
			start := time.Now()
			written := make(chan error, 1)
			go func() {
				written <- abuseFlood(tm.in, tt.head, tt.tail, tt.fill, size, chunk)
			}()
			if tt.ended {
				tm.waitFor(t, "more input came at once than a session takes")
				if got := tm.exit(t); got != 1 {
					t.Errorf("exit status %d, want 1", got)
				}
				<-written // ends with the session, having written a part
			} else {
				select {
				case err := <-written:
					if err != nil {
						t.Fatalf("write: %v", err)
					}
				case <-time.After(30 * time.Second):
					t.Fatalf("the server took only part of %d bytes in 30 s", size)
				}
				width := 70 + i
				if err := tm.sess.WindowChange(24, width); err != nil {
					t.Fatal(err)
				}
				tm.waitFor(t, fmt.Sprintf("width=%d", width))
				tm.send(t, "q") // after everything sent, so it is read last
				if got := tm.exit(t); got != 0 {
					t.Errorf("exit status %d, want 0", got)
				}
			}
			close(stop)
			top := <-peak
			t.Logf("%d bytes sent, session over in %v; heap %s, peak %s",
				len(tt.head)+size+len(tt.tail), time.Since(start).Round(time.Millisecond), abuseMiB(before), abuseMiB(top))
			if top > before+32<<20 {
				t.Errorf("heap peaked at %s from %s", abuseMiB(top), abuseMiB(before))
			}
		})
	}
}

// abuseFlood writes head, size bytes of fill and tail, in chunks of buf
// so that the flood itself costs the test no memory.
func abuseFlood(w io.Writer, head, tail string, fill byte, size int, buf []byte) error {
	for i := range buf {
		buf[i] = fill
	}
	if _, err := io.WriteString(w, head); err != nil {
		return fmt.Errorf("flood head: %w", err)
	}
	for size > 0 {
		n, err := w.Write(buf[:min(size, len(buf))])
		if err != nil {
			return fmt.Errorf("flood: %w", err)
		}
		size -= n
	}
	if _, err := io.WriteString(w, tail); err != nil {
		return fmt.Errorf("flood tail: %w", err)
	}
	return nil
}
