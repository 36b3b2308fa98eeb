package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// typeToggled is the outcome of disabling a request type, or enabling it.
type typeToggled struct {
	name     string
	disabled bool
}

func (o typeToggled) notice(d *deps) string {
	if o.disabled {
		return d.p.T("admin.types.disabled", clean(o.name))
	}
	return d.p.T("admin.types.enabled", clean(o.name))
}

// typesScreen is the admins' list of request types, opened from Settings:
// each type's name, whether clients may choose it and how many fields it
// has; add, edit, disable and enable. Support staff never get here (they
// have no Settings tab); the portal refuses them anyway.
type typesScreen struct {
	d       *deps
	grid    *ui.Table
	types   []portal.RequestType
	fields  []int // the number of fields of each type, -1 when unreadable
	loaded  bool
	confirm *portal.RequestType // the type waiting for y/n to be disabled
	load    ui.Runner           // the types
	act     ui.Runner           // the change on its way, beside a load
	status  line
	err     string
	short   bool
	w       int
	keys    struct {
		answerKeys
		open, add, edit, toggle, back key.Binding
	}
}

func newTypesScreen(d *deps) *typesScreen {
	p := d.p
	s := &typesScreen{d: d, load: d.runner(), act: d.runner()}
	s.grid = ui.NewTable(d.st,
		ui.Col{Title: p.T("admin.col.name"), Flex: 3, Min: 12},
		ui.Col{Title: p.T("admin.col.state"), Width: 8},
		ui.Col{Title: p.T("admin.col.fields"), Width: 6},
		ui.Col{Title: p.T("admin.col.updated"), Width: 11},
		ui.Col{Title: p.T("admin.col.description"), Flex: 4, Min: 10},
	)
	s.keys.add = d.bind("a", "admin.help.add_type", "a")
	s.keys.edit = d.bind("e", "admin.help.edit_type", "e", "enter")
	s.keys.toggle = d.bind("d", "admin.help.toggle_type", "d")
	s.keys.back = d.bind(p.T("ui.key.esc"), "ui.help.back", "esc")
	s.keys.answerKeys = d.answerKeys()
	return s
}

func (s *typesScreen) Init() tea.Cmd { return s.reload() }

func (s *typesScreen) reload() tea.Cmd {
	svc, a := s.d.svc, s.d.actor
	return ui.Run(&s.load, screen(s), func(ctx context.Context) ([]portal.RequestType, error) { return svc.RequestTypes(ctx, a) })
}

// Leave gives up the calls on their way (see ui.Leaver).
func (s *typesScreen) Leave() {
	s.load.Stop()
	s.act.Stop()
}

func (s *typesScreen) Typing() bool { return false }

func (s *typesScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case noticeMsg:
		if msg.notice != "" {
			s.status = okLine(msg.notice)
		}
		return s.reload()
	case ui.Result[[]portal.RequestType]:
		if s.load.Take(msg) {
			s.read(msg)
		}
	case ui.Result[outcome]:
		if s.act.Take(msg) {
			return s.toggled(msg)
		}
	case tea.KeyMsg:
		if msg.Paste || s.act.Busy() {
			return nil
		}
		if s.confirm != nil {
			return s.confirmKey(msg)
		}
		return s.key(msg)
	}
	return nil
}

// read takes the types in, with the number of fields of each.
func (s *typesScreen) read(msg ui.Result[[]portal.RequestType]) {
	if msg.Err != nil {
		s.err = s.d.errText(msg.Err)
		return
	}
	s.types = msg.Val
	s.fields = make([]int, len(s.types))
	for i, t := range s.types {
		s.fields[i] = len(t.Fields)
	}
	s.err, s.loaded = "", true
	s.rebuild()
}

// toggled is the outcome of disabling or enabling a type.
func (s *typesScreen) toggled(msg ui.Result[outcome]) tea.Cmd {
	s.status = s.d.said(msg)
	if msg.Err != nil {
		return nil
	}
	return s.reload()
}

// confirmKey is a key while a disabling waits for y/n.
func (s *typesScreen) confirmKey(msg tea.KeyMsg) tea.Cmd {
	t := *s.confirm
	switch {
	case key.Matches(msg, s.keys.yes):
		s.confirm = nil
		return s.setDisabled(t, true)
	case key.Matches(msg, s.keys.no):
		s.confirm = nil
	}
	return nil
}

func (s *typesScreen) key(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, s.keys.back) {
		return s.d.goTo(popMsg{})
	}
	if s.grid.Update(msg) {
		return nil
	}
	if !s.d.can(portal.ActEditRequestTypes) && key.Matches(msg, s.keys.add, s.keys.edit, s.keys.toggle) {
		s.status = errLine(s.d.forbidden())
		return nil
	}
	t, ok := s.selected()
	switch {
	case key.Matches(msg, s.keys.add):
		s.status.clear()
		return s.d.goTo(pushMsg{newTypeForm(s.d, nil)})
	case ok && key.Matches(msg, s.keys.edit):
		s.status.clear()
		return s.d.goTo(pushMsg{newTypeForm(s.d, &t)})
	case ok && key.Matches(msg, s.keys.toggle):
		if t.Disabled {
			return s.setDisabled(t, false)
		}
		s.status.clear()
		s.confirm = &t
	}
	return nil
}

func (s *typesScreen) selected() (portal.RequestType, bool) {
	i := s.grid.Cursor()
	if i < 0 || i >= len(s.types) {
		return portal.RequestType{}, false
	}
	return s.types[i], true
}

func (s *typesScreen) setDisabled(t portal.RequestType, disabled bool) tea.Cmd {
	svc, a := s.d.svc, s.d.actor
	s.status.clear()
	return ui.Run(&s.act, screen(s), func(ctx context.Context) (outcome, error) {
		return typeToggled{t.Name, disabled}, svc.SetRequestTypeDisabled(ctx, a, t.ID, disabled)
	})
}

func (s *typesScreen) rebuild() {
	p := s.d.p
	rows := make([]table.Row, len(s.types))
	for i, t := range s.types {
		state := p.T("admin.types.on")
		if t.Disabled {
			state = p.T("admin.types.off")
		}
		n := "?"
		if s.fields[i] >= 0 {
			n = fmt.Sprint(s.fields[i])
		}
		rows[i] = table.Row{clean(t.Name), state, n, when(t.UpdatedAt, s.short), clean(t.Description)}
	}
	s.grid.SetRows(rows)
}

func (s *typesScreen) View() string {
	st, p := s.d.st, s.d.p
	body := tableBody(s.grid, s.d, s.err, s.loaded, p.T("admin.types.empty"))
	foot := s.status.view(st, s.w)
	switch {
	case s.confirm != nil:
		foot = ui.Para(st.Error, p.T("admin.types.confirm_disable", clean(s.confirm.Name)), s.w)
	case s.act.Busy():
		foot = st.Subtle.Render(p.T("admin.busy"))
	}
	return ui.Lines(st.Title.Render(p.T("admin.types.title")), st.Subtle.Render(p.T("admin.types.intro")), body, foot)
}

func (s *typesScreen) SetSize(w, h int) {
	s.w = w
	s.short = fitTimes(s.grid, w, 3)
	s.grid.SetSize(w, max(2, h-4))
	s.rebuild()
}

func (s *typesScreen) Keys() []key.Binding {
	if s.confirm != nil {
		return s.keys.answers()
	}
	return []key.Binding{ui.MoveKeys(s.d.p), s.keys.add, s.keys.edit, s.keys.toggle, s.keys.back}
}

// maxFieldsText bounds what the fields' text holds: far above any real
// type (the portal limits the fields, their labels and choices), low
// enough that a runaway paste is refused.
const maxFieldsText = 20000

// The type form's fields, in order; their keys are the portal's, so that a
// refusal shows beside the field it names.
var typeFields = []string{portal.FieldTypeName, portal.FieldTypeDesc, portal.FieldTypeFields}

// typeForm adds a request type or edits one: a name, a description and
// the fields, one a line in the syntax of portal.ParseFieldSpec. Ctrl+S
// saves; in the fields, Enter starts a new line. Esc leaves, asking first
// when there are unsaved changes.
type typeForm struct {
	d       *deps
	id      uint64    // the type edited, or 0 for a new one
	readAt  time.Time // the edited type's UpdatedAt when the form opened
	title   string
	name    textinput.Model
	desc    textinput.Model
	fields  *textArea
	saved   [3]string // what the fields held when the form opened
	focus   int
	errs    map[string]string // by field key; "" under the form
	discard ui.DiscardGuard
	run     ui.Runner
	w, h    int
	keys    struct{ next, prev, enter, save, back key.Binding }
}

func newTypeForm(d *deps, t *portal.RequestType) *typeForm {
	p := d.p
	s := &typeForm{d: d, run: d.runner(), errs: map[string]string{}, title: p.T("admin.types.add_title"),
		discard: ui.NewDiscardGuard(d.p, p.T("admin.types.confirm_discard"))}
	s.name = ui.NewLineInput(d.st, p.T("admin.placeholder.type_name"), portal.MaxTypeNameLen)
	s.desc = ui.NewLineInput(d.st, p.T("admin.placeholder.optional"), portal.MaxTypeDescLen)
	s.fields = newTextArea(d, p.T("admin.placeholder.type_fields"), maxFieldsText)
	if t != nil {
		s.id, s.readAt = t.ID, t.UpdatedAt
		s.title = p.T("admin.types.edit_title", clean(t.Name))
		s.name.SetValue(text.Sanitize(t.Name))
		s.desc.SetValue(text.Sanitize(t.Description))
		lines := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			lines[i] = portal.FormatFieldSpec(f)
		}
		s.fields.setValue(strings.Join(lines, "\n"))
	}
	s.saved = s.values()
	s.keys.next = d.bind(p.T("ui.key.tab"), "ui.help.next", "tab")
	s.keys.prev = d.bind(p.T("ui.key.shift_tab"), "ui.help.prev", "shift+tab")
	s.keys.enter = d.bind(p.T("ui.key.enter"), "admin.help.enter_type", "enter")
	s.keys.save = d.bind("ctrl+s", "admin.help.save", "ctrl+s")
	s.keys.back = d.bind(p.T("ui.key.esc"), "admin.help.cancel", "esc")
	s.setFocus(0)
	return s
}

// values is what the fields hold, in order.
func (s *typeForm) values() [3]string {
	return [3]string{s.name.Value(), s.desc.Value(), s.fields.value()}
}

func (s *typeForm) Init() tea.Cmd { return s.setFocus(0) }

func (s *typeForm) Typing() bool { return true }

func (s *typeForm) setFocus(i int) tea.Cmd {
	s.focus = (i + len(typeFields)) % len(typeFields)
	s.name.Blur()
	s.desc.Blur()
	s.fields.blur()
	switch s.focus {
	case 0:
		return s.name.Focus()
	case 1:
		return s.desc.Focus()
	}
	return s.fields.focus()
}

func (s *typeForm) Update(msg tea.Msg) tea.Cmd { return updateTextForm(s.d, s, msg) }

// Leave gives up the call on its way (see ui.Leaver).
func (s *typeForm) Leave() { s.run.Stop() }

func (s *typeForm) answer(msg tea.Msg) (tea.Cmd, bool) {
	r, ok := msg.(ui.Result[*portal.RequestType])
	if !ok || !s.run.Take(r) {
		return nil, ok
	}
	return s.stored(r), true
}

// stored is the outcome of saving: a refusal beside the field it names,
// or back to the list.
func (s *typeForm) stored(r ui.Result[*portal.RequestType]) tea.Cmd {
	p := s.d.p
	if r.Err != nil {
		field := portal.FieldOf(r.Err)
		if !slices.Contains(typeFields, field) {
			field = "" // under the form: no error is ever lost
		}
		s.errs[field] = s.d.errText(r.Err)
		for i, f := range typeFields {
			if f == field {
				return s.setFocus(i)
			}
		}
		return nil
	}
	t := r.Val
	name := ""
	if t != nil {
		name = clean(t.Name)
	}
	if s.id == 0 {
		return s.d.goTo(popMsg{notice: p.T("admin.types.added", name)})
	}
	return s.d.goTo(popMsg{notice: p.T("admin.types.saved", name)})
}

func (s *typeForm) calling() bool           { return s.run.Busy() }
func (s *typeForm) guard() *ui.DiscardGuard { return &s.discard }

func (s *typeForm) key(msg tea.KeyMsg) tea.Cmd {
	multi := s.focus == 2
	if !msg.Paste {
		switch {
		case key.Matches(msg, s.keys.back):
			return leaveGuarded(s.d, &s.discard, s.values() != s.saved)
		case key.Matches(msg, s.keys.save):
			return s.submit()
		case key.Matches(msg, s.keys.next):
			return s.setFocus(s.focus + 1)
		case key.Matches(msg, s.keys.prev):
			return s.setFocus(s.focus - 1)
		case !multi && msg.Type == tea.KeyEnter, !multi && msg.Type == tea.KeyDown:
			return s.setFocus(s.focus + 1)
		case !multi && msg.Type == tea.KeyUp:
			return s.setFocus(s.focus - 1)
		}
	}
	field := typeFields[s.focus]
	if multi {
		before := s.fields.value()
		cmd, refused := s.fields.update(msg)
		s.afterEdit(field, before != s.fields.value(), refused)
		return cmd
	}
	in := &s.name
	limit := portal.MaxTypeNameLen
	if s.focus == 1 {
		in, limit = &s.desc, portal.MaxTypeDescLen
	}
	before := in.Value()
	msg, ok, refused := cleanKey(s.d, msg, false, utf8.RuneCountInString(before), limit)
	if !ok {
		s.afterEdit(field, false, refused)
		return nil
	}
	var cmd tea.Cmd
	*in, cmd = ui.UpdateLineInput(*in, msg)
	s.afterEdit(field, before != in.Value(), "")
	return cmd
}

// afterEdit shows a refused paste beside the field, or clears the field's
// error once its text changed.
func (s *typeForm) afterEdit(field string, changed bool, refused string) {
	switch {
	case refused != "":
		s.errs[field] = refused
	case changed:
		delete(s.errs, field)
	}
}

// submit reads the fields, one a line, and sends the type; the portal
// checks everything and names the field it refuses.
func (s *typeForm) submit() tea.Cmd {
	s.errs = map[string]string{}
	svc, a, id := s.d.svc, s.d.actor, s.id
	in := portal.TypeInput{Name: s.name.Value(), Description: s.desc.Value(), ReadAt: s.readAt}
	specs := s.fields.value()
	return ui.Run(&s.run, screen(s), func(ctx context.Context) (*portal.RequestType, error) {
		for _, l := range strings.Split(specs, "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			f, err := portal.ParseFieldSpec(l)
			if err != nil {
				return nil, err
			}
			in.Fields = append(in.Fields, f)
		}
		if id == 0 {
			return svc.AddRequestType(ctx, a, in)
		}
		return svc.EditRequestType(ctx, a, id, in)
	})
}

// labels are the fields' labels, and the columns the widest takes.
func (s *typeForm) labels() ([]string, int) {
	p := s.d.p
	labels := []string{p.T("admin.field.type_name"), p.T("admin.field.description"), p.T("admin.field.fields")}
	w := 0
	for _, l := range labels {
		w = max(w, lipgloss.Width(l))
	}
	return labels, w
}

// indent is where the inputs start: a marker, the labels and a gap.
func (s *typeForm) indent() int {
	_, w := s.labels()
	return 2 + w + 2
}

// label is field i's label, marked when it has the focus.
func (s *typeForm) label(i int) string {
	st := s.d.st
	labels, w := s.labels()
	if i == s.focus {
		return st.Marker.Render("> ") + st.FocusedLabel.Render(padRight(labels[i], w+2))
	}
	return "  " + st.Label.Render(padRight(labels[i], w+2))
}

// errLines are the error of field (key; "" under the form), wrapped to
// the width left at column at and indented to it.
func (s *typeForm) errLines(field string, at int) []string {
	e := s.errs[field]
	if e == "" {
		return nil
	}
	ls := strings.Split(ui.Para(s.d.st.Error, "! "+text.Sanitize(e), max(1, s.w-at)), "\n")
	return indentLines(ls, at)
}

// indentLines puts n spaces before each line of ls.
func indentLines(ls []string, n int) []string {
	for i := range ls {
		ls[i] = strings.Repeat(" ", n) + ls[i]
	}
	return ls
}

// head is what stands above the fields' text: the title, the intro, the
// name and the description with their errors, the fields' label.
func (s *typeForm) head() string {
	st, p := s.d.st, s.d.p
	indent := s.indent()
	top := []string{st.Title.Render(s.title)}
	if s.id != 0 {
		// Only a change can concern requests already filed.
		top = append(top, ui.Para(st.Subtle, p.T("admin.types.form_intro"), s.w))
	}
	top = append(top, "")
	top = append(top, s.label(0)+s.name.View())
	top = append(top, s.errLines(portal.FieldTypeName, indent)...)
	top = append(top, s.label(1)+s.desc.View())
	top = append(top, s.errLines(portal.FieldTypeDesc, indent)...)
	top = append(top, s.label(2)+st.Subtle.Render(p.T("admin.types.fields_hint")))
	return strings.Join(top, "\n")
}

// foot is what stands under the fields' text: its error, the form's, the
// kinds, and the question or the busy line.
func (s *typeForm) foot() string {
	st, p := s.d.st, s.d.p
	var bottom []string
	bottom = append(bottom, s.errLines(portal.FieldTypeFields, 2)...)
	bottom = append(bottom, s.errLines("", 0)...)
	bottom = append(bottom, ui.Para(st.Subtle, p.T("admin.types.kinds"), s.w))
	switch {
	case s.discard.Asking():
		bottom = append(bottom, s.discard.View(st, s.w))
	case s.run.Busy():
		bottom = append(bottom, st.Subtle.Render(p.T("admin.busy")))
	}
	return strings.Join(bottom, "\n")
}

// layout sizes the inputs for the width and gives the fields' text what
// the rest leaves, less a line before the help.
func (s *typeForm) layout() {
	w := min(48, max(1, s.w-s.indent()-1))
	s.name.Width, s.desc.Width = w, w
	rows := s.h - strings.Count(s.head(), "\n") - strings.Count(s.foot(), "\n") - 3
	s.fields.setSize(min(s.w-2, maxTextWidth), rows)
}

func (s *typeForm) View() string {
	area := strings.Join(indentLines(strings.Split(s.fields.view(), "\n"), 2), "\n")
	return s.head() + "\n" + area + "\n" + s.foot()
}

func (s *typeForm) SetSize(w, h int) {
	s.w, s.h = w, h
	s.layout()
}

func (s *typeForm) Keys() []key.Binding {
	if s.discard.Asking() {
		return s.discard.Keys()
	}
	return []key.Binding{s.keys.save, s.keys.next, s.keys.prev, s.keys.enter, s.keys.back}
}
