package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// signUp asks for the general information and a password typed twice.
type signUp struct {
	formScreen
	actor portal.Actor
}

func newSignUp(d *deps, a portal.Actor) *signUp {
	p := d.p
	return &signUp{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldName, Label: p.T("client.field.name")},
			ui.Field{Key: portal.FieldEmail, Label: p.T("client.field.email"), Placeholder: p.T("client.placeholder.email")},
			ui.Field{Key: portal.FieldCompany, Label: p.T("client.field.company"), Placeholder: p.T("client.placeholder.optional"), Optional: true},
			ui.Field{Key: portal.FieldPhone, Label: p.T("client.field.phone"), Placeholder: p.T("client.placeholder.optional"), Optional: true},
			ui.Field{Key: portal.FieldPassword, Label: p.T("client.field.password"), Password: true},
			ui.Field{Key: portal.FieldRepeat, Label: p.T("client.field.repeat"), Password: true},
		),
		actor: a,
	}
}

func (s *signUp) Init() tea.Cmd { return nil }

func (s *signUp) Update(msg tea.Msg) tea.Cmd {
	svc, a := s.d.svc, s.actor
	return handleCall(&s.formScreen, screen(s), msg, func(f *ui.Form) func(ctx context.Context) (portal.SignUpTicket, error) {
		in := portal.SignUpInput{
			Profile: portal.Profile{
				Name:    f.Value(portal.FieldName),
				Email:   f.Value(portal.FieldEmail),
				Company: f.Value(portal.FieldCompany),
				Phone:   f.Value(portal.FieldPhone),
				// The code mail, and every later one, speaks the
				// language the screens speak now.
				Lang: string(s.d.p.Lang()),
			},
			Password: f.Value(portal.FieldPassword),
			Repeat:   f.Value(portal.FieldRepeat),
		}
		return func(ctx context.Context) (portal.SignUpTicket, error) { return svc.SignUp(ctx, a, in) }
	}, func(ticket portal.SignUpTicket) tea.Cmd {
		// The same answer whether the email was new or not: the portal
		// mailed a code, or a notice to an existing account.
		return s.d.goTo(verifyMsg{ticket: ticket, email: s.form.Value(portal.FieldEmail)})
	})
}

func (s *signUp) View() string {
	p := s.d.p
	return s.page(p.T("client.signup.title"), "", p.T("client.signup.intro"))
}
