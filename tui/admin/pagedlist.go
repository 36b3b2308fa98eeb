package admin

import (
	"context"
	"errors"

	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/tui/ui"
)

// maxPages caps the pages a paged list keeps in memory: moving further
// loads the next one by key and forgets the farthest.
const maxPages = 4

// listPage is rows of a paged list: one page (index), or on a reload or a
// refresh every row of the window from page index on.
type listPage[R any] struct {
	index   int
	limit   int
	refresh bool
	rows    []R
}

// pagedList is a table of rows R paged by key K: the pages around the
// cursor are in memory, page i loaded with the key of the last row of the
// page before (starts[i]; the zero key for the first page). Its calls run
// on its own runner, one at a time: a new query gives up the call running,
// whose answer is then dropped when it arrives; a refresh reloads the rows
// in memory and keeps the cursor on the same row. The zero K is no row's
// key.
type pagedList[R any, K comparable] struct {
	d    *deps
	to   screen // the screen results go back to
	run  ui.Runner
	grid *ui.Table
	size int // rows a page

	// query makes the call for at most limit rows after the row of key
	// after, from the query as it is now; key is a row's key; cells is
	// its row of the table.
	query func(after K, limit int) func(ctx context.Context) ([]R, error)
	key   func(R) K
	cells func(R) table.Row

	pages  [][]R // the window, from page lo
	lo     int
	starts []K  // starts[i] is the key page i is loaded after
	more   bool // the last page in the window was full

	loaded bool // rows (or an error) arrived
	stale  bool // the rows shown answer an earlier query: no key acts on them
	keep   K    // on a refresh, the row to keep the cursor on
	want   K    // the row to put the cursor on when it shows up
	err    string
}

// stop gives up the call running: its answer will be dropped.
func (l *pagedList[R, K]) stop() { l.run.Stop() }

// loading reports whether a page is on its way.
func (l *pagedList[R, K]) loading() bool { return l.run.Busy() }

// reload starts the query over from its first page, the cursor on top.
func (l *pagedList[R, K]) reload() tea.Cmd {
	l.stop()
	var zero K
	l.starts = []K{zero}
	l.keep = zero
	l.stale = true
	return l.fetch(0, l.size, true)
}

// refresh reloads the rows in memory (at most the window) and keeps the
// cursor on the same row, so that a key pressed just after still acts on
// the row the person saw.
func (l *pagedList[R, K]) refresh() tea.Cmd {
	if !l.loaded || len(l.starts) <= l.lo {
		return l.reload()
	}
	if r, ok := l.selected(); ok {
		l.keep = l.key(r)
	}
	l.stop()
	n := min(maxPages*l.size, max(l.size, len(l.rows())))
	return l.fetch(l.lo, n, true)
}

func (l *pagedList[R, K]) fetch(index, limit int, refresh bool) tea.Cmd {
	call := l.query(l.starts[index], limit)
	return ui.Run(&l.run, l.to, func(ctx context.Context) (listPage[R], error) {
		rows, err := call(ctx)
		return listPage[R]{index: index, limit: limit, refresh: refresh, rows: rows}, err
	})
}

// take takes msg in when it is the answer of the list's running call, and
// reports whether it was; the answers of calls given up on are dropped.
func (l *pagedList[R, K]) take(msg ui.Result[listPage[R]]) bool {
	if !l.run.Take(msg) {
		return false
	}
	l.stale = false
	if msg.Err != nil {
		l.fail(msg.Err)
		return true
	}
	l.err = ""
	if cur, ok := l.place(msg.Val, l.grid.Cursor()); ok {
		l.rebuild()
		l.grid.SetCursor(l.settle(cur))
	}
	return true
}

// fail shows err in place of the rows, which are forgotten: no key acts on
// a row the person no longer sees. A cancelled call (the session ending)
// is no failure.
func (l *pagedList[R, K]) fail(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	var zero K
	l.err = l.d.errText(err)
	l.loaded = true
	l.pages, l.lo, l.starts = nil, 0, []K{zero}
	l.rebuild()
}

// place puts the rows in the window and moves cur, the cursor, with the
// rows it was on; ok is false for a page that no longer borders the
// window.
func (l *pagedList[R, K]) place(msg listPage[R], cur int) (int, bool) {
	switch {
	case msg.refresh:
		l.cut(msg)
		var zero K
		if l.keep == zero {
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
		l.pages = append([][]R{msg.rows}, l.pages...)
		l.lo--
		cur += len(msg.rows)
		if len(l.pages) > maxPages {
			l.pages = l.pages[:maxPages]
			l.more = true
		}
	default:
		return cur, false
	}
	return cur, true
}

// cut makes the rows from page index on the window, cut again into pages.
func (l *pagedList[R, K]) cut(msg listPage[R]) {
	l.lo = msg.index
	l.starts = l.starts[:msg.index+1]
	l.pages = nil
	for i := 0; i < len(msg.rows) || i == 0; i += l.size {
		if len(l.pages) > 0 {
			prev := l.pages[len(l.pages)-1]
			l.starts = append(l.starts, l.key(prev[len(prev)-1]))
		}
		l.pages = append(l.pages, msg.rows[i:min(len(msg.rows), i+l.size)])
	}
	l.more = len(msg.rows) == msg.limit
	l.loaded = true
}

// settle is where the cursor goes once rows came in: on the row wanted
// when it is there, else on the row kept, else cur; always within the
// rows. The row kept is forgotten, the one wanted once found.
func (l *pagedList[R, K]) settle(cur int) int {
	var zero K
	if i := l.find(l.keep); i >= 0 {
		cur = i
	}
	l.keep = zero
	if i := l.find(l.want); i >= 0 {
		cur = i
		l.want = zero
	}
	return max(0, min(cur, l.grid.Len()-1))
}

// find is the index of the row of key k in the window, or -1.
func (l *pagedList[R, K]) find(k K) int {
	var zero K
	if k == zero {
		return -1
	}
	for i, r := range l.rows() {
		if l.key(r) == k {
			return i
		}
	}
	return -1
}

// rows are the rows of the window, in order.
func (l *pagedList[R, K]) rows() []R {
	var out []R
	for _, pg := range l.pages {
		out = append(out, pg...)
	}
	return out
}

// rebuild puts the rows in the table, as the columns are now.
func (l *pagedList[R, K]) rebuild() {
	rs := l.rows()
	rows := make([]table.Row, len(rs))
	for i, r := range rs {
		rows[i] = l.cells(r)
	}
	l.grid.SetRows(rows)
}

// selected is the row under the cursor.
func (l *pagedList[R, K]) selected() (R, bool) {
	rs := l.rows()
	i := l.grid.Cursor()
	if l.stale || i < 0 || i >= len(rs) {
		var none R
		return none, false
	}
	return rs[i], true
}

// move handles a cursor key; at the last loaded row it loads the next page,
// at the first the page before, when there is one.
func (l *pagedList[R, K]) move(msg tea.KeyMsg) (bool, tea.Cmd) {
	before := l.grid.Cursor()
	if !l.grid.Update(msg) {
		return false, nil
	}
	if l.loading() || !l.loaded || len(l.pages) == 0 {
		return true, nil
	}
	cur, n := l.grid.Cursor(), l.grid.Len()
	switch {
	case n > 0 && cur == n-1 && l.more:
		return true, l.next()
	case cur == 0 && before == 0 && l.lo > 0:
		return true, l.fetch(l.lo-1, l.size, false)
	}
	return true, nil
}

// next loads the page after the window.
func (l *pagedList[R, K]) next() tea.Cmd {
	index := l.lo + len(l.pages)
	last := l.pages[len(l.pages)-1]
	if len(last) == 0 {
		return nil
	}
	// The keys of pages past the window were read before and may be stale.
	l.starts = append(l.starts[:index], l.key(last[len(last)-1]))
	return l.fetch(index, l.size, false)
}

// view is the table, or what stands in for it.
func (l *pagedList[R, K]) view(empty string) string {
	return tableBody(l.grid, l.d, l.err, l.loaded, empty)
}
