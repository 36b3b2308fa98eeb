package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode is how the connection to the SMTP server is protected.
type TLSMode int

const (
	// StartTLS connects in plain text and must upgrade with STARTTLS before
	// anything else is said; a server without STARTTLS is an error.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte (smtps, port 465).
	ImplicitTLS
	// NoTLS sends everything in clear. For a relay on the same host or a
	// private network only (?tls=none); it refuses credentials.
	NoTLS
)

func (m TLSMode) String() string {
	switch m {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "implicit-tls"
	case NoTLS:
		return "none"
	}
	return "unknown"
}

// SMTPConfig is a parsed --smtp URL.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string // empty: no SMTP AUTH
	Password string
}

// Addr is host:port.
func (c SMTPConfig) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Redacted is the configuration for logs: the password never appears.
func (c SMTPConfig) Redacted() string {
	scheme := "smtp"
	if c.TLS == ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if c.Username != "" {
		user = url.User(c.Username).String() + ":xxxxx@"
	}
	query := ""
	if c.TLS == NoTLS {
		query = "?tls=none"
	}
	return scheme + "://" + user + c.Addr() + query
}

// ParseSMTPURL parses the --smtp flag:
//
//	smtp://user:pass@host:587     STARTTLS required (default port 587)
//	smtps://user:pass@host:465    implicit TLS (default port 465)
//	smtp://host:25?tls=none       plain text, for a local relay only
//
// User and password are percent-decoded; without them no AUTH is tried.
// Errors say what is wrong but never quote the URL, since any part of it
// could be a mistyped password.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var cfg SMTPConfig
	// Cut the user info off by hand before url.Parse: its errors quote the
	// input, and an unescaped '/', '?' or '#' in a password would make it
	// misread the password as host, path or query and quote that instead.
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return cfg, errors.New("smtp URL: want smtp://[user:password@]host[:port] or smtps://...")
	}
	switch strings.ToLower(scheme) {
	case "smtp":
		cfg.TLS, cfg.Port = StartTLS, 587
	case "smtps":
		cfg.TLS, cfg.Port = ImplicitTLS, 465
	default:
		return cfg, errors.New("smtp URL: unsupported scheme (want smtp or smtps)")
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		userinfo := rest[:at]
		rest = rest[at+1:]
		name, pass, hasPass := strings.Cut(userinfo, ":")
		var err error
		if cfg.Username, err = url.PathUnescape(name); err != nil {
			return SMTPConfig{}, errors.New("smtp URL: bad percent-encoding in the user name")
		}
		if cfg.Password, err = url.PathUnescape(pass); err != nil {
			return SMTPConfig{}, errors.New("smtp URL: bad percent-encoding in the password")
		}
		if cfg.Username == "" {
			return SMTPConfig{}, errors.New("smtp URL: empty user name before '@'")
		}
		if !hasPass || cfg.Password == "" {
			return SMTPConfig{}, errors.New("smtp URL: user name without a password")
		}
	}
	u, err := url.Parse("smtp://" + rest)
	if err != nil {
		return SMTPConfig{}, errors.New("smtp URL: malformed host, port or query (percent-encode special characters in the user name and password)")
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return SMTPConfig{}, errors.New("smtp URL: unexpected path or fragment after the host")
	}
	cfg.Host = u.Hostname()
	if cfg.Host == "" {
		return SMTPConfig{}, errors.New("smtp URL: missing host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, errors.New("smtp URL: port must be a number from 1 to 65535")
		}
		cfg.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return SMTPConfig{}, errors.New("smtp URL: empty port after ':'")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPConfig{}, errors.New("smtp URL: malformed query")
	}
	for key, vals := range q {
		if key != "tls" || len(vals) != 1 || vals[0] != "none" {
			return SMTPConfig{}, errors.New("smtp URL: the only query parameter is tls=none")
		}
		if cfg.TLS == ImplicitTLS {
			return SMTPConfig{}, errors.New("smtp URL: tls=none contradicts smtps")
		}
		cfg.TLS = NoTLS
	}
	if cfg.TLS == NoTLS && cfg.Username != "" {
		return SMTPConfig{}, errors.New("smtp URL: tls=none would send the password in clear; use TLS or a relay without AUTH")
	}
	return cfg, nil
}

// String is Redacted, so a config printed by accident leaks nothing.
func (c SMTPConfig) String() string { return c.Redacted() }

// GoString keeps %#v from printing the password too.
func (c SMTPConfig) GoString() string { return fmt.Sprintf("mail.SMTPConfig(%s)", c.Redacted()) }
