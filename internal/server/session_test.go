package server

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/tui/ui"
)

func TestFirstFrameWithoutAnyKey(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		user, want string
	}{
		{"alice", `hello alice token=""`},
		{"invite-AbC123", `hello invite-AbC123 token="abc123"`},
		{"invite-bad!chars", `hello invite-bad!chars token="bad!chars"`},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			tm := openTerminal(t, h.mustDial(t, tt.user))
			// No key is sent and nothing answers terminal queries.
			tm.waitFor(t, tt.want)
			tm.waitFor(t, "width=80")
			tm.send(t, "q")
			if got := tm.exit(t); got != 0 {
				t.Errorf("exit status %d, want 0", got)
			}
			if out := tm.out.String(); !strings.Contains(out, "\x1b[?1049l") {
				t.Errorf("alt screen not left: %q", out)
			}
		})
	}
}

func TestClientWithoutTerminal(t *testing.T) {
	h := newHarness(t, nil)
	const want = "This portal needs a terminal: connect with ssh -t -p 2222 host\n"
	tests := []struct {
		name string
		run  func(*gossh.Session) ([]byte, error)
	}{
		{"shell without pty", func(s *gossh.Session) ([]byte, error) {
			var out syncBuffer
			s.Stdout, s.Stderr = &out, &out
			if err := s.Shell(); err != nil {
				return nil, err
			}
			err := s.Wait()
			return []byte(out.String()), err
		}},
		{"command without pty", func(s *gossh.Session) ([]byte, error) { return s.CombinedOutput("ls") }},
		{"command with pty", func(s *gossh.Session) ([]byte, error) {
			if err := s.RequestPty("xterm", 24, 80, nil); err != nil {
				return nil, err
			}
			return s.CombinedOutput("ls")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, err := h.mustDial(t, "alice").NewSession()
			if err != nil {
				t.Fatal(err)
			}
			out, err := tt.run(sess)
			if got := exitStatus(t, err); got != 1 {
				t.Errorf("exit status %d, want 1", got)
			}
			if got := strings.ReplaceAll(string(out), "\r\n", "\n"); got != want {
				t.Errorf("output %q, want %q", got, want)
			}
		})
	}
}

func TestRefusedChannelsAndRequests(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "alice")

	if conn, err := c.Dial("tcp", "127.0.0.1:1"); err == nil {
		conn.Close()
		t.Error("direct-tcpip channel accepted")
	}
	if ln, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
		t.Error("tcpip-forward accepted")
	}

	first, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if ok, err := first.SendRequest("auth-agent-req@openssh.com", true, nil); err != nil || ok {
		t.Errorf("agent forwarding: ok=%v err=%v", ok, err)
	}
	if err := first.RequestSubsystem("sftp"); err == nil {
		t.Error("subsystem accepted")
	}
	if second, err := c.NewSession(); err == nil {
		second.Close()
		t.Error("second session channel accepted")
	}
}

func TestSessionsPerAddress(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Routes) { c.MaxSessionsPerAddress = 2 })
	var open []*terminal
	for range 2 {
		tm := openTerminal(t, h.mustDial(t, "alice"))
		tm.waitFor(t, "hello alice")
		open = append(open, tm)
	}
	over := openTerminal(t, h.mustDial(t, "alice"))
	over.waitFor(t, "Too many sessions from your address")
	if got := over.exit(t); got != 1 {
		t.Errorf("exit status %d, want 1", got)
	}

	open[0].send(t, "q")
	open[0].exit(t)
	again := openTerminal(t, h.mustDial(t, "alice"))
	again.waitFor(t, "hello alice")
}

// rawConn opens a TCP connection that never speaks SSH and reads what the
// server sends until it closes.
type rawConn struct {
	conn   net.Conn
	closed chan struct{}
	mu     sync.Mutex
	got    []byte
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return watchRaw(t, conn)
}

// watchRaw collects what the server sends on conn until it closes.
func watchRaw(t *testing.T, conn net.Conn) *rawConn {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	r := &rawConn{conn: conn, closed: make(chan struct{})}
	go func() {
		defer close(r.closed)
		buf := make([]byte, 512)
		for {
			n, err := conn.Read(buf)
			r.mu.Lock()
			r.got = append(r.got, buf[:n]...)
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *rawConn) received() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.got)
}

func (r *rawConn) waitBanner(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(r.received(), "SSH-2.0-") {
		if time.Now().After(deadline) {
			t.Fatalf("no SSH banner, got %q", r.received())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestUnauthenticatedPerAddress(t *testing.T) {
	h := newHarness(t, nil)
	var silent []*rawConn
	for range DefaultMaxUnauthenticatedPerAddress {
		r := dialRaw(t, h.addr)
		r.waitBanner(t)
		silent = append(silent, r)
	}
	extra := dialRaw(t, h.addr)
	select {
	case <-extra.closed:
		if got := extra.received(); got != "" {
			t.Errorf("refused connection was sent %q", got)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("11th unauthenticated connection was not closed at once")
	}

	// A slot frees when one of them goes away.
	silent[0].conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := dialRaw(t, h.addr)
		select {
		case <-r.closed:
			if time.Now().After(deadline) {
				t.Fatal("slot never freed")
			}
			continue
		case <-time.After(200 * time.Millisecond):
		}
		r.waitBanner(t)
		return
	}
}

func TestHandshakeDeadline(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Routes) {
		c.HandshakeTimeout = 300 * time.Millisecond
		c.IdleTimeout = time.Minute
	})
	start := time.Now()
	r := dialRaw(t, h.addr)
	r.waitBanner(t)
	select {
	case <-r.closed:
		if took := time.Since(start); took < 250*time.Millisecond {
			t.Errorf("closed after %v, before the deadline", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("silent connection outlived the handshake deadline")
	}

	// The deadline is lifted once the session starts.
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")
	time.Sleep(600 * time.Millisecond)
	tm.send(t, "x")
	tm.waitFor(t, "keys=1")
	tm.send(t, "q")
	if got := tm.exit(t); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
}

func TestIdleTimeoutCountsKeystrokesOnly(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Routes) { c.IdleTimeout = 300 * time.Millisecond })

	quiet := openTerminal(t, h.mustDial(t, "alice"))
	busy := openTerminal(t, h.mustDial(t, "bob"))
	quiet.waitFor(t, "hello alice")
	busy.waitFor(t, "hello bob")

	for range 10 {
		time.Sleep(100 * time.Millisecond)
		busy.send(t, "k")
	}
	quiet.waitFor(t, "Session ended after 300ms without a keystroke.")
	if got := quiet.exit(t); got != 1 {
		t.Errorf("idle session exit status %d, want 1", got)
	}
	if out := quiet.out.String(); strings.LastIndex(out, "\x1b[?1049l") > strings.LastIndex(out, "Session ended") {
		t.Errorf("message written before the terminal was restored: %q", out)
	}
	busy.waitFor(t, "keys=10")
	busy.send(t, "q")
	if got := busy.exit(t); got != 0 {
		t.Errorf("busy session exit status %d, want 0", got)
	}
}

func TestMaxSessionTime(t *testing.T) {
	h := newHarness(t, func(c *Config, _ *Routes) { c.MaxSessionTime = 400 * time.Millisecond })
	tm := openTerminal(t, h.mustDial(t, "alice"))
	for range 8 {
		time.Sleep(100 * time.Millisecond)
		// Typing does not extend it; writes fail once it has ended.
		_, _ = io.WriteString(tm.in, "k")
	}
	tm.waitFor(t, "Session ended: a session lasts at most 400ms.")
	if got := tm.exit(t); got != 1 {
		t.Errorf("exit status %d, want 1", got)
	}
}

func TestPanicInModelStaysInItsSession(t *testing.T) {
	h := newHarness(t, nil)
	bad := openTerminal(t, h.mustDial(t, "alice"))
	bad.waitFor(t, "hello alice")
	bad.send(t, "p")
	bad.waitFor(t, "Something went wrong on our side")
	if got := bad.exit(t); got != 1 {
		t.Errorf("exit status %d, want 1", got)
	}
	if h.logs.find("panic in session program", "in", "Update") == nil {
		t.Error("panic not logged")
	}

	good := openTerminal(t, h.mustDial(t, "bob"))
	good.waitFor(t, "hello bob")
	good.send(t, "q")
	good.exit(t)
}

func TestPanicInRouteStaysInItsSession(t *testing.T) {
	h := newHarness(t, func(_ *Config, r *Routes) {
		client := r.Client
		r.Client = func(sess ui.Session, token string) tea.Model {
			if sess.User == "boom" {
				panic("route panic")
			}
			return client(sess, token)
		}
	})
	bad := openTerminal(t, h.mustDial(t, "boom"))
	bad.waitFor(t, "Something went wrong on our side")
	if got := bad.exit(t); got != 1 {
		t.Errorf("exit status %d, want 1", got)
	}
	good := openTerminal(t, h.mustDial(t, "bob"))
	good.waitFor(t, "hello bob")
}

func TestSuspendIsIgnored(t *testing.T) {
	h := newHarness(t, nil)
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")
	tm.send(t, "\x1a") // ctrl+z: the model answers tea.Suspend
	tm.send(t, "x")
	tm.waitFor(t, "keys=1")
	tm.send(t, "q")
	if got := tm.exit(t); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
}

type recordingObserver struct {
	mu      sync.Mutex
	started []ui.Session
	ended   []string
}

func (o *recordingObserver) SessionStarted(s ui.Session) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, s)
}

func (o *recordingObserver) SessionEnded(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = append(o.ended, id)
}

func TestEndFromOutside(t *testing.T) {
	obs := &recordingObserver{}
	h := newHarness(t, func(_ *Config, r *Routes) { r.Sessions = obs })
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")

	obs.mu.Lock()
	sess := obs.started[0]
	obs.mu.Unlock()
	if sess.User != "alice" || sess.ID == "" || sess.Renderer == nil || sess.Context == nil {
		t.Fatalf("ui.Session not filled: %+v", sess)
	}
	var wg sync.WaitGroup
	for range 3 { // from several goroutines, more than once
		wg.Go(sess.End)
	}
	wg.Wait()
	tm.waitFor(t, "Session ended: your password was changed")
	if got := tm.exit(t); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
	select {
	case <-sess.Context.Done():
	case <-time.After(time.Second):
		t.Error("session context not done")
	}
	sess.End()
	deadline := time.Now().Add(5 * time.Second)
	for {
		obs.mu.Lock()
		n := len(obs.ended)
		obs.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("observer not told the session ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestShutdownRestoresTerminals(t *testing.T) {
	h := newHarness(t, nil)
	tm := openTerminal(t, h.mustDial(t, "alice"))
	tm.waitFor(t, "hello alice")
	// The client keeps its connection open after its session ends: Shutdown
	// must not wait out the usual linger for it.
	ctx, cancel := context.WithTimeout(context.Background(), lingerAfterSession/2)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(t, "\x1b[?1049l")
	tm.waitFor(t, "The portal is stopping or restarting")
	if got := tm.exit(t); got != 1 {
		t.Errorf("exit status %d, want 1", got)
	}
	if _, err := h.dial("alice", gossh.PublicKeys(newSigner(t))); err == nil {
		t.Error("dial after shutdown worked")
	}
}

// When Shutdown's context ends before the connections have closed, it
// closes them itself and says so.
func TestShutdownPastItsDeadlineClosesConnections(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "alice")
	tm := openTerminal(t, c)
	tm.waitFor(t, "hello alice")
	idle := h.mustDial(t, "bob") // connected, no session yet
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with its context ended = %v, want context.Canceled", err)
	}
	select {
	case <-tm.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the session's connection is still open after Shutdown gave up")
	}
	waited := make(chan error, 1)
	go func() { waited <- idle.Wait() }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("a connection without a session is still open after Shutdown gave up")
	}
}

// Shutdown while clients are mid-handshake: each connection either gets in
// before the drain (and is ended by it) or is refused; Shutdown returns in
// time, and under -race nothing races (charmbracelet/ssh's own Shutdown
// did, when a handshake finished as it began to wait).
func TestShutdownWhileClientsConnect(t *testing.T) {
	h := newHarness(t, nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var connected atomic.Int64
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := h.dial("alice", gossh.PublicKeys(newSigner(t)))
				if err != nil {
					continue
				}
				connected.Add(1)
				if sess, err := c.NewSession(); err == nil {
					_ = sess.Run("hello")
				}
				c.Close()
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); connected.Load() < 20; {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("only %d clients got in before the deadline", connected.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.srv.Shutdown(ctx)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("shutdown with clients connecting: %v", err)
	}
	if _, err := h.dial("alice", gossh.PublicKeys(newSigner(t))); err == nil {
		t.Error("dial after shutdown worked")
	}
}

func TestGoroutinesReturnAfterSessions(t *testing.T) {
	h := newHarness(t, nil)
	session := func(abrupt bool) {
		c, err := h.dial("alice", gossh.PublicKeys(newSigner(t)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		tm := openTerminal(t, c)
		tm.waitFor(t, "hello alice")
		if abrupt {
			c.Close() // the client just goes away
			<-tm.done
			return
		}
		tm.send(t, "q")
		tm.exit(t)
	}
	session(false) // warm up lazily started goroutines
	settle := func(limit int) int {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= limit || time.Now().After(deadline) {
				return n
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	base := settle(0)

	for i := range 30 {
		session(i%2 == 0)
	}
	if n := settle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after sessions, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestProfileFromTERM(t *testing.T) {
	tests := []struct {
		term string
		env  []string
		want termenv.Profile
	}{
		{"", nil, termenv.Ascii},
		{"dumb", nil, termenv.Ascii},
		{"xterm-256color", []string{"NO_COLOR=1"}, termenv.Ascii},
		{"xterm-256color", nil, termenv.ANSI256},
		{"xterm-256color", []string{"COLORTERM=truecolor"}, termenv.TrueColor},
		{"xterm", []string{"COLORTERM=24bit"}, termenv.TrueColor},
		{"xterm", nil, termenv.ANSI},
		{"vt100", []string{"NO_COLOR="}, termenv.ANSI},
	}
	for _, tt := range tests {
		if got := profileFromTERM(tt.term, tt.env); got != tt.want {
			t.Errorf("profileFromTERM(%q, %q) = %v, want %v", tt.term, tt.env, got, tt.want)
		}
	}
}

func BenchmarkFirstFrame(b *testing.B) {
	h := newHarness(b, func(c *Config, r *Routes) {
		r.Client = func(ui.Session, string) tea.Model { return trivialModel{} }
	})
	key := gossh.PublicKeys(newSigner(b))
	b.ResetTimer()
	for b.Loop() {
		c, err := h.dial("alice", key)
		if err != nil {
			b.Fatal(err)
		}
		sess, err := c.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		if err := sess.RequestPty("xterm-256color", 24, 80, nil); err != nil {
			b.Fatal(err)
		}
		out, err := sess.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := sess.Shell(); err != nil {
			b.Fatal(err)
		}
		if err := readUntil(out, "ready"); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

type trivialModel struct{}

func (trivialModel) Init() tea.Cmd                       { return nil }
func (trivialModel) Update(tea.Msg) (tea.Model, tea.Cmd) { return trivialModel{}, nil }
func (trivialModel) View() string                        { return "ready" }

func readUntil(r io.Reader, want string) error {
	var seen []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		seen = append(seen, buf[:n]...)
		if strings.Contains(string(seen), want) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestLogUserHidesInvitationTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"invite-abcdefghijklmnopqrstuvwxyz234567", "invite-…"},
		{"ann", "ann"},
		{"evil\x1b[2J", "evil[2J"},
		{strings.Repeat("x", 500), strings.Repeat("x", 64)},
	}
	for _, tt := range tests {
		if got := logUser(tt.in); got != tt.want {
			t.Errorf("logUser(%.20q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLimiterWithoutUnauthenticatedLimit(t *testing.T) {
	l := newLimiter(-1, 0)
	for i := 0; i < 100; i++ {
		if err := l.admit(&trackedConn{ip: "127.0.0.1"}); err != nil {
			t.Fatalf("connection %d refused with no limit: %v", i+1, err)
		}
	}
	l = newLimiter(2, 0)
	for i := 0; i < 2; i++ {
		if err := l.admit(&trackedConn{ip: "10.0.0.1"}); err != nil {
			t.Fatalf("a limit of 2 refused connection %d: %v", i+1, err)
		}
	}
	if err := l.admit(&trackedConn{ip: "10.0.0.1"}); !errors.Is(err, errTooManyUnauthenticated) {
		t.Fatalf("a limit of 2 must refuse the third, got %v", err)
	}
	if err := l.admit(&trackedConn{ip: "10.0.0.2"}); err != nil {
		t.Fatalf("another address has its own count, got %v", err)
	}
}

// After stopAdmitting nothing gets in, and idle is closed once the last
// admitted connection is gone: Shutdown relies on both.
func TestLimiterIdleAfterStop(t *testing.T) {
	l := newLimiter(0, 0)
	a, b := &trackedConn{ip: "10.0.0.1"}, &trackedConn{ip: "10.0.0.2"}
	for _, c := range []*trackedConn{a, b} {
		if err := l.admit(c); err != nil {
			t.Fatal(err)
		}
	}
	l.stopAdmitting()
	if err := l.admit(&trackedConn{ip: "10.0.0.3"}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("admit after stopAdmitting = %v, want net.ErrClosed", err)
	}
	idle := l.idle()
	l.forget(a)
	select {
	case <-idle:
		t.Fatal("idle with a connection still open")
	default:
	}
	l.forget(b)
	select {
	case <-idle:
	case <-time.After(5 * time.Second):
		t.Fatal("idle not closed once every connection is gone")
	}
	select {
	case <-l.idle():
	default:
		t.Fatal("idle on an empty limiter must be closed at once")
	}
}

func TestLocale(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{nil, ""},
		{[]string{"LANG=fr_CA.UTF-8"}, "fr_CA.UTF-8"},
		{[]string{"LANG=en_US.UTF-8", "LC_MESSAGES=fr_FR.UTF-8"}, "fr_FR.UTF-8"},
		{[]string{"LANG=en_US.UTF-8", "LC_MESSAGES=fr_FR", "LC_ALL=de_DE"}, "de_DE"},
		{[]string{"LANG=fr_FR", "LANG=en_GB"}, "en_GB"}, // a later env request wins
		{[]string{"LC_ALL=", "LANG=fr"}, "fr"},
	}
	for _, tt := range tests {
		if got := locale(tt.env); got != tt.want {
			t.Errorf("locale(%q) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
