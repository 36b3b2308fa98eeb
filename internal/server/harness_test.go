package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/tui/ui"
)

// harness is a real server on 127.0.0.1:0 with small test routes.
type harness struct {
	t     *testing.T
	srv   *Server
	addr  string
	staff gossh.Signer // the one registered staff key
	logs  *logCapture
}

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testRoutes(staff gossh.PublicKey) Routes {
	return Routes{
		StaffKeyKnown: func(_ context.Context, key gossh.PublicKey) bool {
			return bytes.Equal(key.Marshal(), staff.Marshal())
		},
		StaffCommand: func(s ssh.Session, _ gossh.PublicKey) int {
			cmd := s.Command()
			fmt.Fprintf(s, "staff ran %s\n", strings.Join(cmd, " "))
			if len(cmd) == 2 && cmd[0] == "exit" {
				var code int
				fmt.Sscan(cmd[1], &code)
				return code
			}
			return 0
		},
		Client: func(sess ui.Session, token string) tea.Model {
			if strings.HasPrefix(sess.User, "fill") {
				return &fillModel{}
			}
			return &helloModel{sess: sess, token: token}
		},
	}
}

func newHarness(t testing.TB, mod func(*Config, *Routes)) *harness {
	t.Helper()
	staff := newSigner(t)
	cfg := Config{
		HostKeyDir:       t.TempDir(),
		HandshakeTimeout: 5 * time.Second,
		ConnectHint:      "ssh -t -p 2222 host",
		// Tests open many handshakes at once; the global limit is tested
		// on its own.
		MaxStartups: Startups{Full: -1},
	}
	routes := testRoutes(staff.PublicKey())
	if mod != nil {
		mod(&cfg, &routes)
	}
	logs := &logCapture{}
	srv, err := New(cfg, routes, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	h := &harness{srv: srv, addr: ln.Addr().String(), staff: staff, logs: logs}
	if tt, ok := t.(*testing.T); ok {
		h.t = tt
	}
	return h
}

func (h *harness) clientConfig(user string, auth ...gossh.AuthMethod) *gossh.ClientConfig {
	return &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.FixedHostKey(h.srv.signer.PublicKey()),
		Timeout:         5 * time.Second,
	}
}

func (h *harness) dial(user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", h.addr, h.clientConfig(user, auth...))
}

func (h *harness) mustDial(t testing.TB, user string, auth ...gossh.AuthMethod) *gossh.Client {
	t.Helper()
	if len(auth) == 0 {
		auth = []gossh.AuthMethod{gossh.PublicKeys(newSigner(t))}
	}
	c, err := h.dial(user, auth...)
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// terminal is a client session with a PTY and a shell, its output collected.
type terminal struct {
	sess *gossh.Session
	in   io.WriteCloser
	out  *syncBuffer
	done chan error
}

func openTerminal(t testing.TB, c *gossh.Client) *terminal {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	return startShell(t, sess)
}

func startShell(t testing.TB, sess *gossh.Session) *terminal {
	t.Helper()
	out := &syncBuffer{}
	sess.Stdout, sess.Stderr = out, out
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	tm := &terminal{sess: sess, in: in, out: out, done: make(chan error, 1)}
	go func() { tm.done <- sess.Wait() }()
	return tm
}

func (tm *terminal) waitFor(t testing.TB, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(tm.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in output:\n%q", want, tm.out.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (tm *terminal) send(t testing.TB, keys string) {
	t.Helper()
	if _, err := io.WriteString(tm.in, keys); err != nil {
		t.Fatal(err)
	}
}

// exit waits for the session to end and returns its exit status.
func (tm *terminal) exit(t testing.TB) int {
	t.Helper()
	select {
	case err := <-tm.done:
		return exitStatus(t, err)
	case <-time.After(5 * time.Second):
		t.Fatalf("session did not end; output:\n%q", tm.out.String())
		return -1
	}
}

func exitStatus(t testing.TB, err error) int {
	t.Helper()
	var exitErr *gossh.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return exitErr.ExitStatus()
	default:
		t.Fatalf("session ended without a status: %v", err)
		return -1
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// helloModel is the tiny program the tests serve: it greets the user and
// counts keys; "q" quits, "p" panics, ctrl+z asks to suspend.
type helloModel struct {
	sess  ui.Session
	token string
	keys  int
	width int
	paste int // runes pasted, all pastes together
}

func (m *helloModel) Init() tea.Cmd { return nil }

func (m *helloModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case tea.KeyMsg:
		switch msg.String() {
		case "q":
			return m, tea.Quit
		case "p":
			panic("test panic")
		case "ctrl+z":
			return m, tea.Suspend
		default:
			// A run of letters read at once is one message; a paste is one key.
			m.keys += max(1, len(msg.Runes))
			if msg.Paste {
				m.keys -= max(1, len(msg.Runes)) - 1
				m.paste += len(msg.Runes)
			}
		}
	}
	return m, nil
}

func (m *helloModel) View() string {
	style := m.sess.Renderer.NewStyle().Bold(true)
	return style.Render(fmt.Sprintf("hello %s token=%q keys=%d width=%d pasted=%d.", m.sess.User, m.token, m.keys, m.width, m.paste))
}

// fillModel fills its whole window and counts the sizes it is given, so
// every resize draws a new full frame: with a large window a client that
// does not read soon has the server's output waiting for window space.
type fillModel struct {
	sizes, keys, width, height int
}

func (m *fillModel) Init() tea.Cmd { return nil }

func (m *fillModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.sizes++
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyMsg:
		m.keys++
	}
	return m, nil
}

func (m *fillModel) View() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fill sizes=%d keys=%d", m.sizes, m.keys)
	line := strings.Repeat("x", m.width)
	for range max(m.height-1, 0) {
		b.WriteString("\n")
		b.WriteString(line)
	}
	return b.String()
}

// logCapture is a slog.Handler that keeps records for assertions.
type logCapture struct {
	mu      sync.Mutex
	records []map[string]string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCapture) WithGroup(string) slog.Handler            { return l }

func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		rec[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, rec)
	return nil
}

func (l *logCapture) find(msg, key, value string) map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if r["msg"] == msg && r[key] == value {
			return r
		}
	}
	return nil
}
