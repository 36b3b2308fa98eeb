package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

const (
	// listPageSize is how many requests one call loads; the next page is
	// loaded as the cursor comes within listPrefetch rows of the end.
	listPageSize = 50
	listPrefetch = 5

	unreadMark = "●"
)

// requestList is the client's requests, the latest update first, a page
// at a time, with a status filter. A request with news not yet read is
// marked.
type requestList struct {
	d      *deps
	actor  portal.Actor
	run    ui.Runner
	rows   []portal.Request
	filter int // 0 for every status, else vocab.RequestStatuses()[filter-1]
	more   bool
	loaded bool
	err    string
	tbl    *ui.Table
	width  int
	height int

	move, open, status, refresh, back key.Binding
}

func newRequestList(d *deps, a portal.Actor) *requestList {
	return &requestList{
		d: d, actor: a, run: newRunner(d), tbl: ui.NewTable(d.st), width: ui.DefaultWidth, height: ui.DefaultHeight,
		move:    ui.MoveKeys(d.p),
		open:    d.bind(d.p.T("ui.key.enter"), "client.help.open", "enter"),
		status:  d.bind(d.p.T("client.key.s"), "client.help.filter", "s"),
		refresh: d.bind(d.p.T("client.key.r"), "client.help.refresh", "r"),
		back:    d.bind(d.p.T("ui.key.esc"), "ui.help.back", "esc"),
	}
}

func (s *requestList) Init() tea.Cmd { return s.reload() }

// reload starts again from the first page.
func (s *requestList) reload() tea.Cmd {
	s.rows, s.more, s.loaded, s.err = nil, false, false, ""
	s.setRows()
	return s.load(nil)
}

// load asks for the page after the request after (nil for the first).
func (s *requestList) load(after *portal.Request) tea.Cmd {
	svc, a, status := s.d.svc, s.actor, s.statusFilter()
	return ui.Run(&s.run, screen(s), func(ctx context.Context) ([]portal.Request, error) {
		return svc.MyRequests(ctx, a, status, after, listPageSize)
	})
}

func (s *requestList) statusFilter() string {
	if s.filter == 0 {
		return ""
	}
	return vocab.RequestStatuses()[s.filter-1]
}

func (s *requestList) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(ui.Result[[]portal.Request]); ok && s.run.Take(r) {
		s.loaded = true
		if r.Err != nil {
			s.err = s.d.failed(r.Err)
			return nil
		}
		page := r.Val
		s.more = len(page) == listPageSize
		for _, req := range page {
			// A request updated between two pages moved up: it is
			// already shown, where it was.
			if !slices.ContainsFunc(s.rows, func(o portal.Request) bool { return o.ID == req.ID }) {
				s.rows = append(s.rows, req)
			}
		}
		s.setRows()
		return s.prefetch()
	}
	km, cmd, ok := s.run.Key(msg)
	if !ok {
		return cmd
	}
	switch {
	case key.Matches(km, s.back):
		return s.d.goTo(backMsg{})
	case key.Matches(km, s.status):
		s.filter = (s.filter + 1) % (len(vocab.RequestStatuses()) + 1)
		return s.reload()
	case key.Matches(km, s.refresh):
		return s.reload()
	case key.Matches(km, s.open):
		if i := s.tbl.Cursor(); i >= 0 && i < len(s.rows) {
			return s.d.goTo(requestMsg{id: s.rows[i].ID})
		}
	case s.tbl.Update(km):
		return s.prefetch()
	}
	return nil
}

// leave gives up on the page being loaded when the person opens a request
// (see Model.switchTo); resume asks for it again on their return.
func (s *requestList) Leave() { s.run.Stop() }

func (s *requestList) Typing() bool { return false }

// resume carries on where the list was left: the first page if it never
// came, else the next one if the cursor is near the end of those loaded.
func (s *requestList) resume() tea.Cmd {
	if !s.loaded {
		return s.reload()
	}
	return s.prefetch()
}

// prefetch loads the next page once the cursor nears the last row loaded.
func (s *requestList) prefetch() tea.Cmd {
	if !s.more || s.run.Busy() || len(s.rows) == 0 || s.tbl.Cursor() < len(s.rows)-1-listPrefetch {
		return nil
	}
	last := s.rows[len(s.rows)-1]
	return s.load(&last)
}

// markSeen shows request id as read: its page was just opened, which
// marked it so in the portal.
func (s *requestList) markSeen(id uint64) {
	for i := range s.rows {
		if s.rows[i].ID == id && s.rows[i].Unread() {
			s.rows[i].ClientSeenAt = s.rows[i].ClientUpdatedAt
			s.setRows()
		}
	}
}

func (s *requestList) setRows() {
	rows := make([]table.Row, len(s.rows))
	for i, r := range s.rows {
		mark := " "
		if r.Unread() {
			mark = unreadMark
		}
		rows[i] = table.Row{
			fmt.Sprintf("%s #%d", mark, r.ID),
			firstLine(r.TypeName),
			firstLine(r.Summary),
			statusLabel(s.d, r.Status),
			when(s.d, r.ClientUpdatedAt),
		}
	}
	s.layout() // the columns first: the rows are drawn to them
	s.tbl.SetRows(rows)
}

// layout spreads the width over the columns: the number, status and time
// as wide as they need, the kind and the summary sharing the rest (the
// summary twice as much).
func (s *requestList) layout() {
	p := s.d.p
	idW := max(lipgloss.Width(p.T("client.list.col.id")), lipgloss.Width(unreadMark+" #99"))
	for _, r := range s.rows {
		idW = max(idW, lipgloss.Width(fmt.Sprintf("%s #%d", unreadMark, r.ID)))
	}
	statusW := lipgloss.Width(p.T("client.list.col.status"))
	for _, st := range vocab.RequestStatuses() {
		statusW = max(statusW, lipgloss.Width(statusLabel(s.d, st)))
	}
	timeW := max(lipgloss.Width(when(s.d, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC))), lipgloss.Width(p.T("client.list.col.updated")))
	fixed := idW + statusW + timeW + 5*2*ui.CellPad
	const minType, minSummary = 8, 10
	spare := max(0, s.width-fixed-minType-minSummary)
	typeW := minType + spare/3
	summaryW := minSummary + spare - spare/3
	s.tbl.SetCols(
		ui.Col{Title: p.T("client.list.col.id"), Width: idW},
		ui.Col{Title: p.T("client.list.col.type"), Width: typeW},
		ui.Col{Title: p.T("client.list.col.summary"), Width: summaryW},
		ui.Col{Title: p.T("client.list.col.status"), Width: statusW},
		ui.Col{Title: p.T("client.list.col.updated"), Width: timeW},
	)
	// No taller than its rows, so that a short list is not followed by a
	// screenful of blank ones.
	room := s.height - strings.Count(s.header(), "\n") - 2
	s.tbl.SetSize(s.width, min(room, len(s.rows)+1))
}

// header says what the list shows and what the mark means.
func (s *requestList) header() string {
	st, p := s.d.st, s.d.p
	shown := p.T("client.list.all")
	if f := s.statusFilter(); f != "" {
		shown = p.T("client.list.with_status", statusLabel(s.d, f))
	}
	return ui.Page(
		st.Title.Render(p.T("client.list.title")),
		ui.Para(st.Subtle, p.T("client.list.intro", unreadMark, shown), s.width),
	)
}

func (s *requestList) View() string {
	st, p := s.d.st, s.d.p
	var body string
	switch {
	case s.err != "":
		body = ui.Para(st.Error, s.err, s.width)
	case !s.loaded:
		body = s.run.Status(s.d.st, p.T("client.loading"))
	case len(s.rows) == 0 && s.filter == 0:
		body = ui.Para(st.Success, p.T("client.list.none"), s.width)
	case len(s.rows) == 0:
		body = ui.Para(st.Success, p.T("client.list.none_status"), s.width)
	default:
		body = s.tbl.View()
	}
	return ui.Page(s.header(), body)
}

func (s *requestList) Keys() []key.Binding {
	if len(s.rows) == 0 {
		return []key.Binding{s.status, s.refresh, s.back}
	}
	return []key.Binding{s.move, s.open, s.status, s.refresh, s.back}
}

func (s *requestList) SetSize(w, h int) {
	if w != s.width || h != s.height {
		s.width, s.height = w, h
		s.layout()
	}
}
