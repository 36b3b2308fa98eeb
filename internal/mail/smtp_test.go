package mail

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// relayKind is one way of reaching a relay, with what every message sent
// that way must show on arrival.
type relayKind struct {
	name       string
	server     *testServer
	wantTLS    bool
	wantAuthed bool
}

// relayKinds are the three ways --smtp reaches a relay, each with a fresh
// server to start. The first password has characters a URL must escape.
func relayKinds(tlsConf *testTLS) []relayKind {
	return []relayKind{
		{"starttls with auth", &testServer{tls: tlsConf, user: "portal", pass: "p@ss wörd"}, true, true},
		{"implicit tls with auth", &testServer{tls: tlsConf, implicit: true, user: "portal", pass: "s3cret"}, true, true},
		{"plain relay", &testServer{}, false, false},
	}
}

// startRelay starts rk's server and a sender for it, as --smtp would.
func startRelay(t *testing.T, tlsConf testTLS, rk relayKind) (*testServer, *SMTPSender) {
	t.Helper()
	ts := startTestServer(t, rk.server)
	raw := ts.url()
	if ts.user != "" {
		raw = strings.Replace(raw, ts.pass, urlEscape(ts.pass), 1)
	}
	s, err := NewSMTPSender(raw, WithTLSConfig(tlsConf.client), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return ts, s
}

func TestSMTPSenderDelivers(t *testing.T) {
	tlsConf := newTestTLS(t)
	for _, tt := range relayKinds(&tlsConf) {
		t.Run(tt.name, func(t *testing.T) {
			ts, s := startRelay(t, tlsConf, tt)
			m := sampleMessage("42")
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := ts.received()
			if len(got) != 1 {
				t.Fatalf("server got %d messages", len(got))
			}
			r := got[0]
			if r.From != "noreply@cabinet-dupont.fr" || r.To != "client@example.com" {
				t.Errorf("envelope %q -> %q", r.From, r.To)
			}
			if r.TLS != tt.wantTLS || r.Authed != tt.wantAuthed {
				t.Errorf("tls=%v authed=%v, want %v %v", r.TLS, r.Authed, tt.wantTLS, tt.wantAuthed)
			}
			p := parseMessage(t, r.Data)
			if p.From != "noreply@cabinet-dupont.fr" || p.To != "client@example.com" ||
				p.Subject != m.Subject || p.Body != m.Body {
				t.Errorf("message read back as %+v", p)
			}
			// The embedded mailer sends the same bytes.
			dir := composeBytes(t, m)
			if strings.TrimSpace(strings.ReplaceAll(string(r.Data), "\r\n", "\n")) !=
				strings.TrimSpace(strings.ReplaceAll(string(dir), "\r\n", "\n")) {
				t.Errorf("SMTP and file bytes differ:\n%s\n---\n%s", r.Data, dir)
			}
		})
	}
}

func urlEscape(s string) string {
	return strings.NewReplacer("@", "%40", " ", "%20", ":", "%3A").Replace(s)
}

func TestSMTPSenderErrors(t *testing.T) {
	tlsConf := newTestTLS(t)

	// A port nothing listens on: take one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	tests := []struct {
		name      string
		server    *testServer // nil: nothing listening
		badPass   bool
		noTrust   bool
		permanent bool
		wantText  string
	}{
		{name: "connection refused", wantText: "connect"},
		{name: "550 on RCPT", server: &testServer{tls: &tlsConf, rcptErr: &smtp.SMTPError{Code: 550, Message: "no such user"}}, permanent: true, wantText: "550"},
		{name: "451 on RCPT", server: &testServer{tls: &tlsConf, rcptErr: &smtp.SMTPError{Code: 451, Message: "try later"}}, wantText: "451"},
		// A wrong password is the relay's configuration, not the message's
		// fault: temporary, so mail waits for an admin to fix --smtp.
		{name: "535 wrong password", server: &testServer{tls: &tlsConf, user: "portal", pass: "right"}, badPass: true, wantText: "535"},
		{name: "untrusted certificate", server: &testServer{tls: &tlsConf}, noTrust: true, wantText: "certificate"},
		{name: "no STARTTLS offered", server: &testServer{}, wantText: "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "smtp://127.0.0.1:" + itoa(deadPort)
			if tt.server != nil {
				ts := startTestServer(t, tt.server)
				raw = "smtp://127.0.0.1:" + ts.port() // always demand STARTTLS
				if tt.server.user != "" {
					pass := tt.server.pass
					if tt.badPass {
						pass = "wrong"
					}
					raw = "smtp://" + tt.server.user + ":" + pass + "@127.0.0.1:" + ts.port()
				}
			}
			opts := []SMTPOption{WithTimeout(5 * time.Second)}
			if !tt.noTrust {
				opts = append(opts, WithTLSConfig(tlsConf.client))
			}
			s, err := NewSMTPSender(raw, opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), sampleMessage("7"))
			if err == nil {
				t.Fatal("sent")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", IsPermanent(err), tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "right") {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSMTPSenderCancel(t *testing.T) {
	// A server that accepts the connection and never greets: Send must end
	// when its context does, and not as a permanent failure.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s, err := NewSMTPSender("smtp://"+l.Addr().String()+"?tls=none", WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, sampleMessage("1"))
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error does not say the context ended: %v", err)
	}
	// Well under the 2s SMTP timeout: the cancel closed the connection.
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send took %v after its context ended", d)
	}
}

func TestSMTPSenderBadMessage(t *testing.T) {
	s, err := NewSMTPSender("smtp://127.0.0.1:1?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	m := sampleMessage("1")
	m.To = "not-an-address"
	if err := s.Send(context.Background(), m); !IsPermanent(err) {
		t.Errorf("invalid address not permanent: %v", err)
	}
}

func TestNewSMTPSenderBadURL(t *testing.T) {
	_, err := NewSMTPSender("ftp://u:hunter2@h")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}
