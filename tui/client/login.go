package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// login asks for email and password.
type login struct {
	formScreen
	actor portal.Actor
}

func newLogin(d *deps, a portal.Actor) *login {
	p := d.p
	return &login{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldEmail, Label: p.T("client.field.email"), Placeholder: p.T("client.placeholder.email")},
			ui.Field{Key: portal.FieldPassword, Label: p.T("client.field.password"), Password: true},
		),
		actor: a,
	}
}

func (s *login) Init() tea.Cmd { return nil }

func (s *login) Update(msg tea.Msg) tea.Cmd {
	svc, a := s.d.svc, s.actor
	return s.handle(s, msg, func(f *ui.Form) call {
		email, password := f.Value(portal.FieldEmail), f.Value(portal.FieldPassword)
		return func(ctx context.Context) (*portal.Client, error) { return svc.LogIn(ctx, a, email, password) }
	}, func(c *portal.Client) tea.Cmd {
		return s.d.goTo(loggedInMsg{client: c})
	})
}

func (s *login) View() string {
	p := s.d.p
	return s.page(p.T("client.login.title"), "", p.T("client.login.intro"))
}
