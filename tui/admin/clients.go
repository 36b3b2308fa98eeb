package admin

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

// searchDelay is how long the search waits after a keystroke before it
// asks the portal, so that typing a word costs one query, not one a key.
const searchDelay = 150 * time.Millisecond

// searchMsg fires searchDelay after the search's change number gen.
type searchMsg struct {
	owner
	gen int
}

// clients is the Clients tab: the table of clients with search and the
// status filter. The console opens on it.
type clients struct {
	d       *deps
	list    *clientList
	search  *ui.Form // shown while searching
	typing  bool
	typed   int      // the search's changes: a searchMsg for an older one is dropped
	filters []string // "" (all) then every status
	filter  int
	status  line
	w, h    int
	keys    clientsKeys
}

type clientsKeys struct {
	open, search, filter, add, imp key.Binding
}

func newClients(d *deps) *clients {
	c := &clients{d: d, filters: append([]string{""}, vocab.ClientStatuses()...)}
	c.list = newClientList(d, c)
	c.search = ui.NewForm(d.st, d.p, ui.Field{Key: "q", Label: d.p.T("admin.clients.search"),
		Placeholder: d.p.T("admin.clients.search_placeholder"), CharLimit: 100})
	c.keys = clientsKeys{
		open:   d.bind(d.p.T("ui.key.enter"), "admin.help.open", "enter"),
		search: d.bind("/", "admin.help.search", "/"),
		filter: d.bind("s", "admin.help.status", "s"),
		add:    d.bind("a", "admin.help.add_client", "a"),
		imp:    d.bind("i", "admin.help.import", "i"),
	}
	return c
}

func (c *clients) Init() tea.Cmd { return c.list.reload() }

// Show reloads the list: clients change while the tab is away.
func (c *clients) Show() tea.Cmd {
	if c.typing {
		return nil
	}
	return c.list.reload()
}

// Hide gives up the page on its way: Show loads the list again.
func (c *clients) Hide() { c.list.stop() }

func (c *clients) Typing() bool { return c.typing }

func (c *clients) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pageMsg:
		c.list.take(msg)
		return nil
	case searchMsg:
		if msg.gen != c.typed {
			return nil // another key came since, or the search was left
		}
		c.list.search = c.search.Value("q")
		return c.list.reload()
	case noticeMsg:
		if msg.notice != "" {
			c.status = okLine(msg.notice)
		}
		c.list.want = msg.email
		return c.list.reload()
	case tea.KeyMsg:
		if c.typing {
			return c.typeSearch(msg)
		}
		return c.key(msg)
	}
	return nil
}

// typeSearch edits the search; every change waits searchDelay and, when no
// other key came meanwhile, asks for the first page of the new search. The
// call in flight is cancelled at once: its answer would be stale.
func (c *clients) typeSearch(msg tea.KeyMsg) tea.Cmd {
	before := c.search.Value("q")
	ev, cmd := c.search.Update(msg)
	switch ev {
	case ui.FormSubmit:
		c.typing = false
		return nil
	case ui.FormBack:
		c.typing = false
		c.typed++
		c.search.Reset()
		if c.list.search == "" && before == "" {
			return nil
		}
		c.list.search = ""
		return c.list.reload()
	}
	if c.search.Value("q") == before {
		return cmd
	}
	c.list.stop()
	c.typed++
	gen, to := c.typed, screen(c)
	return tea.Batch(cmd, tea.Tick(searchDelay, func(time.Time) tea.Msg { return searchMsg{owner: owner{to}, gen: gen} }))
}

func (c *clients) key(msg tea.KeyMsg) tea.Cmd {
	if moved, cmd := c.list.move(msg); moved {
		return cmd
	}
	switch {
	case ui.IsKey(msg, c.keys.search):
		c.typing = true
		c.status.clear()
		return c.search.Focus("q")
	case ui.IsKey(msg, c.keys.filter):
		c.filter = (c.filter + 1) % len(c.filters)
		c.list.status = c.filters[c.filter]
		return c.list.reload()
	case ui.IsKey(msg, c.keys.open):
		if cl, ok := c.list.selected(); ok {
			c.status.clear()
			return c.d.goTo(pushMsg{newDetail(c.d, cl.Email)})
		}
	case ui.IsKey(msg, c.keys.add):
		if !c.d.can(portal.ActAddClient) {
			c.status = errLine(c.d.forbidden())
			return nil
		}
		c.status.clear()
		return c.d.goTo(pushMsg{newAddClient(c.d)})
	case ui.IsKey(msg, c.keys.imp):
		if !c.d.can(portal.ActImportClients) {
			c.status = errLine(c.d.forbidden())
			return nil
		}
		c.status.clear()
		return c.d.goTo(openImportMsg{})
	}
	return nil
}

func (c *clients) filterLabel() string {
	if f := c.filters[c.filter]; f != "" {
		return c.d.p.T("admin.status." + f)
	}
	return c.d.p.T("admin.clients.all")
}

func (c *clients) View() string {
	st, p := c.d.st, c.d.p
	var top string
	if c.typing {
		top = c.search.View()
	} else {
		q := c.list.search
		if q == "" {
			q = p.T("admin.clients.no_search")
		} else {
			q = "\"" + clean(q) + "\""
		}
		top = st.Subtle.Render(p.T("admin.clients.query", q, c.filterLabel()))
	}
	return ui.Lines(top, c.list.view(p.T("admin.clients.empty")), c.status.view(st, c.w))
}

// SetSize leaves a line for the search and one for the status.
func (c *clients) SetSize(w, h int) {
	c.w, c.h = w, h
	c.search.SetWidth(w)
	c.list.setSize(w, max(2, h-2))
}

func (c *clients) Keys() []key.Binding {
	if c.typing {
		return c.search.Keys().ShortHelp()
	}
	ks := []key.Binding{ui.MoveKeys(c.d.p), c.keys.open, c.keys.search, c.keys.filter}
	if c.d.can(portal.ActAddClient) {
		ks = append(ks, c.keys.add)
	}
	if c.d.can(portal.ActImportClients) {
		ks = append(ks, c.keys.imp)
	}
	return ks
}
