package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

// clientAct is an action staff take on a client.
type clientAct int

const (
	actResend clientAct = iota + 1
	actDisable
	actEnable
	actEnd
	actApprove
	actReject
)

// call is the portal call of the action on the client of email.
func (act clientAct) call(d *deps, email string) func(ctx context.Context) (outcome, error) {
	svc, a := d.svc, d.actor
	return func(ctx context.Context) (outcome, error) {
		switch act {
		case actResend:
			return resent{email}, svc.ResendInvitation(ctx, a, email)
		case actDisable:
			return disabled{email}, svc.DisableClient(ctx, a, email)
		case actEnable:
			return enabled{email}, svc.EnableClient(ctx, a, email)
		case actEnd:
			n, err := svc.EndSessions(ctx, a, email)
			return ended{email, n}, err
		case actApprove:
			return approved{email}, svc.ApproveSignUp(ctx, a, email)
		case actReject:
			return rejected{email}, svc.RejectSignUp(ctx, a, email)
		}
		return nil, fmt.Errorf("client action %d: no such action", act)
	}
}

// The outcomes of the client actions, by the client's email.
type (
	resent   struct{ email string }
	disabled struct{ email string }
	enabled  struct{ email string }
	ended    struct {
		email string
		n     int // the sessions ended
	}
	approved struct{ email string }
	rejected struct{ email string }
)

func (o resent) notice(d *deps) string   { return d.p.T("admin.detail.resent", clean(o.email)) }
func (o disabled) notice(d *deps) string { return d.p.T("admin.detail.disabled", clean(o.email)) }
func (o enabled) notice(d *deps) string  { return d.p.T("admin.detail.enabled", clean(o.email)) }
func (o ended) notice(d *deps) string    { return d.p.T("admin.detail.ended", clean(o.email), o.n) }
func (o approved) notice(d *deps) string { return d.p.T("admin.signups.approved", clean(o.email)) }
func (o rejected) notice(d *deps) string { return d.p.T("admin.signups.rejected", clean(o.email)) }

// detail is one client: profile, invitation history, recent audit events
// and live sessions, with the actions staff take on a client.
type detail struct {
	d       *deps
	email   string
	det     *portal.ClientDetail
	err     string
	confirm clientAct // the action waiting for y/n, or 0
	load    ui.Runner // the client's details
	act     ui.Runner // the action running, beside a load
	status  line
	w, h    int
	keys    detailKeys
}

type detailKeys struct {
	answerKeys
	resend, disable, enable, end, approve, reject, back key.Binding
}

func newDetail(d *deps, email string) *detail {
	return &detail{d: d, email: email, load: d.runner(), act: d.runner(), keys: detailKeys{
		resend:     d.bind("r", "admin.help.resend", "r"),
		disable:    d.bind("d", "admin.help.disable", "d"),
		enable:     d.bind("e", "admin.help.enable", "e"),
		end:        d.bind("x", "admin.help.end_sessions", "x"),
		approve:    d.bind("y", "admin.help.approve", "y"),
		reject:     d.bind("n", "admin.help.reject", "n"),
		back:       d.bind(d.p.T("ui.key.esc"), "ui.help.back", "esc"),
		answerKeys: d.answerKeys(),
	}}
}

func (s *detail) Init() tea.Cmd { return s.reload() }

func (s *detail) reload() tea.Cmd {
	svc, a, email := s.d.svc, s.d.actor, s.email
	return ui.Run(&s.load, screen(s), func(ctx context.Context) (*portal.ClientDetail, error) { return svc.ClientDetails(ctx, a, email) })
}

// Leave gives up the calls on their way (see ui.Leaver).
func (s *detail) Leave() {
	s.load.Stop()
	s.act.Stop()
}

func (s *detail) Typing() bool { return false }

func (s *detail) awaiting() bool { return s.det != nil && s.det.Client.Status == vocab.StatusAwaiting }

func (s *detail) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ui.Result[*portal.ClientDetail]:
		if s.load.Take(msg) {
			s.loaded(msg)
		}
	case ui.Result[outcome]:
		if s.act.Take(msg) {
			return s.done(msg)
		}
	case tea.KeyMsg:
		if msg.Paste {
			return nil
		}
		if s.confirm != 0 {
			switch {
			case key.Matches(msg, s.keys.yes):
				act := s.confirm
				s.confirm = 0
				return s.run(act)
			case key.Matches(msg, s.keys.no):
				s.confirm = 0
			}
			return nil
		}
		if key.Matches(msg, s.keys.back) {
			return s.d.goTo(popMsg{})
		}
		if s.act.Busy() || s.det == nil {
			return nil
		}
		switch {
		case key.Matches(msg, s.keys.resend):
			return s.run(actResend)
		case key.Matches(msg, s.keys.end):
			return s.run(actEnd)
		case key.Matches(msg, s.keys.disable), key.Matches(msg, s.keys.enable):
			act, allowed := actDisable, portal.ActDisableClient
			if key.Matches(msg, s.keys.enable) {
				act, allowed = actEnable, portal.ActEnableClient
			}
			if !s.d.can(allowed) {
				s.status = errLine(s.d.forbidden())
				return nil
			}
			if act == actDisable {
				s.status.clear()
				s.confirm = act
				return nil
			}
			return s.run(act)
		case s.awaiting() && key.Matches(msg, s.keys.approve):
			return s.run(actApprove)
		case s.awaiting() && key.Matches(msg, s.keys.reject):
			s.status.clear()
			s.confirm = actReject
			return nil
		}
	}
	return nil
}

// run runs one action on the client.
func (s *detail) run(act clientAct) tea.Cmd {
	s.status.clear()
	return ui.Run(&s.act, screen(s), act.call(s.d, s.det.Client.Email))
}

// loaded takes the client's details in.
func (s *detail) loaded(msg ui.Result[*portal.ClientDetail]) {
	if msg.Err != nil {
		s.err = s.d.errText(msg.Err)
		return
	}
	s.det, s.err = msg.Val, ""
}

// done shows the outcome of an action and, when it went through, reads
// the client again.
func (s *detail) done(msg ui.Result[outcome]) tea.Cmd {
	s.status = s.d.said(msg)
	if msg.Err != nil {
		return nil
	}
	return s.reload()
}

func (s *detail) View() string {
	st, p := s.d.st, s.d.p
	if s.err != "" && s.det == nil {
		return ui.Page(st.Title.Render(p.T("admin.detail.title")), st.Error.Render("! "+s.err))
	}
	if s.det == nil {
		return ui.Page(st.Title.Render(p.T("admin.detail.title")), st.Subtle.Render(p.T("admin.loading")))
	}
	c := s.det.Client
	short := s.w < 100
	field := func(label, v string) string {
		return st.Label.Render(padRight(p.T(label), 14)) + v
	}
	profile := ui.Lines(
		field("admin.col.email", clean(c.Email)),
		field("admin.col.company", clean(c.Company)),
		field("admin.col.phone", clean(c.Phone)),
		field("admin.col.status", p.T("admin.status."+c.Status)),
		field("admin.col.added", when(c.CreatedAt, short)),
		field("admin.col.last_login", whenPtr(c.LastLoginAt, short)),
		field("admin.col.sessions", fmt.Sprint(s.det.LiveSessions)),
	)
	var invs []string
	for _, inv := range s.det.Invitations {
		invs = append(invs, p.T("admin.detail.invitation", when(inv.CreatedAt, short), when(inv.ExpiresAt, short),
			p.T("admin.invitation."+inv.State), clean(inv.CreatedBy)))
	}
	if len(invs) == 0 {
		invs = []string{st.Subtle.Render(p.T("admin.detail.no_invitations"))}
	}
	var events []string
	for _, e := range s.det.Events {
		events = append(events, strings.Join([]string{when(e.At, short), clean(e.Actor), clean(e.Action), clean(e.Detail)}, "  "))
	}
	if len(events) == 0 {
		events = []string{st.Subtle.Render(p.T("admin.detail.no_events"))}
	}
	// Only as many history lines as fit: profile and status come first.
	room := max(2, s.h-len(strings.Split(profile, "\n"))-9)
	invs = invs[:min(len(invs), max(1, room/2))]
	events = events[:min(len(events), max(1, room-len(invs)))]

	var foot string
	switch {
	case s.confirm == actDisable:
		foot = st.Error.Render(p.T("admin.detail.confirm_disable", clean(c.Email)))
	case s.confirm == actReject:
		foot = st.Error.Render(p.T("admin.signups.confirm_reject", clean(c.Email)))
	case s.act.Busy():
		foot = st.Subtle.Render(p.T("admin.busy"))
	default:
		foot = s.status.view(st, s.w)
	}
	// The question or the outcome of an action goes right under the name:
	// a long history below must never push it off a small screen.
	out := []string{st.Title.Render(clean(c.Name))}
	if foot != "" {
		out = append(out, foot, "")
	}
	out = append(out,
		profile,
		"",
		st.Title.Render(p.T("admin.detail.invitations")),
		strings.Join(invs, "\n"),
		"",
		st.Title.Render(p.T("admin.detail.events")),
		strings.Join(events, "\n"),
	)
	return strings.Join(out, "\n")
}

func (s *detail) SetSize(w, h int) { s.w, s.h = w, h }

func (s *detail) Keys() []key.Binding {
	if s.confirm != 0 {
		return s.keys.answers()
	}
	ks := []key.Binding{s.keys.resend}
	if s.d.can(portal.ActDisableClient) {
		ks = append(ks, s.keys.disable)
	}
	if s.d.can(portal.ActEnableClient) {
		ks = append(ks, s.keys.enable)
	}
	ks = append(ks, s.keys.end)
	if s.awaiting() {
		ks = append(ks, s.keys.approve, s.keys.reject)
	}
	return append(ks, s.keys.back)
}
