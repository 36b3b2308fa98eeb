package client

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// home is a logged-in client's screen: their requests first, then their
// account.
type home struct {
	d      *deps
	actor  portal.Actor
	client *portal.Client
	notice string // what just happened, such as a changed password
	menu   ui.Menu
	unread int64 // requests with news not yet read, as last counted
	run    ui.Runner
	width  int
}

func newHome(d *deps, a portal.Actor, c *portal.Client, notice string) *home {
	h := &home{d: d, actor: a, client: c, notice: notice, run: newRunner(d)}
	h.menu = ui.NewMenu(d.st, h.items()...)
	return h
}

func (h *home) items() []ui.MenuItem {
	p := h.d.p
	mine := p.T("client.menu.requests")
	if h.unread > 0 {
		mine = p.T("client.menu.requests_unread", h.unread)
	}
	return []ui.MenuItem{
		{Key: "n", Label: p.T("client.menu.new_request"), ID: toNewRequest},
		{Key: "m", Label: mine, ID: toMyRequests},
		{Key: "p", Label: p.T("client.menu.password"), ID: toPassword},
		{Key: "e", Label: p.T("client.menu.profile"), ID: toProfile},
		{Key: "g", Label: languageLabel(h.d), ID: toLanguage},
		{Key: "o", Label: p.T("client.menu.logout"), ID: toLogOut},
		{Key: "q", Label: p.T("client.menu.quit"), ID: toQuit},
	}
}

// Init counts the requests with news each time home is shown, since the
// legal team may have written meanwhile. Until it answers, "My requests"
// shows no count; if it fails, it shows none at all.
func (h *home) Init() tea.Cmd {
	svc, a := h.d.svc, h.actor
	return ui.Run(&h.run, screen(h), func(ctx context.Context) (int64, error) { return svc.UnreadRequests(ctx, a) })
}

// leave gives up on the count (see Model.switchTo).
func (h *home) Leave() { h.run.Stop() }

func (h *home) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(ui.Result[int64]); ok && h.run.Take(r) {
		if n := r.Val; r.Err == nil && n != h.unread {
			h.unread = n
			h.menu.SetItems(h.items()...)
		}
		return nil
	}
	// The count is quick and shows no spinner: its ticks stop here.
	if _, tick := h.run.Tick(msg); tick {
		return nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	return h.d.choose(&h.menu, km)
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
		h.menu.View(),
	)
}

func (h *home) Keys() []key.Binding { return ui.MenuKeys(h.d.p) }

func (h *home) SetSize(w, _ int) { h.width = w }

func (h *home) Typing() bool { return false }
