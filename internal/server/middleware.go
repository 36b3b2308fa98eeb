package server

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// recoverMiddleware keeps a panic in any handler to its own session: it is
// logged with its stack, the session gets one line and exit status 1.
func (s *Server) recoverMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		// Taken now: Pty() copies the window the library rewrites, unlocked,
		// on every resize, and resizes may be arriving when the session ends.
		_, windows, hasPty := sess.Pty()
		defer drainWindows(windows, hasPty) // last, even after a panic
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

// drainWindows reads the session's window changes until the library closes
// their channel. It holds one and then blocks its request loop on the next,
// and with it the connection's whole read loop: a client resizing after its
// program ended (or one that never had a program: refused, a command) would
// keep the connection and its goroutines forever.
func drainWindows(windows <-chan ssh.Window, hasPty bool) {
	if hasPty && windows != nil {
		go func() {
			for range windows { //nolint:revive // only to unblock the library
			}
		}()
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
			attrs = append(attrs, "command", logUser(cmd[0])) // cut like a user name
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
		if err := s.limits.acquireSession(tc.ip); err != nil {
			s.log.Warn(err.Error(), "remote", sess.RemoteAddr().String())
			if errors.Is(err, errSessionsTotal) {
				fail(sess, s.p.T("server.busy"))
			} else {
				fail(sess, s.p.T("server.too_many_sessions"))
			}
			return
		}
		info.releaseSlot = sync.OnceFunc(func() { s.limits.releaseSession(tc.ip) })
		defer info.releaseSlot()
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
