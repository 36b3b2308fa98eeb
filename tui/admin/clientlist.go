package admin

import (
	"context"

	"github.com/charmbracelet/bubbles/table"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"

	"github.com/clientportal/portal/tui/ui"
)

// clientPageSize is the rows of a page of the client lists.
const clientPageSize = 50

// pageMsg is the answer of a client list's call.
type pageMsg = ui.Result[listPage[portal.ClientSummary]]

// clientList is a table of clients paged by key, in email order (each page
// loaded with After = the last email of the page before), for a search
// and a status. A new search or status starts the list over (reload).
type clientList struct {
	*pagedList[portal.ClientSummary, string]
	search string
	status string
	short  bool // narrow: short dates
}

func newClientList(d *deps, to screen) *clientList {
	p := d.p
	l := &clientList{}
	l.pagedList = &pagedList[portal.ClientSummary, string]{
		d: d, to: to, run: d.runner(), size: clientPageSize,
		grid: ui.NewTable(d.st,
			ui.Col{Title: p.T("admin.col.name"), Flex: 3, Min: 8},
			ui.Col{Title: p.T("admin.col.email"), Flex: 4, Min: 10},
			ui.Col{Title: p.T("admin.col.company"), Flex: 2, Min: 6},
			ui.Col{Title: p.T("admin.col.status"), Width: 8},
			ui.Col{Title: p.T("admin.col.invitation"), Width: 8},
			ui.Col{Title: p.T("admin.col.last_login"), Width: 11},
		),
		query: l.query,
		key:   func(c portal.ClientSummary) string { return c.EmailNorm },
		cells: l.cells,
	}
	return l
}

func (l *clientList) setSize(w, h int) {
	l.short = fitTimes(l.grid, w, 5)
	// Status and invitation words fit in 8 columns; wider tables give them
	// room to breathe.
	for _, i := range []int{3, 4} {
		l.grid.Col(i).Width = 8
		if !l.short {
			l.grid.Col(i).Width = 10
		}
	}
	l.grid.SetSize(w, h)
	l.rebuild()
}

// query reads clients after the email after, for the search and status
// as they are now.
func (l *clientList) query(after string, limit int) func(ctx context.Context) ([]portal.ClientSummary, error) {
	svc, a := l.d.svc, l.d.actor
	q := vocab.ClientQuery{Search: l.search, Status: l.status, After: after, Limit: limit}
	return func(ctx context.Context) ([]portal.ClientSummary, error) { return svc.ClientsPage(ctx, a, q) }
}

func (l *clientList) cells(c portal.ClientSummary) table.Row {
	p := l.d.p
	inv := "-"
	if c.Invitation != "" {
		inv = p.T("admin.invitation." + c.Invitation)
	}
	return table.Row{clean(c.Name), clean(c.Email), clean(c.Company),
		p.T("admin.status." + c.Status), inv, whenPtr(c.LastLoginAt, l.short)}
}
