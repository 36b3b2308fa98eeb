package server

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/clientportal/portal/internal/text"
)

const ()

// recoverMiddleware keeps a panic in any handler to its own session: it is
// logged with its stack, the session gets one line and exit status 1.
func (s *Server) recoverMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic in ssh session", "session", sessionID(sess), "user", logUser(sess.User()),
					"panic", r, "stack", string(debug.Stack()))
				fail(sess, s.p.T("server.internal_error"))
			}
		}()
		next(sess)
	}
}

// loggingMiddleware logs every session's start and end.
func (s *Server) loggingMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		start := time.Now()
		attrs := []any{
			"session", sessionID(sess),
			"user", logUser(sess.User()),
			"remote", sess.RemoteAddr().String(),
		}
		if key := verifiedKey(sess, sess.User()); key != nil {
			attrs = append(attrs, "key", gossh.FingerprintSHA256(key))
		}
		if cmd := sess.Command(); len(cmd) > 0 {
			// Only the command's name: its arguments may hold personal data.
			attrs = append(attrs, "command", text.Sanitize(cmd[0]))
		}
		_, _, pty := sess.Pty()
		attrs = append(attrs, "pty", pty)
		s.log.Info("ssh session start", attrs...)

		rec := &exitRecorder{Session: sess}
		rec.status.Store(-1)
		next(rec)

		s.log.Info("ssh session end", append(attrs,
			"duration", time.Since(start).Round(time.Millisecond).String(),
			"status", rec.status.Load())...)
	}
}

// exitRecorder remembers the exit status a handler sent, for the log.
type exitRecorder struct {
	ssh.Session
	status atomic.Int32
}

func (e *exitRecorder) Exit(code int) error {
	e.status.Store(int32(code)) //nolint:gosec // exit statuses are small
	return e.Session.Exit(code) //nolint:wrapcheck // a pass-through
}

// limitsMiddleware takes the connection out of its handshake and applies
// the per-address session limit.
func (s *Server) limitsMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		info := connInfoOf(sess.Context())
		if info == nil || info.conn == nil {
			// Only a connection from our own listener can be served.
			fail(sess, s.p.T("server.internal_error"))
			return
		}
		tc := info.conn
		if !tc.startSession() {
			fail(sess, s.p.T("server.internal_error"))
			return
		}
		defer tc.endSession()
		if s.shuttingDown.Load() {
			fail(sess, s.p.T("server.shutting_down"))
			return
		}
		if !s.limits.acquireSession(tc.ip) {
			s.log.Warn("too many sessions from one address", "remote", sess.RemoteAddr().String())
			fail(sess, s.p.T("server.too_many_sessions"))
			return
		}
		defer s.limits.releaseSession(tc.ip)
		next(sess)
	}
}

// fail writes one line on the session's stderr and exits with status 1.
func fail(sess ssh.Session, line string) {
	_, _ = fmt.Fprintln(sess.Stderr(), line)
	_ = sess.Exit(1)
}

// sessionID is a short, log-friendly form of the SSH session hash.
func sessionID(sess ssh.Session) string {
	id := sess.Context().SessionID()
	if len(id) > 16 {
		id = id[:16]
	}
	return id
}

// recoverGoroutine is deferred first in every goroutine the server starts.
func (s *Server) recoverGoroutine(what string) {
	if r := recover(); r != nil {
		s.log.Error("panic in server goroutine", "goroutine", what, "panic", r, "stack", string(debug.Stack()))
	}
}
