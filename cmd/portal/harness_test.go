package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	charmlog "github.com/charmbracelet/log"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/pflag"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/config"
	"github.com/clientportal/portal/internal/store/dbtest"
)

// portalServer is a whole portal (the same serve the binary runs) on a
// 127.0.0.1 port with its own data and host key directories.
type portalServer struct {
	addr     string
	dataDir  string
	keyDir   string
	admin    gossh.Signer
	adminKey string // the admin's private key file (OpenSSH format), for ssh -i
	db       string // the --db URL on PostgreSQL; empty on SQLite (the file in dataDir)
	stop     func()
}

// newSigner makes an ed25519 key and returns it with its OpenSSH private
// key file written into dir.
func newSigner(t testing.TB, dir, name string) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return signer, path
}

// startPortal runs serve in this process with flags args (plus the test's
// own data, host key and listen settings) until the test ends.
func startPortal(t testing.TB, args ...string) *portalServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return startPortalWithLog(t, log, args...)
}

// startPortalLogged is startPortal with the server's log written to w in
// the binary's own format (debug level included), for tests that check
// what reaches the log.
func startPortalLogged(t testing.TB, w io.Writer, args ...string) *portalServer {
	t.Helper()
	h := charmlog.NewWithOptions(w, charmlog.Options{ReportTimestamp: true, TimeFormat: time.DateTime, Level: charmlog.DebugLevel})
	return startPortalWithLog(t, slog.New(h), args...)
}

func startPortalWithLog(t testing.TB, log *slog.Logger, args ...string) *portalServer {
	t.Helper()
	root := t.TempDir()
	ps := &portalServer{dataDir: filepath.Join(root, "data"), keyDir: filepath.Join(root, "hostkeys")}
	ps.admin, ps.adminKey = newSigner(t, root, "admin_ed25519")
	adminLine := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(ps.admin.PublicKey()))) + " ann@laptop"

	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg := config.Bind(fs, func(string) string { return "" })
	all := []string{"--listen", "127.0.0.1:0", "--data", ps.dataDir, "--host-keys", ps.keyDir,
		"--initial-admin-key", adminLine, "--public-addr", "127.0.0.1:2222"}
	if i := slices.Index(args, "--db"); i >= 0 && i+1 < len(args) {
		ps.db = args[i+1] // the test's own database
	} else if dbtest.Backend() == dbtest.Postgres {
		ps.db = dbtest.DSN(t)
		all = append(all, "--db", ps.db)
	}
	all = append(all, args...)
	if err := fs.Parse(all); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		ps.addr = a.String()
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	var once sync.Once
	ps.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v", err)
			}
		})
	}
	t.Cleanup(ps.stop)
	return ps
}

func (ps *portalServer) port() string {
	_, port, _ := net.SplitHostPort(ps.addr)
	return port
}

func (ps *portalServer) dial(t testing.TB, user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	t.Helper()
	if len(auth) == 0 {
		auth = []gossh.AuthMethod{noQuestions()}
	}
	return gossh.Dial("tcp", ps.addr, &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// noQuestions is keyboard-interactive answering nothing: how clients
// without a key get in.
func noQuestions() gossh.AuthMethod {
	return gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })
}

// staff runs one staff command and returns its stdout, stderr and exit status.
func (ps *portalServer) staff(t testing.TB, signer gossh.Signer, stdin string, args ...string) (string, string, int) {
	t.Helper()
	c, err := ps.dial(t, "portal-admin", gossh.PublicKeys(signer))
	if err != nil {
		t.Fatalf("staff dial: %v", err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &out, &errOut, strings.NewReader(stdin)
	err = s.Run(shellJoin(args))
	return out.String(), errOut.String(), exitStatus(t, err)
}

// startStaff starts command on portal-admin as the staff key signer, its
// input left open for the test to write, its output dropped and its
// stderr kept; the connection closes when the test ends.
func (ps *portalServer) startStaff(t testing.TB, signer gossh.Signer, command string) (*gossh.Session, io.WriteCloser, *syncBuffer) {
	t.Helper()
	c, err := ps.dial(t, "portal-admin", gossh.PublicKeys(signer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	s.Stdout, s.Stderr = io.Discard, stderr
	if err := s.Start(command); err != nil {
		t.Fatal(err)
	}
	return s, stdin, stderr
}

func (ps *portalServer) admin1(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := ps.staff(t, ps.admin, "", args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	return out
}

func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

func exitStatus(t testing.TB, err error) int {
	t.Helper()
	var ee *gossh.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitStatus()
	}
	t.Fatalf("session: %v", err)
	return -1
}

// terminal is a client session with a PTY, read as plain text.
type terminal struct {
	t    testing.TB
	c    *gossh.Client
	s    *gossh.Session
	in   io.WriteCloser
	out  *syncBuffer
	mark int
	done chan error
}

func (ps *portalServer) openTerminal(t testing.TB, user string) *terminal {
	t.Helper()
	return ps.openTerminalSized(t, user, 80, 24)
}

// openTerminalSized opens a session with a cols x rows PTY as user, with
// auth (keyboard-interactive with no questions when none is given).
func (ps *portalServer) openTerminalSized(t testing.TB, user string, cols, rows int, auth ...gossh.AuthMethod) *terminal {
	t.Helper()
	return ps.openTerminalWith(t, user, cols, rows, nil, auth...)
}

// openTerminalEnv opens an 80x24 session that first sends env
// ("NAME=value"), as OpenSSH does for its SendEnv variables.
func (ps *portalServer) openTerminalEnv(t testing.TB, user string, env ...string) *terminal {
	t.Helper()
	return ps.openTerminalWith(t, user, 80, 24, env)
}

func (ps *portalServer) openTerminalWith(t testing.TB, user string, cols, rows int, env []string, auth ...gossh.AuthMethod) *terminal {
	t.Helper()
	c, err := ps.dial(t, user, auth...)
	if err != nil {
		t.Fatalf("dial %s: %v", user, err)
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if err := s.Setenv(name, value); err != nil {
			t.Fatalf("setenv %s: %v", name, err)
		}
	}
	if err := s.RequestPty("xterm-256color", rows, cols, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	tm := &terminal{t: t, c: c, s: s, out: &syncBuffer{}, done: make(chan error, 1)}
	s.Stdout, s.Stderr = tm.out, tm.out
	if tm.in, err = s.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { tm.done <- s.Wait() }()
	t.Cleanup(func() { _ = c.Close() })
	return tm
}

// screenText is everything received since the mark, without escape
// sequences.
func (tm *terminal) screenText() string {
	return ansi.Strip(tm.out.String()[tm.mark:])
}

// waitFor waits until text appears after the mark, then moves the mark past
// everything received so far.
func (tm *terminal) waitFor(text string) {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(tm.screenText(), text) {
			tm.mark = tm.out.Len()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.t.Fatalf("waited for %q; screen since mark:\n%s", text, tm.screenText())
}

// appears reports whether text appears after the mark within d, leaving
// the mark where it is.
func (tm *terminal) appears(text string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(tm.screenText(), text) {
			return true
		}
	}
	return false
}

// send types keys; Enter is "\r", Tab "\t".
func (tm *terminal) send(keys string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.in, keys); err != nil {
		tm.t.Fatalf("send: %v", err)
	}
}

// fill types each value followed by Enter, pausing so each keystroke batch
// is read as typing rather than one paste.
func (tm *terminal) fill(values ...string) {
	tm.t.Helper()
	for _, v := range values {
		tm.send(v)
		time.Sleep(30 * time.Millisecond)
		tm.send("\r")
		time.Sleep(30 * time.Millisecond)
	}
}

// ended waits for the session to end and returns its exit status.
func (tm *terminal) ended() int {
	tm.t.Helper()
	select {
	case err := <-tm.done:
		return exitStatus(tm.t, err)
	case <-time.After(15 * time.Second):
		tm.t.Fatalf("session did not end; screen:\n%s", tm.screenText())
	}
	return -1
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

// sentMail is one message the embedded mailer wrote into DATA/mail.
type sentMail struct {
	To, Subject, Body string
}

// mails reads every .eml file, decoding headers and quoted-printable bodies
// as a mail client would.
func (ps *portalServer) mails(t testing.TB) []sentMail {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(ps.dataDir, "mail", "*.eml"))
	sort.Strings(files)
	var out []sentMail
	dec := new(mime.WordDecoder)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s is not an RFC 5322 message: %v", f, err)
		}
		var body []byte
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body, err = io.ReadAll(quotedprintable.NewReader(m.Body))
		} else {
			body, err = io.ReadAll(m.Body)
		}
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := dec.DecodeHeader(m.Header.Get("Subject"))
		to, _ := mail.ParseAddress(m.Header.Get("To"))
		addr := m.Header.Get("To")
		if to != nil {
			addr = to.Address
		}
		out = append(out, sentMail{To: addr, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	}
	return out
}

// waitMail waits for a new mail to addr whose subject contains subject.
func (ps *portalServer) waitMail(t testing.TB, addr, subject string, seen int) sentMail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		n := 0
		for _, m := range ps.mails(t) {
			if strings.EqualFold(m.To, addr) && strings.Contains(m.Subject, subject) {
				n++
				if n > seen {
					return m
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no mail %q to %s in %s", subject, addr, filepath.Join(ps.dataDir, "mail"))
	return sentMail{}
}

// inviteToken is the TOKEN of the invite-TOKEN@host command in a mail.
func inviteToken(t testing.TB, body string) string {
	t.Helper()
	i := strings.Index(body, "invite-")
	j := strings.Index(body[max(i, 0):], "@")
	if i < 0 || j < 0 {
		t.Fatalf("no invitation command in:\n%s", body)
	}
	return body[i+len("invite-") : i+j]
}

// mailCode is the XXXX-XXXX code in a mail.
func mailCode(t testing.TB, body string) string {
	t.Helper()
	for _, f := range strings.Fields(body) {
		if len(f) == 9 && f[4] == '-' {
			return f
		}
	}
	t.Fatalf("no code in:\n%s", body)
	return ""
}

// requireTool skips when a tool is missing, except in CI where the test
// must run: .ci/run installs it.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; .ci/run should install it", name)
		}
		t.Skipf("%s is not installed: skipping (install it to run this test)", name)
	}
	return path
}

func ansiFree(s string) string { return ansi.Strip(s) }

// acceptInvitation opens the invitation's ready command for the client
// named name, sets firstPassword and waits for the home screen.
func (ps *portalServer) acceptInvitation(t testing.TB, token, name string) *terminal {
	t.Helper()
	tm := ps.openTerminal(t, "invite-"+token)
	tm.waitFor("Welcome, " + name)
	tm.fill(firstPassword, firstPassword)
	tm.waitFor("Hello, " + name)
	return tm
}

// invitedClient adds a client by the staff command and accepts the
// invitation mailed to them: a client at home, with firstPassword.
func (ps *portalServer) invitedClient(t testing.TB, email, name string) *terminal {
	t.Helper()
	ps.admin1(t, "clients", "add", "--email", email, "--name", name)
	return ps.acceptInvitation(t, inviteToken(t, ps.waitMail(t, email, subjInvitation, 0).Body), name)
}

// logIn logs in with email and firstPassword from the welcome screen of a
// new session, and waits for the home screen of the client named name.
func (ps *portalServer) logIn(t testing.TB, email, name string) *terminal {
	t.Helper()
	tm := ps.openTerminal(t, strings.SplitN(email, "@", 2)[0])
	tm.waitFor("Accept invitation")
	tm.send("l")
	tm.waitFor("Log in with the email")
	tm.fill(email, firstPassword)
	tm.waitFor("Hello, " + name)
	return tm
}
