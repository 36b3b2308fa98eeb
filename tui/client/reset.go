package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// reset asks for the mailed code and a new password typed twice.
type reset struct {
	formScreen
	actor portal.Actor
	email string
}

func newReset(d *deps, a portal.Actor, email string) *reset {
	p := d.p
	return &reset{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldCode, Label: p.T("client.field.code"), Placeholder: p.T("client.placeholder.code"), CharLimit: codeCharLimit},
			ui.Field{Key: portal.FieldPassword, Label: p.T("client.field.new_password"), Password: true},
			ui.Field{Key: portal.FieldRepeat, Label: p.T("client.field.repeat"), Password: true},
		),
		actor: a,
		email: email,
	}
}

func (s *reset) Init() tea.Cmd { return nil }

func (s *reset) Update(msg tea.Msg) tea.Cmd {
	svc, a, email := s.d.svc, s.actor, s.email
	return s.handle(s, msg, func(f *ui.Form) call {
		code, password, repeat := f.Value(portal.FieldCode), f.Value(portal.FieldPassword), f.Value(portal.FieldRepeat)
		return func(ctx context.Context) (*portal.Client, error) {
			return svc.ResetPassword(ctx, a, email, code, password, repeat)
		}
	}, func(c *portal.Client) tea.Cmd {
		return s.d.goTo(loggedInMsg{client: c, notice: s.d.p.T("client.notice.password_changed")})
	})
}

func (s *reset) View() string {
	p := s.d.p
	return s.page(p.T("client.reset.title"), "", p.T("client.reset.sent", text.Sanitize(s.email)))
}
