package admin

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

// requestsEvery is how often the queue refreshes itself while shown: new
// requests and changes by colleagues arrive without anyone pressing a key.
const requestsEvery = 3 * time.Second

// Assignee filters, in the order the key cycles through them.
const (
	assignAll = iota
	assignMine
	assignNobody
	assignFilters
)

// fieldClient is the client filter's one field.
const fieldClient = "client"

// requests is the Requests tab: the staff queue, newest first, filtered by
// status, type, assignee and client, refreshing itself while shown and
// keeping the cursor on the same request. Enter opens the request.
type requests struct {
	d        *deps
	list     *requestList
	typesRun ui.Runner            // the types' call, beside the queue's
	types    []portal.RequestType // for the type filter, as last read
	statuses []string             // "" (all) then every status
	status   int
	typeAt   int // 0: every type; i: types[i-1]
	assignee int
	input    *ui.Form // the client filter, while typed
	typing   bool
	noClient bool // the portal knows no client with the filter's email
	timer    refresher
	every    time.Duration // requestsEvery; tests make it short
	note     line
	w        int
	keys     struct{ open, status, kind, assignee, client, apply, clear, erase key.Binding }
}

func newRequests(d *deps) *requests {
	p := d.p
	r := &requests{d: d, typesRun: d.runner(), statuses: append([]string{""}, vocab.RequestStatuses()...), every: requestsEvery}
	r.list = newRequestList(d, r)
	r.input = ui.NewForm(d.st, p, ui.Field{Key: fieldClient, Label: p.T("admin.requests.client"),
		Placeholder: p.T("admin.placeholder.email"), CharLimit: portal.MaxEmailLen})
	r.keys.open = d.bind(p.T("ui.key.enter"), "admin.help.open", "enter")
	r.keys.status = d.bind("s", "admin.help.status", "s")
	r.keys.kind = d.bind("t", "admin.help.type_filter", "t")
	r.keys.assignee = d.bind("a", "admin.help.assignee_filter", "a")
	r.keys.client = d.bind("/", "admin.help.client_filter", "/")
	r.keys.apply = d.bind(p.T("ui.key.enter"), "admin.help.apply", "enter")
	r.keys.clear = d.bind(p.T("ui.key.esc"), "admin.help.clear", "esc")
	// What the input does with Ctrl+U anyway, as every input: said here,
	// where the filter is reopened on the text typed last.
	r.keys.erase = d.bind("ctrl+u", "admin.help.erase", "ctrl+u")
	return r
}

func (r *requests) Init() tea.Cmd { return nil }

// Show loads the types, then the queue, and starts the refresh timer. The
// types come first so that the type filter (t) works as soon as the queue
// shows: a t pressed before they arrived did nothing.
func (r *requests) Show() tea.Cmd {
	r.timer.show()
	return tea.Batch(tea.Sequence(r.loadTypes(), r.list.refresh()), r.tick())
}

// Hide stops the refresh (the tick in flight finds seq moved and ends)
// and gives up the calls on their way: Show makes them again.
func (r *requests) Hide() {
	r.timer.hide()
	r.typesRun.Stop()
	r.list.stop()
}

func (r *requests) tick() tea.Cmd {
	return r.timer.tick(r, r.every)
}

func (r *requests) loadTypes() tea.Cmd {
	svc, a := r.d.svc, r.d.actor
	return ui.Run(&r.typesRun, screen(r), func(ctx context.Context) ([]portal.RequestType, error) { return svc.RequestTypes(ctx, a) })
}

func (r *requests) Typing() bool { return r.typing }

func (r *requests) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case refreshMsg:
		if !r.timer.due(msg) {
			return nil // left, or shown again since: that show has its own timer
		}
		if r.typing || r.list.loading() {
			return r.tick()
		}
		return tea.Batch(r.list.refresh(), r.tick())
	case queuePageMsg:
		if r.list.take(msg) {
			// The one email of a queue query is the client filter's: a
			// refusal about it says no client has it.
			r.noClient = portal.FieldOf(msg.Err) == portal.FieldEmail
		}
	case ui.Result[[]portal.RequestType]:
		if r.typesRun.Take(msg) && msg.Err == nil {
			r.setTypes(msg.Val)
		}
	case noticeMsg:
		// Back from a request: its row may have changed.
		if msg.notice != "" {
			r.note = okLine(msg.notice)
		}
		return r.list.refresh()
	case tea.KeyMsg:
		if r.typing {
			return r.typeClient(msg)
		}
		return r.key(msg)
	}
	return nil
}

// setTypes keeps the type filter on the same type when the list changes.
func (r *requests) setTypes(ts []portal.RequestType) {
	var id uint64
	if r.typeAt > 0 && r.typeAt <= len(r.types) {
		id = r.types[r.typeAt-1].ID
	}
	r.types, r.typeAt = ts, 0
	for i, t := range ts {
		if t.ID == id {
			r.typeAt = i + 1
		}
	}
}

func (r *requests) key(msg tea.KeyMsg) tea.Cmd {
	if msg.Paste {
		return nil
	}
	if moved, cmd := r.list.move(msg); moved {
		return cmd
	}
	switch {
	case ui.IsKey(msg, r.keys.open):
		if row, ok := r.list.selected(); ok {
			r.note.clear()
			// The page refreshes as often as the queue.
			return r.d.goTo(pushMsg{newRequestDetail(r.d, row.ID, r.every)})
		}
	case ui.IsKey(msg, r.keys.status):
		r.status = (r.status + 1) % len(r.statuses)
		return r.apply()
	case ui.IsKey(msg, r.keys.kind):
		r.typeAt = (r.typeAt + 1) % (len(r.types) + 1)
		return r.apply()
	case ui.IsKey(msg, r.keys.assignee):
		r.assignee = (r.assignee + 1) % assignFilters
		return r.apply()
	case ui.IsKey(msg, r.keys.client):
		// From the filter as it is, the cursor at its end: to fix a
		// refused email, or Ctrl+U to start over.
		r.typing = true
		r.note.clear()
		r.input.ClearErrors()
		r.input.SetValue(fieldClient, r.list.filter.Client)
		return r.input.Focus(fieldClient)
	}
	return nil
}

// typeClient edits the client filter: Enter applies it, Esc clears it.
func (r *requests) typeClient(msg tea.KeyMsg) tea.Cmd {
	ev, cmd := r.input.Update(msg)
	switch ev {
	case ui.FormSubmit:
		r.typing = false
		r.list.filter.Client = r.input.Value(fieldClient)
	case ui.FormBack:
		r.typing = false
		r.input.Reset()
		if r.list.filter.Client == "" {
			return nil
		}
		r.list.filter.Client = ""
	default:
		return cmd
	}
	return r.list.reload()
}

// apply reads the filters into the query and loads its first page.
func (r *requests) apply() tea.Cmd {
	f := &r.list.filter
	f.Status = r.statuses[r.status]
	f.TypeID = 0
	if r.typeAt > 0 && r.typeAt <= len(r.types) {
		f.TypeID = r.types[r.typeAt-1].ID
	}
	switch r.assignee {
	case assignMine:
		f.Assignee = r.d.actor.Name
	case assignNobody:
		f.Assignee = portal.Unassigned
	default:
		f.Assignee = ""
	}
	r.note.clear()
	return r.list.reload()
}

// filters is the line saying what the queue shows.
func (r *requests) filters() string {
	p := r.d.p
	all := p.T("admin.clients.all")
	status := all
	if s := r.statuses[r.status]; s != "" {
		status = statusWord(r.d, s)
	}
	kind := all
	if r.typeAt > 0 && r.typeAt <= len(r.types) {
		kind = "\"" + clean(r.types[r.typeAt-1].Name) + "\""
	}
	who := []string{all, p.T("admin.requests.mine"), p.T("admin.requests.nobody")}[r.assignee]
	client := p.T("admin.audit.any")
	if c := r.list.filter.Client; c != "" {
		client = "\"" + clean(c) + "\""
	}
	return p.T("admin.requests.filters", status, kind, who, client)
}

func (r *requests) View() string {
	st, p := r.d.st, r.d.p
	var top string
	if r.typing {
		top = r.input.View()
	} else {
		top = st.Subtle.Render(ansi.Truncate(r.filters(), max(1, r.w), "…"))
	}
	list := r.list.view(p.T("admin.requests.empty"))
	if r.noClient && r.list.err != "" {
		list += "\n" + ui.Para(st.Subtle, p.T("admin.requests.no_client_hint"), r.w)
	}
	return ui.Lines(top, list, r.note.view(st, r.w))
}

// SetSize leaves a line for the filters and one for the status.
func (r *requests) SetSize(w, h int) {
	r.w = w
	r.input.SetWidth(w)
	rows := h - 2
	if r.typing {
		rows = h - 4 // the input and its error
	}
	r.list.setSize(w, max(2, rows))
}

func (r *requests) Keys() []key.Binding {
	if r.typing {
		return []key.Binding{r.keys.apply, r.keys.erase, r.keys.clear}
	}
	return []key.Binding{ui.MoveKeys(r.d.p), r.keys.open, r.keys.status, r.keys.kind, r.keys.assignee, r.keys.client}
}
