package client

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// codeCharLimit is room for "ABCD-1234" typed with spaces around; a code
// is never longer, and a longer paste is certainly not one.
const codeCharLimit = 16

// resentMsg: a new code was asked for (the portal says nothing more, so
// that the answer reveals no account).
type resentMsg struct{ owner *verify }

// verify asks for the code mailed to confirm a new account's email.
type verify struct {
	formScreen
	actor  portal.Actor
	email  string
	notice string
	resend key.Binding
}

func newVerify(d *deps, a portal.Actor, email, notice string) *verify {
	p := d.p
	return &verify{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldCode, Label: p.T("client.field.code"), Placeholder: p.T("client.placeholder.code"), CharLimit: codeCharLimit},
		),
		actor:  a,
		email:  email,
		notice: notice,
		resend: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp(p.T("client.key.ctrl_r"), p.T("client.help.resend"))),
	}
}

func (s *verify) Init() tea.Cmd { return nil }

func (s *verify) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resentMsg:
		if msg.owner == s {
			s.notice = s.d.p.T("client.verify.resent", text.Sanitize(s.email))
		}
		return nil
	case tea.KeyMsg:
		if !msg.Paste && !s.busy() && key.Matches(msg, s.resend) {
			svc, a, ctx, email := s.d.svc, s.actor, s.d.sess.Context, s.email
			return func() tea.Msg {
				if err := svc.ResendCode(ctx, a, email); err != nil {
					return nil
				}
				return resentMsg{owner: s}
			}
		}
	}
	if r, ok := msg.(doneMsg); ok && isAwaiting(r.err) {
		if r, ok := s.result(s, r); ok {
			// Verified, but the firm approves new accounts first: nothing
			// more to do here until the approval mail comes.
			return s.d.goTo(welcomeMsg{notice: portal.Message(s.d.p, r.err)})
		}
	}
	svc, a, email := s.d.svc, s.actor, s.email
	return s.handle(s, msg, func(f *ui.Form) call {
		code := f.Value(portal.FieldCode)
		return func(ctx context.Context) (*store.Client, error) { return svc.VerifyEmail(ctx, a, email, code) }
	}, func(c *store.Client) tea.Cmd {
		return s.d.goTo(loggedInMsg{client: c})
	})
}

func (s *verify) View() string {
	p := s.d.p
	return s.page(p.T("client.verify.title"), s.notice, p.T("client.verify.sent", text.Sanitize(s.email)))
}

func (s *verify) Keys() []key.Binding {
	return append(s.formScreen.Keys(), s.resend)
}

func isAwaiting(err error) bool {
	pe := portal.AsError(err)
	return pe != nil && pe.Key == portal.KeyAwaitingApproval
}
