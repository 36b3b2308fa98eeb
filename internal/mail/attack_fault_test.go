package mail

import (
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// faultRelay is an SMTP relay on a fixed 127.0.0.1 port that misbehaves as
// told: silent (accepts TCP and never says a word), refusing at MAIL FROM
// or RCPT TO, slow to accept DATA, or taking the whole message and never
// answering. It records every message it read in full, whether or not it
// said 250, as a real relay that had queued it would deliver it.
type faultRelay struct {
	t    testing.TB
	addr string

	mu     sync.Mutex
	mode   string // "ok", "silent", "mail4xx", "mail5xx", "rcpt4xx", "slow", "mute_after_data"
	slow   time.Duration
	ln     net.Listener
	srv    *smtp.Server
	held   []net.Conn
	got    [][]byte
	closed chan struct{} // closed by stop: releases Data calls held by mute_after_data
}

func startFaultRelay(t testing.TB) *faultRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &faultRelay{t: t, addr: ln.Addr().String(), mode: "ok"}
	_ = ln.Close()
	r.setMode("ok", 0)
	t.Cleanup(r.stop)
	return r
}

func (r *faultRelay) url() string { return "smtp://" + r.addr + "?tls=none" }

// setMode restarts the relay on the same port in mode.
func (r *faultRelay) setMode(mode string, slow time.Duration) {
	r.t.Helper()
	r.stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mode, r.slow, r.closed = mode, slow, make(chan struct{})
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // the old listener's port may take a moment
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.ln = ln
	if mode == "silent" {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				r.mu.Lock()
				r.held = append(r.held, c)
				r.mu.Unlock()
			}
		}()
		return
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &faultSession{r: r}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = true
	r.srv = srv
	go func() { _ = srv.Serve(ln) }()
}

func (r *faultRelay) stop() {
	r.mu.Lock()
	ln, srv, held, closed := r.ln, r.srv, r.held, r.closed
	r.ln, r.srv, r.held = nil, nil, nil
	r.mu.Unlock()
	if closed != nil {
		select {
		case <-closed:
		default:
			close(closed)
		}
	}
	if ln != nil {
		_ = ln.Close()
	}
	if srv != nil {
		_ = srv.Close()
	}
	for _, c := range held {
		_ = c.Close()
	}
}

func (r *faultRelay) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got...)
}

type faultSession struct{ r *faultRelay }

func (s *faultSession) state() (string, time.Duration, chan struct{}) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	return s.r.mode, s.r.slow, s.r.closed
}

func (s *faultSession) Mail(string, *smtp.MailOptions) error {
	switch mode, _, _ := s.state(); mode {
	case "mail4xx":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	case "mail5xx":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relaying denied for this sender"}
	}
	return nil
}

func (s *faultSession) Rcpt(string, *smtp.RcptOptions) error {
	if mode, _, _ := s.state(); mode == "rcpt4xx" {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full, try later"}
	}
	return nil
}

func (s *faultSession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.got = append(s.r.got, b)
	s.r.mu.Unlock()
	mode, slow, closed := s.state()
	switch mode {
	case "slow":
		time.Sleep(slow)
	case "mute_after_data":
		<-closed // until the test moves on; the client gave up long before
		return errors.New("gone")
	}
	return nil
}

func (s *faultSession) Reset()        {}
func (s *faultSession) Logout() error { return nil }

// TestFaultRelayMisbehaves walks one message through a relay that is
// silent, refuses with 4xx at MAIL FROM and at RCPT TO, and takes the
// message without ever answering: each time the send gives up within the
// sender's timeout (the worker never hangs), the message stays queued with
// the reason as its last error and the next try backs off (30 s, 60 s,
// 2 min, 4 min); then a slow relay takes it and it is sent. The relay that
// took the message without answering gets it again: at least once, as the
// design says, with the same Message-ID so the copy is recognisable.
func TestFaultRelayMisbehaves(t *testing.T) {
	relay := startFaultRelay(t)
	const timeout = time.Second
	s, err := NewSMTPSender(relay.url(), WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	q := &memQueue{}
	clock := newFakeClock()
	w := NewWorker(q, s, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond, Now: clock.Now})

	relay.setMode("silent", 0)
	id := q.add(sampleMessage(""))
	start := time.Now()
	startWorker(t, w)

	phases := []struct {
		mode    string
		wantErr string // in the last error
	}{
		{"silent", "timeout"},
		{"mail4xx", "451"},
		{"rcpt4xx", "452"},
		{"mute_after_data", "timeout"},
	}
	for i, ph := range phases {
		attempt := i + 1
		if i > 0 {
			relay.setMode(ph.mode, 0)
			start = time.Now()
			clock.Advance(firstBackoff<<(attempt-2) + firstBackoff<<(attempt-2)/10 + time.Second)
		}
		waitFor(t, ph.mode+" failure recorded", func() bool { return q.row(id).attempts == attempt })
		took := time.Since(start)
		r := q.row(id)
		t.Logf("%s: gave up after %v: %s", ph.mode, took.Round(10*time.Millisecond), r.lastErr)
		if r.state != "queued" {
			t.Fatalf("%s: message is %s, want queued for a retry (last error %q)", ph.mode, r.state, r.lastErr)
		}
		if !strings.Contains(strings.ToLower(r.lastErr), ph.wantErr) {
			t.Errorf("%s: last error %q does not say %q", ph.mode, r.lastErr, ph.wantErr)
		}
		if took > timeout*5 {
			t.Errorf("%s: the send took %v with a %v timeout", ph.mode, took, timeout)
		}
		base := firstBackoff << (attempt - 1)
		if wait := r.next.Sub(clock.Now()); wait < base || wait > base+base/10 {
			t.Errorf("%s: next try in %v, want %v plus up to 10%%", ph.mode, wait, base)
		}
	}
	if got := len(relay.received()); got != 1 {
		t.Fatalf("the mute relay read %d messages, want 1", got)
	}

	relay.setMode("slow", timeout/2)
	clock.Advance(firstBackoff<<3 + firstBackoff<<3/10 + time.Second)
	waitFor(t, "sent through the slow relay", func() bool { return q.row(id).state == "sent" })
	got := relay.received()
	if len(got) != 2 {
		t.Fatalf("relay read %d copies, want 2 (one unanswered, one accepted)", len(got))
	}
	if a, b := parseMessage(t, got[0]).MessageID, parseMessage(t, got[1]).MessageID; a != b || a == "" {
		t.Errorf("the redelivered copy has Message-ID %q, the first %q", b, a)
	}
	// Nothing more goes out.
	time.Sleep(50 * time.Millisecond)
	clock.Advance(MaxBackoff)
	time.Sleep(50 * time.Millisecond)
	if n := len(relay.received()); n != 2 {
		t.Errorf("relay read %d copies after the message was sent", n)
	}
}

// TestFaultRelayRefusesSender: a relay that answers MAIL FROM with a 5xx
// (a sender the relay will not take: the portal's --mail-from or relay
// configuration, not the message) must not fail the mail for good, or one
// misconfiguration would lose every queued invitation; it stays queued
// with the reason until the relay is fixed, and then goes out.
func TestFaultRelayRefusesSender(t *testing.T) {
	relay := startFaultRelay(t)
	s, err := NewSMTPSender(relay.url(), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	relay.setMode("mail5xx", 0)
	q := &memQueue{}
	const n = 5
	for range n {
		q.add(sampleMessage(""))
	}
	clock := newFakeClock()
	w := NewWorker(q, s, testLogger(t), WorkerOptions{Poll: 10 * time.Millisecond, Now: clock.Now})
	startWorker(t, w)
	waitFor(t, "every message tried", func() bool { return q.count(func(r memRow) bool { return r.attempts == 1 }) == n })
	for id := uint64(1); id <= n; id++ {
		if r := q.row(id); r.state != "queued" || !strings.Contains(r.lastErr, "550") {
			t.Fatalf("message %d after the relay refused the sender: state %s, last error %q", id, r.state, r.lastErr)
		}
	}
	relay.setMode("ok", 0)
	clock.Advance(firstBackoff + firstBackoff/10 + time.Second)
	waitFor(t, "all sent once the relay takes the sender", func() bool { return q.count(isSent) == n })
	if got := len(relay.received()); got != n {
		t.Errorf("relay got %d messages, want %d", got, n)
	}
}
