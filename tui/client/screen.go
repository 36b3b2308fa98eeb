package client

import (
	"context"
	"errors"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
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

// doneMsg is the outcome of a portal call. owner is the screen that made
// the call: a result for a screen the person has already left is dropped.
// client is val when the call returns a client.
type doneMsg struct {
	owner  screen
	seq    int // which of owner's calls, so a call given up on is never taken for the next
	client *portal.Client
	val    any
	err    error
}

// helpKeys lays bindings out for the full help: columns of rows keys (two
// as a rule, so that every key fits on two lines of an 80-column
// terminal; see Model.helpView).
type helpKeys struct {
	keys []key.Binding
	rows int
}

func (k helpKeys) ShortHelp() []key.Binding { return k.keys }

func (k helpKeys) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	for i := 0; i < len(k.keys); i += k.rows {
		cols = append(cols, k.keys[i:min(i+k.rows, len(k.keys))])
	}
	return cols
}

// runner is the one portal call a screen may have running, with the
// spinner shown meanwhile.
type runner struct {
	d      *deps
	spin   spinner.Model
	cancel context.CancelFunc // set while a call runs
	seq    int                // counts the calls made
}

func newRunner(d *deps) runner { return runner{d: d, spin: ui.NewSpinner(d.st)} }

func (r *runner) busy() bool { return r.cancel != nil }

// run calls fn for owner off the Update loop. Its context ends with the
// session, or when the person leaves the screen (stop, which Model.switchTo
// calls through the screen's leave), so nothing keeps waiting for an
// answer no one will read, and no screen kept to go back to stays busy on
// a call whose answer went to another.
func (r *runner) run(owner screen, fn func(ctx context.Context) (any, error)) tea.Cmd {
	r.stop()
	ctx, cancel := context.WithCancel(r.d.sess.Context)
	r.cancel = cancel
	r.seq++
	seq := r.seq
	return tea.Batch(func() tea.Msg {
		defer cancel()
		v, err := fn(ctx)
		c, _ := v.(*portal.Client)
		return doneMsg{owner: owner, seq: seq, client: c, val: v, err: err}
	}, r.spin.Tick)
}

// stop gives up on the running call, if any.
func (r *runner) stop() {
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// result reports whether msg is the outcome of owner's running call, and
// marks the call finished when it is.
func (r *runner) result(owner screen, msg tea.Msg) (doneMsg, bool) {
	res, ok := msg.(doneMsg)
	if !ok || res.owner != owner || res.seq != r.seq || !r.busy() {
		return doneMsg{}, false
	}
	r.stop()
	return res, true
}

// tick turns the spinner while a call runs; ok reports whether msg was a
// spinner's tick at all. The spinner stops ticking once hidden.
func (r *runner) tick(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	t, ok := msg.(spinner.TickMsg)
	if !ok || !r.busy() {
		return nil, ok
	}
	r.spin, cmd = r.spin.Update(t)
	return cmd, true
}

// status is the spinner and what it waits for while a call runs, or "".
func (r *runner) status(label string) string {
	if !r.busy() {
		return ""
	}
	return r.spin.View() + " " + r.d.st.Subtle.Render(label)
}

// failed is what the person reads for err; an internal error is logged in
// full, as they read only a generic line.
func (r *runner) failed(err error) string {
	if portal.AsError(err) == nil && !errors.Is(err, context.Canceled) {
		r.d.svc.Logger().Error("client action failed", "session", r.d.sess.ID, "err", err)
	}
	return portal.Message(r.d.p, err)
}

// formScreen is what every form screen has alike: the form, and the one
// portal call it may have running with its spinner.
type formScreen struct {
	runner
	form  *ui.Form
	width int
	// submit, when set, sends the form from any field, as Enter does on
	// the last; a form with a text area needs it, as Enter makes a line.
	submit key.Binding
	// asking is set by a first Esc on a form that holds typed work (see
	// leaving): the screen asks whether to throw it away, and a second
	// Esc does. Any other key clears it. discard is the question, from
	// the catalog.
	asking  bool
	discard string
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
	return formScreen{runner: newRunner(d), form: ui.NewForm(d.st, d.p, fields...)}
}

// fail shows err beside the field it names (or under the form) and moves
// the focus there, so the person can fix it at once.
func (f *formScreen) fail(err error) tea.Cmd {
	field := portal.FieldOf(err)
	f.form.SetError(field, f.failed(err))
	if field != "" {
		return f.form.Focus(field)
	}
	return nil
}

// leave gives up on the running call (see Model.switchTo).
func (f *formScreen) leave() {
	f.stop()
	f.asking = false
}

// leaving decides what Esc does on a form that may hold work typed by the
// person (dirty): with none, or asked already, Esc gives up on the running
// call and leaves (true); else the first Esc only asks. A call running
// meanwhile goes on: if it answers first, what was typed was sent, not
// lost.
func (f *formScreen) leaving(dirty bool) bool {
	if dirty && !f.asking {
		f.asking = true
		return false
	}
	f.leave()
	return true
}

// isEsc reports whether msg is the key that leaves a form (a paste never
// is).
func (f *formScreen) isEsc(msg tea.Msg) bool {
	km, ok := msg.(tea.KeyMsg)
	return ok && !km.Paste && key.Matches(km, f.form.Keys().Back)
}

// update does what every form screen does with a message: spinner ticks
// while busy, and keys for the form. While a call runs only Esc counts,
// so a second Enter cannot send the form twice. Esc also gives up on the
// call. Any other key answers the question leaving asked: keep editing.
func (f *formScreen) update(msg tea.Msg) (ui.FormEvent, tea.Cmd) {
	if cmd, ok := f.tick(msg); ok {
		return ui.FormNone, cmd
	}
	if km, ok := msg.(tea.KeyMsg); ok {
		if !f.isEsc(km) {
			f.asking = false
		}
		if f.busy() && (km.Paste || km.Type != tea.KeyEsc) {
			if len(f.held) < maxHeld {
				f.held = append(f.held, km)
			}
			return ui.FormNone, nil
		}
		if !km.Paste && key.Matches(km, f.submit) {
			return ui.FormSubmit, nil
		}
	}
	ev, cmd := f.form.Update(msg)
	if ev == ui.FormBack {
		f.stop()
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
	return f.handleCall(owner, msg, func(form *ui.Form) func(ctx context.Context) (any, error) {
		c := submit(form)
		return func(ctx context.Context) (any, error) { return c(ctx) }
	}, func(r doneMsg) tea.Cmd { return done(r.client) })
}

// handleCall is handle for a call whose answer is not a client: done gets
// the whole outcome.
func (f *formScreen) handleCall(owner screen, msg tea.Msg, submit func(form *ui.Form) func(ctx context.Context) (any, error), done func(r doneMsg) tea.Cmd) tea.Cmd {
	if r, ok := f.result(owner, msg); ok {
		if r.err != nil {
			f.held = nil
			return f.fail(r.err)
		}
		defer f.replay()
		return done(r)
	}
	ev, cmd := f.update(msg)
	switch ev {
	case ui.FormBack:
		return f.d.goTo(backMsg{})
	case ui.FormSubmit:
		f.form.ClearErrors()
		if f.form.MissingRequired(f.d.p) {
			return nil
		}
		return f.run(owner, submit(f.form))
	}
	return cmd
}

// page draws a form screen: its title, a notice (green; "" for none), its
// intro, the form, the question a first Esc asks (see leaving) and, while
// a call runs, the status line. Text in notice and intro that came from a
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

// question is the line that asks, after a first Esc, whether to throw the
// typed work away; "" when not asking.
func (f *formScreen) question() string {
	if !f.asking {
		return ""
	}
	return ui.Para(f.d.st.Error, f.discard, f.width)
}

// back is the help of Esc: back, or discard once asked.
func (f *formScreen) back() key.Binding {
	if f.asking {
		return f.d.bind("ui.key.esc", "client.help.discard", "esc")
	}
	return f.form.Keys().Back
}

// status is the line under the form while a call runs.
func (f *formScreen) status() string { return f.runner.status(f.d.p.T("client.busy")) }

func (f *formScreen) SetWidth(w int) {
	f.width = w
	f.form.SetWidth(w)
}

func (f *formScreen) Keys() []key.Binding { return f.form.Keys().ShortHelp() }
