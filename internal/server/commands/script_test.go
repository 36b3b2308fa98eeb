package commands_test

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
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	"github.com/rogpeppe/go-internal/testscript"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/server"
	"github.com/clientportal/portal/internal/server/commands"
	"github.com/clientportal/portal/tui/ui"
)

// TestScripts runs testdata/script/*.txtar: each script gets its own portal
// (a real SSH server on a 127.0.0.1 port, on a fresh database of the run:
// a SQLite file, or a PostgreSQL database), with the staff members ann
// (admin) and sam (support) registered by their own SSH keys. The scripts
// run the commands as staff type them and check what comes back; see
// scriptCommands for the commands they have beside testscript's own.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		Setup:               setupPortal,
		Cmds:                scriptCommands(),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

// portalKey finds a script's portal in its testscript values.
type portalKey struct{}

// scriptPortal is one script's portal, with what the script's commands
// remember between lines.
type scriptPortal struct {
	env      *portaltest.Env
	addr     string
	hostKey  string // the server's host key fingerprint, checked on every dial
	signers  map[string]gossh.Signer
	progress time.Duration // `clients import` progress interval, as the server configures it
	tb       testing.TB

	mu       sync.Mutex
	exitCode int              // of the last staff command
	ended    map[string]*bool // live sessions bound by `session`, by email
	sessions int              // how many `session` bound, for their IDs
	tickets  map[string]portal.SignUpTicket
}

func portalOf(ts *testscript.TestScript) *scriptPortal {
	return ts.Value(portalKey{}).(*scriptPortal)
}

// setupPortal starts the script's portal and registers its staff.
func setupPortal(e *testscript.Env) error {
	tb, ok := e.T().(testing.TB)
	if !ok {
		return errors.New("scripts need a *testing.T")
	}
	env := portaltest.New(tb)
	p := &scriptPortal{
		env: env, tb: tb, signers: map[string]gossh.Signer{}, progress: quietImport,
		ended: map[string]*bool{}, tickets: map[string]portal.SignUpTicket{},
	}
	ctx := context.Background()
	for _, s := range []struct{ name, role string }{{"ann", vocab.RoleAdmin}, {"sam", vocab.RoleSupport}} {
		signer, line, err := newStaffKey(s.name + "@laptop")
		if err != nil {
			return err
		}
		if _, err := env.Service.AddStaff(ctx, env.Admin(), s.name, s.role, line); err != nil {
			return fmt.Errorf("add staff %s: %w", s.name, err)
		}
		p.signers[s.name] = signer
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv, err := server.New(server.Config{
		Listen:      "127.0.0.1:0",
		HostKeyDir:  filepath.Join(env.Dir, "hostkeys"),
		StaffUser:   vocab.StaffUser,
		ConnectHint: env.Service.ConnectCommand(""),
		Catalog:     env.Catalog,
	}, p.routes(log), log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p.addr, p.hostKey = ln.Addr().String(), srv.HostKeyFingerprint()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	e.Defer(func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			_ = srv.Close()
		}
		<-served
	})
	e.Values[portalKey{}] = p
	for _, v := range hostileValues {
		e.Setenv(v[0], v[1])
	}
	e.Setenv("PORTAL", p.addr)
	return nil
}

// hostileValues are what every argument and flag is tried with, as the
// script variables $NAME: bytes a terminal acts on, bytes that are not
// UTF-8, and a value far longer than any field ($HUGE: 20,000 bytes, so
// that the command line stays under the server's 32 KiB cap on a staff
// command, which refuses longer ones before any command runs).
var hostileValues = [][2]string{
	{"ESC", "\x1b"},
	{"ESC2J", "\x1b[2J"},                    // clear the screen
	{"OSC52", "\x1b]52;c;cm0gLXJmIH4K\x07"}, // write the clipboard
	{"C1CSI", "\u009b"},                     // a C1 control sequence introducer
	{"BIDI", "\u202e"},                      // right-to-left override
	{"BADUTF8", "\xff\xfe"},
	{"HUGE", strings.Repeat("a", 20_000)},
	{"NL", "\n"},
	{"CR", "\r"},
	{"BEL", "\x07"},
	{"NUL", "\x00"}, // no script runs exec, which refuses it in the environment
}

// routes are the server's routes as serve wires them for staff commands;
// the TUIs are not what these scripts test.
func (p *scriptPortal) routes(log *slog.Logger) server.Routes {
	svc := p.env.Service
	return server.Routes{
		StaffKeyKnown: svc.IsStaffKey,
		StaffCommand: func(s ssh.Session, key gossh.PublicKey) int {
			p.mu.Lock()
			every := p.progress
			p.mu.Unlock()
			return commands.Serve(commands.WithImportProgress(commands.WithLogger(s.Context(), log), every), svc, s, key)
		},
		Client: func(ui.Session, string) tea.Model { return nil },
	}
}

// newStaffKey makes an ed25519 key and its authorized_keys line.
func newStaffKey(comment string) (gossh.Signer, string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, "", err
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment
	return signer, line, nil
}

// runStaff runs line as `ssh portal-admin@HOST LINE` would, signed with
// name's key, and returns what came back.
func (p *scriptPortal) runStaff(name, line string, stdin io.Reader) (stdout, stderr string, code int, err error) {
	signer, ok := p.signers[name]
	if !ok {
		return "", "", 0, fmt.Errorf("no key for %q", name)
	}
	client, err := gossh.Dial("tcp", p.addr, &gossh.ClientConfig{
		User: vocab.StaffUser,
		Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			if got := gossh.FingerprintSHA256(key); got != p.hostKey {
				return fmt.Errorf("host key %s, want %s", got, p.hostKey)
			}
			return nil
		},
		Timeout: 30 * time.Second,
	})
	if err != nil {
		if strings.Contains(err.Error(), "unable to authenticate") {
			return "", "", 0, errKeyRefused
		}
		return "", "", 0, err
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return "", "", 0, err
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, &out, &errb
	err = sess.Run(line)
	var exit *gossh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code, err = exit.ExitStatus(), nil
	default:
		return out.String(), errb.String(), 0, fmt.Errorf("ssh %s: %w", abbreviate(line), err)
	}
	return out.String(), errb.String(), code, nil
}

// errKeyRefused is the SSH layer refusing the key, before any command.
var errKeyRefused = errors.New("the server refused the key")

// shellQuote quotes word for a POSIX shell, as staff quote a word with
// spaces or quotes in it.
func shellQuote(word string) string {
	if word != "" && !strings.ContainsAny(word, " \t\n'\"\\$`;&|<>()*?[]#~!{}") {
		return word
	}
	return "'" + strings.ReplaceAll(word, "'", `'\''`) + "'"
}

// rawBytes are what no output may hold: a terminal acts on them.
var rawBytes = []string{"\x1b", "\u009b", "\x07", "\x00", "\u202e", "\r"}

// checkOutput is what holds for every command's output: nothing a
// terminal would act on, and valid UTF-8.
func checkOutput(ts *testscript.TestScript, what, s string) {
	for _, bad := range rawBytes {
		if strings.Contains(s, bad) {
			ts.Fatalf("%s holds raw %q: %q", what, bad, abbreviate(s))
		}
	}
	if !utf8.ValidString(s) {
		ts.Fatalf("%s is not valid UTF-8: %q", what, abbreviate(s))
	}
}

func abbreviate(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// maxErrorLine is the longest a one-line error may be: a value typed by
// the user is repeated only in part.
const maxErrorLine = 600

// cmdStaff: staff [--as NAME] [--stdin FILE] [--lines] [--raw] [--] WORD...
//
// Runs the words as `ssh -p PORT portal-admin@HOST WORD...`, signed with
// NAME's key (ann by default), each word quoted as staff quote it (--raw
// sends the one word as the command line, unquoted, as ssh sends what it
// is given). stdout and stderr are the command's; `! staff` expects a
// non-zero exit status, `status N` checks which, or the key refused at
// the SSH layer (stderr then says "the server refused the key"). Every output is checked
// for raw terminal controls and invalid UTF-8; a failure must be one line
// on stderr of at most maxErrorLine bytes with nothing on stdout, unless
// --lines says the command reports line by line (clients import).
func cmdStaff(ts *testscript.TestScript, neg bool, args []string) {
	p := portalOf(ts)
	as, stdin, lines, raw := "ann", io.Reader(strings.NewReader("")), false, false
	for len(args) > 0 {
		switch args[0] {
		case "--as", "--stdin":
			if len(args) < 2 {
				ts.Fatalf("%s needs a value", args[0])
			}
			if args[0] == "--as" {
				as = args[1]
			} else {
				stdin = strings.NewReader(ts.ReadFile(args[1]))
			}
			args = args[2:]
			continue
		case "--lines":
			lines = true
		case "--raw":
			raw = true
		case "--":
			args = args[1:]
			goto run
		default:
			goto run // the command's own words
		}
		args = args[1:]
	}
run:
	var line string
	if raw {
		if len(args) != 1 {
			ts.Fatalf("--raw takes the command line as one word")
		}
		line = args[0]
	} else {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = shellQuote(a)
		}
		line = strings.Join(quoted, " ")
	}
	out, errOut, code, err := p.runStaff(as, line, stdin)
	if errors.Is(err, errKeyRefused) {
		// As ssh says "Permission denied (publickey)": `! staff` expects it.
		fmt.Fprintln(ts.Stderr(), err)
		if !neg {
			ts.Fatalf("%s: %v", as, err)
		}
		return
	}
	ts.Check(err)
	p.mu.Lock()
	p.exitCode = code
	p.mu.Unlock()
	_, _ = io.WriteString(ts.Stdout(), out)
	_, _ = io.WriteString(ts.Stderr(), errOut)
	checkOutput(ts, "stdout", out)
	checkOutput(ts, "stderr", errOut)
	if code != 0 && !lines {
		if out != "" {
			ts.Fatalf("exit %d with stdout %q", code, abbreviate(out))
		}
		if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") {
			ts.Fatalf("exit %d: stderr is not one line: %q", code, abbreviate(errOut))
		}
		if len(errOut) > maxErrorLine {
			ts.Fatalf("stderr is %d bytes: a value was echoed whole", len(errOut))
		}
	}
	switch {
	case neg && code == 0:
		ts.Fatalf("exit 0, want a failure")
	case !neg && code != 0:
		ts.Fatalf("exit %d: %s", code, abbreviate(errOut))
	}
}

// cmdStatus: status N checks the exit status of the last staff command.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: status N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	p := portalOf(ts)
	p.mu.Lock()
	got := p.exitCode
	p.mu.Unlock()
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// quietImport is a script's progress interval until it sets one: longer
// than any import takes on a loaded machine, so that a script's stderr
// holds progress lines only where the script asked for them.
const quietImport = time.Hour

// cmdImportProgress: import-progress DURATION configures how often the
// server's `clients import` reports progress, as serve would.
func cmdImportProgress(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: import-progress DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	p := portalOf(ts)
	p.mu.Lock()
	p.progress = d
	p.mu.Unlock()
}

// cmdStaffKey: staff-key NAME VAR makes a new key: $VAR is its
// authorized_keys line (comment NAME), $VAR_FP its SHA256 fingerprint, and
// `staff --as NAME` signs with it once it is registered.
func cmdStaffKey(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: staff-key NAME VAR")
	}
	signer, line, err := newStaffKey(args[0])
	ts.Check(err)
	ts.Setenv(args[1], line)
	ts.Setenv(args[1]+"_FP", gossh.FingerprintSHA256(signer.PublicKey()))
	p := portalOf(ts)
	p.mu.Lock()
	p.signers[args[0]] = signer
	p.mu.Unlock()
}

// cmdWrite: write [-append] [-repeat N] FILE WORD... writes the words,
// joined by nothing, to FILE (N times): with the script's variables, a
// file of any bytes ($CR$NL, $BADUTF8).
func cmdWrite(ts *testscript.TestScript, neg bool, args []string) {
	n, flags := 1, os.O_CREATE|os.O_WRONLY|os.O_TRUNC
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-append":
			flags, args = os.O_CREATE|os.O_WRONLY|os.O_APPEND, args[1:]
		case "-repeat":
			var err error
			n, err = strconv.Atoi(args[1])
			ts.Check(err)
			args = args[2:]
		default:
			ts.Fatalf("unknown write option %s", args[0])
		}
	}
	if len(args) < 1 || neg {
		ts.Fatalf("usage: write [-append] [-repeat N] FILE WORD...")
	}
	writeTo(ts, args[0], flags, strings.Repeat(strings.Join(args[1:], ""), n))
}

func writeTo(ts *testscript.TestScript, name string, flags int, data string) {
	f, err := os.OpenFile(ts.MkAbs(name), flags, 0o600)
	ts.Check(err)
	_, err = f.WriteString(data)
	ts.Check(errors.Join(err, f.Close()))
}

// cmdNumbered: numbered FILE N FORMAT appends N lines to FILE, line i
// (from 0) being fmt.Sprintf(FORMAT, i): 'c%05[1]d@example.com,Client %[1]d'.
func cmdNumbered(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: numbered FILE N FORMAT")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, args[2]+"\n", i)
	}
	writeTo(ts, args[0], os.O_CREATE|os.O_WRONLY|os.O_APPEND, b.String())
}

// cmdSetVar: setvar VAR WORD... sets $VAR to the words joined by a space.
func cmdSetVar(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || neg {
		ts.Fatalf("usage: setvar VAR WORD...")
	}
	ts.Setenv(args[0], strings.Join(args[1:], " "))
}

// cmdTime: time VAR DURATION date|rfc3339 sets $VAR to now plus DURATION
// (a Go duration, -480h for twenty days ago), as a date or an RFC 3339
// time in UTC.
func cmdTime(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: time VAR DURATION date|rfc3339")
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	at := time.Now().Add(d).UTC()
	switch args[2] {
	case "date":
		ts.Setenv(args[0], at.Format(time.DateOnly))
	case "rfc3339":
		ts.Setenv(args[0], at.Format(time.RFC3339))
	default:
		ts.Fatalf("format %q: want date or rfc3339", args[2])
	}
}

// cmdSum: sum VAR N... sets $VAR to the sum of the integers.
func cmdSum(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: sum VAR N...")
	}
	total := 0
	for _, a := range args[1:] {
		n, err := strconv.Atoi(a)
		ts.Check(err)
		total += n
	}
	ts.Setenv(args[0], strconv.Itoa(total))
}

// cmdUnique: unique stdout fails when two lines of stdout are the same.
func cmdUnique(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || args[0] != "stdout" || neg {
		ts.Fatalf("usage: unique stdout")
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(ts.ReadFile("stdout"), "\n"), "\n") {
		if seen[l] {
			ts.Fatalf("%q is listed twice", l)
		}
		seen[l] = true
	}
}

func scriptCommands() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"staff":           cmdStaff,
		"status":          cmdStatus,
		"import-progress": cmdImportProgress,
		"staff-key":       cmdStaffKey,
		"write":           cmdWrite,
		"setvar":          cmdSetVar,
		"unique":          cmdUnique,
		"time":            cmdTime,
		"sum":             cmdSum,
		"numbered":        cmdNumbered,
		"json":            cmdJSON,
		"seed":            cmdSeed,
		"submit":          cmdSubmit,
		"client-note":     cmdClientNote,
		"session":         cmdSession,
		"mail":            cmdMail,
		"mail-mark":       cmdMailMark,
		"mail-id":         cmdMailID,
		"signup-start":    cmdSignUpStart,
		"signup-verify":   cmdSignUpVerify,
	}
}
