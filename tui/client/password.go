package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
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
	svc, a := s.d.svc, s.actor
	return s.handle(s, msg, func(f *ui.Form) call {
		current, pw, repeat := f.Value(portal.FieldCurrent), f.Value(portal.FieldPassword), f.Value(portal.FieldRepeat)
		return func(ctx context.Context) (*portal.Client, error) {
			return nil, svc.ChangePassword(ctx, a, current, pw, repeat)
		}
	}, func(*portal.Client) tea.Cmd {
		return s.d.goTo(homeMsg{notice: s.d.p.T("client.notice.password_changed")})
	})
}

func (s *password) View() string {
	p := s.d.p
	return s.page(p.T("client.password.title"), "", p.T("client.password.intro"))
}
