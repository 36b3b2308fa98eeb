package server

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/tui/ui"

	gossh "golang.org/x/crypto/ssh"
)

func TestHostKeyMadeOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hostkeys")
	first, err := New(Config{HostKeyDir: dir}, testRoutes(newSigner(t).PublicKey()), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(Config{HostKeyDir: dir}, testRoutes(newSigner(t).PublicKey()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.HostKeyFingerprint() != second.HostKeyFingerprint() {
		t.Errorf("fingerprint changed across restarts: %s then %s", first.HostKeyFingerprint(), second.HostKeyFingerprint())
	}
	if !strings.HasPrefix(first.HostKeyFingerprint(), "SHA256:") {
		t.Errorf("fingerprint %q", first.HostKeyFingerprint())
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, hostKeyFile): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode %o, want %o", path, got, want)
		}
	}
	if first.signer.PublicKey().Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s", first.signer.PublicKey().Type())
	}
}

// noAnswers is keyboard-interactive that fails the test if asked anything.
func noAnswers(t *testing.T) gossh.AuthMethod {
	return gossh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
		if len(questions) > 0 {
			t.Errorf("keyboard-interactive asked %q", questions)
		}
		return nil, nil
	})
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t, nil)
	stranger := newSigner(t)
	tests := []struct {
		name   string
		user   string
		auth   []gossh.AuthMethod
		wantOK bool
	}{
		{"staff with registered key", "portal-admin", []gossh.AuthMethod{gossh.PublicKeys(h.staff)}, true},
		{"staff with unknown key", "portal-admin", []gossh.AuthMethod{gossh.PublicKeys(stranger)}, false},
		{"staff with keyboard-interactive", "portal-admin", []gossh.AuthMethod{noAnswers(t)}, false},
		{"staff with password", "portal-admin", []gossh.AuthMethod{gossh.Password("x")}, false},
		{"staff with nothing", "portal-admin", []gossh.AuthMethod{}, false},
		{"client with any key", "alice", []gossh.AuthMethod{gossh.PublicKeys(stranger)}, true},
		{"client without key", "alice", []gossh.AuthMethod{noAnswers(t)}, true},
		{"client with password only", "alice", []gossh.AuthMethod{gossh.Password("x")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := h.dial(tt.user, tt.auth...)
			if c != nil {
				c.Close()
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("dial: err=%v, want ok=%v", err, tt.wantOK)
			}
		})
	}
}

func TestAlgorithms(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name   string
		mod    func(*gossh.ClientConfig)
		wantOK bool
	}{
		{"mlkem768x25519", func(c *gossh.ClientConfig) { c.KeyExchanges = []string{gossh.KeyExchangeMLKEM768X25519} }, true},
		{"curve25519 libssh alias", func(c *gossh.ClientConfig) { c.KeyExchanges = []string{"curve25519-sha256@libssh.org"} }, true},
		{"ecdh p256 refused", func(c *gossh.ClientConfig) { c.KeyExchanges = []string{gossh.KeyExchangeECDHP256} }, false},
		{"chacha20", func(c *gossh.ClientConfig) { c.Ciphers = []string{gossh.CipherChaCha20Poly1305} }, true},
		{"aes-ctr refused", func(c *gossh.ClientConfig) {
			c.Ciphers = []string{gossh.CipherAES128CTR}
			c.MACs = []string{gossh.HMACSHA256ETM}
		}, false},
		{"hmac-sha1 refused", func(c *gossh.ClientConfig) {
			c.Ciphers = []string{gossh.CipherAES128CTR}
			c.MACs = []string{gossh.HMACSHA1}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := h.clientConfig("alice", gossh.PublicKeys(newSigner(t)))
			tt.mod(cfg)
			c, err := gossh.Dial("tcp", h.addr, cfg)
			if c != nil {
				c.Close()
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("dial: err=%v, want ok=%v", err, tt.wantOK)
			}
		})
	}
}

func TestStaffCommandExitStatus(t *testing.T) {
	h := newHarness(t, nil)
	c := h.mustDial(t, "portal-admin", gossh.PublicKeys(h.staff))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput("exit 3")
	if got := exitStatus(t, err); got != 3 {
		t.Errorf("exit status %d, want 3", got)
	}
	if string(out) != "staff ran exit 3\n" {
		t.Errorf("output %q", out)
	}
}

func TestStaffConsoleFallsBackToHelp(t *testing.T) {
	h := newHarness(t, nil)
	tm := openTerminal(t, h.mustDial(t, "portal-admin", gossh.PublicKeys(h.staff)))
	tm.waitFor(t, "staff ran help")
	if got := tm.exit(t); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
}

// cannotSign offers a key it does not hold: its Sign always fails.
type cannotSign struct{ gossh.Signer }

func (cannotSign) Sign(io.Reader, []byte) (*gossh.Signature, error) {
	return nil, errors.New("no private key")
}

// authSteps is a client that tries the given methods in order, each once,
// whatever the server lists (as a hostile client would).
func authSteps(steps ...gossh.AuthMethod) func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
	return func(*gossh.ClientAuthContext) (gossh.AuthMethod, error) {
		if len(steps) == 0 {
			return nil, errors.New("no more methods")
		}
		next := steps[0]
		steps = steps[1:]
		return next, nil
	}
}

// In the spirit of soft-serve's GHSA-pchf-49fh-w34r: offering a key the
// client cannot sign with must not make it that key's owner.
func TestOfferedKeyIsNotIdentity(t *testing.T) {
	h := newHarness(t, nil)
	stranger := newSigner(t)

	t.Run("staff user, staff key offered, then other methods", func(t *testing.T) {
		cfg := h.clientConfig("portal-admin")
		cfg.AuthCallback = authSteps(
			gossh.PublicKeys(cannotSign{h.staff}),
			gossh.PublicKeys(stranger),
			noAnswers(t),
		)
		c, err := gossh.Dial("tcp", h.addr, cfg)
		if err == nil {
			c.Close()
			t.Fatal("staff user got in without signing with a staff key")
		}
	})

	t.Run("client user, staff key offered, stranger key signs", func(t *testing.T) {
		cfg := h.clientConfig("bob")
		cfg.AuthCallback = authSteps(
			gossh.PublicKeys(cannotSign{h.staff}),
			gossh.PublicKeys(stranger),
		)
		c, err := gossh.Dial("tcp", h.addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		tm := openTerminal(t, c)
		tm.waitFor(t, "hello bob")
		tm.send(t, "q")
		tm.exit(t)
		rec := h.logs.find("ssh session start", "user", "bob")
		if rec == nil {
			t.Fatal("no session log for bob")
		}
		if got, want := rec["key"], gossh.FingerprintSHA256(stranger.PublicKey()); got != want {
			t.Errorf("session key %s, want the signing key %s (staff key is %s)",
				got, want, gossh.FingerprintSHA256(h.staff.PublicKey()))
		}
	})
}

// TestStaffConsoleGetsItsOwnRenderer: the console is a program like the
// client's, with the session's renderer (a nil one would crash its first
// frame).
func TestStaffConsoleGetsItsOwnRenderer(t *testing.T) {
	h := newHarness(t, func(_ *Config, r *Routes) {
		r.StaffConsole = func(sess ui.Session, _ gossh.PublicKey) tea.Model {
			token := "console"
			if sess.Renderer == nil {
				token = "no renderer"
			}
			return &helloModel{sess: sess, token: token}
		}
	})
	tm := openTerminal(t, h.mustDial(t, "portal-admin", gossh.PublicKeys(h.staff)))
	tm.waitFor(t, `hello portal-admin token="console"`)
	tm.send(t, "q")
	if got := tm.exit(t); got != 0 {
		t.Errorf("exit status %d, want 0", got)
	}
}
