package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"

	"github.com/clientportal/portal/tui/ui"
)

// endGrace is how long an ended program has to restore the terminal before
// the session is closed under it.
const endGrace = 2 * time.Second

// endReason says why the server ended a session.
type endReason int

const (
	endNone          endReason = iota
	endIdle                    // no keystroke for IdleTimeout
	endMaxTime                 // MaxSessionTime reached
	endShutdown                // the server is shutting down
	endExternal                // ui.Session.End, e.g. after a password reset
	endOutputBlocked           // the client read nothing for OutputTimeout
	endInputFlood              // the client sent more than the input buffer holds
)

// liveSession is the server's handle on one routed SSH session: it ends the
// session from any goroutine and releases what was made for it.
type liveSession struct {
	s       *Server
	sess    ssh.Session
	id      string
	program bool // a Bubble Tea program runs; otherwise a one-shot command
	// renderer is the session's own lipgloss renderer, for programs only.
	renderer *lipgloss.Renderer

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	// conn is the session's connection (nil only for a connection from
	// another listener, which is never served), windows the sizes its
	// client sent, out the program's output once it runs.
	conn        *trackedConn
	windows     *windowState
	out         *writeClock
	releaseSlot func()

	mu     sync.Mutex
	reason endReason

	untrack sync.Once
}

func (s *Server) newLiveSession(sess ssh.Session, program bool) *liveSession {
	ctx, cancel := context.WithCancel(sess.Context())
	ls := &liveSession{
		s:       s,
		sess:    sess,
		id:      sessionID(sess),
		program: program,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	if info := connInfoOf(sess.Context()); info != nil {
		ls.conn = info.conn
		ls.windows = &info.windows
		ls.releaseSlot = info.releaseSlot
	} else {
		ls.windows = &windowState{changed: make(chan struct{}, 1)}
	}
	if program {
		ls.renderer = newRenderer(sess)
	}
	s.track(ls, true)
	if obs := s.routes.Sessions; obs != nil {
		obs.SessionStarted(ls.uiSession())
	}
	// A shutdown that began before this session was tracked missed it.
	if s.shuttingDown.Load() {
		ls.endWith(endShutdown)
	}
	return ls
}

func (ls *liveSession) uiSession() ui.Session {
	return ui.Session{
		Context:    ls.ctx,
		ID:         ls.id,
		User:       ls.sess.User(),
		RemoteAddr: ls.sess.RemoteAddr().String(),
		Locale:     locale(ls.sess.Environ()),
		Renderer:   ls.renderer,
		End:        ls.end,
	}
}

// end is ui.Session.End.
func (ls *liveSession) end() { ls.endWith(endExternal) }

// endWith ends the session once, whichever of its enders comes first. A
// program is killed through its context, which restores the terminal; the
// session is closed under it only if that takes too long.
func (ls *liveSession) endWith(reason endReason) {
	ls.mu.Lock()
	if ls.reason != endNone {
		ls.mu.Unlock()
		return
	}
	ls.reason = reason
	ls.mu.Unlock()

	ls.cancel()
	if !ls.program {
		_ = ls.sess.Close()
		return
	}
	time.AfterFunc(endGrace, func() {
		defer ls.s.recoverGoroutine("session end")
		select {
		case <-ls.done:
		default:
			// The connection, not only the channel: closing a channel only
			// sends a message, and a program still writing waits for window
			// space from a client that never reads, for as long as the
			// connection lives.
			ls.closeConn()
		}
	})
}

// closeConn closes the session's connection, which ends every write and
// read waiting on it.
func (ls *liveSession) closeConn() {
	if ls.conn != nil {
		_ = ls.conn.Close()
		return
	}
	_ = ls.sess.Close()
}

// blockedFor is how long the session's output, or its connection's
// socket, has been waiting on the client at now.
func (ls *liveSession) blockedFor(now time.Time) time.Duration {
	var conn time.Duration
	if ls.conn != nil {
		conn = ls.conn.writes.blockedFor(now)
	}
	return max(ls.out.blockedFor(now), conn)
}

func (ls *liveSession) endReason() endReason {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.reason
}

// release gives the session's place back (its count against the per-address
// limit): before the exit status is sent, so that a client reconnecting the
// moment its session ends is not refused by a session that is over.
func (ls *liveSession) release() {
	ls.untrack.Do(func() {
		ls.s.track(ls, false)
		if ls.releaseSlot != nil {
			ls.releaseSlot()
		}
	})
}

// finish releases the session; it runs when the handler is done with it.
func (ls *liveSession) finish() {
	close(ls.done)
	ls.cancel()
	ls.release()
	if obs := ls.s.routes.Sessions; obs != nil {
		obs.SessionEnded(ls.id)
	}
}

// endMessage is the line shown once the terminal is restored.
func (ls *liveSession) endMessage() string {
	switch ls.endReason() {
	case endIdle:
		return ls.s.p.T("server.ended_idle", humanDuration(ls.s.cfg.IdleTimeout))
	case endMaxTime:
		return ls.s.p.T("server.ended_max_time", humanDuration(ls.s.cfg.MaxSessionTime))
	case endShutdown:
		return ls.s.p.T("server.shutting_down")
	case endExternal:
		return ls.s.p.T("server.ended")
	case endInputFlood:
		return ls.s.p.T("server.ended_input")
	default:
		return ""
	}
}

// humanDuration writes whole hours and minutes with the short units that
// read the same in every language of the catalog ("15 min", "12 h"),
// anything else as Go does.
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	default:
		return d.String()
	}
}
