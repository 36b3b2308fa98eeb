package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// forgot asks for the email to send a reset code to.
type forgot struct {
	formScreen
	actor portal.Actor
}

func newForgot(d *deps, a portal.Actor) *forgot {
	p := d.p
	return &forgot{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldEmail, Label: p.T("client.field.email"), Placeholder: p.T("client.placeholder.email")},
		),
		actor: a,
	}
}

func (s *forgot) Init() tea.Cmd { return nil }

func (s *forgot) Update(msg tea.Msg) tea.Cmd {
	svc, a := s.d.svc, s.actor
	return s.handle(s, msg, func(f *ui.Form) call {
		email := f.Value(portal.FieldEmail)
		return func(ctx context.Context) (*portal.Client, error) { return nil, svc.RequestReset(ctx, a, email) }
	}, func(*portal.Client) tea.Cmd {
		return s.d.goTo(resetMsg{email: s.form.Value(portal.FieldEmail)})
	})
}

func (s *forgot) View() string {
	p := s.d.p
	return s.page(p.T("client.forgot.title"), "", p.T("client.forgot.intro"))
}
