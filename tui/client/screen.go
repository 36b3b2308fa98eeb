package client

import (
	"context"
	"errors"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/ui"
)

// screen is one page of the client program. Screens are used by pointer
// and change in place, as ui.Form does; the parent keeps one at a time.
type screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	// View is the body of the frame; the parent adds title bar and help.
	View() string
	// Keys are the bindings the screen answers to, for help; the parent
	// adds the ones it handles itself (Ctrl+C).
	Keys() []key.Binding
	SetWidth(w int)
}

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
		client *store.Client
		notice string
	}
	// verifyMsg asks for the code mailed to email to confirm it.
	verifyMsg struct{ email, notice string }
	// welcomeMsg goes back to the welcome screen with something to say.
	welcomeMsg struct{ notice string }
	// resetMsg asks for the reset code mailed to email and a new password.
	resetMsg struct{ email string }
	// homeMsg returns home after a change; client is the changed client,
	// or nil when it did not change.
	homeMsg struct {
		client *store.Client
		notice string
	}
)

func send(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// choose hands a key to a menu screen's menu and turns the item it picks
// into where to go next.
func choose(menu *ui.Menu, km tea.KeyMsg) tea.Cmd {
	var chosen string
	*menu, chosen = menu.Update(km)
	switch chosen {
	case "":
		return nil
	case toQuit:
		return tea.Quit
	}
	return send(openMsg{to: chosen})
}

// doneMsg is the outcome of a portal call. owner is the screen that made
// the call: a result for a screen the person has already left is dropped.
type doneMsg struct {
	owner  screen
	client *store.Client
	err    error
}

// helpKeys lays bindings out for the full help: columns of two, so every
// key fits on two lines of an 80-column terminal.
type helpKeys []key.Binding

func (k helpKeys) ShortHelp() []key.Binding { return k }

func (k helpKeys) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	for i := 0; i < len(k); i += 2 {
		cols = append(cols, k[i:min(i+2, len(k))])
	}
	return cols
}

// formScreen is what every form screen has alike: the form, and the one
// portal call it may have running with its spinner.
type formScreen struct {
	d      *deps
	form   *ui.Form
	spin   spinner.Model
	width  int
	cancel context.CancelFunc // set while a call runs
}

func newFormScreen(d *deps, fields ...ui.Field) formScreen {
	return formScreen{d: d, form: ui.NewForm(d.st, d.p, fields...), spin: ui.NewSpinner(d.st)}
}

func (f *formScreen) busy() bool { return f.cancel != nil }

// start runs call for owner off the Update loop. Its context ends with the
// session, or when the person leaves the screen (stop), so nothing keeps
// waiting for an answer no one will read.
func (f *formScreen) start(owner screen, run call) tea.Cmd {
	ctx, cancel := context.WithCancel(f.d.sess.Context)
	f.cancel = cancel
	f.form.ClearErrors()
	return tea.Batch(func() tea.Msg {
		defer cancel()
		c, err := run(ctx)
		return doneMsg{owner: owner, client: c, err: err}
	}, f.spin.Tick)
}

// stop gives up on the running call, if any.
func (f *formScreen) stop() {
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
}

// result reports whether msg is the outcome of owner's running call, and
// marks the call finished when it is.
func (f *formScreen) result(owner screen, msg tea.Msg) (doneMsg, bool) {
	r, ok := msg.(doneMsg)
	if !ok || r.owner != owner || !f.busy() {
		return doneMsg{}, false
	}
	f.stop()
	return r, true
}

// fail shows err beside the field it names (or under the form) and moves
// the focus there, so the person can fix it at once.
func (f *formScreen) fail(err error) tea.Cmd {
	if portal.AsError(err) == nil && !errors.Is(err, context.Canceled) {
		// The person reads a generic line; the log keeps what happened.
		f.d.svc.Logger().Error("client action failed", "session", f.d.sess.ID, "err", err)
	}
	field := portal.FieldOf(err)
	f.form.SetError(field, portal.Message(f.d.p, err))
	if field != "" {
		return f.form.Focus(field)
	}
	return nil
}

// update does what every form screen does with a message: spinner ticks
// while busy, and keys for the form. While a call runs only Esc counts,
// so a second Enter cannot send the form twice. Esc also gives up on the
// call.
func (f *formScreen) update(msg tea.Msg) (ui.FormEvent, tea.Cmd) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !f.busy() {
			return ui.FormNone, nil // the spinner stops ticking once hidden
		}
		var cmd tea.Cmd
		f.spin, cmd = f.spin.Update(msg)
		return ui.FormNone, cmd
	case tea.KeyMsg:
		if f.busy() && (msg.Paste || msg.Type != tea.KeyEsc) {
			return ui.FormNone, nil
		}
	}
	ev, cmd := f.form.Update(msg)
	if ev == ui.FormBack {
		f.stop()
	}
	return ev, cmd
}

// call is the portal call a form screen makes when it is sent.
type call func(ctx context.Context) (*store.Client, error)

// handle is the loop every form screen runs: a finished call shows its
// refusal beside the field or goes on with done; Esc goes back; Enter on a
// complete form starts the call that submit makes from the form's values.
func (f *formScreen) handle(owner screen, msg tea.Msg, submit func(form *ui.Form) call, done func(c *store.Client) tea.Cmd) tea.Cmd {
	if r, ok := f.result(owner, msg); ok {
		if r.err != nil {
			return f.fail(r.err)
		}
		return done(r.client)
	}
	ev, cmd := f.update(msg)
	switch ev {
	case ui.FormBack:
		return send(backMsg{})
	case ui.FormSubmit:
		f.form.ClearErrors()
		if f.form.MissingRequired(f.d.p) {
			return nil
		}
		return f.start(owner, submit(f.form))
	}
	return cmd
}

// page draws a form screen: its title, a notice (green; "" for none), its
// intro, the form and, while a call runs, the status line. Text in notice
// and intro that came from a person must already be sanitized.
func (f *formScreen) page(title, notice, intro string) string {
	st := f.d.st
	return ui.Page(
		st.Title.Render(title),
		ui.Para(st.Success, notice, f.width),
		ui.Para(st.Subtle, intro, f.width),
		f.form.View(),
		f.status(),
	)
}

// status is the line under the form while a call runs.
func (f *formScreen) status() string {
	if !f.busy() {
		return ""
	}
	return f.spin.View() + " " + f.d.st.Subtle.Render(f.d.p.T("client.busy"))
}

func (f *formScreen) SetWidth(w int) {
	f.width = w
	f.form.SetWidth(w)
}

func (f *formScreen) Keys() []key.Binding { return f.form.Keys().ShortHelp() }
