package server

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"

	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

const (
	invitePrefix = "invite-"
)

// routing hands the session to the staff or the client side by user name.
func (s *Server) routing(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		user := sess.User()
		switch {
		case user == s.cfg.StaffUser:
			s.serveStaff(sess)
		case strings.HasPrefix(user, invitePrefix):
			// Only lowercased: a malformed token is the portal's to refuse,
			// with a message the client can read.
			s.serveClient(sess, strings.ToLower(strings.TrimPrefix(user, invitePrefix)))
		default:
			s.serveClient(sess, "")
		}
		next(sess)
	}
}

func (s *Server) serveStaff(sess ssh.Session) {
	// Identity comes from the key the client signed with for this user name,
	// looked up again now: nothing the auth callbacks saw is trusted here.
	key := verifiedKey(sess, s.cfg.StaffUser)
	if key == nil || !s.routes.StaffKeyKnown(sess.Context(), key) {
		fail(sess, s.p.T("server.denied"))
		return
	}
	_, _, pty := sess.Pty()
	console := pty && len(sess.Command()) == 0 && s.routes.StaffConsole != nil
	ls := s.newLiveSession(sess, console)
	defer ls.finish()

	if len(sess.Command()) > 0 {
		_ = sess.Exit(s.routes.StaffCommand(sess, key))
		return
	}
	if !pty {
		fail(sess, s.p.T("server.staff_no_command"))
		return
	}
	if console {
		ran := s.runProgram(ls, func(u ui.Session) tea.Model { return s.routes.StaffConsole(u, key) })
		if ran {
			return
		}
	}
	// No console yet: the command list is the next best thing.
	s.routes.StaffCommand(helpSession{Session: sess}, key)
	_ = sess.Exit(0)
}

func (s *Server) serveClient(sess ssh.Session, inviteToken string) {
	_, _, pty := sess.Pty()
	if !pty || len(sess.Command()) > 0 || sess.Subsystem() != "" {
		fail(sess, s.p.T("server.needs_terminal", s.connectHint()))
		return
	}
	ls := s.newLiveSession(sess, true)
	defer ls.finish()
	if !s.runProgram(ls, func(u ui.Session) tea.Model { return s.routes.Client(u, inviteToken) }) {
		s.log.Error("client route returned no model", "session", ls.id)
		fail(sess, s.p.T("server.internal_error"))
	}
}

func (s *Server) connectHint() string {
	if s.cfg.ConnectHint != "" {
		return s.cfg.ConnectHint
	}
	return "ssh -t"
}

// helpSession is a staff session whose command reads "help".
type helpSession struct {
	ssh.Session
}

func (helpSession) Command() []string  { return []string{"help"} }
func (helpSession) RawCommand() string { return "help" }

// logUser is the user name as logs may show it: an invitation's user name
// carries its token, a secret that must not sit in logs.
func logUser(user string) string {
	if strings.HasPrefix(user, invitePrefix) {
		return invitePrefix + "…"
	}
	if len(user) > 64 {
		user = user[:64]
	}
	return text.Sanitize(user)
}
