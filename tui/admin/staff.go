package admin

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// staffTab lists staff keys (admins): add a key with a role, remove one
// key; the portal refuses to remove the last admin key or one's own.
type staffTab struct {
	d       *deps
	grid    *ui.Table
	members []portal.StaffMember
	loaded  bool
	confirm *portal.StaffMember // the key waiting for y/n to be removed
	busy    bool
	status  line
	err     string
	short   bool
	w       int
	keys    struct{ add, remove, yes, no key.Binding }
}

func newStaffTab(d *deps) *staffTab {
	p := d.p
	s := &staffTab{d: d}
	s.grid = ui.NewTable(d.st,
		ui.Col{Title: p.T("admin.col.name"), Flex: 2, Min: 10},
		ui.Col{Title: p.T("admin.col.role"), Width: 7},
		ui.Col{Title: p.T("admin.col.fingerprint"), Flex: 3, Min: 20},
		ui.Col{Title: p.T("admin.col.added"), Width: 11},
	)
	s.keys.add = d.bind("a", "admin.help.add_staff", "a")
	s.keys.remove = d.bind("d", "admin.help.remove_staff", "d")
	s.keys.yes = d.bind("y", "admin.help.yes", "y")
	s.keys.no = d.bind("n", "admin.help.no", "n", "esc")
	return s
}

func (s *staffTab) Init() tea.Cmd { return nil }
func (s *staffTab) Hide()         {}
func (s *staffTab) Typing() bool  { return false }

func (s *staffTab) Show() tea.Cmd {
	svc, a := s.d.svc, s.d.actor
	return s.d.call(s, "load", func(ctx context.Context) (any, error) { return svc.ListStaff(ctx, a) })
}

func (s *staffTab) Update(msg tea.Msg) tea.Cmd {
	p := s.d.p
	switch msg := msg.(type) {
	case noticeMsg:
		if msg.notice != "" {
			s.status = okLine(msg.notice)
		}
		return s.Show()
	case doneMsg:
		if msg.op == "load" {
			if msg.err != nil {
				s.err = s.d.errText(msg.err)
				return nil
			}
			s.members, _ = msg.val.([]portal.StaffMember)
			s.err, s.loaded = "", true
			s.rebuild()
			return nil
		}
		s.busy = false
		if msg.err != nil {
			s.status = errLine(s.d.errText(msg.err))
			return nil
		}
		name, _ := msg.val.(string)
		s.status = okLine(p.T("admin.staff.key_removed", clean(name)))
		return s.Show()
	case tea.KeyMsg:
		if msg.Paste || s.busy {
			return nil
		}
		if s.confirm != nil {
			name, fp := s.confirm.Name, s.confirm.Fingerprint
			switch {
			case key.Matches(msg, s.keys.yes):
				s.confirm = nil
				s.busy = true
				svc, a := s.d.svc, s.d.actor
				return s.d.call(s, "remove", func(ctx context.Context) (any, error) { return name, svc.RemoveStaffKey(ctx, a, fp) })
			case key.Matches(msg, s.keys.no):
				s.confirm = nil
			}
			return nil
		}
		if s.grid.Update(msg) {
			return nil
		}
		switch {
		case key.Matches(msg, s.keys.add):
			s.status.clear()
			return s.d.goTo(pushMsg{newAddStaff(s.d)})
		case key.Matches(msg, s.keys.remove):
			if i := s.grid.Cursor(); i >= 0 && i < len(s.members) {
				s.status.clear()
				m := s.members[i]
				s.confirm = &m
			}
		}
	}
	return nil
}

func (s *staffTab) rebuild() {
	p := s.d.p
	rows := make([]table.Row, len(s.members))
	for i, m := range s.members {
		rows[i] = table.Row{clean(m.Name), p.T("admin.role." + m.Role), clean(m.Fingerprint), when(m.CreatedAt, s.short)}
	}
	s.grid.SetRows(rows)
}

func (s *staffTab) View() string {
	st, p := s.d.st, s.d.p
	body := tableBody(s.grid, s.d, s.err, s.loaded, "")
	foot := s.status.view(st, s.w)
	switch {
	case s.confirm != nil:
		foot = st.Error.Render(p.T("admin.staff.confirm_remove", clean(s.confirm.Name), s.confirm.Fingerprint))
	case s.busy:
		foot = st.Subtle.Render(p.T("admin.busy"))
	}
	return ui.Lines(st.Subtle.Render(p.T("admin.staff.intro")), body, foot)
}

func (s *staffTab) SetSize(w, h int) {
	s.w = w
	s.short = fitTimes(s.grid, w, 3)
	s.grid.SetSize(w, max(2, h-2))
	s.rebuild()
}

func (s *staffTab) Keys() []key.Binding {
	if s.confirm != nil {
		return []key.Binding{s.keys.yes, s.keys.no}
	}
	return []key.Binding{ui.MoveKeys(s.d.p), s.keys.add, s.keys.remove}
}

// newAddStaff is the form that registers a key for a staff member.
func newAddStaff(d *deps) *formScreen {
	p := d.p
	f := newFormScreen(d, p.T("admin.staff.add_title"), p.T("admin.staff.add_intro"),
		ui.Field{Key: portal.FieldStaffName, Label: p.T("admin.field.staff_name"), CharLimit: portal.MaxStaffNameLen},
		ui.Field{Key: portal.FieldRole, Label: p.T("admin.field.role"), Placeholder: p.T("admin.placeholder.role"), CharLimit: 16},
		ui.Field{Key: portal.FieldKey, Label: p.T("admin.field.key"), Placeholder: p.T("admin.placeholder.key"), CharLimit: 16 * 1024},
	)
	svc, a := d.svc, d.actor
	f.submit = func(form *ui.Form) func(ctx context.Context) (any, error) {
		name, role, line := form.Value(portal.FieldStaffName), form.Value(portal.FieldRole), form.Value(portal.FieldKey)
		return func(ctx context.Context) (any, error) { return svc.AddStaff(ctx, a, name, role, line) }
	}
	f.done = func(v any) tea.Cmd {
		st, _ := v.(*portal.StaffMember)
		if st == nil {
			return d.goTo(popMsg{})
		}
		return d.goTo(popMsg{notice: p.T("admin.staff.added", clean(st.Name), p.T("admin.role."+st.Role))})
	}
	return f
}
