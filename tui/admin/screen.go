package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// deps is what every screen of one session shares. It is made once per
// session and never changed, so screens may keep the pointer.
type deps struct {
	svc   *portal.Service
	sess  ui.Session
	st    *ui.Styles
	p     text.Printer
	actor portal.Actor
	route *ui.Route
}

// screen is one page of the console (see ui.Screen): the parent keeps the
// tabs and a stack of pushed screens, and tells the one shown its size when
// it changes.
type screen = ui.Screen

// tab is a screen shown under a tab; it hears when it is shown and left,
// so that it refreshes on showing and stops any timer on leaving.
type tab interface {
	screen
	Show() tea.Cmd
	Hide()
}

// owner is embedded in messages meant for one screen to route them (see
// ui.Routed).
type owner struct{ to screen }

func (o owner) Target() screen { return o.to }

// Navigation: a screen sends one of these to the parent.
type (
	// pushMsg shows a screen over the current one.
	pushMsg struct{ s screen }
	// popMsg leaves the pushed screen; notice (may be "") is handed to the
	// screen under it, with the email it concerns, as a noticeMsg.
	popMsg struct{ notice, email string }
	// noticeMsg tells the screen shown again what the one above it did.
	noticeMsg struct{ notice, email string }
)

// goTo asks the model to act on msg (push or pop a screen, start an
// import) as soon as the screen's Update returns (see ui.Route).
func (d *deps) goTo(msg tea.Msg) tea.Cmd { return d.route.Go(msg) }

// runner is a screen's runner of portal calls (see ui.Runner): its calls
// end with the session, and the console shows "busy" words, not a spinner.
func (d *deps) runner() ui.Runner { return ui.NewRunner(d.sess.Context) }

// outcome is what a staff action answers when it went through: the notice
// its status line shows. Each action has its own type, so that a screen
// running several tells them apart by type.
type outcome interface{ notice(d *deps) string }

// said is the status line for the answer of an action: its notice, or the
// refusal.
func (d *deps) said(r ui.Result[outcome]) line {
	if r.Err != nil {
		return errLine(d.errText(r.Err))
	}
	return okLine(r.Val.notice(d))
}

// errText is what a person reads for err: the portal's refusal, or the
// generic line for an internal error, which is logged in full.
func (d *deps) errText(err error) string {
	if portal.AsError(err) == nil && !errors.Is(err, context.Canceled) {
		d.svc.Logger().Error("console action failed", "session", d.sess.ID, "staff", text.Sanitize(d.actor.Name), "err", err)
	}
	return portal.Message(d.p, err)
}

// forbidden is the refusal shown when a role presses a key of an action it
// may not do; the portal would refuse the action the same way.
func (d *deps) forbidden() string { return portal.Message(d.p, portal.ErrForbidden) }

// can reports whether the staff member may do act: the portal's own rule,
// which the action checks again, so a key shown is a key that works.
func (d *deps) can(act portal.Action) bool { return portal.Can(d.actor, act) }

// bind makes a binding whose help shows label and the catalog's desc
// (see ui.Bind).
func (d *deps) bind(label, desc string, keys ...string) key.Binding {
	return ui.Bind(d.p, label, desc, keys...)
}

// answerKeys are the keys of a question a screen asks in place (remove
// this key? reject this sign-up?): y, and n or Esc.
type answerKeys struct{ yes, no key.Binding }

func (d *deps) answerKeys() answerKeys {
	return answerKeys{yes: d.bind("y", "admin.help.yes", "y"), no: d.bind("n", "admin.help.no", "n", "esc")}
}

// answers are the keys the help shows while the question is asked.
func (k answerKeys) answers() []key.Binding { return []key.Binding{k.yes, k.no} }

// shortTimesBelow is the width under which tables show times without the
// year, so that the other columns keep room.
const shortTimesBelow = 120

// timeWidth is the column width a time takes as when writes it.
func timeWidth(short bool) int {
	if short {
		return len("01-02 15:04")
	}
	return len("2006-01-02 15:04")
}

// when shows a time in UTC to the minute; a short form for narrow tables.
func when(t time.Time, short bool) string {
	if t.IsZero() {
		return "-"
	}
	if short {
		return t.UTC().Format("01-02 15:04")
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func whenPtr(t *time.Time, short bool) string {
	if t == nil {
		return "-"
	}
	return when(*t, short)
}

// clean is user-supplied text made harmless, or "-" when empty.
func clean(s string) string {
	s = text.Sanitize(s)
	if s == "" {
		return "-"
	}
	return s
}

// line is a status line: a notice or an error.
type line struct {
	text string
	err  bool
}

func (l line) view(st *ui.Styles, w int) string {
	if l.text == "" {
		return ""
	}
	if l.err {
		return ui.Para(st.Error, "! "+l.text, w)
	}
	return ui.Para(st.Success, l.text, w)
}

func okLine(s string) line  { return line{text: s} }
func errLine(s string) line { return line{text: s, err: true} }
func (l *line) clear()      { *l = line{} }

// padRight pads s with spaces to w columns.
func padRight(s string, w int) string {
	return s + strings.Repeat(" ", max(1, w-lipgloss.Width(s)))
}
