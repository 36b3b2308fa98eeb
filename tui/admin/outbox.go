package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

// outboxEvery is how often the Outbox tab refreshes itself while shown.
const outboxEvery = 2 * time.Second

const outboxPage = 100

// outboxRows is a page of the outbox: the newest rows, or (older) the
// page after the last one loaded.
type outboxRows struct {
	older bool
	more  bool // a page older than the newest loaded
	rows  []portal.Mail
}

// retried is the outcome of putting mail id back in the queue.
type retried struct{ id uint64 }

func (o retried) notice(d *deps) string { return d.p.T("admin.outbox.retried", o.id) }

// outbox lists mail newest first with its state, attempts, next try or
// sending time and last error; it refreshes itself every outboxEvery while
// it is the tab shown, and never otherwise.
type outbox struct {
	d      *deps
	grid   *ui.Table
	msgs   []portal.Mail
	more   bool
	loaded bool
	rows   ui.Runner // the page on its way: a new query gives it up
	act    ui.Runner // the retry on its way, beside a load
	states []string
	state  int
	timer  refresher
	status line
	err    string
	short  bool
	w      int
	keys   struct{ retry, filter key.Binding }
}

func newOutbox(d *deps) *outbox {
	p := d.p
	o := &outbox{d: d, rows: d.runner(), act: d.runner(), states: []string{"", vocab.MailQueued, vocab.MailSent, vocab.MailFailed}}
	o.grid = ui.NewTable(d.st,
		ui.Col{Title: p.T("admin.col.id"), Width: 5},
		ui.Col{Title: p.T("admin.col.to"), Flex: 3, Min: 10},
		ui.Col{Title: p.T("admin.col.kind"), Width: 14},
		ui.Col{Title: p.T("admin.col.state"), Width: 6},
		ui.Col{Title: p.T("admin.col.attempts"), Width: 3},
		ui.Col{Title: p.T("admin.col.when"), Width: 11},
		ui.Col{Title: p.T("admin.col.last_error"), Flex: 2, Min: 6},
	)
	o.keys.retry = d.bind("r", "admin.help.retry", "r")
	o.keys.filter = d.bind("s", "admin.help.state", "s")
	return o
}

func (o *outbox) Init() tea.Cmd { return nil }
func (o *outbox) Typing() bool  { return false }

// Show loads the newest page and starts the refresh timer.
func (o *outbox) Show() tea.Cmd {
	o.timer.show()
	return tea.Batch(o.load(false), o.tick())
}

// Hide stops the refresh (the tick in flight finds seq moved and ends)
// and gives up the page on its way: Show loads it again.
func (o *outbox) Hide() {
	o.timer.hide()
	o.rows.Stop()
}

func (o *outbox) tick() tea.Cmd {
	return o.timer.tick(o, outboxEvery)
}

// load asks for the newest rows (as many as are shown, for a refresh) or,
// with older, for the page after the last one loaded.
func (o *outbox) load(older bool) tea.Cmd {
	q := vocab.OutboxQuery{State: o.states[o.state], Limit: outboxPage}
	if older && len(o.msgs) > 0 {
		q.Before = o.msgs[len(o.msgs)-1].ID
	} else {
		q.Limit = min(1000, max(outboxPage, len(o.msgs)))
	}
	svc, a := o.d.svc, o.d.actor
	return ui.Run(&o.rows, screen(o), func(ctx context.Context) (outboxRows, error) {
		rows, err := svc.ListOutbox(ctx, a, q)
		return outboxRows{older: older, more: len(rows) == q.Limit, rows: rows}, err
	})
}

func (o *outbox) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case refreshMsg:
		if !o.timer.due(msg) {
			return nil // left, or shown again since: that show has its own timer
		}
		if o.rows.Busy() {
			return o.tick()
		}
		return tea.Batch(o.load(false), o.tick())
	case ui.Result[outboxRows]:
		if o.rows.Take(msg) {
			o.took(msg)
		}
	case ui.Result[outcome]:
		if !o.act.Take(msg) {
			return nil
		}
		o.status = o.d.said(msg)
		if msg.Err != nil || o.rows.Busy() {
			return nil
		}
		return o.load(false)
	case tea.KeyMsg:
		if msg.Paste {
			return nil
		}
		if o.grid.Update(msg) {
			if o.grid.Cursor() == o.grid.Len()-1 && o.more && !o.rows.Busy() && len(o.msgs) < 1000 {
				return o.load(true)
			}
			return nil
		}
		switch {
		case key.Matches(msg, o.keys.filter):
			o.state = (o.state + 1) % len(o.states)
			o.msgs, o.loaded = nil, false
			o.grid.SetCursor(0)
			return o.load(false)
		case key.Matches(msg, o.keys.retry):
			i := o.grid.Cursor()
			if i < 0 || i >= len(o.msgs) {
				return nil
			}
			id := o.msgs[i].ID
			svc, a := o.d.svc, o.d.actor
			o.status.clear()
			return ui.Run(&o.act, screen(o), func(ctx context.Context) (outcome, error) { return retried{id}, svc.RetryMail(ctx, a, id) })
		}
	}
	return nil
}

// took takes a page in.
func (o *outbox) took(msg ui.Result[outboxRows]) {
	if msg.Err != nil {
		o.err = o.d.errText(msg.Err)
		return
	}
	o.err, o.loaded = "", true
	if msg.Val.older {
		o.msgs = append(o.msgs, msg.Val.rows...)
	} else {
		// Keep the cursor on the same message across a refresh.
		var id uint64
		if i := o.grid.Cursor(); i >= 0 && i < len(o.msgs) {
			id = o.msgs[i].ID
		}
		o.msgs = msg.Val.rows
		o.rebuild()
		for i, m := range o.msgs {
			if m.ID == id {
				o.grid.SetCursor(i)
			}
		}
	}
	o.more = msg.Val.more
	o.rebuild()
}

func (o *outbox) rebuild() {
	p := o.d.p
	rows := make([]table.Row, len(o.msgs))
	for i, m := range o.msgs {
		at := when(m.NextAttemptAt, o.short)
		if m.State == vocab.MailSent {
			at = whenPtr(m.SentAt, o.short)
		} else if m.State == vocab.MailFailed {
			at = "-"
		}
		rows[i] = table.Row{fmt.Sprint(m.ID), clean(m.ToAddr), clean(m.Kind), p.T("admin.mail." + m.State),
			fmt.Sprint(m.Attempts), at, clean(m.LastError)}
	}
	o.grid.SetRows(rows)
}

func (o *outbox) View() string {
	st, p := o.d.st, o.d.p
	state := p.T("admin.clients.all")
	if s := o.states[o.state]; s != "" {
		state = p.T("admin.mail." + s)
	}
	top := st.Subtle.Render(p.T("admin.outbox.intro", state, int(outboxEvery/time.Second)))
	body := tableBody(o.grid, o.d, o.err, o.loaded, p.T("admin.outbox.empty"))
	return ui.Lines(top, body, o.status.view(st, o.w))
}

func (o *outbox) SetSize(w, h int) {
	o.w = w
	o.short = fitTimes(o.grid, w, 5)
	o.grid.SetSize(w, max(2, h-2))
	o.rebuild()
}

func (o *outbox) Keys() []key.Binding {
	return []key.Binding{ui.MoveKeys(o.d.p), o.keys.retry, o.keys.filter}
}
