package mail

import (
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		raw  string
		want SMTPConfig
	}{
		{"smtp://mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 587, TLS: StartTLS}},
		{"smtps://mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 465, TLS: ImplicitTLS}},
		{"SMTP://u:p@mail.example.com:2525/", SMTPConfig{Host: "mail.example.com", Port: 2525, TLS: StartTLS, Username: "u", Password: "p"}},
		{"smtp://user%40firm.fr:p%40ss%2Fw%3Ard@h:587", SMTPConfig{Host: "h", Port: 587, Username: "user@firm.fr", Password: "p@ss/w:rd"}},
		// An unescaped '@' in the password: the last '@' ends the user info.
		{"smtps://u:p@ss@h", SMTPConfig{Host: "h", Port: 465, TLS: ImplicitTLS, Username: "u", Password: "p@ss"}},
		{"smtp://localhost:25?tls=none", SMTPConfig{Host: "localhost", Port: 25, TLS: NoTLS}},
		{"smtp://[::1]:25?tls=none", SMTPConfig{Host: "::1", Port: 25, TLS: NoTLS}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseSMTPURL(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseSMTPURLErrors(t *testing.T) {
	const secret = "S3cr3tPw"
	tests := []struct{ raw, wantErr string }{
		{"", "want smtp://"},
		{"mail.example.com:587", "want smtp://"},
		{"http://u:" + secret + "@h", "scheme"},
		{"smtp://u:" + secret + "@", "missing host"},
		{"smtp://u:" + secret + "@:587", "missing host"},
		{"smtp://u:" + secret + "@h:0", "port"},
		{"smtp://u:" + secret + "@h:70000", "port"},
		{"smtp://u:" + secret + "@h:abc", "malformed"},
		{"smtp://u:" + secret + "@h:", "empty port"},
		{"smtp://u:" + secret + "@h/path", "path"},
		{"smtp://u:" + secret + "@h#frag", "fragment"},
		{"smtp://u:" + secret + "@h?tls=yes", "tls=none"},
		{"smtp://u:" + secret + "@h?foo=bar", "tls=none"},
		{"smtps://h?tls=none", "contradicts"},
		{"smtp://u:" + secret + "@h?tls=none", "in clear"},
		{"smtp://u@h", "without a password"},
		{"smtp://:" + secret + "@h", "empty user name"},
		{"smtp://u:" + secret + "%zz@h", "percent-encoding in the password"},
		// Unescaped specials in the password must not make it show up as a
		// host, port or query in the message.
		{"smtp://u:" + secret + "/x@h", ""},
		{"smtp://u:ab/" + secret + "@h", ""},
		{"smtp://u:" + secret + "?x@h", ""},
		{"smtp://u:" + secret + "#x@h", ""},
		{"smtp://u:pa ss" + secret + "@h", ""},
		{"smtp://u:" + secret + "@h:" + secret, ""},
		{"smtp://u:" + secret + "\x00@h", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			cfg, err := ParseSMTPURL(tt.raw)
			if err == nil {
				if tt.wantErr != "" {
					t.Fatalf("accepted: %#v", cfg)
				}
				return // some oddities parse; what matters is no leak below
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "cr3") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestSMTPConfigRedacted(t *testing.T) {
	cfg, err := ParseSMTPURL("smtps://bob%40firm.fr:hunter2@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := "smtps://bob%40firm.fr:xxxxx@mail.example.com:465"
	for _, got := range []string{cfg.Redacted(), cfg.String(), cfg.GoString()} {
		if strings.Contains(got, "hunter2") || !strings.Contains(got, want) {
			t.Errorf("got %q, want it to contain %q", got, want)
		}
	}
	if got := (SMTPConfig{Host: "relay", Port: 25, TLS: NoTLS}).Redacted(); got != "smtp://relay:25?tls=none" {
		t.Errorf("got %q", got)
	}
}
