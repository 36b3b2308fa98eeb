package client

import (
	"context"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// requestAreaLines are the rows of the text area of a request's
// multi-line field.
const requestAreaLines = 4

// requiredMark follows the label of a field that must be filled.
const requiredMark = " *"

// requestForm asks for the fields of one kind of request, in the kind's
// order. Enter on the last field (or Ctrl+S from any) has the portal check
// every value (CheckRequest): with problems, each shows under its field at
// once and the first of them has the focus; with none, the review shows
// what will be sent, and the confirm screen sends it. A refusal then (the
// kind may have changed meanwhile) comes back here beside its field
// (editMsg). Each field takes no more than the portal keeps: a paste
// longer than that is cut, as in every form. Esc on a form with something
// in it asks first, and a second Esc throws it away.
type requestForm struct {
	formScreen
	actor  portal.Actor
	rt     portal.RequestType
	fields []portal.RequestField
	broken string // the kind's fields could not be read
	height int
	offset int // first line shown, when the form is taller than the screen
}

func newRequestForm(d *deps, a portal.Actor, rt portal.RequestType) *requestForm {
	p := d.p
	fields := rt.Fields
	var uf []ui.Field
	for i, f := range fields {
		fd := ui.Field{
			Key: portal.RequestFieldName(i), Label: text.Sanitize(f.Label), Optional: !f.Required,
			CharLimit: portal.MaxTextValueLen,
		}
		if f.Required {
			fd.Label += requiredMark
		} else {
			fd.Placeholder = p.T("client.placeholder.optional")
		}
		switch f.Kind {
		case vocab.FieldMultiline:
			fd.Multiline, fd.Lines, fd.CharLimit = true, requestAreaLines, portal.MaxLongValueLen
		case vocab.FieldDate:
			fd.Placeholder = p.T("client.request.placeholder.date")
			if !f.Required {
				fd.Placeholder = p.T("client.request.placeholder.date_optional")
			}
		case vocab.FieldChoice:
			fd.Choices = f.Choices
		}
		uf = append(uf, fd)
	}
	s := &requestForm{formScreen: newFormScreen(d, uf...), actor: a, rt: rt, fields: fields, height: ui.DefaultHeight}
	s.submit = d.bind(p.T("client.key.ctrl_s"), "client.help.review", "ctrl+s")
	s.guard = ui.NewDiscardGuard(p, p.T("client.request.discard"))
	if len(fields) == 0 {
		s.broken = d.failed(nil)
	}
	return s
}

func (s *requestForm) Init() tea.Cmd { return nil }

func (s *requestForm) Update(msg tea.Msg) tea.Cmd {
	if s.broken != "" {
		if km, ok := msg.(tea.KeyMsg); ok && !km.Paste && km.Type == tea.KeyEsc {
			return s.d.goTo(openMsg{to: toNewRequest})
		}
		return nil
	}
	if leave, taken := s.asking(msg); taken {
		if leave {
			return s.d.goTo(openMsg{to: toNewRequest})
		}
		s.follow()
		return nil
	}
	if r, ok := msg.(ui.Result[[]*portal.Error]); ok && s.run.Take(r) {
		// Keys typed during the check are not for the review: an Enter
		// there sends the request, which the person must have seen first.
		s.held = nil
		cmd, clean := s.checked(r)
		if clean {
			return s.d.goTo(reviewMsg{form: s})
		}
		s.follow()
		return cmd
	}
	// Esc while the check runs gives the check up (update stops it) and
	// asks, as Esc does on any form with work in it: the review the check
	// would open is not what Esc asked for, and nothing typed is lost.
	ev, cmd := s.update(msg)
	switch ev {
	case ui.FormBack:
		if s.leaving(s.dirty()) {
			return s.d.goTo(openMsg{to: toNewRequest})
		}
	case ui.FormSubmit:
		cmd = s.check()
	}
	s.follow()
	return cmd
}

// check asks the portal, off the Update loop, what it would refuse in the
// form as it is now.
func (s *requestForm) check() tea.Cmd {
	s.form.ClearErrors()
	svc, a, id, values := s.d.svc, s.actor, s.rt.ID, s.values()
	return ui.Run(&s.run, screen(s), func(ctx context.Context) ([]*portal.Error, error) { return svc.CheckRequest(ctx, a, id, values) })
}

// checked shows every problem the check found, each under its field (the
// kind changed meanwhile, or the check failed: under the form), and moves
// the focus to the first field that has one. A required field left blank
// says so in the words of every form. clean reports that there was
// nothing to show.
func (s *requestForm) checked(r ui.Result[[]*portal.Error]) (cmd tea.Cmd, clean bool) {
	problems := r.Val
	values := s.values()
	var missing []int
	for i, f := range s.fields {
		if f.Required && strings.TrimSpace(values[i]) == "" {
			missing = append(missing, i)
		}
	}
	if r.Err == nil && len(problems) == 0 && len(missing) == 0 {
		return nil, true
	}
	s.form.MissingRequired(s.d.p)
	first := len(s.fields)
	if len(missing) > 0 {
		first = missing[0]
	}
	show := func(err error) {
		i := s.fieldIndex(portal.FieldOf(err))
		if slices.Contains(missing, i) {
			return // said already
		}
		s.form.SetError(portal.FieldOf(err), s.d.failed(err))
		if i >= 0 {
			first = min(first, i)
		}
	}
	for _, p := range problems {
		show(p)
	}
	if r.Err != nil {
		show(r.Err)
	}
	if first < len(s.fields) {
		cmd = s.form.Focus(portal.RequestFieldName(first))
	}
	return cmd, false
}

// dirty reports whether anything was typed or chosen in the form.
func (s *requestForm) dirty() bool {
	for _, v := range s.values() {
		if strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// fail shows the portal's refusal as every form screen does, and keeps
// the field it names in sight.
func (s *requestForm) fail(err error) tea.Cmd {
	cmd := s.formScreen.fail(err)
	s.follow()
	return cmd
}

// values are the fields' values in the kind's order, as SubmitRequest
// takes them.
func (s *requestForm) values() []string {
	out := make([]string, len(s.fields))
	for i := range s.fields {
		out[i] = s.form.Value(portal.RequestFieldName(i))
	}
	return out
}

// page is the whole form, however tall; start is the line where the
// fields begin.
func (s *requestForm) page() (lines []string, start int) {
	st, p := s.d.st, s.d.p
	title := st.Title.Render(p.T("client.request.new_title", text.Sanitize(s.rt.Name)))
	if s.broken != "" {
		return strings.Split(ui.Page(title, ui.Para(st.Error, s.broken, s.width)), "\n"), 0
	}
	head := ui.Page(title, ui.Para(st.Subtle, text.Sanitize(s.rt.Description), s.width),
		ui.Para(st.Subtle, p.T("client.request.required"), s.width))
	return strings.Split(ui.Page(head, s.form.View(), s.question(), s.status()), "\n"), strings.Count(head, "\n") + 2
}

// follow keeps the focused field (or the form's own error, or the
// question Esc asks) in sight, moving the page as little as it can: a
// kind may have more fields than the screen has lines; and the line of
// the cursor in sight in a text area. The status line of the check shows
// too when it fits with the field. It runs whenever the form, the focus
// or the room change, never in View, so that drawing twice draws the
// same.
func (s *requestForm) follow() {
	if s.broken != "" {
		s.offset = 0
		return
	}
	lines, start := s.page()
	top, bottom := s.form.FocusSpan()
	top, bottom = start+top, start+bottom
	if s.form.HasFormError() || s.guard.Asking() {
		bottom = len(lines) - 1
	}
	if top == start {
		top = 0 // the first field: show the title and description too
	}
	h := max(1, s.height)
	if s.busy() && len(lines)-top <= h {
		bottom = len(lines) - 1
	}
	s.offset = min(s.offset, top)
	if bottom >= s.offset+h {
		s.offset = bottom - h + 1
	}
	s.offset = max(0, min(s.offset, len(lines)-h))
}

func (s *requestForm) View() string {
	lines, _ := s.page()
	if s.broken != "" {
		return strings.Join(lines, "\n")
	}
	h := max(1, s.height)
	from := max(0, min(s.offset, len(lines)-h)) // in range, whatever changed
	return strings.Join(lines[from:min(len(lines), from+h)], "\n")
}

// Keys change with the field: a text area takes Enter for a new line, a
// chooser takes the arrows, and Backspace when it may be left empty.
func (s *requestForm) Keys() []key.Binding {
	fk := s.form.Keys()
	if s.broken != "" {
		return []key.Binding{fk.Back}
	}
	if s.guard.Asking() {
		return s.guard.Keys()
	}
	enter := fk.Enter
	var pick []key.Binding
	if i := s.focusedIndex(); i >= 0 {
		switch s.fields[i].Kind {
		case vocab.FieldMultiline:
			enter = s.d.bind(s.d.p.T("ui.key.enter"), "client.help.newline", "enter")
		case vocab.FieldChoice:
			pick = append(pick, s.d.bind(s.d.p.T("client.key.left_right"), "ui.help.choose", "left", "right"))
			if !s.fields[i].Required {
				pick = append(pick, s.d.bind(s.d.p.T("client.key.backspace"), "client.help.clear_choice", "backspace", "delete"))
			}
		}
	}
	return append(pick, enter, fk.Next, fk.Prev, s.submit, fk.Back)
}

func (s *requestForm) focusedIndex() int { return s.fieldIndex(s.form.Focused()) }

// fieldIndex is the index of the field a refusal names, or -1.
func (s *requestForm) fieldIndex(name string) int {
	for i := range s.fields {
		if portal.RequestFieldName(i) == name {
			return i
		}
	}
	return -1
}

func (s *requestForm) SetSize(w, h int) {
	s.formScreen.SetSize(w, h)
	s.height = h
	s.follow()
}
