package client

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// deps is what every screen of one session shares. A set is never
// changed, so screens may keep the pointer; a change of language makes a
// new set (with the new Printer) and new screens to go with it.
type deps struct {
	svc   *portal.Service
	sess  ui.Session
	st    *ui.Styles
	p     text.Printer
	route *ui.Route
}

// goTo asks the model to act on msg (open a screen, go back, log in) as
// soon as the screen's Update returns (see ui.Route).
func (d *deps) goTo(msg tea.Msg) tea.Cmd { return d.route.Go(msg) }

// bind makes a binding whose help shows label and the catalog's desc
// (see ui.Bind).
func (d *deps) bind(label, desc string, keys ...string) key.Binding {
	return ui.Bind(d.p, label, desc, keys...)
}

// langSource is where the session's language came from; it decides what
// logging in does with it (see Model.logIn).
type langSource int

const (
	langDefault langSource = iota // nothing said: English
	langLocale                    // the locale the client's terminal sent
	langChosen                    // picked on the welcome screen in this session
	langAccount                   // the logged-in (or last) client's own
)

// Model is one client session's program: it routes between the screens
// and draws the current one in the frame.
type Model struct {
	d       *deps
	cur     screen
	guest   portal.Actor
	actor   portal.Actor
	client  *portal.Client // nil until logged in
	langSrc langSource
	// startLang and startSrc are the session's language before anyone
	// logged in; log out returns to them, so the next client's language is
	// never the last one's.
	startLang text.Lang
	startSrc  langSource
	list      *requestList // the list of requests to go back to, or nil
	width     int
	height    int
	help      help.Model
	quit      key.Binding
	// sized is the screen last told its size, and the size.
	sized screenSize
}

type screenSize struct {
	s    screen
	w, h int
}

var _ tea.Model = (*Model)(nil)

// New makes the program of one SSH session. A non-empty inviteToken (from
// an invite-TOKEN user name) starts on that invitation's set-password form
// rather than on the welcome screen. The screens speak the language of the
// locale the client's terminal sent, if the catalog has it, else English.
func New(svc *portal.Service, sess ui.Session, inviteToken string) *Model {
	st := ui.NewStyles(sess.Renderer)
	guest := portal.Guest(sess.RemoteAddr, sess.ID)
	m := &Model{
		d:      &deps{svc: svc, sess: sess, st: st, route: &ui.Route{}},
		guest:  guest,
		actor:  guest,
		width:  ui.DefaultWidth,
		height: ui.DefaultHeight,
		help:   ui.NewHelp(st),
	}
	m.help.ShowAll = true
	lang, src := text.English, langDefault
	if l := svc.Catalog().ParseLang(sess.Locale); l != "" {
		lang, src = l, langLocale
	}
	m.setLang(lang, src)
	m.startLang, m.startSrc = lang, src
	if inviteToken != "" {
		m.cur = newInvite(m.d, guest, inviteToken)
	} else {
		m.cur = newWelcome(m.d, "")
	}
	m.layout()
	return m
}

// setLang makes the session speak lang from now on: new deps with its
// Printer, and the help of the keys the model handles itself. The caller
// shows a new screen, made with the new deps.
func (m *Model) setLang(lang text.Lang, src langSource) {
	d := *m.d
	d.p = d.svc.Catalog().Printer(lang)
	m.d = &d
	m.langSrc = src
	m.quit = d.bind(d.p.T("client.key.ctrl_c"), "client.help.quit", "ctrl+c")
}

// Init starts the first screen.
func (m *Model) Init() tea.Cmd { return m.cur.Init() }

// Update handles what belongs to the session as a whole (size, Ctrl+C,
// moving between screens) and hands everything else to the current screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.d.route.Follow(m.update, m.update(msg))
	m.layout()
	return m, cmd
}

// update acts on one message; where it leads a screen to ask to go is
// for the route, never done here, so that it happens in order.
func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return nil
	case tea.KeyMsg:
		if !msg.Paste && key.Matches(msg, m.quit) {
			return tea.Quit
		}
		if !m.cur.Typing() {
			if first, rest, ok := ui.SplitBurst(msg); ok {
				cmd := m.update(first)
				m.d.goTo(rest) // after what the first key caused
				return cmd
			}
		}
	case openMsg:
		return m.open(msg.to)
	case backMsg:
		if m.client != nil {
			return m.show(newHome(m.d, m.actor, m.client, ""))
		}
		return m.show(newWelcome(m.d, ""))
	case welcomeMsg:
		return m.show(newWelcome(m.d, msg.notice))
	case loggedInMsg:
		return m.logIn(msg.client, msg.notice)
	case verifyMsg:
		return m.show(newVerify(m.d, m.guest, msg.ticket, strings.TrimSpace(msg.email)))
	case resetMsg:
		return m.show(newReset(m.d, m.guest, strings.TrimSpace(msg.email)))
	case langMsg:
		return m.chooseLang(msg)
	case langSavedMsg:
		if m.client != nil && msg.client.ID == m.client.ID {
			m.client = msg.client
		}
		return nil
	case homeMsg:
		if m.client == nil {
			return nil
		}
		if msg.client != nil {
			m.client = msg.client
		}
		return m.show(newHome(m.d, m.actor, m.client, msg.notice))
	case typeMsg, reviewMsg, editMsg, requestMsg, listMsg, noteMsg:
		if m.client == nil {
			return nil
		}
		return m.request(msg)
	}
	return m.cur.Update(msg)
}

// request moves between the screens of requests. The list is kept while
// the person reads a request from it, so that going back finds it where
// it was.
func (m *Model) request(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case typeMsg:
		return m.show(newRequestForm(m.d, m.actor, msg.rt))
	case reviewMsg:
		return m.show(newConfirm(m.d, m.actor, msg.form))
	case editMsg:
		cmd := m.show(msg.form)
		if msg.err != nil {
			cmd = tea.Batch(cmd, msg.form.fail(msg.err))
		}
		return cmd
	case requestMsg:
		if _, fromList := m.cur.(*requestList); !fromList {
			if _, fromNote := m.cur.(*note); !fromNote {
				m.list = nil // a new request, say: the list has changed
			}
		}
		return m.show(newRequestPage(m.d, m.actor, msg.id, msg.notice, msg.atEnd))
	case listMsg:
		if m.list == nil {
			m.list = newRequestList(m.d, m.actor)
			return m.show(m.list)
		}
		m.list.markSeen(msg.seen)
		m.switchTo(m.list)
		return m.list.resume()
	case noteMsg:
		return m.show(newNote(m.d, m.actor, msg.id))
	}
	return nil
}

// open shows the screen a menu choice names. Choices that need a logged-in
// client are ignored without one, whatever sent them.
func (m *Model) open(to string) tea.Cmd {
	switch to {
	case toLanguage:
		return m.show(newLanguage(m.d, m.actor, m.client != nil))
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
	case toNewRequest:
		return m.show(newTypeChooser(m.d, m.actor))
	case toMyRequests:
		m.list = newRequestList(m.d, m.actor)
		return m.show(m.list)
	case toLogOut:
		return m.logOut()
	}
	return nil
}

// logIn makes c the session's client. The session is bound to c so that a
// password reset or a disable elsewhere ends it.
//
// The language, in this order: one the person picked in this session is
// what they want now, so it is saved on the account; else the account's
// own (chosen before, or set by staff for the invitation) wins over the
// terminal's locale, so a choice made once follows the client everywhere;
// else, for an account with none yet, the locale's is saved.
func (m *Model) logIn(c *portal.Client, notice string) tea.Cmd {
	if c == nil {
		return nil
	}
	m.client = c
	m.actor = m.guest.AsClient(c)
	m.list = nil
	end := m.d.sess.End
	if end == nil {
		end = func() {}
	}
	m.d.svc.BindSession(m.d.sess.Context, c, m.d.sess.ID, end)
	var save tea.Cmd
	switch {
	case m.langSrc == langChosen || (c.Lang == "" && m.langSrc == langLocale):
		save = m.saveLang(m.d.p.Lang())
		m.langSrc = langAccount
	case c.Lang != "":
		m.setLang(text.Lang(c.Lang), langAccount)
	default:
		m.langSrc = langAccount
	}
	return tea.Batch(save, m.show(newHome(m.d, m.actor, c, notice)))
}

// langSavedMsg: the session's language is now the account's.
type langSavedMsg struct{ client *portal.Client }

// saveLang remembers lang on the logged-in account, in the background: the
// screens already speak it.
func (m *Model) saveLang(lang text.Lang) tea.Cmd {
	a, ctx, svc, id := m.actor, m.d.sess.Context, m.d.svc, m.d.sess.ID
	return func() tea.Msg {
		c, err := svc.SetLanguage(ctx, a, string(lang))
		if err != nil {
			svc.Logger().Error("client language not saved", "session", id, "err", err)
			return nil
		}
		return langSavedMsg{client: c}
	}
}

// chooseLang switches the session to the language chosen: on the welcome
// screen for this session (and the account logged in next, see logIn);
// at home, where the chooser already saved it on the account.
func (m *Model) chooseLang(msg langMsg) tea.Cmd {
	if m.client == nil {
		m.setLang(msg.lang, langChosen)
		return m.show(newWelcome(m.d, ""))
	}
	if msg.client == nil || msg.client.ID != m.client.ID {
		return nil
	}
	m.client = msg.client
	m.setLang(msg.lang, langAccount)
	return m.show(newHome(m.d, m.actor, m.client, m.d.p.T("client.notice.language_saved")))
}

// logOut goes back to the welcome screen at once; the portal records the
// log out in the background.
func (m *Model) logOut() tea.Cmd {
	a, ctx, svc := m.actor, m.d.sess.Context, m.d.svc
	m.client, m.actor, m.list = nil, m.guest, nil
	m.setLang(m.startLang, m.startSrc)
	record := func() tea.Msg {
		svc.LogOut(ctx, a)
		return nil
	}
	return tea.Batch(record, m.show(newWelcome(m.d, "")))
}

// show makes s the screen shown, and starts it.
func (m *Model) show(s screen) tea.Cmd {
	m.switchTo(s)
	return s.Init()
}

// switchTo shows s in place of the current screen, which gives up on its
// running call (ui.Leave): nothing may stay busy on a call whose answer no
// screen will take.
func (m *Model) switchTo(s screen) {
	if m.cur != s {
		ui.Leave(m.cur)
	}
	m.cur = s
	m.layout()
}

// layout tells the screen shown and the help how much room they have: the
// frame's width less its margins on both sides, then the lines the frame
// leaves under the help of the keys the screen shows now. It runs after
// every message and tells the screen every time, not only when the size
// changed: a screen's own state (the busy line of a call) changes what
// fits under its header, and a screen redoes only what changed.
func (m *Model) layout() {
	w := ui.BodyWidth(m.width)
	m.help.Width = w
	if m.sized.s != m.cur || m.sized.w != w {
		// The width first: what the screen shows, and so the keys its
		// help lists, may depend on it.
		m.sized = screenSize{m.cur, w, m.sized.h}
		m.cur.SetSize(w, m.sized.h)
	}
	m.sized.h = ui.BodyHeight(m.height, ui.HelpHeight(m.helpView()))
	m.cur.SetSize(w, m.sized.h)
}

// keys are the bindings the screen shown answers to, with the model's.
func (m *Model) keys() []key.Binding {
	return append(slices.Clip(m.cur.Keys()), m.quit)
}

// View draws the current screen in the frame, with every key it answers
// to at the bottom.
func (m *Model) View() string {
	return ui.Frame(m.d.st, m.width, m.height, m.d.p.T("app.name"), m.cur.View(), m.helpView())
}

// helpView is the help of every key the screen answers to, in columns of
// two keys; of three when two-key columns would not fit the width, as on
// a form with many keys in a language with long words. Help cut short
// would hide a key.
func (m *Model) helpView() string {
	keys := m.keys()
	unbounded := m.help
	unbounded.Width = 0
	for rows := 2; ; rows++ {
		hk := ui.HelpColumns{Keys: keys, Rows: rows}
		if rows >= maxHelpRows || rows >= len(keys) || lipgloss.Width(unbounded.View(hk)) <= m.help.Width {
			return m.help.View(hk)
		}
	}
}

// maxHelpRows is the most lines help may take; Frame gives it a third of
// the height anyway.
const maxHelpRows = 4
