package admin

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

const (
	auditPage = 100
	// auditMax bounds the events kept while paging down.
	auditMax = 1000
)

// Audit filters, also the keys of their one-field forms.
const (
	filterActor   = "actor"
	filterAction  = "action"
	filterSubject = "subject"
)

// auditRows is a page of the audit log: the newest events, or (older) the
// page after the last one loaded.
type auditRows struct {
	older bool
	rows  []portal.AuditEvent
	limit int
}

// audit is the audit log, newest first, with filters on actor, action and
// subject; the next page (by key) loads when the cursor reaches the end.
// Support staff see only their own actions: the portal sees to it.
type audit struct {
	d       *deps
	grid    *ui.Table
	events  []portal.AuditEvent
	q       vocab.AuditQuery
	more    bool
	loaded  bool
	run     ui.Runner // the page on its way: a new query gives it up
	editing string    // the filter being typed, or ""
	input   *ui.Form
	err     string
	short   bool
	w       int
	keys    struct{ actor, action, subject key.Binding }
}

func newAudit(d *deps) *audit {
	p := d.p
	a := &audit{d: d, run: d.runner()}
	a.grid = ui.NewTable(d.st,
		ui.Col{Title: p.T("admin.col.time"), Width: 11},
		ui.Col{Title: p.T("admin.col.actor"), Flex: 2, Min: 8},
		ui.Col{Title: p.T("admin.col.action"), Flex: 2, Min: 18},
		ui.Col{Title: p.T("admin.col.subject"), Flex: 3, Min: 12},
		ui.Col{Title: p.T("admin.col.detail"), Flex: 2, Min: 6},
		ui.Col{Title: p.T("admin.col.from"), Flex: 1, Min: 4},
	)
	a.keys.actor = d.bind("a", "admin.help.filter_actor", "a")
	a.keys.action = d.bind("c", "admin.help.filter_action", "c")
	a.keys.subject = d.bind("s", "admin.help.filter_subject", "s")
	return a
}

func (a *audit) Init() tea.Cmd { return nil }
func (a *audit) Show() tea.Cmd { return a.reload() }
func (a *audit) Hide()         { a.run.Stop() } // Show loads again
func (a *audit) Typing() bool  { return a.editing != "" }

func (a *audit) reload() tea.Cmd { return a.load(false) }

func (a *audit) load(older bool) tea.Cmd {
	q := a.q
	q.Limit = auditPage
	if older && len(a.events) > 0 {
		q.Before = a.events[len(a.events)-1].ID
	}
	svc, actor := a.d.svc, a.d.actor
	return ui.Run(&a.run, screen(a), func(ctx context.Context) (auditRows, error) {
		rows, err := svc.ListAudit(ctx, actor, q)
		return auditRows{older: older, rows: rows, limit: q.Limit}, err
	})
}

func (a *audit) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ui.Result[auditRows]:
		if !a.run.Take(msg) {
			return nil
		}
		if msg.Err != nil {
			a.err = a.d.errText(msg.Err)
			return nil
		}
		res := msg.Val
		a.err, a.loaded, a.more = "", true, len(res.rows) == res.limit
		if res.older {
			a.events = append(a.events, res.rows...)
		} else {
			a.events = res.rows
			a.grid.SetCursor(0)
		}
		a.rebuild()
	case tea.KeyMsg:
		if a.editing != "" {
			return a.edit(msg)
		}
		if msg.Paste {
			return nil
		}
		if a.grid.Update(msg) {
			if a.grid.Cursor() == a.grid.Len()-1 && a.more && !a.run.Busy() && len(a.events) < auditMax {
				return a.load(true)
			}
			return nil
		}
		for _, f := range []struct {
			b    key.Binding
			name string
		}{{a.keys.actor, filterActor}, {a.keys.action, filterAction}, {a.keys.subject, filterSubject}} {
			if key.Matches(msg, f.b) {
				return a.open(f.name)
			}
		}
	}
	return nil
}

// open shows the input of one filter, holding its current value.
func (a *audit) open(name string) tea.Cmd {
	p := a.d.p
	a.editing = name
	a.input = ui.NewForm(a.d.st, p, ui.Field{Key: name, Label: p.T("admin.audit.filter_" + name), CharLimit: 320})
	a.input.SetWidth(a.w)
	a.input.SetValue(name, *a.filter(name))
	return a.input.Focus(name)
}

func (a *audit) filter(name string) *string {
	switch name {
	case filterActor:
		return &a.q.Actor
	case filterAction:
		return &a.q.Action
	}
	return &a.q.Subject
}

// edit types in the filter's input: Enter applies it, Esc clears it.
func (a *audit) edit(msg tea.KeyMsg) tea.Cmd {
	ev, cmd := a.input.Update(msg)
	switch ev {
	case ui.FormSubmit:
		*a.filter(a.editing) = a.input.Value(a.editing)
	case ui.FormBack:
		*a.filter(a.editing) = ""
	default:
		return cmd
	}
	a.editing, a.input = "", nil
	return a.reload()
}

func (a *audit) rebuild() {
	rows := make([]table.Row, len(a.events))
	for i, e := range a.events {
		rows[i] = table.Row{when(e.At, a.short), clean(e.Actor), clean(e.Action), clean(e.Subject), clean(e.Detail), clean(e.RemoteAddr)}
	}
	a.grid.SetRows(rows)
}

func (a *audit) View() string {
	st, p := a.d.st, a.d.p
	var top []string
	if !a.d.can(portal.ActReadFullAudit) {
		top = append(top, st.Subtle.Render(p.T("admin.audit.own_only")))
	}
	if a.editing != "" {
		top = append(top, a.input.View())
	} else {
		any := p.T("admin.audit.any")
		show := func(v string) string {
			if v == "" {
				return any
			}
			return "\"" + clean(v) + "\""
		}
		top = append(top, st.Subtle.Render(p.T("admin.audit.filters", show(a.q.Actor), show(a.q.Action), show(a.q.Subject))))
	}
	body := tableBody(a.grid, a.d, a.err, a.loaded, p.T("admin.audit.empty"))
	return ui.Lines(append(top, body)...)
}

func (a *audit) SetSize(w, h int) {
	a.w = w
	a.short = fitTimes(a.grid, w, 0)
	rows := h - 1
	if !a.d.can(portal.ActReadFullAudit) {
		rows--
	}
	if a.input != nil {
		a.input.SetWidth(w)
	}
	a.grid.SetSize(w, max(2, rows))
	a.rebuild()
}

func (a *audit) Keys() []key.Binding {
	if a.editing != "" {
		return []key.Binding{
			a.d.bind(a.d.p.T("ui.key.enter"), "admin.help.apply", "enter"),
			a.d.bind(a.d.p.T("ui.key.esc"), "admin.help.clear", "esc"),
		}
	}
	return []key.Binding{ui.MoveKeys(a.d.p), a.keys.actor, a.keys.action, a.keys.subject}
}
