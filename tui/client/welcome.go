package client

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/tui/ui"
)

// signUpStateMsg says whether sign-up is open, as the welcome screen that
// asked (owner) learnt it.
type signUpStateMsg struct {
	owner *welcome
	on    bool
}

// welcome is the first screen: what the portal is and what one can do.
type welcome struct {
	d      *deps
	menu   ui.Menu
	signUp bool
	width  int
	notice string // what the last step left to say, or ""
}

func newWelcome(d *deps, notice string) *welcome {
	w := &welcome{d: d, notice: notice}
	w.menu = ui.NewMenu(d.st, w.items()...)
	return w
}

// items lists the choices; Sign up only while it is known to be open, so
// that a closed portal never offers it (the portal refuses it anyway).
func (w *welcome) items() []ui.MenuItem {
	p := w.d.p
	items := []ui.MenuItem{{Key: "l", Label: p.T("client.menu.login"), ID: toLogin}}
	if w.signUp {
		items = append(items, ui.MenuItem{Key: "s", Label: p.T("client.menu.signup"), ID: toSignUp})
	}
	return append(items,
		ui.MenuItem{Key: "f", Label: p.T("client.menu.forgot"), ID: toForgot},
		ui.MenuItem{Key: "i", Label: p.T("client.menu.invite"), ID: toInvite},
		ui.MenuItem{Key: "g", Label: languageLabel(w.d), ID: toLanguage},
		ui.MenuItem{Key: "q", Label: p.T("client.menu.quit"), ID: toQuit},
	)
}

// Init asks whether sign-up is open each time the screen is shown, since
// an admin may switch it at any moment. The setting is read off the Update
// loop; until it answers, the menu simply lacks Sign up.
func (w *welcome) Init() tea.Cmd {
	svc, ctx := w.d.svc, w.d.sess.Context
	return func() tea.Msg {
		on, err := svc.SignUpEnabled(ctx)
		return signUpStateMsg{owner: w, on: on && err == nil}
	}
}

func (w *welcome) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case signUpStateMsg:
		if msg.owner == w && msg.on != w.signUp {
			w.signUp = msg.on
			w.menu.SetItems(w.items()...)
		}
		return nil
	case tea.KeyMsg:
		return w.d.choose(&w.menu, msg)
	}
	return nil
}

func (w *welcome) View() string {
	st, p := w.d.st, w.d.p
	return ui.Page(
		st.Title.Render(p.T("client.welcome.title")),
		ui.Para(st.Success, w.notice, w.width),
		ui.Para(st.Subtle, p.T("client.welcome.intro"), w.width),
		w.menu.View(),
	)
}

func (w *welcome) Keys() []key.Binding { return ui.MenuKeys(w.d.p) }

func (w *welcome) SetSize(width, _ int) { w.width = width }

func (w *welcome) Typing() bool { return false }
