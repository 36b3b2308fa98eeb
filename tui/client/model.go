package client

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// Until the first WindowSizeMsg the screen is drawn for the smallest
// terminal it is designed for, rather than not at all.
const (
	defaultWidth  = 80
	defaultHeight = 24
)

// deps is what every screen of one session shares. It is made once per
// session and never changed, so screens may keep the pointer.
type deps struct {
	svc  *portal.Service
	sess ui.Session
	st   *ui.Styles
	p    text.Printer
}

// Model is one client session's program: it routes between the screens
// and draws the current one in the frame.
type Model struct {
	d      *deps
	cur    screen
	guest  portal.Actor
	actor  portal.Actor
	client *store.Client // nil until logged in
	width  int
	height int
	help   help.Model
	quit   key.Binding
}

var _ tea.Model = (*Model)(nil)

// New makes the program of one SSH session. A non-empty inviteToken (from
// an invite-TOKEN user name) starts on that invitation's set-password form
// rather than on the welcome screen.
func New(svc *portal.Service, sess ui.Session, inviteToken string) *Model {
	st := ui.NewStyles(sess.Renderer)
	p := svc.Catalog().Printer(text.English)
	d := &deps{svc: svc, sess: sess, st: st, p: p}
	guest := portal.Guest(sess.RemoteAddr, sess.ID)
	m := &Model{
		d:      d,
		guest:  guest,
		actor:  guest,
		width:  defaultWidth,
		height: defaultHeight,
		help:   ui.NewHelp(st),
		quit: key.NewBinding(key.WithKeys("ctrl+c"),
			key.WithHelp(p.T("client.key.ctrl_c"), p.T("client.help.quit"))),
	}
	m.help.ShowAll = true
	if inviteToken != "" {
		m.cur = newInvite(d, guest, inviteToken)
	} else {
		m.cur = newWelcome(d, "")
	}
	m.resize()
	return m
}

// Init starts the first screen.
func (m *Model) Init() tea.Cmd { return m.cur.Init() }

// Update handles what belongs to the session as a whole (size, Ctrl+C,
// moving between screens) and hands everything else to the current screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m, nil
	case tea.KeyMsg:
		if !msg.Paste && key.Matches(msg, m.quit) {
			return m, tea.Quit
		}
		if m.onMenu() {
			if first, rest, ok := ui.SplitBurst(msg); ok {
				_, cmd := m.Update(first)
				return m, tea.Sequence(cmd, rest)
			}
		}
	case openMsg:
		return m, m.open(msg.to)
	case backMsg:
		if m.client != nil {
			return m, m.show(newHome(m.d, m.client, ""))
		}
		return m, m.show(newWelcome(m.d, ""))
	case welcomeMsg:
		return m, m.show(newWelcome(m.d, msg.notice))
	case loggedInMsg:
		return m, m.logIn(msg.client, msg.notice)
	case verifyMsg:
		return m, m.show(newVerify(m.d, m.guest, strings.TrimSpace(msg.email), msg.notice))
	case resetMsg:
		return m, m.show(newReset(m.d, m.guest, strings.TrimSpace(msg.email)))
	case homeMsg:
		if m.client == nil {
			return m, nil
		}
		if msg.client != nil {
			m.client = msg.client
		}
		return m, m.show(newHome(m.d, m.client, msg.notice))
	}
	return m, m.cur.Update(msg)
}

// onMenu reports whether the screen shown reads keys as choices, not text.
func (m *Model) onMenu() bool {
	switch m.cur.(type) {
	case *welcome, *home:
		return true
	}
	return false
}

// open shows the screen a menu choice names. Choices that need a logged-in
// client are ignored without one, whatever sent them.
func (m *Model) open(to string) tea.Cmd {
	switch to {
	case toLogin:
		return m.show(newLogin(m.d, m.guest))
	case toSignUp:
		return m.show(newSignUp(m.d, m.guest))
	case toForgot:
		return m.show(newForgot(m.d, m.guest))
	case toInvite:
		return m.show(newInvite(m.d, m.guest, ""))
	}
	if m.client == nil {
		return nil
	}
	switch to {
	case toPassword:
		return m.show(newPassword(m.d, m.actor))
	case toProfile:
		return m.show(newProfile(m.d, m.actor, m.client))
	case toLogOut:
		return m.logOut()
	}
	return nil
}

// logIn makes c the session's client. The session is bound to c so that a
// password reset or a disable elsewhere ends it.
func (m *Model) logIn(c *store.Client, notice string) tea.Cmd {
	if c == nil {
		return nil
	}
	m.client = c
	m.actor = m.guest.AsClient(c)
	end := m.d.sess.End
	if end == nil {
		end = func() {}
	}
	m.d.svc.Sessions().Bind(m.d.sess.Context, c.ID, m.d.sess.ID, end)
	return m.show(newHome(m.d, c, notice))
}

// logOut goes back to the welcome screen at once; the portal records the
// log out in the background.
func (m *Model) logOut() tea.Cmd {
	a, ctx, svc := m.actor, m.d.sess.Context, m.d.svc
	m.client, m.actor = nil, m.guest
	record := func() tea.Msg {
		svc.LogOut(ctx, a)
		return nil
	}
	return tea.Batch(record, m.show(newWelcome(m.d, "")))
}

func (m *Model) show(s screen) tea.Cmd {
	m.cur = s
	m.resize()
	return s.Init()
}

// resize tells the screen and the help how wide they may draw: the frame's
// width less its margins on both sides.
func (m *Model) resize() {
	w := max(1, m.width-4)
	m.cur.SetWidth(w)
	m.help.Width = w
}

// View draws the current screen in the frame, with every key it answers
// to at the bottom.
func (m *Model) View() string {
	keys := append(slices.Clip(m.cur.Keys()), m.quit)
	return ui.Frame(m.d.st, m.width, m.height, m.d.p.T("app.name"), m.cur.View(), m.help.View(helpKeys(keys)))
}
