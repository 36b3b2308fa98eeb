package client

import (
	"context"
	"errors"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// screen is one page of the client program (see ui.Screen): the parent
// keeps one at a time. A screen that reads keys as choices, not text, says
// it is not Typing, so that keys typed ahead in one read are split.
type screen = ui.Screen

// Menu choices, which are also the screens they open.
const (
	toLogin    = "login"
	toSignUp   = "signup"
	toForgot   = "forgot"
	toInvite   = "invite"
	toPassword = "password"
	toProfile  = "profile"
	toLogOut   = "logout"
	toQuit     = "quit"

	toLanguage   = "language"
	toNewRequest = "new_request"
	toMyRequests = "my_requests"
)

// Navigation: a screen sends one of these to the parent, which decides
// what comes next.
type (
	// openMsg is a menu choice.
	openMsg struct{ to string }
	// backMsg leaves a screen: for home when logged in, else for welcome.
	backMsg struct{}
	// loggedInMsg: the person is now this client, by whatever path.
	loggedInMsg struct {
		client *portal.Client
		notice string
	}
	// verifyMsg asks for the code that sign-up attempt ticket mailed to
	// email.
	verifyMsg struct {
		ticket portal.SignUpTicket
		email  string
	}
	// welcomeMsg goes back to the welcome screen with something to say.
	welcomeMsg struct{ notice string }
	// resetMsg asks for the reset code mailed to email and a new password.
	resetMsg struct{ email string }
	// homeMsg returns home after a change; client is the changed client,
	// or nil when it did not change.
	homeMsg struct {
		client *portal.Client
		notice string
	}
	// langMsg: the person chose a language. client is the account it was
	// saved on, when logged in.
	langMsg struct {
		lang   text.Lang
		client *portal.Client
	}
	// typeMsg: the kind of request to fill in.
	typeMsg struct{ rt portal.RequestType }
	// reviewMsg asks to check a filled request form before it is sent.
	reviewMsg struct{ form *requestForm }
	// editMsg goes back to a request form, with the portal's refusal of it
	// (or nil when the person just wants to change something).
	editMsg struct {
		form *requestForm
		err  error
	}
	// requestMsg opens request id's page; atEnd scrolls it to its latest
	// news.
	requestMsg struct {
		id     uint64
		notice string
		atEnd  bool
	}
	// listMsg goes back to the list of requests; seen is the request whose
	// page was just read (the portal marked it read), or 0.
	listMsg struct{ seen uint64 }
	// noteMsg opens the form of a note to request id.
	noteMsg struct{ id uint64 }
)

// choose hands a key to a menu screen's menu and turns the item it picks
// into where to go next.
func (d *deps) choose(menu *ui.Menu, km tea.KeyMsg) tea.Cmd {
	var chosen string
	*menu, chosen = menu.Update(km)
	switch chosen {
	case "":
		return nil
	case toQuit:
		return tea.Quit
	}
	return d.goTo(openMsg{to: chosen})
}

// failed is what the person reads for err; an internal error is logged in
// full, as they read only a generic line.
func (d *deps) failed(err error) string {
	if portal.AsError(err) == nil && !errors.Is(err, context.Canceled) {
		d.svc.Logger().Error("client action failed", "session", d.sess.ID, "err", err)
	}
	return portal.Message(d.p, err)
}

// newRunner is a screen's runner of portal calls, with the spinner shown
// while one runs.
func newRunner(d *deps) ui.Runner { return ui.NewSpinRunner(d.sess.Context, d.st) }

// formScreen is what every form screen has alike: the form, and the one
// portal call it may have running with its spinner.
type formScreen struct {
	d     *deps
	run   ui.Runner
	form  *ui.Form
	width int
	sized bool // the form was given a width
	// submit, when set, sends the form from any field, as Enter does on
	// the last; a form with a text area needs it, as Enter makes a line.
	submit key.Binding
	// guard asks, on Esc over a form that holds typed work (see leaving),
	// whether to throw it away; a form without such work has none to
	// ask (its question is "").
	guard ui.DiscardGuard
	// held are the keys typed while a call ran: once a call that went
	// through has been acted on, they go, in order, to the screen it led
	// to, so typing ahead loses nothing. After a refusal they are dropped:
	// they were typed for what was to follow, and an Enter among them
	// would send the refused form again.
	held []tea.Msg
}

// maxHeld bounds the keys kept while a call runs.
const maxHeld = 256

// replay hands the keys typed during the call to the model, after what
// the call's outcome asked for.
func (f *formScreen) replay() {
	for _, k := range f.held {
		f.d.goTo(k)
	}
	f.held = nil
}

func newFormScreen(d *deps, fields ...ui.Field) formScreen {
	return formScreen{d: d, run: newRunner(d), form: ui.NewForm(d.st, d.p, fields...)}
}

// busy reports whether the form's call runs.
func (f *formScreen) busy() bool { return f.run.Busy() }

// fail shows err beside the field it names (or under the form) and moves
// the focus there, so the person can fix it at once.
func (f *formScreen) fail(err error) tea.Cmd {
	field := portal.FieldOf(err)
	f.form.SetError(field, f.d.failed(err))
	if field != "" {
		return f.form.Focus(field)
	}
	return nil
}

// Leave gives up on the running call (see ui.Leaver).
func (f *formScreen) Leave() {
	f.run.Stop()
	f.guard.Reset()
}

// Typing: a form's keys are text.
func (f *formScreen) Typing() bool { return true }

// leaving decides what Esc does on a form that may hold work typed by the
// person (dirty): with none, Esc gives up on the running call and leaves
// (true); else the guard asks first (false). A call running meanwhile
// goes on: if it answers first, what was typed was sent, not lost.
func (f *formScreen) leaving(dirty bool) bool {
	if !f.guard.Leave(dirty) {
		return false
	}
	f.Leave()
	return true
}

// asking answers the guard's question with msg, when it asks: y leaves
// (true), n and Esc go back to the form, any other key does nothing.
// taken reports whether the guard had the key.
func (f *formScreen) asking(msg tea.Msg) (leave, taken bool) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !f.guard.Asking() {
		return false, false
	}
	if f.guard.Answer(km) {
		f.Leave()
		return true, true
	}
	return false, true
}

// isEsc reports whether msg is the key that leaves a form (a paste never
// is).
func (f *formScreen) isEsc(msg tea.Msg) bool {
	km, ok := msg.(tea.KeyMsg)
	return ok && ui.IsKey(km, f.form.Keys().Back)
}

// update does what every form screen does with a message: spinner ticks
// while busy, and keys for the form. While a call runs only Esc counts,
// so a second Enter cannot send the form twice. Esc also gives up on the
// call.
func (f *formScreen) update(msg tea.Msg) (ui.FormEvent, tea.Cmd) {
	if cmd, ok := f.run.Tick(msg); ok {
		return ui.FormNone, cmd
	}
	if km, ok := msg.(tea.KeyMsg); ok {
		if f.busy() && (km.Paste || km.Type != tea.KeyEsc) {
			if len(f.held) < maxHeld {
				f.held = append(f.held, km)
			}
			return ui.FormNone, nil
		}
		if ui.IsKey(km, f.submit) {
			return ui.FormSubmit, nil
		}
	}
	ev, cmd := f.form.Update(msg)
	if ev == ui.FormBack {
		f.run.Stop()
		f.held = nil
	}
	return ev, cmd
}

// call is the portal call a form screen makes when it is sent.
type call func(ctx context.Context) (*portal.Client, error)

// handle is the loop every form screen runs: a finished call shows its
// refusal beside the field or goes on with done; Esc goes back; Enter on a
// complete form starts the call that submit makes from the form's values.
func (f *formScreen) handle(owner screen, msg tea.Msg, submit func(form *ui.Form) call, done func(c *portal.Client) tea.Cmd) tea.Cmd {
	return handleCall(f, owner, msg, func(form *ui.Form) func(ctx context.Context) (*portal.Client, error) {
		return submit(form)
	}, done)
}

// handleCall is handle for a call whose answer is a T.
func handleCall[T any](f *formScreen, owner screen, msg tea.Msg, submit func(form *ui.Form) func(ctx context.Context) (T, error), done func(v T) tea.Cmd) tea.Cmd {
	if r, ok := msg.(ui.Result[T]); ok && f.run.Take(r) {
		if r.Err != nil {
			f.held = nil
			return f.fail(r.Err)
		}
		defer f.replay()
		return done(r.Val)
	}
	ev, cmd := f.update(msg)
	switch ev {
	case ui.FormBack:
		return f.d.goTo(backMsg{})
	case ui.FormSubmit:
		return ui.Submit(&f.run, owner, f.form, f.d.p, submit)
	}
	return cmd
}

// page draws a form screen: its title, a notice (green; "" for none), its
// intro, the form, the question of the guard (see leaving) and, while a
// call runs, the status line. Text in notice and intro that came from a
// person must already be sanitized.
func (f *formScreen) page(title, notice, intro string) string {
	st := f.d.st
	return ui.Page(
		st.Title.Render(title),
		ui.Para(st.Success, notice, f.width),
		ui.Para(st.Subtle, intro, f.width),
		f.form.View(),
		f.question(),
		f.status(),
	)
}

// question is the guard's question; "" when not asking.
func (f *formScreen) question() string { return f.guard.View(f.d.st, f.width) }

// status is the line under the form while a call runs.
func (f *formScreen) status() string { return f.run.Status(f.d.st, f.d.p.T("client.busy")) }

// SetSize lays the form out again when the width changed: the model
// calls it after every message.
func (f *formScreen) SetSize(w, _ int) {
	if w != f.width || !f.sized {
		f.width, f.sized = w, true
		f.form.SetWidth(w)
	}
}

// Keys are the form's, or the guard's answers while it asks.
func (f *formScreen) Keys() []key.Binding {
	if f.guard.Asking() {
		return f.guard.Keys()
	}
	return f.form.Keys().ShortHelp()
}
