// Package config gathers the settings of `portal serve`: built-in defaults,
// overridden by PORTAL_* environment variables, overridden by flags, and
// validated before anything starts so that a bad value stops the start with
// one line naming the flag.
package config

import (
	"fmt"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/clientportal/portal/internal/mail"
	"github.com/clientportal/portal/internal/profiling"
)

// Config is every setting of the server.
type Config struct {
	Listen                string
	Data                  string
	DB                    string
	HostKeys              string
	PublicAddr            string
	InitialAdminKeys      []string
	SMTP                  string
	MailFrom              string
	TeamEmail             string
	InviteTTL             time.Duration
	IdleTimeout           time.Duration
	MaxSessionsPerAddress int
	// MaxStartups is --max-startups as given ("start:rate:full"), and
	// Startups its parsed form (Startups.Off when it is "0").
	MaxStartups string
	Startups    Startups
	MaxSessions int
	Pprof       string
	// ImportDir is the only folder the console's import reads files from
	// (default: DATA/import).
	ImportDir string

	fs       *pflag.FlagSet
	getenv   func(string) string
	settings []setting
}

// setting describes one flag and its environment variable.
type setting struct {
	flag, env, usage string
}

var (
	listenSetting      = setting{"listen", "PORTAL_LISTEN", "SSH address to listen on"}
	dataSetting        = setting{"data", "PORTAL_DATA", "data directory: portal.db (SQLite) and mail/ (embedded mailer)"}
	dbSetting          = setting{"db", "PORTAL_DB", "database: a postgres:// URL, or empty for the SQLite file in --data"}
	hostKeysSetting    = setting{"host-keys", "PORTAL_HOST_KEYS", "host key directory; an ed25519 key is made there on first start"}
	publicAddrSetting  = setting{"public-addr", "PORTAL_PUBLIC_ADDR", "the host:port clients use (default: the listen address)"}
	adminKeysSetting   = setting{"initial-admin-key", "PORTAL_INITIAL_ADMIN_KEYS", "authorized_keys line, or path to a file of them, registered as admin at start (repeatable; the variable is comma-separated)"}
	smtpSetting        = setting{"smtp", "PORTAL_SMTP_URL", "smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; empty writes mail as .eml files into DATA/mail"}
	mailFromSetting    = setting{"mail-from", "PORTAL_MAIL_FROM", "sender address of every mail"}
	teamEmailSetting   = setting{"team-email", "PORTAL_TEAM_EMAIL", "the legal team's address, mailed when a client submits a request or adds a note; empty mails no one"}
	inviteTTLSetting   = setting{"invite-ttl", "PORTAL_INVITE_TTL", "how long an invitation stays valid"}
	idleSetting        = setting{"idle-timeout", "PORTAL_IDLE_TIMEOUT", "end a session after this long without a keystroke"}
	maxSessionsSetting = setting{"max-sessions-per-address", "PORTAL_MAX_SESSIONS_PER_ADDRESS", "live sessions from one source address; 0 means no limit"}
	maxStartupsSetting = setting{"max-startups", "PORTAL_MAX_STARTUPS", "start:rate:full, as OpenSSH's MaxStartups: past start connections in their handshake over all addresses, refuse new ones with probability rate% rising to 100% at full; 0 means no limit"}
	maxTotalSetting    = setting{"max-sessions", "PORTAL_MAX_SESSIONS", "live sessions over all addresses; 0 means no limit"}
	pprofSetting       = setting{"pprof", "PORTAL_PPROF", "serve Go's profiler (net/http/pprof) on this loopback address, like 127.0.0.1:6060; empty: off"}
	importDirSetting   = setting{"import-dir", "PORTAL_IMPORT_DIR", "the only folder the console's client import reads CSV files from (default: DATA/import)"}
)

// Bind registers the serve flags on fs with their built-in defaults. The
// environment (getenv, usually os.Getenv) is read by Validate, after the
// flags are parsed, for every flag not given: so --help never shows a
// value from the environment (an SMTP password, say), and a bad variable
// does not matter when its flag is given.
func Bind(fs *pflag.FlagSet, getenv func(string) string) *Config {
	c := &Config{fs: fs, getenv: getenv}
	str := func(p *string, s setting, def string) {
		fs.StringVar(p, s.flag, def, s.usage+" ($"+s.env+")")
	}
	dur := func(p *time.Duration, s setting, def time.Duration) {
		fs.DurationVar(p, s.flag, def, s.usage+" ($"+s.env+")")
	}
	str(&c.Listen, listenSetting, ":2222")
	str(&c.Data, dataSetting, "./data")
	str(&c.DB, dbSetting, "")
	str(&c.HostKeys, hostKeysSetting, "./hostkeys")
	str(&c.PublicAddr, publicAddrSetting, "")
	fs.StringArrayVar(&c.InitialAdminKeys, adminKeysSetting.flag, nil, adminKeysSetting.usage+" ($"+adminKeysSetting.env+")")
	str(&c.SMTP, smtpSetting, "")
	str(&c.MailFrom, mailFromSetting, "portal@localhost")
	str(&c.TeamEmail, teamEmailSetting, "")
	dur(&c.InviteTTL, inviteTTLSetting, 24*time.Hour)
	dur(&c.IdleTimeout, idleSetting, 15*time.Minute)
	fs.IntVar(&c.MaxSessionsPerAddress, maxSessionsSetting.flag, 50, maxSessionsSetting.usage+" ($"+maxSessionsSetting.env+")")
	str(&c.MaxStartups, maxStartupsSetting, "10:30:100")
	fs.IntVar(&c.MaxSessions, maxTotalSetting.flag, 10_000, maxTotalSetting.usage+" ($"+maxTotalSetting.env+")")
	str(&c.Pprof, pprofSetting, "")
	str(&c.ImportDir, importDirSetting, "")
	c.settings = []setting{listenSetting, dataSetting, dbSetting, hostKeysSetting, publicAddrSetting, adminKeysSetting,
		smtpSetting, mailFromSetting, teamEmailSetting, inviteTTLSetting, idleSetting, maxSessionsSetting,
		maxStartupsSetting, maxTotalSetting, pprofSetting, importDirSetting}
	return c
}

// applyEnv sets every flag that was not given from its environment
// variable, when that is set.
func (c *Config) applyEnv() error {
	for _, s := range c.settings {
		v := c.getenv(s.env)
		if v == "" || c.fs.Changed(s.flag) {
			continue
		}
		values := []string{v}
		if s == adminKeysSetting {
			values = nil
			for _, k := range strings.Split(v, ",") {
				if k = strings.TrimSpace(k); k != "" {
					values = append(values, k)
				}
			}
		}
		for _, one := range values {
			if err := c.fs.Set(s.flag, one); err != nil {
				return fmt.Errorf("$%s: %s", s.env, badValue(s, one))
			}
		}
	}
	return nil
}

// badValue says what a value should look like, without repeating a value
// that may hold a secret.
func badValue(s setting, v string) string {
	switch s {
	case inviteTTLSetting, idleSetting:
		return fmt.Sprintf("%q is not a duration (like 24h or 15m)", v)
	case maxSessionsSetting, maxTotalSetting:
		return fmt.Sprintf("%q is not a whole number", v)
	}
	return "not a valid value"
}

// BindDatabase registers only the flags that find the database (--data and
// --db), for the subcommands that work on the data without a server.
func BindDatabase(fs *pflag.FlagSet, getenv func(string) string) *Config {
	c := &Config{fs: fs, getenv: getenv, settings: []setting{dataSetting, dbSetting}}
	fs.StringVar(&c.Data, dataSetting.flag, "./data", dataSetting.usage+" ($"+dataSetting.env+")")
	fs.StringVar(&c.DB, dbSetting.flag, "", dbSetting.usage+" ($"+dbSetting.env+")")
	return c
}

// ValidateDatabase applies the environment to what BindDatabase
// registered, checks it and derives the SQLite path.
func (c *Config) ValidateDatabase() error {
	if err := c.applyEnv(); err != nil {
		return err
	}
	return c.validateDatabase()
}

func (c *Config) validateDatabase() error {
	if strings.TrimSpace(c.Data) == "" && c.DB == "" {
		return fmt.Errorf("--%s: must not be empty", dataSetting.flag)
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.Data, "portal.db")
	} else if strings.Contains(c.DB, "://") && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return fmt.Errorf("--%s: only postgres:// URLs or a SQLite file path are understood", dbSetting.flag)
	}
	return nil
}

// Validate checks every value and fills the derived ones (the database path,
// the public address). The first problem is returned as one line that names
// the flag.
func (c *Config) Validate() error {
	if err := c.applyEnv(); err != nil {
		return err
	}
	bad := func(s setting, format string, args ...any) error {
		return fmt.Errorf("--%s: %s", s.flag, fmt.Sprintf(format, args...))
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return bad(listenSetting, "%q is not host:port (like :2222 or 127.0.0.1:2222)", c.Listen)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return bad(listenSetting, "%q has no valid port", c.Listen)
	}
	if strings.TrimSpace(c.Data) == "" {
		return bad(dataSetting, "must not be empty")
	}
	if err := c.validateDatabase(); err != nil {
		return err
	}
	if strings.TrimSpace(c.HostKeys) == "" {
		return bad(hostKeysSetting, "must not be empty")
	}
	if strings.TrimSpace(c.ImportDir) == "" {
		c.ImportDir = filepath.Join(c.Data, "import")
	}
	if abs, err := filepath.Abs(c.ImportDir); err == nil {
		// Absolute, so that the refusal naming it says where it is.
		c.ImportDir = abs
	}
	if c.PublicAddr == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.PublicAddr = net.JoinHostPort(host, port)
	} else if h, p, err := net.SplitHostPort(c.PublicAddr); err != nil || h == "" || p == "" {
		return bad(publicAddrSetting, "%q is not host:port (like portal.example.com:2222)", c.PublicAddr)
	} else if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
		return bad(publicAddrSetting, "%q has no valid port", c.PublicAddr)
	}
	if c.SMTP != "" {
		if _, err := mail.ParseSMTPURL(c.SMTP); err != nil {
			return bad(smtpSetting, "%v", err)
		}
	}
	if !strings.Contains(c.MailFrom, "@") {
		return bad(mailFromSetting, "%q is not an email address", c.MailFrom)
	}
	if c.TeamEmail != "" {
		if a, err := netmail.ParseAddress(c.TeamEmail); err != nil || a.Name != "" || a.Address != c.TeamEmail {
			return bad(teamEmailSetting, "%q is not an email address (like legal@example.com)", c.TeamEmail)
		}
	}
	if c.InviteTTL < time.Minute || c.InviteTTL > 30*24*time.Hour {
		return bad(inviteTTLSetting, "%s is out of range (1m to 720h)", c.InviteTTL)
	}
	if c.IdleTimeout < 10*time.Second {
		return bad(idleSetting, "%s is too short (at least 10s)", c.IdleTimeout)
	}
	if c.MaxSessionsPerAddress < 0 {
		return bad(maxSessionsSetting, "must be 0 (no limit) or more")
	}
	st, err := ParseStartups(c.MaxStartups)
	if err != nil {
		return bad(maxStartupsSetting, "%v", err)
	}
	c.Startups = st
	if c.MaxSessions < 0 || c.MaxSessions > maxLimit {
		return bad(maxTotalSetting, "%d is out of range (0 for no limit, up to %d)", c.MaxSessions, maxLimit)
	}
	if c.Pprof != "" {
		if err := profiling.CheckAddr(c.Pprof); err != nil {
			return bad(pprofSetting, "%v", err)
		}
	}
	return nil
}

// maxLimit bounds the connection and session counts: past it a value is a
// typo, not a plan (a million connections is far past one process).
const maxLimit = 1_000_000

// Startups is --max-startups parsed: OpenSSH's MaxStartups start:rate:full.
type Startups struct {
	Start, Rate, Full int
	Off               bool // "0": no limit
}

// ParseStartups reads "start:rate:full", or one number N as OpenSSH does
// (N:100:N), or "0" for no limit.
func ParseStartups(v string) (Startups, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return Startups{}, fmt.Errorf("must not be empty (like 10:30:100, or 0 for no limit)")
	}
	if v == "0" {
		return Startups{Off: true}, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) == 1 {
		parts = []string{parts[0], "100", parts[0]}
	}
	if len(parts) != 3 {
		return Startups{}, fmt.Errorf("%q is not start:rate:full (like 10:30:100)", v)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return Startups{}, fmt.Errorf("%q is not start:rate:full of whole numbers (like 10:30:100)", v)
		}
		n[i] = x
	}
	st := Startups{Start: n[0], Rate: n[1], Full: n[2]}
	switch {
	case st.Start < 1 || st.Full < 1:
		return Startups{}, fmt.Errorf("%q: start and full must be at least 1 (or the whole value 0 for no limit)", v)
	case st.Rate < 0 || st.Rate > 100:
		return Startups{}, fmt.Errorf("%q: rate is a percentage, 0 to 100", v)
	case st.Start > st.Full:
		return Startups{}, fmt.Errorf("%q: start must not be above full", v)
	case st.Full > maxLimit:
		return Startups{}, fmt.Errorf("%q: full is out of range (up to %d)", v, maxLimit)
	}
	return st, nil
}

// DirWritable checks that dir can be created and written, so a read-only
// data directory stops the start rather than the first sign-up.
func DirWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
