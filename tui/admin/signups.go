package admin

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

// signUpsEvery is how often the queue refreshes itself while shown: new
// sign-ups arrive without anyone pressing a key.
const signUpsEvery = 3 * time.Second

// signUps is the approval queue: clients who signed up and confirmed their
// email while sign-up needs approval, waiting for staff to decide. It
// refreshes itself while shown, keeping the cursor on the same client.
type signUps struct {
	d       *deps
	list    *clientList
	timer   refresher
	confirm string    // the email waiting for y/n to be rejected
	act     ui.Runner // the decision on its way
	status  line
	w       int
	keys    struct {
		answerKeys
		open, approve, reject key.Binding
	}
}

func newSignUps(d *deps) *signUps {
	s := &signUps{d: d, act: d.runner()}
	s.list = newClientList(d, s)
	s.list.status = vocab.StatusAwaiting
	s.keys.open = d.bind(d.p.T("ui.key.enter"), "admin.help.open", "enter")
	s.keys.approve = d.bind("y", "admin.help.approve", "y")
	s.keys.reject = d.bind("n", "admin.help.reject", "n")
	s.keys.answerKeys = d.answerKeys()
	return s
}

func (s *signUps) Init() tea.Cmd { return nil }
func (s *signUps) Show() tea.Cmd {
	s.timer.show()
	return tea.Batch(s.list.refresh(), s.tick())
}

// Hide stops the refresh and gives up the page on its way (Show loads it
// again); a decision on its way still answers here.
func (s *signUps) Hide() {
	s.timer.hide()
	s.list.stop()
}

func (s *signUps) tick() tea.Cmd {
	return s.timer.tick(s, signUpsEvery)
}
func (s *signUps) Typing() bool     { return false }
func (s *signUps) SetSize(w, h int) { s.w = w; s.list.setSize(w, max(2, h-2)) }

func (s *signUps) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case refreshMsg:
		if !s.timer.due(msg) {
			return nil // left, or shown again since: that show has its own timer
		}
		if s.act.Busy() || s.confirm != "" || s.list.loading() {
			return s.tick()
		}
		return tea.Batch(s.list.refresh(), s.tick())
	case pageMsg:
		s.list.take(msg)
	case noticeMsg:
		if msg.notice != "" {
			s.status = okLine(msg.notice)
		}
		return s.list.reload()
	case ui.Result[outcome]:
		if !s.act.Take(msg) {
			return nil
		}
		s.status = s.d.said(msg)
		return s.list.reload()
	case tea.KeyMsg:
		if msg.Paste {
			return nil
		}
		if s.confirm != "" {
			email := s.confirm
			switch {
			case key.Matches(msg, s.keys.yes):
				s.confirm = ""
				return s.decide(actReject, email)
			case key.Matches(msg, s.keys.no):
				s.confirm = ""
			}
			return nil
		}
		if moved, cmd := s.list.move(msg); moved {
			return cmd
		}
		c, ok := s.list.selected()
		if !ok || s.act.Busy() {
			return nil
		}
		switch {
		case key.Matches(msg, s.keys.open):
			return s.d.goTo(pushMsg{newDetail(s.d, c.Email)})
		case key.Matches(msg, s.keys.approve):
			return s.decide(actApprove, c.Email)
		case key.Matches(msg, s.keys.reject):
			s.status.clear()
			s.confirm = c.Email
		}
	}
	return nil
}

// decide approves or rejects the sign-up of email.
func (s *signUps) decide(act clientAct, email string) tea.Cmd {
	s.status.clear()
	return ui.Run(&s.act, screen(s), act.call(s.d, email))
}

func (s *signUps) View() string {
	st, p := s.d.st, s.d.p
	foot := s.status.view(st, s.w)
	if s.confirm != "" {
		foot = st.Error.Render(p.T("admin.signups.confirm_reject", clean(s.confirm)))
	} else if s.act.Busy() {
		foot = st.Subtle.Render(p.T("admin.busy"))
	}
	return ui.Lines(st.Subtle.Render(p.T("admin.signups.intro")), s.list.view(p.T("admin.signups.empty")), foot)
}

func (s *signUps) Keys() []key.Binding {
	if s.confirm != "" {
		return s.keys.answers()
	}
	return []key.Binding{ui.MoveKeys(s.d.p), s.keys.open, s.keys.approve, s.keys.reject}
}
