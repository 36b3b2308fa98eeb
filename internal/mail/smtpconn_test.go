package mail

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// waitConns waits until the server has open connections open, or fails t.
func waitConns(t *testing.T, ts *testServer, open int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, n := ts.conns()
		if n == open {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server has %d connections open, want %d", n, open)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sendN(t *testing.T, s *SMTPSender, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := s.Send(context.Background(), sampleMessage(prefix+strconv.Itoa(i))); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

// TestSMTPSenderReusesConnections: a burst of mail goes over one
// connection when sent one after the other, and over no more connections
// than sends at once when sent concurrently, with TLS and authentication
// kept on the reused connections.
func TestSMTPSenderReusesConnections(t *testing.T) {
	tlsConf := newTestTLS(t)
	for _, tt := range relayKinds(&tlsConf) {
		t.Run(tt.name, func(t *testing.T) {
			ts, s := startRelay(t, tlsConf, tt)

			sendN(t, s, "seq-", 20)
			if opened, _ := ts.conns(); opened != 1 {
				t.Errorf("20 messages one after the other opened %d connections, want 1", opened)
			}

			const workers, each = 8, 8
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						errs <- s.Send(context.Background(), sampleMessage("par-"+strconv.Itoa(w)+"-"+strconv.Itoa(i)))
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if opened, _ := ts.conns(); opened > workers {
				t.Errorf("%d senders at once opened %d connections in all, want at most %d", workers, opened, workers)
			}

			got := ts.received()
			if len(got) != 20+workers*each {
				t.Fatalf("server got %d messages, want %d", len(got), 20+workers*each)
			}
			ids := make(map[string]bool)
			for _, r := range got {
				if r.TLS != tt.wantTLS || r.Authed != tt.wantAuthed {
					t.Fatalf("a message went with tls=%v authed=%v, want %v %v", r.TLS, r.Authed, tt.wantTLS, tt.wantAuthed)
				}
				ids[parseMessage(t, r.Data).MessageID] = true
			}
			if len(ids) != len(got) {
				t.Errorf("%d distinct Message-IDs among %d messages", len(ids), len(got))
			}
		})
	}
}

// TestSMTPSenderStaleConnection: a kept connection that the relay dropped
// or will take no more mail on costs the message nothing: it goes on a
// fresh connection. A relay that refuses every connection gets one fresh
// try, not a loop.
func TestSMTPSenderStaleConnection(t *testing.T) {
	t.Run("relay restarted", func(t *testing.T) {
		ts := startTestServer(t, &testServer{})
		s := plainSender(t, ts)
		sendN(t, s, "a", 1)
		ts.down()
		ts.up("127.0.0.1:" + ts.port())
		sendN(t, s, "b", 1)
		if got := len(ts.received()); got != 2 {
			t.Errorf("server got %d messages, want 2", got)
		}
	})
	t.Run("421 after three messages a connection", func(t *testing.T) {
		ts := startTestServer(t, &testServer{perConn: 3})
		s := plainSender(t, ts)
		sendN(t, s, "m", 10)
		if got := len(ts.received()); got != 10 {
			t.Errorf("server got %d messages, want 10", got)
		}
		if opened, _ := ts.conns(); opened != 4 {
			t.Errorf("opened %d connections, want 4 (3+3+3+1)", opened)
		}
	})
	t.Run("451 to MAIL FROM on every connection", func(t *testing.T) {
		ts := startTestServer(t, &testServer{})
		s := plainSender(t, ts)
		sendN(t, s, "a", 1)
		ts.set(func(ts *testServer) {
			ts.mailErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
		})
		err := s.Send(context.Background(), sampleMessage("b"))
		if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "451") {
			t.Fatalf("err = %v, want a temporary 451", err)
		}
		if opened, _ := ts.conns(); opened != 2 {
			t.Errorf("opened %d connections, want 2 (the kept one, then one fresh try)", opened)
		}
		ts.set(func(ts *testServer) { ts.mailErr = nil })
		sendN(t, s, "c", 1)
		if got := len(ts.received()); got != 2 {
			t.Errorf("server got %d messages, want 2", got)
		}
	})
}

func plainSender(t *testing.T, ts *testServer, opts ...SMTPOption) *SMTPSender {
	t.Helper()
	s, err := NewSMTPSender(ts.url(), append([]SMTPOption{WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestSMTPSenderConnectionShare: a connection carries at most
// maxConnMessages messages, then a fresh one takes over.
func TestSMTPSenderConnectionShare(t *testing.T) {
	ts := startTestServer(t, &testServer{})
	s := plainSender(t, ts)
	sendN(t, s, "m", 2*maxConnMessages+1)
	if opened, _ := ts.conns(); opened != 3 {
		t.Errorf("%d messages opened %d connections, want 3", 2*maxConnMessages+1, opened)
	}
}

// TestSMTPSenderClosesIdleConnections: nothing to send, no connection held
// open past the idle timeout; Close ends the kept connections at once, and
// sending after Close keeps none.
func TestSMTPSenderClosesIdleConnections(t *testing.T) {
	t.Run("idle timeout", func(t *testing.T) {
		ts := startTestServer(t, &testServer{})
		const idle = 200 * time.Millisecond
		s := plainSender(t, ts, WithIdleTimeout(idle))
		start := time.Now()
		sendN(t, s, "a", 1)
		waitConns(t, ts, 0)
		if d := time.Since(start); d < idle {
			t.Errorf("connection closed %v after the send, before the %v idle timeout", d, idle)
		}
		sendN(t, s, "b", 1)
		if opened, _ := ts.conns(); opened != 2 {
			t.Errorf("opened %d connections, want 2", opened)
		}
	})
	t.Run("close", func(t *testing.T) {
		ts := startTestServer(t, &testServer{})
		s := plainSender(t, ts) // the default idle timeout, far longer than this test
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() { sendN(t, s, "a"+strconv.Itoa(i)+"-", 3) })
		}
		wg.Wait()
		if _, open := ts.conns(); open == 0 {
			t.Fatal("no connection kept after sending")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		waitConns(t, ts, 0)
		sendN(t, s, "b", 1)
		waitConns(t, ts, 0)
		if got := len(ts.received()); got != 13 {
			t.Errorf("server got %d messages, want 13", got)
		}
	})
}

// TestSMTPSenderCancelOnKeptConnection: a send cancelled on a reused
// connection ends promptly and is temporary, and the next message goes out
// on a fresh connection.
func TestSMTPSenderCancelOnKeptConnection(t *testing.T) {
	ts := startTestServer(t, &testServer{})
	s := plainSender(t, ts)
	sendN(t, s, "a", 1)
	hold := make(chan struct{})
	ts.set(func(ts *testServer) { ts.dataHold = hold })
	released := false
	release := func() {
		if !released {
			released = true
			ts.set(func(ts *testServer) { ts.dataHold = nil })
			close(hold)
		}
	}
	defer release()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, sampleMessage("b"))
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a temporary error saying the context ended", err)
	}
	// Well under the 5 s SMTP timeout: the cancel closed the connection.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v after its context ended", d)
	}
	release()
	sendN(t, s, "c", 1)
	if opened, _ := ts.conns(); opened != 2 {
		t.Errorf("opened %d connections, want 2", opened)
	}
}
