package admin

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// helpRows is how many lines the help takes: keys in columns of three.
const helpRows = 3

// Tab identities, in order.
const (
	tabClients  = "clients"
	tabRequests = "requests"
	tabSignUps  = "signups"
	tabOutbox   = "outbox"
	tabAudit    = "audit"
	tabSettings = "settings"
	tabStaff    = "staff"
)

// Model is one staff session's console: the header, the tabs, the pushed
// screens and the import running in the background.
type Model struct {
	d       *deps
	tabs    []tab
	ids     []string
	active  int
	stack   []screen
	showURL bool
	imports *imports
	width   int
	height  int
	help    help.Model
	keys    globalKeys
	// sized is the screen last told its size, and the size: layout runs
	// after every message, and resizing a table re-renders all its rows.
	sized screenSize
}

type screenSize struct {
	s    screen
	w, h int
}

type globalKeys struct {
	quit, ctrlC, url, closeURL, next, prev, tabs key.Binding
}

var _ tea.Model = (*Model)(nil)

// New makes the console of one SSH session for the staff member actor.
func New(svc *portal.Service, sess ui.Session, actor portal.Actor) tea.Model {
	return newModel(svc, sess, actor)
}

func newModel(svc *portal.Service, sess ui.Session, actor portal.Actor) *Model {
	if sess.Renderer == nil {
		// Only tests come without one; the server makes each session's.
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.Ascii)
		sess.Renderer = r
	}
	st := ui.NewStyles(sess.Renderer)
	p := svc.Catalog().Printer(text.English)
	d := &deps{svc: svc, sess: sess, st: st, p: p, actor: actor, route: &ui.Route{}}
	m := &Model{d: d, width: ui.DefaultWidth, height: ui.DefaultHeight, help: ui.NewHelp(st)}
	m.help.ShowAll = true
	m.tabs = []tab{newClients(d), newRequests(d), newSignUps(d), newOutbox(d), newAudit(d)}
	m.ids = []string{tabClients, tabRequests, tabSignUps, tabOutbox, tabAudit}
	if portal.Can(actor, portal.ActChangeSettings) {
		m.tabs = append(m.tabs, newSettings(d))
		m.ids = append(m.ids, tabSettings)
	}
	if portal.Can(actor, portal.ActManageStaff) {
		m.tabs = append(m.tabs, newStaffTab(d))
		m.ids = append(m.ids, tabStaff)
	}
	m.imports = newImports(d, m.tabs[0])
	digits := make([]string, len(m.tabs))
	for i := range digits {
		digits[i] = fmt.Sprint(i + 1)
	}
	m.keys = globalKeys{
		quit:     d.bind("q", "admin.help.quit", "q"),
		ctrlC:    key.NewBinding(key.WithKeys("ctrl+c")),
		url:      d.bind("u", "admin.help.url", "u"),
		closeURL: d.bind(p.T("ui.key.esc"), "admin.help.close", "esc", "u"),
		next:     key.NewBinding(key.WithKeys("tab")),
		prev:     key.NewBinding(key.WithKeys("shift+tab")),
		tabs:     d.bind("1-"+fmt.Sprint(len(m.tabs)), "admin.help.tabs", digits...),
	}
	m.layout()
	return m
}

// Init loads the Clients tab, where the console opens.
func (m *Model) Init() tea.Cmd { return m.tabs[0].Init() }

// current is the screen keys go to: the top pushed one, or the tab.
func (m *Model) current() screen {
	if n := len(m.stack); n > 0 {
		return m.stack[n-1]
	}
	return m.tabs[m.active]
}

// alive reports whether s is still one of the session's screens.
func (m *Model) alive(s screen) bool {
	for _, t := range m.tabs {
		if screen(t) == s {
			return true
		}
	}
	return slices.Contains(m.stack, s)
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.d.route.Follow(m.update, m.update(msg))
	m.layout()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return nil
	case tea.KeyMsg:
		return m.key(msg)
	case ui.Routed:
		if s := msg.Target(); s != nil && m.alive(s) {
			return s.Update(msg)
		}
		return nil // for a screen the person has left
	case pushMsg:
		m.stack = append(m.stack, msg.s)
		m.layout()
		return msg.s.Init()
	case popMsg:
		if len(m.stack) == 0 {
			return nil
		}
		ui.Leave(m.stack[len(m.stack)-1])
		m.stack = m.stack[:len(m.stack)-1]
		return m.current().Update(noticeMsg(msg))
	}
	if cmd, ok := m.imports.Update(msg); ok {
		return cmd
	}
	return m.current().Update(msg)
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	cur := m.current()
	if m.showURL {
		switch {
		case ui.IsKey(msg, m.keys.closeURL):
			m.showURL = false
		case ui.IsKey(msg, m.keys.quit):
			return tea.Quit
		}
		return nil
	}
	if cur.Typing() || msg.Paste {
		return cur.Update(msg)
	}
	if first, rest, ok := ui.SplitBurst(msg); ok {
		// Keys typed ahead: the first may open a search or a form, which
		// then gets the rest.
		cmd := m.key(first)
		m.d.goTo(rest)
		return cmd
	}
	switch {
	case ui.IsKey(msg, m.keys.quit):
		return tea.Quit
	case ui.IsKey(msg, m.keys.url):
		m.showURL = true
		return nil
	}
	if len(m.stack) == 0 {
		switch {
		case ui.IsKey(msg, m.keys.next):
			return m.switchTo((m.active + 1) % len(m.tabs))
		case ui.IsKey(msg, m.keys.prev):
			return m.switchTo((m.active + len(m.tabs) - 1) % len(m.tabs))
		case ui.IsKey(msg, m.keys.tabs):
			return m.switchTo(int(msg.String()[0]-'1') % len(m.tabs))
		}
	}
	return cur.Update(msg)
}

// switchTo shows tab i: the one left stops what it ran for being shown.
func (m *Model) switchTo(i int) tea.Cmd {
	if i == m.active {
		return nil
	}
	m.tabs[m.active].Hide()
	m.active = i
	m.layout()
	return m.tabs[i].Show()
}

// Rows the parent takes from the body: header, tabs and a blank line.
const chromeRows = 3

// layout tells the current screen and the help how much room they have.
func (m *Model) layout() {
	w := ui.BodyWidth(m.width)
	m.help.Width = w
	h := m.bodyHeight() - chromeRows
	if m.imports.Shown() {
		h--
	}
	if to := (screenSize{m.current(), w, max(3, h)}); to != m.sized {
		m.sized = to
		to.s.SetSize(to.w, to.h)
	}
}

func (m *Model) View() string {
	st, p := m.d.st, m.d.p
	w := ui.BodyWidth(m.width)
	parts := []string{m.header(w), m.tabBar(w), ""}
	var keys []key.Binding
	if m.showURL {
		parts = append(parts, m.urlBox(w))
		keys = []key.Binding{m.keys.closeURL, m.keys.quit}
	} else {
		parts = append(parts, m.current().View())
		keys = slices.Clip(m.current().Keys())
		if !m.current().Typing() {
			if len(m.stack) == 0 {
				keys = append(keys, m.keys.tabs)
			}
			keys = append(keys, m.keys.url, m.keys.quit)
		}
	}
	body := strings.Join(parts, "\n")
	if m.imports.Shown() {
		// The import's line sits at the bottom of the body on every tab.
		rows := m.bodyHeight()
		ls := strings.Split(body, "\n")
		ls = ls[:min(len(ls), max(0, rows-1))]
		for len(ls) < rows-1 {
			ls = append(ls, "")
		}
		body = strings.Join(append(ls, m.imports.View(w)), "\n")
	}
	return ui.Frame(st, m.width, m.height, p.T("admin.title"), body, m.helpView(keys, w))
}

// helpView is the help for keys in w columns. When it does not fit, the
// least needed entries go, one at a time, until it does (see helpRank):
// the help never ends cut, with Esc and q out of sight.
func (m *Model) helpView(keys []key.Binding, w int) string {
	hm := m.help
	hm.Width = 0 // measured uncut
	for {
		if view := hm.View(helpCols(keys)); lipgloss.Width(view) <= w {
			return view
		}
		drop, rank := -1, 0
		for i, k := range keys {
			if r := helpRank(k); r > 0 && r >= rank {
				drop, rank = i, r // the last of the least needed
			}
		}
		if drop < 0 {
			// Only what must show is left: cut as bubbles does.
			return m.help.View(helpCols(keys))
		}
		keys = append(keys[:drop:drop], keys[drop+1:]...)
	}
}

// Ranks of help entries, from the entry that always shows to the first
// dropped on a narrow terminal.
const (
	helpKeep   = iota // Esc (back, cancel, no) and q: every screen's way out
	helpAction        // what the screen does
	helpMove          // moving about, which the arrows and Tab do anyway
	helpShown         // said elsewhere on the screen: the tabs' keys, u
)

// helpRank is how much an entry of the help is needed, by its keys.
func helpRank(k key.Binding) int {
	keys := k.Keys()
	switch {
	case slices.Contains(keys, "esc"), slices.Contains(keys, "q"):
		return helpKeep
	case slices.Contains(keys, "u"), slices.Contains(keys, "1"):
		return helpShown
	case slices.Contains(keys, "up"), slices.Contains(keys, "pgup"), slices.Contains(keys, "home"),
		slices.Contains(keys, "tab"), slices.Contains(keys, "shift+tab"):
		return helpMove
	}
	return helpAction
}

// header is who is connected and the portal URL, always in sight.
func (m *Model) header(w int) string {
	st, p := m.d.st, m.d.p
	who := st.Title.Render(clean(m.d.actor.Name)) + st.Subtle.Render(" ("+p.T("admin.role."+m.d.actor.Role)+")")
	url := st.Subtle.Render(p.T("admin.header.url")+" ") + st.KeyHint.Render(m.d.svc.PortalURL())
	hint := st.Subtle.Render("  " + p.T("admin.header.url_hint"))
	gap := strings.Repeat(" ", max(2, w-lipgloss.Width(who)-lipgloss.Width(url)-lipgloss.Width(hint)))
	if lipgloss.Width(who)+lipgloss.Width(url)+lipgloss.Width(hint)+2 > w {
		hint = ""
		gap = strings.Repeat(" ", max(2, w-lipgloss.Width(who)-lipgloss.Width(url)))
	}
	return who + gap + url + hint
}

// tabBar shows the tabs with their number keys, the active one marked. On
// a narrow terminal the tabs close up, then the ones not shown keep only
// their number, so that every key stays in sight.
func (m *Model) tabBar(w int) string {
	st, p := m.d.st, m.d.p
	draw := func(sep string, full bool) string {
		out := make([]string, len(m.tabs))
		for i, id := range m.ids {
			label := fmt.Sprintf("%d %s", i+1, p.T("admin.tab."+id))
			switch {
			case i == m.active:
				out[i] = st.MenuSelected.Render("[" + label + "]")
			case full:
				out[i] = st.MenuItem.Render(" " + label + " ")
			default:
				out[i] = st.MenuItem.Render(" " + fmt.Sprint(i+1) + " ")
			}
		}
		return strings.Join(out, sep)
	}
	for _, sep := range []string{" ", ""} {
		if bar := draw(sep, true); lipgloss.Width(bar) <= w {
			return bar
		}
	}
	return draw("", false)
}

// urlBox shows the portal URL and the command clients run, large, to copy.
func (m *Model) urlBox(w int) string {
	st, p := m.d.st, m.d.p
	inner := strings.Join([]string{
		st.Title.Render(p.T("admin.url.title")),
		"",
		st.KeyHint.Render(m.d.svc.PortalURL()),
		"",
		st.Subtle.Render(p.T("admin.url.command")),
		st.KeyHint.Render(m.d.svc.ConnectCommand("")),
		"",
		st.Subtle.Render(p.T("admin.url.close")),
	}, "\n")
	box := st.Box.Padding(1, 4).Render(inner)
	return st.Renderer.PlaceHorizontal(w, lipgloss.Center, box)
}

// bodyHeight is the lines the frame leaves the body under help of
// helpRows lines, which the console's help takes whatever the keys.
func (m *Model) bodyHeight() int { return ui.BodyHeight(m.height, helpRows) }

// helpCols lays the keys out in columns of three rows.
func helpCols(keys []key.Binding) ui.HelpColumns {
	return ui.HelpColumns{Keys: keys, Rows: helpRows}
}
