package admin

import (
	"context"
	"errors"

	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/store"
)

// Paging of the client lists.
const (
	clientPageSize = 50
	// maxPages caps the pages kept in memory: moving further loads the
	// next one by key and forgets the farthest.
	maxPages = 4
)

// pageMsg is one page of clients for the query of generation gen.
type pageMsg struct {
	owner
	gen   int
	index int // the page's number in the query
	rows  []portal.ClientSummary
	err   error
}

// clientList is a table of clients paged by key (email order): the pages
// around the cursor are in memory, each loaded with After = the last email
// of the page before. A new query bumps the generation, cancels the call in
// flight, and drops any result of an older generation when it arrives.
type clientList struct {
	d      *deps
	to     screen // the screen results go back to
	grid   *grid
	search string
	status string
	size   int // rows a page

	pages  [][]portal.ClientSummary // the window, from page lo
	lo     int
	starts []string // starts[i] is After for page i of the query
	more   bool     // the last page in the window was full

	gen     int
	cancel  context.CancelFunc
	loading bool
	loaded  bool   // a first page arrived
	replace bool   // the next first page replaces the window (a new query)
	keep    string // on a refresh, the client to keep the cursor on
	err     string
	short   bool   // narrow: short dates
	want    string // email to put the cursor on when it shows up
}

func newClientList(d *deps, to screen) *clientList {
	p := d.p
	return &clientList{
		d: d, to: to, size: clientPageSize,
		grid: newGrid(d.st,
			col{title: p.T("admin.col.name"), flex: 3, min: 8},
			col{title: p.T("admin.col.email"), flex: 4, min: 10},
			col{title: p.T("admin.col.company"), flex: 2, min: 6},
			col{title: p.T("admin.col.status"), width: 8},
			col{title: p.T("admin.col.invitation"), width: 8},
			col{title: p.T("admin.col.last_login"), width: 11},
		),
	}
}

func (l *clientList) setSize(w, h int) {
	l.short = l.grid.fitTimes(w, 5)
	// Status and invitation words fit in 8 columns; wider tables give them
	// room to breathe.
	for _, i := range []int{3, 4} {
		l.grid.cols[i].width = 8
		if !l.short {
			l.grid.cols[i].width = 10
		}
	}
	l.grid.setSize(w, h)
	l.rebuild()
}

// stop cancels the call in flight and makes any result on its way stale.
func (l *clientList) stop() {
	l.gen++
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	l.loading = false
}

// reload starts the query over from its first page.
// refresh reloads the first page keeping the cursor on the same client,
// so that a key pressed just after still acts on the row the person saw.
func (l *clientList) refresh() tea.Cmd {
	if c, ok := l.selected(); ok {
		l.keep = c.EmailNorm
	}
	return l.reload()
}

func (l *clientList) reload() tea.Cmd {
	l.stop()
	l.starts = []string{""}
	l.replace = true
	return l.fetch(0)
}

func (l *clientList) fetch(index int) tea.Cmd {
	ctx, cancel := context.WithCancel(l.d.sess.Context)
	l.cancel, l.loading = cancel, true
	svc, a, gen, to := l.d.svc, l.d.actor, l.gen, l.to
	q := store.ClientQuery{Search: l.search, Status: l.status, After: l.starts[index], Limit: l.size}
	return func() tea.Msg {
		defer cancel()
		rows, err := svc.ClientsPage(ctx, a, q)
		return pageMsg{owner: owner{to}, gen: gen, index: index, rows: rows, err: err}
	}
}

// apply takes a page in; results of an older query are dropped.
func (l *clientList) apply(msg pageMsg) {
	if msg.gen != l.gen {
		return
	}
	l.loading, l.cancel = false, nil
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			l.err = l.d.errText(msg.err)
		}
		return
	}
	l.err = ""
	cur := l.grid.cursor()
	switch {
	case l.replace:
		l.pages, l.lo, cur = [][]portal.ClientSummary{msg.rows}, 0, 0
		for i, c := range msg.rows {
			if l.keep != "" && c.EmailNorm == l.keep {
				cur = i
			}
		}
		l.more = len(msg.rows) == l.size
		l.loaded, l.replace, l.keep = true, false, ""
	case msg.index == l.lo+len(l.pages):
		l.pages = append(l.pages, msg.rows)
		l.more = len(msg.rows) == l.size
		if len(l.pages) > maxPages {
			cur -= len(l.pages[0])
			l.pages, l.lo = l.pages[1:], l.lo+1
		}
	case msg.index == l.lo-1:
		l.pages = append([][]portal.ClientSummary{msg.rows}, l.pages...)
		l.lo--
		cur += len(msg.rows)
		if len(l.pages) > maxPages {
			l.pages = l.pages[:maxPages]
			l.more = true
		}
	default:
		return
	}
	l.rebuild()
	l.grid.setCursor(max(0, cur))
	if l.want != "" {
		for i, c := range l.rows() {
			if c.EmailNorm == l.want {
				l.grid.setCursor(i)
				l.want = ""
				break
			}
		}
	}
}

func (l *clientList) rows() []portal.ClientSummary {
	var out []portal.ClientSummary
	for _, pg := range l.pages {
		out = append(out, pg...)
	}
	return out
}

func (l *clientList) rebuild() {
	p := l.d.p
	cs := l.rows()
	rows := make([]table.Row, len(cs))
	for i, c := range cs {
		inv := "-"
		if c.Invitation != "" {
			inv = p.T("admin.invitation." + c.Invitation)
		}
		rows[i] = table.Row{clean(c.Name), clean(c.Email), clean(c.Company),
			p.T("admin.status." + c.Status), inv, whenPtr(c.LastLoginAt, l.short)}
	}
	l.grid.setRows(rows)
}

// selected is the client under the cursor.
func (l *clientList) selected() (portal.ClientSummary, bool) {
	cs := l.rows()
	i := l.grid.cursor()
	if i < 0 || i >= len(cs) {
		return portal.ClientSummary{}, false
	}
	return cs[i], true
}

// move handles a cursor key; at the last loaded row it loads the next page,
// at the first the page before, when there is one.
func (l *clientList) move(msg tea.KeyMsg) (bool, tea.Cmd) {
	before := l.grid.cursor()
	if !l.grid.update(msg) {
		return false, nil
	}
	if l.loading || !l.loaded {
		return true, nil
	}
	cur, n := l.grid.cursor(), l.grid.len()
	switch {
	case n > 0 && cur == n-1 && l.more:
		index := l.lo + len(l.pages)
		last := l.pages[len(l.pages)-1]
		after := last[len(last)-1].EmailNorm
		if index < len(l.starts) {
			l.starts[index] = after
		} else {
			l.starts = append(l.starts, after)
		}
		return true, l.fetch(index)
	case cur == 0 && before == 0 && l.lo > 0:
		return true, l.fetch(l.lo - 1)
	}
	return true, nil
}

// view is the table, or what stands in for it.
func (l *clientList) view(empty string) string {
	st := l.d.st
	switch {
	case l.err != "":
		return st.Error.Render("! " + l.err)
	case !l.loaded:
		return st.Subtle.Render(l.d.p.T("admin.loading"))
	case l.grid.len() == 0:
		return st.Subtle.Render(empty)
	}
	return l.grid.view()
}
