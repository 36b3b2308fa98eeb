package client

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// tokenCharLimit leaves room for a token pasted with spaces around it; a
// token is 32 characters.
const tokenCharLimit = 64

// invite sets the password of an invited client. Given a token (from the
// invite-TOKEN user name) it first checks it, to greet the client by name
// or say at once that the invitation no longer works; without one the
// form asks for the token too.
type invite struct {
	formScreen
	actor    portal.Actor
	token    string
	checking bool
	invited  *portal.Client // whose invitation, once checked
	invalid  string         // why the given token cannot be used
}

func newInvite(d *deps, a portal.Actor, token string) *invite {
	p := d.p
	fields := []ui.Field{
		{Key: portal.FieldPassword, Label: p.T("client.field.password"), Password: true},
		{Key: portal.FieldRepeat, Label: p.T("client.field.repeat"), Password: true},
	}
	if token == "" {
		tok := ui.Field{Key: portal.FieldToken, Label: p.T("client.field.token"), Placeholder: p.T("client.placeholder.token"), CharLimit: tokenCharLimit}
		fields = append([]ui.Field{tok}, fields...)
	}
	return &invite{formScreen: newFormScreen(d, fields...), actor: a, token: token, checking: token != ""}
}

func (s *invite) Init() tea.Cmd {
	if !s.checking {
		return nil
	}
	svc, token := s.d.svc, s.token
	return ui.Run(&s.run, screen(s), func(ctx context.Context) (*portal.Client, error) { return svc.CheckInvitation(ctx, token) })
}

func (s *invite) Update(msg tea.Msg) tea.Cmd {
	if s.checking || s.invalid != "" {
		return s.updateNoForm(msg)
	}
	svc, a := s.d.svc, s.actor
	return s.handle(s, msg, func(f *ui.Form) call {
		token := s.token
		if token == "" {
			token = f.Value(portal.FieldToken)
		}
		password, repeat := f.Value(portal.FieldPassword), f.Value(portal.FieldRepeat)
		return func(ctx context.Context) (*portal.Client, error) {
			return svc.AcceptInvitation(ctx, a, token, password, repeat)
		}
	}, func(c *portal.Client) tea.Cmd {
		return s.d.goTo(loggedInMsg{client: c})
	})
}

// updateNoForm runs while the given token is checked or once it proved
// unusable: there is nothing to type, only Esc to go back.
func (s *invite) updateNoForm(msg tea.Msg) tea.Cmd {
	if cmd, ok := s.run.Tick(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case ui.Result[*portal.Client]:
		if !s.checking || !s.run.Take(msg) {
			return nil
		}
		s.checking = false
		if msg.Err != nil {
			s.invalid = portal.Message(s.d.p, msg.Err)
		} else {
			s.invited = msg.Val
		}
	case tea.KeyMsg:
		if ui.IsKey(msg, s.form.Keys().Back) {
			return s.d.goTo(backMsg{})
		}
	}
	return nil
}

func (s *invite) View() string {
	st, p := s.d.st, s.d.p
	title := st.Title.Render(p.T("client.invite.title"))
	switch {
	case s.checking:
		// Drawn from the first frame, before Init starts the check.
		return ui.Page(title, s.run.Spinner()+" "+st.Subtle.Render(p.T("client.invite.checking")))
	case s.invalid != "":
		return ui.Page(title, ui.Para(st.Error, s.invalid, s.width), ui.Para(st.Subtle, p.T("client.invite.back"), s.width))
	}
	intro := p.T("client.invite.intro")
	if s.invited != nil {
		intro = p.T("client.invite.greeting", text.Sanitize(s.invited.Name), text.Sanitize(s.invited.Email))
	}
	return s.page(p.T("client.invite.title"), "", intro)
}

func (s *invite) Keys() []key.Binding {
	if s.checking || s.invalid != "" {
		return []key.Binding{s.form.Keys().Back}
	}
	return s.formScreen.Keys()
}
