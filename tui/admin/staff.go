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
	load    ui.Runner           // the list
	act     ui.Runner           // the removal on its way, beside a load
	status  line
	err     string
	short   bool
	w       int
	keys    struct {
		answerKeys
		add, remove key.Binding
	}
}

func newStaffTab(d *deps) *staffTab {
	p := d.p
	s := &staffTab{d: d, load: d.runner(), act: d.runner()}
	s.grid = ui.NewTable(d.st,
		ui.Col{Title: p.T("admin.col.name"), Flex: 2, Min: 10},
		ui.Col{Title: p.T("admin.col.role"), Width: 7},
		ui.Col{Title: p.T("admin.col.fingerprint"), Flex: 3, Min: 20},
		ui.Col{Title: p.T("admin.col.added"), Width: 11},
	)
	s.keys.add = d.bind("a", "admin.help.add_staff", "a")
	s.keys.remove = d.bind("d", "admin.help.remove_staff", "d")
	s.keys.answerKeys = d.answerKeys()
	return s
}

func (s *staffTab) Init() tea.Cmd { return nil }
func (s *staffTab) Hide()         { s.load.Stop() } // Show loads again
func (s *staffTab) Typing() bool  { return false }

func (s *staffTab) Show() tea.Cmd {
	svc, a := s.d.svc, s.d.actor
	return ui.Run(&s.load, screen(s), func(ctx context.Context) ([]portal.StaffMember, error) { return svc.ListStaff(ctx, a) })
}

func (s *staffTab) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case noticeMsg:
		if msg.notice != "" {
			s.status = okLine(msg.notice)
		}
		return s.Show()
	case ui.Result[[]portal.StaffMember]:
		if !s.load.Take(msg) {
			return nil
		}
		if msg.Err != nil {
			s.err = s.d.errText(msg.Err)
			return nil
		}
		s.members = msg.Val
		s.err, s.loaded = "", true
		s.rebuild()
		return nil
	case ui.Result[outcome]:
		if !s.act.Take(msg) {
			return nil
		}
		s.status = s.d.said(msg)
		if msg.Err != nil {
			return nil
		}
		return s.Show()
	case tea.KeyMsg:
		if msg.Paste || s.act.Busy() {
			return nil
		}
		if s.confirm != nil {
			name, fp := s.confirm.Name, s.confirm.Fingerprint
			switch {
			case key.Matches(msg, s.keys.yes):
				s.confirm = nil
				svc, a := s.d.svc, s.d.actor
				return ui.Run(&s.act, screen(s), func(ctx context.Context) (outcome, error) {
					return keyRemoved{name}, svc.RemoveStaffKey(ctx, a, fp)
				})
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

// keyRemoved is the outcome of removing a key of the staff member name.
type keyRemoved struct{ name string }

func (o keyRemoved) notice(d *deps) string { return d.p.T("admin.staff.key_removed", clean(o.name)) }

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
	case s.act.Busy():
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
		return s.keys.answers()
	}
	return []key.Binding{ui.MoveKeys(s.d.p), s.keys.add, s.keys.remove}
}

// newAddStaff is the form that registers a key for a staff member.
func newAddStaff(d *deps) *formScreen[*portal.StaffMember] {
	p := d.p
	f := newFormScreen[*portal.StaffMember](d, p.T("admin.staff.add_title"), p.T("admin.staff.add_intro"),
		ui.Field{Key: portal.FieldStaffName, Label: p.T("admin.field.staff_name"), CharLimit: portal.MaxStaffNameLen},
		ui.Field{Key: portal.FieldRole, Label: p.T("admin.field.role"), Placeholder: p.T("admin.placeholder.role"), CharLimit: 16},
		ui.Field{Key: portal.FieldKey, Label: p.T("admin.field.key"), Placeholder: p.T("admin.placeholder.key"), CharLimit: 16 * 1024},
	)
	svc, a := d.svc, d.actor
	f.submit = func(form *ui.Form) func(ctx context.Context) (*portal.StaffMember, error) {
		name, role, line := form.Value(portal.FieldStaffName), form.Value(portal.FieldRole), form.Value(portal.FieldKey)
		return func(ctx context.Context) (*portal.StaffMember, error) { return svc.AddStaff(ctx, a, name, role, line) }
	}
	f.done = func(st *portal.StaffMember) tea.Cmd {
		if st == nil {
			return d.goTo(popMsg{})
		}
		return d.goTo(popMsg{notice: p.T("admin.staff.added", clean(st.Name), p.T("admin.role."+st.Role))})
	}
	return f
}
