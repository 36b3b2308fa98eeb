package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c := Bind(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func TestDefaultsEnvironmentFlags(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":2222" || c.DB != filepath.Join("data", "portal.db") || c.PublicAddr != "localhost:2222" ||
		c.InviteTTL != 24*time.Hour || c.IdleTimeout != 15*time.Minute || c.MaxSessionsPerAddress != 50 || c.MailFrom != "portal@localhost" {
		t.Fatalf("defaults = %+v", c)
	}
	env := map[string]string{"PORTAL_LISTEN": "127.0.0.1:3333", "PORTAL_INVITE_TTL": "48h", "PORTAL_INITIAL_ADMIN_KEYS": "a.pub, b.pub", "PORTAL_MAX_SESSIONS_PER_ADDRESS": "0"}
	c, err = parse(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:3333" || c.InviteTTL != 48*time.Hour || len(c.InitialAdminKeys) != 2 || c.MaxSessionsPerAddress != 0 || c.PublicAddr != "127.0.0.1:3333" {
		t.Fatalf("from environment = %+v", c)
	}
	c, err = parse(t, env, "--listen", ":4444", "--invite-ttl", "1h", "--public-addr", "portal.example.com:22")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":4444" || c.InviteTTL != time.Hour || c.PublicAddr != "portal.example.com:22" {
		t.Fatalf("flags must win: %+v", c)
	}
}

func TestBadValuesNameTheFlag(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"listen", nil, []string{"--listen", "nonsense"}, "--listen"},
		{"listen port", nil, []string{"--listen", ":99999"}, "--listen"},
		{"public addr", nil, []string{"--public-addr", "nohost"}, "--public-addr"},
		{"smtp scheme", nil, []string{"--smtp", "http://x"}, "--smtp"},
		{"db scheme", nil, []string{"--db", "mysql://x"}, "--db"},
		{"mail from", nil, []string{"--mail-from", "nobody"}, "--mail-from"},
		{"ttl too long", nil, []string{"--invite-ttl", "9999h"}, "--invite-ttl"},
		{"idle too short", nil, []string{"--idle-timeout", "1s"}, "--idle-timeout"},
		{"negative sessions", nil, []string{"--max-sessions-per-address", "-1"}, "--max-sessions-per-address"},
		{"env duration", map[string]string{"PORTAL_INVITE_TTL": "tomorrow"}, nil, "$PORTAL_INVITE_TTL"},
		{"env number", map[string]string{"PORTAL_MAX_SESSIONS_PER_ADDRESS": "many"}, nil, "$PORTAL_MAX_SESSIONS_PER_ADDRESS"},
		{"max-startups empty", nil, []string{"--max-startups", ""}, "--max-startups"},
		{"max-startups malformed", nil, []string{"--max-startups", "10:30"}, "--max-startups"},
		{"max-startups words", nil, []string{"--max-startups", "ten:30:100"}, "--max-startups"},
		{"max-startups start above full", nil, []string{"--max-startups", "50:30:10"}, "--max-startups"},
		{"max-startups negative", nil, []string{"--max-startups", "-1:30:100"}, "--max-startups"},
		{"max-startups rate", nil, []string{"--max-startups", "10:130:100"}, "--max-startups"},
		{"max-startups huge", nil, []string{"--max-startups", "10:30:99999999999"}, "--max-startups"},
		{"env max-startups", map[string]string{"PORTAL_MAX_STARTUPS": "1:2:3:4"}, nil, "--max-startups"},
		{"max-sessions negative", nil, []string{"--max-sessions", "-5"}, "--max-sessions"},
		{"max-sessions huge", nil, []string{"--max-sessions", "2000000"}, "--max-sessions"},
		{"max-sessions malformed", nil, []string{"--max-sessions", "lots"}, "invalid argument"},
		{"env max-sessions", map[string]string{"PORTAL_MAX_SESSIONS": "lots"}, nil, "$PORTAL_MAX_SESSIONS"},
		{"pprof on every interface", nil, []string{"--pprof", ":6060"}, "--pprof"},
		{"pprof on a public address", nil, []string{"--pprof", "10.1.2.3:6060"}, "--pprof"},
		{"pprof without port", map[string]string{"PORTAL_PPROF": "127.0.0.1"}, nil, "--pprof"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.env, tt.args...)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line starting with %s", err, tt.want)
			}
		})
	}
	if _, err := parse(t, nil, "--smtp", "smtp://user:hunter2@mail.example.com:587", "--listen", "nonsense"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the SMTP password or is missing: %v", err)
	}
}

func TestGlobalLimits(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Startups != (Startups{Start: 10, Rate: 30, Full: 100}) || c.MaxSessions != 10_000 {
		t.Fatalf("defaults: startups %+v, max sessions %d", c.Startups, c.MaxSessions)
	}
	c, err = parse(t, map[string]string{"PORTAL_MAX_STARTUPS": "5:50:20", "PORTAL_MAX_SESSIONS": "0"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Startups != (Startups{Start: 5, Rate: 50, Full: 20}) || c.MaxSessions != 0 {
		t.Fatalf("from environment: startups %+v, max sessions %d", c.Startups, c.MaxSessions)
	}
	tests := []struct {
		in   string
		want Startups
	}{
		{"0", Startups{Off: true}},
		{"25", Startups{Start: 25, Rate: 100, Full: 25}},
		{" 10:30:100 ", Startups{Start: 10, Rate: 30, Full: 100}},
		{"1:0:1", Startups{Start: 1, Rate: 0, Full: 1}},
	}
	for _, tt := range tests {
		got, err := ParseStartups(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseStartups(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestEnvironmentNeverShownInHelpAndLosesToFlags(t *testing.T) {
	env := map[string]string{"PORTAL_SMTP_URL": "smtp://u:hunter2@mail.example.com:587", "PORTAL_INVITE_TTL": "bogus"}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	Bind(fs, func(k string) string { return env[k] })
	if usage := fs.FlagUsages(); strings.Contains(usage, "hunter2") {
		t.Fatalf("help shows the SMTP password from the environment:\n%s", usage)
	}
	c, err := parse(t, env, "--invite-ttl", "1h")
	if err != nil {
		t.Fatalf("a bad variable must not matter when its flag is given: %v", err)
	}
	if c.InviteTTL != time.Hour || c.SMTP != env["PORTAL_SMTP_URL"] {
		t.Fatalf("config = %+v", c)
	}
}

// TestImportDir: the console's import folder is DATA/import unless
// --import-dir or PORTAL_IMPORT_DIR names another, always made absolute so
// that a refusal can say where it is.
func TestImportDir(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, nil, abs(filepath.Join("data", "import"))},
		{"under --data", nil, []string{"--data", "/srv/portal"}, "/srv/portal/import"},
		{"environment", map[string]string{"PORTAL_IMPORT_DIR": "/srv/csv"}, nil, "/srv/csv"},
		{"flag wins", map[string]string{"PORTAL_IMPORT_DIR": "/srv/csv"}, []string{"--import-dir", "drop"}, abs("drop")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if c.ImportDir != tt.want {
				t.Fatalf("import folder %q, want %q", c.ImportDir, tt.want)
			}
		})
	}
}
