package admin

import (
	"context"
	"errors"
	"fmt"

	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
)

// requestPageSize is the rows of a page of the request queue.
const requestPageSize = 50

// queuePageMsg is rows of the queue for the query of generation gen: one
// page (index), or on a refresh every row of the window from page index.
type queuePageMsg struct {
	owner
	gen     int
	index   int
	limit   int
	refresh bool
	rows    []portal.QueueRow
	err     error
}

// requestList is the queue's table, newest first, paged by key as the
// client list is: the pages around the cursor are in memory, page i loaded
// with BeforeID = starts[i], the last ID of the page before. A new query
// bumps the generation and cancels the call in flight; a refresh reloads
// the rows in memory and keeps the cursor on the same request.
type requestList struct {
	d      *deps
	to     screen
	grid   *grid
	filter portal.QueueFilter
	size   int

	pages  [][]portal.QueueRow // the window, from page lo
	lo     int
	starts []uint64
	more   bool

	gen     int
	cancel  context.CancelFunc
	loading bool
	loaded  bool
	keep    uint64 // on a refresh, the request to keep the cursor on
	err     string
	short   bool
}

func newRequestList(d *deps, to screen) *requestList {
	p := d.p
	return &requestList{
		d: d, to: to, size: requestPageSize,
		grid: newGrid(d.st,
			col{title: p.T("admin.col.id"), width: 5},
			col{title: p.T("admin.col.status"), width: 11},
			col{title: p.T("admin.col.type"), flex: 2, min: 7},
			col{title: p.T("admin.col.client"), flex: 3, min: 9},
			col{title: p.T("admin.col.assignee"), flex: 1, min: 5},
			col{title: p.T("admin.col.updated"), width: 11},
			col{title: p.T("admin.col.summary"), flex: 5, min: 12},
		),
	}
}

func (l *requestList) setSize(w, h int) {
	l.short = l.grid.fitTimes(w, 5)
	l.grid.setSize(w, h)
	l.rebuild()
}

// stop cancels the call in flight and makes any result on its way stale.
func (l *requestList) stop() {
	l.gen++
	if l.cancel != nil {
		l.cancel()
		l.cancel = nil
	}
	l.loading = false
}

// reload starts the query over from its first page, the cursor on top.
func (l *requestList) reload() tea.Cmd {
	l.stop()
	l.starts = []uint64{0}
	l.keep = 0
	return l.fetch(0, l.size, true)
}

// refresh reloads the rows in memory (at most the window) and keeps the
// cursor on the same request, so that a key pressed just after still acts
// on the row the person saw.
func (l *requestList) refresh() tea.Cmd {
	if !l.loaded || len(l.starts) <= l.lo {
		return l.reload()
	}
	if r, ok := l.selected(); ok {
		l.keep = r.ID
	}
	l.stop()
	n := min(maxPages*l.size, max(l.size, len(l.rows())))
	return l.fetch(l.lo, n, true)
}

func (l *requestList) fetch(index, limit int, refresh bool) tea.Cmd {
	ctx, cancel := context.WithCancel(l.d.sess.Context)
	l.cancel, l.loading = cancel, true
	svc, a, gen, to := l.d.svc, l.d.actor, l.gen, l.to
	f := l.filter
	f.BeforeID, f.Limit = l.starts[index], limit
	return func() tea.Msg {
		defer cancel()
		rows, err := svc.RequestQueue(ctx, a, f)
		return queuePageMsg{owner: owner{to}, gen: gen, index: index, limit: limit, refresh: refresh, rows: rows, err: err}
	}
}

// apply takes rows in; results of an older query are dropped.
func (l *requestList) apply(msg queuePageMsg) {
	if msg.gen != l.gen {
		return
	}
	l.loading, l.cancel = false, nil
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			l.err = l.d.errText(msg.err)
			l.loaded = true
			l.pages, l.lo, l.starts = nil, 0, []uint64{0}
			l.rebuild()
		}
		return
	}
	l.err = ""
	cur := l.grid.cursor()
	switch {
	case msg.refresh:
		// The rows from page index on, cut again into pages.
		l.lo = msg.index
		l.starts = l.starts[:msg.index+1]
		l.pages = nil
		for i := 0; i < len(msg.rows) || i == 0; i += l.size {
			pg := msg.rows[i:min(len(msg.rows), i+l.size)]
			if len(l.pages) > 0 {
				prev := l.pages[len(l.pages)-1]
				l.starts = append(l.starts, prev[len(prev)-1].ID)
			}
			l.pages = append(l.pages, pg)
		}
		l.more = len(msg.rows) == msg.limit
		l.loaded = true
		if l.keep == 0 {
			cur = 0
		}
	case msg.index == l.lo+len(l.pages):
		l.pages = append(l.pages, msg.rows)
		l.more = len(msg.rows) == msg.limit
		if len(l.pages) > maxPages {
			cur -= len(l.pages[0])
			l.pages, l.lo = l.pages[1:], l.lo+1
		}
	case msg.index == l.lo-1:
		l.pages = append([][]portal.QueueRow{msg.rows}, l.pages...)
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
	rows := l.rows()
	if l.keep != 0 {
		for i, r := range rows {
			if r.ID == l.keep {
				cur = i
			}
		}
		l.keep = 0
	}
	l.grid.setCursor(max(0, min(cur, len(rows)-1)))
}

func (l *requestList) rows() []portal.QueueRow {
	var out []portal.QueueRow
	for _, pg := range l.pages {
		out = append(out, pg...)
	}
	return out
}

func (l *requestList) rebuild() {
	rs := l.rows()
	rows := make([]table.Row, len(rs))
	for i, r := range rs {
		rows[i] = table.Row{fmt.Sprint(r.ID), statusWord(l.d, r.Status), clean(r.TypeName), clean(r.ClientEmail),
			clean(r.Assignee), when(r.UpdatedAt, l.short), clean(r.Summary)}
	}
	l.grid.setRows(rows)
}

// selected is the request under the cursor.
func (l *requestList) selected() (portal.QueueRow, bool) {
	rs := l.rows()
	i := l.grid.cursor()
	if i < 0 || i >= len(rs) {
		return portal.QueueRow{}, false
	}
	return rs[i], true
}

// move handles a cursor key; at the last loaded row it loads the next page,
// at the first the page before, when there is one.
func (l *requestList) move(msg tea.KeyMsg) (bool, tea.Cmd) {
	before := l.grid.cursor()
	if !l.grid.update(msg) {
		return false, nil
	}
	if l.loading || !l.loaded || len(l.pages) == 0 {
		return true, nil
	}
	cur, n := l.grid.cursor(), l.grid.len()
	switch {
	case n > 0 && cur == n-1 && l.more:
		index := l.lo + len(l.pages)
		last := l.pages[len(l.pages)-1]
		if len(last) == 0 {
			return true, nil
		}
		after := last[len(last)-1].ID
		if index < len(l.starts) {
			l.starts[index] = after
			l.starts = l.starts[:index+1]
		} else {
			l.starts = append(l.starts, after)
		}
		return true, l.fetch(index, l.size, false)
	case cur == 0 && before == 0 && l.lo > 0:
		return true, l.fetch(l.lo-1, l.size, false)
	}
	return true, nil
}

// view is the table, or what stands in for it.
func (l *requestList) view(empty string) string {
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

// statusWord is a request status as staff read it.
func statusWord(d *deps, status string) string {
	return d.p.T("admin.request.status." + status)
}
