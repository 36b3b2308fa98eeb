package admin

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// formScreen is a pushed screen made of a form and the one portal call it
// sends, which answers a T: a refusal shows beside the field it names,
// success goes back with a notice.
type formScreen[T any] struct {
	d     *deps
	title string
	intro string
	form  *ui.Form
	run   ui.Runner
	w     int
	// submit makes the call from the form's values.
	submit func(f *ui.Form) func(ctx context.Context) (T, error)
	// done is what success leads to.
	done func(v T) tea.Cmd
	// extra draws under the form (may be nil); keys adds to the help.
	extra func() string
	more  []key.Binding
	// intercept sees keys before the form (nil: none); true means taken.
	intercept func(msg tea.KeyMsg) bool
	// self is the screen answers go to: the form, or the screen holding it.
	self screen
}

func newFormScreen[T any](d *deps, title, intro string, fields ...ui.Field) *formScreen[T] {
	return &formScreen[T]{d: d, title: title, intro: intro, run: d.runner(), form: ui.NewForm(d.st, d.p, fields...)}
}

func (f *formScreen[T]) Init() tea.Cmd { return nil }

func (f *formScreen[T]) Typing() bool { return true }

// Leave gives up the call on its way (see ui.Leaver).
func (f *formScreen[T]) Leave() { f.run.Stop() }

func (f *formScreen[T]) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ui.Result[T]:
		if !f.run.Take(msg) {
			return nil
		}
		if msg.Err != nil {
			return f.fail(msg.Err)
		}
		return f.done(msg.Val)
	case tea.KeyMsg:
		if f.run.Busy() {
			return nil // one call at a time; its answer comes back here
		}
		if f.intercept != nil && !msg.Paste && f.intercept(msg) {
			return nil
		}
	}
	ev, cmd := f.form.Update(msg)
	switch ev {
	case ui.FormBack:
		return f.d.goTo(popMsg{})
	case ui.FormSubmit:
		self := f.self
		if self == nil {
			self = f
		}
		return ui.Submit(&f.run, self, f.form, f.d.p, f.submit)
	}
	return cmd
}

// fail shows err beside the field it names (or under the form) and moves
// the focus there.
func (f *formScreen[T]) fail(err error) tea.Cmd {
	field := portal.FieldOf(err)
	f.form.SetError(field, f.d.errText(err))
	if field != "" {
		return f.form.Focus(field)
	}
	return nil
}

func (f *formScreen[T]) View() string {
	st := f.d.st
	var status, extra string
	if f.run.Busy() {
		status = st.Subtle.Render(f.d.p.T("admin.busy"))
	}
	if f.extra != nil {
		extra = f.extra()
	}
	return ui.Page(st.Title.Render(f.title), ui.Para(st.Subtle, f.intro, f.w), f.form.View(), extra, status)
}

func (f *formScreen[T]) SetSize(w, _ int) {
	f.w = w
	f.form.SetWidth(w)
}

func (f *formScreen[T]) Keys() []key.Binding {
	return append(f.form.Keys().ShortHelp(), f.more...)
}

// newAddClient is the Add client form (admins): the client is created
// invited and the invitation queued by the portal.
func newAddClient(d *deps) *formScreen[*portal.Client] {
	p := d.p
	f := newFormScreen[*portal.Client](d, p.T("admin.add.title"), p.T("admin.add.intro"),
		ui.Field{Key: portal.FieldEmail, Label: p.T("admin.field.email"), Placeholder: p.T("admin.placeholder.email")},
		ui.Field{Key: portal.FieldName, Label: p.T("admin.field.name")},
		ui.Field{Key: portal.FieldCompany, Label: p.T("admin.field.company"), Placeholder: p.T("admin.placeholder.optional"), Optional: true},
		ui.Field{Key: portal.FieldPhone, Label: p.T("admin.field.phone"), Placeholder: p.T("admin.placeholder.optional"), Optional: true},
	)
	svc, a := d.svc, d.actor
	f.submit = func(form *ui.Form) func(ctx context.Context) (*portal.Client, error) {
		in := portal.NewClient{Email: form.Value(portal.FieldEmail), Name: form.Value(portal.FieldName),
			Company: form.Value(portal.FieldCompany), Phone: form.Value(portal.FieldPhone)}
		return func(ctx context.Context) (*portal.Client, error) { return svc.AddClient(ctx, a, in) }
	}
	f.done = func(c *portal.Client) tea.Cmd {
		if c == nil {
			return d.goTo(popMsg{})
		}
		return d.goTo(popMsg{notice: p.T("admin.add.queued", clean(c.Email)), email: c.EmailNorm})
	}
	return f
}

// textForm is a form that lays its text out itself (a note, a request
// type): it sends one call at a time, asks before its text is discarded,
// and sizes its text to what the rest leaves.
type textForm interface {
	// answer acts on msg when it is the answer of the form's call; ok
	// reports whether msg was an answer of the form's kind at all.
	answer(msg tea.Msg) (cmd tea.Cmd, ok bool)
	key(msg tea.KeyMsg) tea.Cmd
	calling() bool // a call is on its way
	guard() *ui.DiscardGuard
	layout()
}

// updateTextForm routes msg to f (keys wait while a call is on its way,
// and answer the guard while it asks) and lays f out again for what
// changed, so that its View only draws.
func updateTextForm(d *deps, f textForm, msg tea.Msg) tea.Cmd {
	defer f.layout()
	if cmd, ok := f.answer(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch g := f.guard(); {
		case f.calling():
			return nil // its answer comes back here
		case g.Asking():
			if g.Answer(msg) {
				return d.goTo(popMsg{})
			}
			return nil
		}
		return f.key(msg)
	}
	return nil
}
