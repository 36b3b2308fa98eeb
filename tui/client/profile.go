package client

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// profile edits a logged-in client's name, company and phone.
type profile struct {
	formScreen
	actor portal.Actor
	email string
}

func newProfile(d *deps, a portal.Actor, c *portal.Client) *profile {
	p := d.p
	s := &profile{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldName, Label: p.T("client.field.name")},
			ui.Field{Key: portal.FieldCompany, Label: p.T("client.field.company"), Placeholder: p.T("client.placeholder.optional"), Optional: true},
			ui.Field{Key: portal.FieldPhone, Label: p.T("client.field.phone"), Placeholder: p.T("client.placeholder.optional"), Optional: true},
		),
		actor: a,
		email: c.Email,
	}
	// SetValue sanitizes, so a stored value can never smuggle a control
	// into the field; the focus stays on the first field.
	s.form.SetValue(portal.FieldName, c.Name)
	s.form.SetValue(portal.FieldCompany, c.Company)
	s.form.SetValue(portal.FieldPhone, c.Phone)
	return s
}

func (s *profile) Init() tea.Cmd { return nil }

func (s *profile) Update(msg tea.Msg) tea.Cmd {
	svc, a := s.d.svc, s.actor
	return s.handle(s, msg, func(f *ui.Form) call {
		in := portal.Profile{Name: f.Value(portal.FieldName), Company: f.Value(portal.FieldCompany), Phone: f.Value(portal.FieldPhone)}
		return func(ctx context.Context) (*portal.Client, error) { return svc.UpdateProfile(ctx, a, in) }
	}, func(c *portal.Client) tea.Cmd {
		return s.d.goTo(homeMsg{client: c, notice: s.d.p.T("client.notice.profile_saved")})
	})
}

func (s *profile) View() string {
	p := s.d.p
	return s.page(p.T("client.profile.title"), "", p.T("client.profile.intro", text.Sanitize(s.email)))
}
