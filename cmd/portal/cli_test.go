package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

// runCLI runs the command line as main would, with no environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return out.String(), errOut.String(), code
}

func TestServeRefusesBadSettingsWithOneLine(t *testing.T) {
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.MkdirAll(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad listen", nil, []string{"serve", "--listen", "nowhere"}, "--listen"},
		{"bad env ttl", map[string]string{"PORTAL_INVITE_TTL": "soon"}, []string{"serve"}, "$PORTAL_INVITE_TTL"},
		{"unknown flag", nil, []string{"serve", "--colour"}, "unknown flag"},
		{"missing key file", nil, []string{"serve", "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "d1"), "--host-keys", filepath.Join(dir, "k1"), "--initial-admin-key", filepath.Join(dir, "nope.pub")}, "--initial-admin-key"},
		{"smtp password not echoed", nil, []string{"serve", "--smtp", "ftp://u:hunter2@x"}, "--smtp"},
		{"max-startups start above full", nil, []string{"serve", "--max-startups", "100:30:10"}, "--max-startups"},
		{"bad env max-startups", map[string]string{"PORTAL_MAX_STARTUPS": "lots"}, []string{"serve"}, "--max-startups"},
		{"max-sessions negative", nil, []string{"serve", "--max-sessions", "-1"}, "--max-sessions"},
	}
	if os.Geteuid() != 0 { // root writes anywhere, so the read-only case only means something for others
		tests = append(tests, struct {
			name string
			env  map[string]string
			args []string
			want string
		}{"read-only data", nil, []string{"serve", "--listen", "127.0.0.1:0", "--data", readOnly}, "--data"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, tt.env, tt.args...)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code == 0 || len(lines) != 1 || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "hunter2") {
				t.Fatalf("exit %d, stderr %q; want one line about %s", code, errOut, tt.want)
			}
		})
	}
}

func TestOfflineStaffCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	signer, _ := newSigner(t, t.TempDir(), "k")
	keyFile := filepath.Join(t.TempDir(), "ann.pub")
	if err := os.WriteFile(keyFile, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "staff", "add", "--data", data, "--name", "ann", "--role", "admin", "--key", keyFile)
	if code != 0 || !strings.Contains(out, "added ann (admin) SHA256:") {
		t.Fatalf("staff add: %d %q %q", code, out, errOut)
	}
	_, errOut, code = runCLI(t, nil, "staff", "add", "--data", data, "--name", "bob", "--role", "boss", "--key", keyFile)
	if code == 0 || !strings.Contains(errOut, "admin or support") {
		t.Fatalf("bad role: %d %q", code, errOut)
	}
	out, _, code = runCLI(t, map[string]string{"PORTAL_DATA": data}, "staff", "list")
	if code != 0 || !strings.Contains(out, "ann") || !strings.Contains(out, gossh.FingerprintSHA256(signer.PublicKey())) {
		t.Fatalf("staff list: %d %q", code, out)
	}
	if out, _, code = runCLI(t, nil, "migrate", "--data", data); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	if out, _, code = runCLI(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "portal ") {
		t.Fatalf("version: %d %q", code, out)
	}
}
