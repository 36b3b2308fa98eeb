package client

import (
	"context"
	"errors"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// codeCharLimit is room for "ABCD-1234" typed with spaces around; a code
// is never longer, and a longer paste is certainly not one.
const codeCharLimit = 16

// resent is the answer of a call for a new code (the portal says nothing
// more, so that the answer reveals no account).
type resent struct{}

// verify asks for the code mailed to confirm a new account's email. The
// code, and a new one, are for the one sign-up attempt this session made
// (ticket).
type verify struct {
	formScreen
	actor  portal.Actor
	ticket portal.SignUpTicket
	email  string
	notice string
	resend key.Binding
	// nextCode is when a new code can be asked for: the portal mails none
	// sooner, so ctrl+r before then says when rather than calling it.
	nextCode time.Time
}

func newVerify(d *deps, a portal.Actor, ticket portal.SignUpTicket, email string) *verify {
	p := d.p
	return &verify{
		formScreen: newFormScreen(d,
			ui.Field{Key: portal.FieldCode, Label: p.T("client.field.code"), Placeholder: p.T("client.placeholder.code"), CharLimit: codeCharLimit},
		),
		actor:    a,
		ticket:   ticket,
		email:    email,
		resend:   key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp(p.T("client.key.ctrl_r"), p.T("client.help.resend"))),
		nextCode: time.Now().Add(portal.CodeInterval),
	}
}

func (s *verify) Init() tea.Cmd { return nil }

func (s *verify) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok && !km.Paste && key.Matches(km, s.resend) {
		// A new code is asked for through the screen's one call, like a
		// sent form: while it runs, or any other call, further ctrl+r are
		// dropped rather than held for later, and so are those before a
		// new code can be sent: a held-down key makes one call a minute
		// at most, not one per repeat.
		if s.busy() {
			return nil
		}
		if wait := time.Until(s.nextCode); wait > 0 {
			s.notice = s.d.p.T("client.verify.wait", int(wait.Round(time.Second)/time.Second))
			return nil
		}
		s.nextCode = time.Now().Add(portal.CodeInterval)
		svc, a, ticket := s.d.svc, s.actor, s.ticket
		s.form.ClearErrors()
		return ui.Run(&s.run, screen(s), func(ctx context.Context) (resent, error) { return resent{}, svc.ResendCode(ctx, a, ticket) })
	}
	if r, ok := msg.(ui.Result[resent]); ok && s.run.Take(r) {
		switch {
		case r.Err == nil:
			s.notice = s.d.p.T("client.verify.resent", text.Sanitize(s.email))
			s.replay()
			return nil
		case isAwaiting(r.Err):
			return s.d.goTo(welcomeMsg{notice: portal.Message(s.d.p, r.Err)})
		}
		s.held = nil
		return s.fail(r.Err)
	}
	if r, ok := msg.(ui.Result[*portal.Client]); ok && isAwaiting(r.Err) && s.run.Take(r) {
		// Verified, but the firm approves new accounts first: nothing
		// more to do here until the approval mail comes.
		return s.d.goTo(welcomeMsg{notice: portal.Message(s.d.p, r.Err)})
	}
	svc, a, ticket := s.d.svc, s.actor, s.ticket
	return s.handle(s, msg, func(f *ui.Form) call {
		code := f.Value(portal.FieldCode)
		return func(ctx context.Context) (*portal.Client, error) { return svc.VerifyEmail(ctx, a, ticket, code) }
	}, func(c *portal.Client) tea.Cmd {
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

func isAwaiting(err error) bool { return errors.Is(err, portal.ErrAwaitingApproval) }
