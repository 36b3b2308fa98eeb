package main

import (
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is a real SMTP server (go-smtp) on 127.0.0.1 that keeps every
// message it accepts and counts its connections (without TLS, a go-smtp
// session is a connection).
type smtpSink struct {
	mu           sync.Mutex
	msgs         []string // recipient + "\n" + data
	opened, open int
}

func startSMTPSink(t *testing.T) (*smtpSink, string) {
	t.Helper()
	sink := &smtpSink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		sink.mu.Lock()
		sink.opened++
		sink.open++
		sink.mu.Unlock()
		return &sinkSession{sink: sink}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink, ln.Addr().String()
}

func (s *smtpSink) conns() (opened, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened, s.open
}

func (s *smtpSink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

type sinkSession struct {
	sink *smtpSink
	to   []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, strings.Join(s.to, ",")+"\n"+string(data))
	s.sink.mu.Unlock()
	return nil
}
func (s *sinkSession) Reset() { s.to = nil }
func (s *sinkSession) Logout() error {
	s.sink.mu.Lock()
	s.sink.open--
	s.sink.mu.Unlock()
	return nil
}

// TestInvitationOverSMTP: with --smtp, the invitation an admin's command
// queues goes out to a real SMTP server, once, and the outbox says sent.
// Invitations sent one after another share one connection, which the
// portal closes when it stops.
func TestInvitationOverSMTP(t *testing.T) {
	sink, addr := startSMTPSink(t)
	ps := startPortal(t, "--smtp", "smtp://"+addr+"?tls=none", "--mail-from", "portal@firm.example")
	waitMails := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for len(sink.all()) < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		msgs := sink.all()
		if len(msgs) != n {
			t.Fatalf("SMTP server got %d messages, want %d", len(msgs), n)
		}
		return msgs
	}
	ps.admin1(t, "clients", "add", "--email", "eve@example.com", "--name", "Eve Adams")
	msgs := waitMails(1)
	for _, want := range []string{"eve@example.com\n", "From: <portal@firm.example>", "Subject: " + subjInvitation, "invite-"} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("message lacks %q:\n%s", want, msgs[0])
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ps.admin1(t, "outbox", "list"), "sent") {
		if time.Now().After(deadline) {
			t.Fatalf("outbox never says sent:\n%s", ps.admin1(t, "outbox", "list"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := len(ps.mails(t)); got != 0 {
		t.Fatalf("with --smtp, %d mails were also written to the mail directory", got)
	}

	ps.admin1(t, "clients", "add", "--email", "frank@example.com", "--name", "Frank Brown")
	waitMails(2)
	ps.admin1(t, "clients", "add", "--email", "grace@example.com", "--name", "Grace Chen")
	waitMails(3)
	if opened, _ := sink.conns(); opened != 1 {
		t.Errorf("three invitations, one after another, took %d connections, want 1", opened)
	}
	ps.stop()
	deadline = time.Now().Add(5 * time.Second) // well under the 15 s idle timeout
	for _, open := sink.conns(); open != 0; _, open = sink.conns() {
		if time.Now().After(deadline) {
			t.Fatalf("the portal stopped and left %d SMTP connections open", open)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
