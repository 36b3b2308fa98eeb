package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/ui"
)

// password changes a logged-in client's password.
type password struct {
	formScreen
	actor portal.Actor
}

func newPassword(d *deps, a portal.Actor) *password {
	p := d.p
	return &password{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldCurrent, Label: p.T("client.field.current"), Password: true},
			ui.Field{Key: portal.FieldPassword, Label: p.T("client.field.new_password"), Password: true},
			ui.Field{Key: portal.FieldRepeat, Label: p.T("client.field.repeat"), Password: true},
		),
		actor: a,
	}
}

func (s *password) Init() tea.Cmd { return nil }

func (s *password) Update(msg tea.Msg) tea.Cmd {
	if r, ok := s.result(s, msg); ok {
		if r.err != nil {
			return s.fail(r.err)
		}
		return send(homeMsg{notice: s.d.p.T("client.notice.password_changed")})
	}
	ev, cmd := s.update(msg)
	switch ev {
	case ui.FormBack:
		return send(backMsg{})
	case ui.FormSubmit:
		s.form.ClearErrors()
		if s.form.MissingRequired(s.d.p) {
			return nil
		}
		f := s.form
		svc, a := s.d.svc, s.actor
		current, pw, repeat := f.Value(portal.FieldCurrent), f.Value(portal.FieldPassword), f.Value(portal.FieldRepeat)
		return s.start(s, func(ctx context.Context) (*store.Client, error) {
			return nil, svc.ChangePassword(ctx, a, current, pw, repeat)
		})
	}
	return cmd
}

func (s *password) View() string {
	st, p := s.d.st, s.d.p
	return page(
		st.Title.Render(p.T("client.password.title")),
		para(st.Subtle, p.T("client.password.intro"), s.width),
		s.form.View(),
		s.status(),
	)
}
