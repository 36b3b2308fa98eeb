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

// Client detail actions, also the op of their doneMsg.
const (
	opLoad    = "load"
	opResend  = "resend"
	opDisable = "disable"
	opEnable  = "enable"
	opEnd     = "end"
	opApprove = "approve"
	opReject  = "reject"
)

// detail is one client: profile, invitation history, recent audit events
// and live sessions, with the actions staff take on a client.
type detail struct {
	d       *deps
	email   string
	det     *portal.ClientDetail
	err     string
	confirm string // the action waiting for y/n, or ""
	busy    string // the action running, or ""
	status  line
	w, h    int
	keys    detailKeys
}

type detailKeys struct {
	resend, disable, enable, end, approve, reject, back, yes, no key.Binding
}

func newDetail(d *deps, email string) *detail {
	return &detail{d: d, email: email, keys: detailKeys{
		resend:  d.bind("r", "admin.help.resend", "r"),
		disable: d.bind("d", "admin.help.disable", "d"),
		enable:  d.bind("e", "admin.help.enable", "e"),
		end:     d.bind("x", "admin.help.end_sessions", "x"),
		approve: d.bind("y", "admin.help.approve", "y"),
		reject:  d.bind("n", "admin.help.reject", "n"),
		back:    d.bind(d.p.T("ui.key.esc"), "ui.help.back", "esc"),
		yes:     d.bind("y", "admin.help.yes", "y"),
		no:      d.bind("n", "admin.help.no", "n", "esc"),
	}}
}

func (s *detail) Init() tea.Cmd { return s.load() }

func (s *detail) load() tea.Cmd {
	svc, a, email := s.d.svc, s.d.actor, s.email
	return s.d.call(s, opLoad, func(ctx context.Context) (any, error) { return svc.ClientDetails(ctx, a, email) })
}

func (s *detail) Typing() bool { return false }

func (s *detail) awaiting() bool { return s.det != nil && s.det.Client.Status == vocab.StatusAwaiting }

func (s *detail) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case doneMsg:
		return s.done(msg)
	case tea.KeyMsg:
		if msg.Paste {
			return nil
		}
		if s.confirm != "" {
			switch {
			case key.Matches(msg, s.keys.yes):
				op := s.confirm
				s.confirm = ""
				return s.act(op)
			case key.Matches(msg, s.keys.no):
				s.confirm = ""
			}
			return nil
		}
		if key.Matches(msg, s.keys.back) {
			return s.d.goTo(popMsg{})
		}
		if s.busy != "" || s.det == nil {
			return nil
		}
		switch {
		case key.Matches(msg, s.keys.resend):
			return s.act(opResend)
		case key.Matches(msg, s.keys.end):
			return s.act(opEnd)
		case key.Matches(msg, s.keys.disable), key.Matches(msg, s.keys.enable):
			op, act := opDisable, portal.ActDisableClient
			if key.Matches(msg, s.keys.enable) {
				op, act = opEnable, portal.ActEnableClient
			}
			if !s.d.can(act) {
				s.status = errLine(s.d.forbidden())
				return nil
			}
			if op == opDisable {
				s.status.clear()
				s.confirm = op
				return nil
			}
			return s.act(op)
		case s.awaiting() && key.Matches(msg, s.keys.approve):
			return s.act(opApprove)
		case s.awaiting() && key.Matches(msg, s.keys.reject):
			s.status.clear()
			s.confirm = opReject
			return nil
		}
	}
	return nil
}

// act runs one action on the client.
func (s *detail) act(op string) tea.Cmd {
	svc, a, email := s.d.svc, s.d.actor, s.det.Client.Email
	s.busy = op
	s.status.clear()
	return s.d.call(s, op, func(ctx context.Context) (any, error) {
		switch op {
		case opResend:
			return nil, svc.ResendInvitation(ctx, a, email)
		case opDisable:
			return nil, svc.DisableClient(ctx, a, email)
		case opEnable:
			return nil, svc.EnableClient(ctx, a, email)
		case opEnd:
			return svc.EndSessions(ctx, a, email)
		case opApprove:
			return nil, svc.ApproveSignUp(ctx, a, email)
		case opReject:
			return nil, svc.RejectSignUp(ctx, a, email)
		}
		return nil, nil
	})
}

func (s *detail) done(msg doneMsg) tea.Cmd {
	p := s.d.p
	if msg.op == opLoad {
		if msg.err != nil {
			s.err = s.d.errText(msg.err)
			return nil
		}
		s.det, s.err = msg.val.(*portal.ClientDetail), ""
		return nil
	}
	s.busy = ""
	if msg.err != nil {
		s.status = errLine(s.d.errText(msg.err))
		return nil
	}
	email := clean(s.det.Client.Email)
	switch msg.op {
	case opResend:
		s.status = okLine(p.T("admin.detail.resent", email))
	case opDisable:
		s.status = okLine(p.T("admin.detail.disabled", email))
	case opEnable:
		s.status = okLine(p.T("admin.detail.enabled", email))
	case opEnd:
		n, _ := msg.val.(int)
		s.status = okLine(p.T("admin.detail.ended", email, n))
	case opApprove:
		s.status = okLine(p.T("admin.signups.approved", email))
	case opReject:
		s.status = okLine(p.T("admin.signups.rejected", email))
	}
	return s.load()
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
	case s.confirm == opDisable:
		foot = st.Error.Render(p.T("admin.detail.confirm_disable", clean(c.Email)))
	case s.confirm == opReject:
		foot = st.Error.Render(p.T("admin.signups.confirm_reject", clean(c.Email)))
	case s.busy != "":
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
	if s.confirm != "" {
		return []key.Binding{s.keys.yes, s.keys.no}
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
