package admin

import (
	"context"
	"fmt"

	"github.com/charmbracelet/bubbles/table"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"

	"github.com/clientportal/portal/tui/ui"
)

// requestPageSize is the rows of a page of the request queue.
const requestPageSize = 50

// narrowQueueBelow is the width (a 100-column terminal less the frame's
// margins) under which the queue leaves out the Type column, so that the
// client's email and the summary can be read: cut to a few letters, the
// type ("Document…") tells little, and the type filter (t) and the
// request's page name it in full. Updated stays: nowhere else does the
// queue say how long a request has waited.
const narrowQueueBelow = 96

// queuePageMsg is the answer of the request queue's call.
type queuePageMsg = ui.Result[listPage[portal.QueueRow]]

// requestList is the queue's table, newest first, paged by key as the
// client list is: page i is loaded with BeforeID = the last ID of the page
// before.
type requestList struct {
	*pagedList[portal.QueueRow, uint64]
	filter portal.QueueFilter
	short  bool // short dates
	narrow bool // no Type column
}

func newRequestList(d *deps, to screen) *requestList {
	l := &requestList{}
	l.pagedList = &pagedList[portal.QueueRow, uint64]{
		d: d, to: to, run: d.runner(), size: requestPageSize,
		grid:  ui.NewTable(d.st, queueColumns(d.p, false)...),
		query: l.query,
		key:   func(r portal.QueueRow) uint64 { return r.ID },
		cells: l.cells,
	}
	return l
}

// queueColumns are the queue's columns, all of them or the narrow set.
func queueColumns(p text.Printer, narrow bool) []ui.Col {
	cols := []ui.Col{
		{Title: p.T("admin.col.id"), Width: 5},
		{Title: p.T("admin.col.status"), Width: 11},
		{Title: p.T("admin.col.type"), Flex: 2, Min: 7},
		{Title: p.T("admin.col.client"), Flex: 3, Min: 9},
		{Title: p.T("admin.col.assignee"), Flex: 1, Min: 5},
		{Title: p.T("admin.col.updated"), Width: 11},
		{Title: p.T("admin.col.summary"), Flex: 5, Min: 12},
	}
	if !narrow {
		return cols
	}
	// Without Type: a usual email and the assignee's heading in full.
	cols[3].Min, cols[4].Min = 12, 8
	return append(cols[:2], cols[3:]...)
}

func (l *requestList) setSize(w, h int) {
	cur := l.grid.Cursor()
	if narrow := w < narrowQueueBelow; narrow != l.narrow {
		l.narrow = narrow
		l.grid.SetCols(queueColumns(l.d.p, narrow)...)
	}
	l.short = fitTimes(l.grid, w, l.grid.NumCols()-2)
	l.grid.SetSize(w, h) // forgets the rows when the columns change
	l.rebuild()
	l.grid.SetCursor(max(0, min(cur, l.grid.Len()-1)))
}

// query reads the queue before the request before, for the filter as it
// is now.
func (l *requestList) query(before uint64, limit int) func(ctx context.Context) ([]portal.QueueRow, error) {
	svc, a, f := l.d.svc, l.d.actor, l.filter
	f.BeforeID, f.Limit = before, limit
	return func(ctx context.Context) ([]portal.QueueRow, error) { return svc.RequestQueue(ctx, a, f) }
}

func (l *requestList) cells(r portal.QueueRow) table.Row {
	row := table.Row{fmt.Sprint(r.ID), statusWord(l.d, r.Status), clean(r.TypeName), clean(r.ClientEmail),
		clean(r.Assignee), when(r.UpdatedAt, l.short), clean(r.Summary)}
	if l.narrow {
		return append(row[:2], row[3:]...)
	}
	return row
}

// statusWord is a request status as staff read it.
func statusWord(d *deps, status string) string {
	return d.p.T("admin.request.status." + status)
}
