package client

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// home is a logged-in client's screen.
type home struct {
	d      *deps
	client *store.Client
	notice string // what just happened, such as a changed password
	menu   ui.Menu
	width  int
}

func newHome(d *deps, c *store.Client, notice string) *home {
	p := d.p
	return &home{
		d:      d,
		client: c,
		notice: notice,
		menu: ui.NewMenu(d.st,
			ui.MenuItem{Key: "p", Label: p.T("client.menu.password"), ID: toPassword},
			ui.MenuItem{Key: "e", Label: p.T("client.menu.profile"), ID: toProfile},
			ui.MenuItem{Key: "o", Label: p.T("client.menu.logout"), ID: toLogOut},
			ui.MenuItem{Key: "q", Label: p.T("client.menu.quit"), ID: toQuit},
		),
	}
}

func (h *home) Init() tea.Cmd { return nil }

func (h *home) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	return choose(&h.menu, km)
}

func (h *home) View() string {
	st, p, c := h.d.st, h.d.p, h.client
	who := st.Subtle.Render(text.Sanitize(c.Email))
	if c.Company != "" {
		who += "\n" + st.Subtle.Render(text.Sanitize(c.Company))
	}
	return ui.Page(
		st.Title.Render(p.T("client.home.hello", text.Sanitize(c.Name)))+"\n"+who,
		ui.Para(st.Success, h.notice, h.width),
		ui.Para(st.Subtle, p.T("client.home.requests"), h.width),
		h.menu.View(),
	)
}

func (h *home) Keys() []key.Binding { return ui.MenuKeys(h.d.p) }

func (h *home) SetWidth(w int) { h.width = w }
