package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// The outcomes of the request actions.
type (
	// moved: request id is now in status.
	moved struct {
		id     uint64
		status string
	}
	// assigned: request id is now assigned to name ("": to no one).
	assigned struct {
		id   uint64
		name string
	}
)

func (o moved) notice(d *deps) string {
	return d.p.T("admin.request.moved", o.id, statusWord(d, o.status))
}

func (o assigned) notice(d *deps) string {
	if o.name == "" {
		return d.p.T("admin.request.unassigned", o.id)
	}
	return d.p.T("admin.request.assigned", o.id, clean(o.name))
}

// The choosers of the request screen.
const (
	chooseStatus   = "status"
	chooseAssignee = "assignee"
)

// nobodyID is the assignee chooser's item for "assigned to no one"; staff
// names never hold a control character.
const nobodyID = "\x00nobody"

// requestDetail is one request: who asked what, its fields and its whole
// history, scrollable, with what staff do to a request: move it to another
// status, assign it, write a note. It refreshes itself every so often
// while shown, so that a note the client adds shows up.
type requestDetail struct {
	d      *deps
	id     uint64
	view   *portal.RequestView
	err    string
	vp     viewport.Model
	bottom bool      // show the end of the history once the next load lands
	load   ui.Runner // the request
	act    ui.Runner // the staff's names or an action, beside a load

	choose  string  // the chooser open, or ""
	menu    ui.Menu // its items
	confirm string  // the status waiting for y/n, or ""
	status  line
	timer   refresher     // hidden while the note form covers the page
	every   time.Duration // as the queue's: requestsEvery; tests make it short
	w, h    int
	keys    struct {
		answerKeys
		scroll, page, ends, status, assign, note, back, cancel key.Binding
	}
}

// newRequestDetail is request id's page; it refreshes itself every every
// while shown: a note the client adds, or a colleague's step, shows up
// without a key.
func newRequestDetail(d *deps, id uint64, every time.Duration) *requestDetail {
	p := d.p
	s := &requestDetail{d: d, id: id, load: d.runner(), act: d.runner(), vp: viewport.New(ui.DefaultWidth, 0), every: every}
	s.vp.KeyMap = viewport.KeyMap{}
	s.vp.MouseWheelEnabled = false
	s.keys.scroll = d.bind(p.T("ui.key.up_down"), "admin.help.scroll", "up", "down", "k", "j")
	s.keys.page = d.bind("pgup/pgdn", "admin.help.page", "pgup", "pgdown", " ")
	s.keys.ends = d.bind("home/end", "admin.help.ends", "home", "end")
	s.keys.status = d.bind("s", "admin.help.change_status", "s")
	s.keys.assign = d.bind("a", "admin.help.assign", "a")
	s.keys.note = d.bind("n", "admin.help.note", "n")
	s.keys.back = d.bind(p.T("ui.key.esc"), "ui.help.back", "esc")
	s.keys.cancel = d.bind(p.T("ui.key.esc"), "admin.help.cancel", "esc")
	s.keys.answerKeys = d.answerKeys()
	return s
}

// Init loads the request and starts the refresh timer.
func (s *requestDetail) Init() tea.Cmd {
	s.timer.show()
	return tea.Batch(s.reload(), s.tick())
}

func (s *requestDetail) reload() tea.Cmd {
	svc, a, id := s.d.svc, s.d.actor, s.id
	return ui.Run(&s.load, screen(s), func(ctx context.Context) (*portal.RequestView, error) { return svc.RequestPage(ctx, a, id) })
}

// Leave gives up the calls on their way (see ui.Leaver).
func (s *requestDetail) Leave() {
	s.load.Stop()
	s.act.Stop()
}

func (s *requestDetail) tick() tea.Cmd {
	return s.timer.tick(s, s.every)
}

// refresh is a tick: the request is read again unless a question is open
// (a chooser, a confirmation: what it offers must not change under the
// person) or a call is on its way; the timer goes on either way. A page
// left, or covered by the note form, gets no more ticks: the parent drops
// them once the page is gone, and the timer stopped when the form opened.
func (s *requestDetail) refresh(msg refreshMsg) tea.Cmd {
	if !s.timer.due(msg) {
		return nil
	}
	if s.choose != "" || s.confirm != "" || s.act.Busy() || s.load.Busy() {
		return s.tick()
	}
	return tea.Batch(s.reload(), s.tick())
}

func (s *requestDetail) Typing() bool { return false }

func (s *requestDetail) Update(msg tea.Msg) tea.Cmd {
	cmd := s.update(msg)
	s.layout()
	return cmd
}

func (s *requestDetail) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ui.Result[*portal.RequestView]:
		if s.load.Take(msg) {
			s.loaded(msg)
		}
	case ui.Result[[]string]:
		if s.act.Take(msg) {
			s.staff(msg)
		}
	case ui.Result[outcome]:
		if s.act.Take(msg) {
			return s.done(msg)
		}
	case refreshMsg:
		return s.refresh(msg)
	case noticeMsg:
		// Back from the note form: shown again, with its own timer.
		if msg.notice != "" {
			s.status = okLine(msg.notice)
		}
		s.bottom = true
		s.timer.show()
		return tea.Batch(s.reload(), s.tick())
	case tea.KeyMsg:
		if msg.Paste {
			return nil
		}
		if s.confirm != "" {
			return s.confirmKey(msg)
		}
		if s.choose != "" {
			return s.chooseKey(msg)
		}
		if key.Matches(msg, s.keys.back) {
			return s.d.goTo(popMsg{})
		}
		if s.scroll(msg) || s.view == nil || s.act.Busy() {
			return nil
		}
		switch {
		case key.Matches(msg, s.keys.status):
			if len(s.view.Next) == 0 {
				s.status = errLine(s.d.p.T("admin.request.no_moves", s.id))
				return nil
			}
			s.open(chooseStatus, s.statuses(), "")
		case key.Matches(msg, s.keys.assign):
			s.status.clear()
			svc, a := s.d.svc, s.d.actor
			return ui.Run(&s.act, screen(s), func(ctx context.Context) ([]string, error) { return svc.StaffNames(ctx, a) })
		case key.Matches(msg, s.keys.note):
			s.status.clear()
			s.timer.hide() // covered: no refresh until the form is left
			return s.d.goTo(pushMsg{newNoteForm(s.d, s.view)})
		}
	}
	return nil
}

// scroll moves the history; it reports whether the key was a move.
func (s *requestDetail) scroll(msg tea.KeyMsg) bool { return ui.ScrollKey(&s.vp, msg) }

// statuses are the status chooser's items: the statuses the request may
// move to, each under its fixed key (statusKey), in the order of the keys.
func (s *requestDetail) statuses() []ui.MenuItem {
	var items []ui.MenuItem
	for _, st := range vocab.RequestStatuses() {
		if slices.Contains(s.view.Next, st) {
			items = append(items, ui.MenuItem{Key: statusKey(st), Label: statusWord(s.d, st), ID: st})
		}
	}
	return items
}

// statusKey is the key that chooses status in the status chooser, the same
// whichever status the request is in, so that a key learnt once never
// means another status: 1 new, 2 in progress, 3 waiting, 4 done,
// 5 rejected.
func statusKey(status string) string {
	return fmt.Sprint(slices.Index(vocab.RequestStatuses(), status) + 1)
}

// mailsToClose reports whether moving to status closes the request: the
// client is mailed that it is over, so the move is asked about first.
func mailsToClose(status string) bool {
	return status == vocab.RequestDone || status == vocab.RequestRejected
}

// open shows a chooser, on the item selected when there is one.
func (s *requestDetail) open(what string, items []ui.MenuItem, selected string) {
	s.choose = what
	s.menu = ui.NewMenu(s.d.st, items...)
	s.menu.Select(selected)
	s.status.clear()
}

// chooseKey is a key while a chooser is open: a choice acts, Esc leaves.
func (s *requestDetail) chooseKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, s.keys.cancel) {
		s.choose = ""
		return nil
	}
	var chosen string
	s.menu, chosen = s.menu.Update(msg)
	if chosen == "" {
		return nil
	}
	what := s.choose
	s.choose = ""
	if what == chooseStatus {
		if mailsToClose(chosen) {
			s.confirm = chosen
			return nil
		}
		return s.setStatus(chosen)
	}
	svc, a, id := s.d.svc, s.d.actor, s.id
	name := chosen
	if chosen == nobodyID {
		name = ""
	}
	return ui.Run(&s.act, screen(s), func(ctx context.Context) (outcome, error) {
		return assigned{id, name}, svc.AssignRequest(ctx, a, id, name)
	})
}

// confirmKey is a key while a closing move waits for y/n.
func (s *requestDetail) confirmKey(msg tea.KeyMsg) tea.Cmd {
	status := s.confirm
	switch {
	case key.Matches(msg, s.keys.yes):
		s.confirm = ""
		return s.setStatus(status)
	case key.Matches(msg, s.keys.no):
		s.confirm = ""
	}
	return nil
}

// setStatus moves the request to status.
func (s *requestDetail) setStatus(status string) tea.Cmd {
	svc, a, id := s.d.svc, s.d.actor, s.id
	return ui.Run(&s.act, screen(s), func(ctx context.Context) (outcome, error) {
		return moved{id, status}, svc.SetRequestStatus(ctx, a, id, status)
	})
}

// loaded takes the request in. A refresh keeps the lines in sight, unless
// the end was: then the end stays in sight, with what came in.
func (s *requestDetail) loaded(msg ui.Result[*portal.RequestView]) {
	if msg.Err != nil {
		s.err = s.d.errText(msg.Err)
		return
	}
	end := s.vp.AtBottom() && s.vp.TotalLineCount() > 0
	s.view, s.err = msg.Val, ""
	s.fill()
	if s.bottom || end {
		s.vp.GotoBottom()
		s.bottom = false
	}
}

// staff opens the assignee chooser on the staff's names.
func (s *requestDetail) staff(msg ui.Result[[]string]) {
	if msg.Err != nil {
		s.status = errLine(s.d.errText(msg.Err))
		return
	}
	current := s.view.Assignee
	if current == "" {
		current = nobodyID
	}
	s.open(chooseAssignee, s.assignees(msg.Val), current)
}

// done shows the outcome of an action and, when it went through, reads
// the request again, its end in sight.
func (s *requestDetail) done(msg ui.Result[outcome]) tea.Cmd {
	s.status = s.d.said(msg)
	if msg.Err != nil {
		return nil
	}
	s.bottom = true
	return s.reload()
}

// assignees are the chooser's items: the staff names, then nobody.
func (s *requestDetail) assignees(names []string) []ui.MenuItem {
	p := s.d.p
	items := make([]ui.MenuItem, 0, len(names)+1)
	for i, n := range names {
		label := clean(n)
		if n == s.view.Assignee {
			label = p.T("admin.request.current", label)
		}
		k := ""
		if i < 9 {
			k = fmt.Sprint(i + 1)
		}
		items = append(items, ui.MenuItem{Key: k, Label: label, ID: n})
	}
	label := p.T("admin.request.nobody")
	if s.view.Assignee == "" {
		label = p.T("admin.request.current", label)
	}
	return append(items, ui.MenuItem{Key: "0", Label: label, ID: nobodyID})
}

// fill lays the fields and the history out for the width, in the
// viewport.
func (s *requestDetail) fill() {
	if s.view == nil {
		return
	}
	st, p, w := s.d.st, s.d.p, max(10, s.w)
	short := s.w < shortTimesBelow
	out := []string{st.Title.Render(p.T("admin.request.fields"))}
	for _, f := range s.view.Fields {
		label := st.Label.Render(clean(f.Label) + ":")
		v := text.SanitizeMultiline(f.Value)
		switch {
		case strings.TrimSpace(v) == "":
			out = append(out, label+" "+st.Subtle.Render("-"))
		case f.Kind == vocab.FieldMultiline || strings.Contains(v, "\n"):
			out = append(out, label)
			out = append(out, wrapIndent(v, w, 2)...)
		default:
			out = append(out, wrapIndent(label+" "+v, w, 0)...)
		}
	}
	out = append(out, "", st.Title.Render(p.T("admin.request.history")))
	if s.view.Earlier {
		out = append(out, ui.Para(st.Subtle, p.T("admin.request.earlier", portal.MaxThread), w))
	}
	for _, e := range s.view.Events {
		out = append(out, s.event(e, w, short)...)
	}
	s.vp.SetContent(strings.Join(out, "\n"))
}

// event is one entry of the history: when, who, what; a note's text under
// it, indented. Internal entries say so in words.
func (s *requestDetail) event(e portal.RequestEvent, w int, short bool) []string {
	st, p := s.d.st, s.d.p
	var what string
	switch e.Kind {
	case vocab.EventSubmitted:
		what = p.T("admin.request.event.submitted")
	case vocab.EventStatus:
		if e.AuthorKind == vocab.ActorClient {
			// The portal's own move when the client answers a request
			// waiting on them: their step, not a colleague's.
			what = p.T("admin.request.event.answered", statusWord(s.d, e.Status))
		} else {
			what = p.T("admin.request.event.status", statusWord(s.d, e.Status))
		}
	case vocab.EventAssign:
		if e.Body == "" {
			what = p.T("admin.request.event.unassign")
		} else {
			what = p.T("admin.request.event.assign", clean(e.Body))
		}
	case vocab.EventNote:
		switch {
		case e.AuthorKind != vocab.ActorStaff && e.AuthorKind != vocab.ActorSystem:
			what = p.T("admin.request.event.note_client")
		case e.Internal:
			what = p.T("admin.request.event.note_internal")
		default:
			what = p.T("admin.request.event.note_visible")
		}
	default:
		what = clean(e.Kind)
	}
	head := when(e.At, short) + "  " + clean(e.Author) + "  "
	if e.Internal {
		head += st.Error.Render(p.T("admin.request.internal")) + " "
	}
	out := wrapIndent(head+what, w, 0)
	if e.Kind == vocab.EventNote {
		out = append(out, wrapIndent(text.SanitizeMultiline(e.Body), w, 4)...)
	}
	return out
}

// wrapIndent wraps each line of s (already sanitized) to w columns, every
// line indented by indent spaces.
func wrapIndent(s string, w, indent int) []string {
	pad := strings.Repeat(" ", indent)
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, wl := range strings.Split(ansi.Wrap(l, max(1, w-indent), ""), "\n") {
			out = append(out, pad+strings.TrimRight(wl, " "))
		}
	}
	return out
}

func (s *requestDetail) View() string {
	st, p := s.d.st, s.d.p
	if s.view == nil {
		title := st.Title.Render(p.T("admin.request.title", s.id))
		if s.err != "" {
			return ui.Page(title, st.Error.Render("! "+s.err))
		}
		return ui.Page(title, st.Subtle.Render(p.T("admin.loading")))
	}
	if s.choose != "" {
		return s.head() + "\n" + s.chooser()
	}
	return s.head() + "\n" + s.vp.View() + "\n" + s.scrollHint()
}

// head is what stands above the history: the title, the outcome of the
// last action, who asked, the state and the dates.
func (s *requestDetail) head() string {
	st, p, v := s.d.st, s.d.p, s.view
	field := func(label, val string) string {
		return st.Label.Render(padRight(p.T(label), 10)) + val
	}
	short := s.w < shortTimesBelow
	who := p.T("admin.request.nobody")
	if v.Assignee != "" {
		who = clean(v.Assignee)
	}
	head := []string{st.Title.Render(p.T("admin.request.title_type", v.ID, clean(v.TypeName)))}
	// The outcome of an action goes right under the title: a long
	// history below must never push it off a small screen.
	if foot := s.outcome(); foot != "" {
		head = append(head, foot)
	}
	head = append(head,
		field("admin.request.client", p.T("admin.request.client_line", clean(v.ClientName), clean(v.ClientEmail))),
		field("admin.col.status", p.T("admin.request.state", statusWord(s.d, v.Status), who)),
		field("admin.request.dates", p.T("admin.request.dates_line", when(v.CreatedAt, short), when(v.UpdatedAt, short))),
		"",
	)
	return strings.Join(head, "\n")
}

// outcome is the line of the action running, the last error, or the
// last action's outcome.
func (s *requestDetail) outcome() string {
	st, p := s.d.st, s.d.p
	switch {
	case s.confirm != "":
		return ui.Para(st.Error, p.T("admin.request.confirm_close", s.id, statusWord(s.d, s.confirm)), s.w)
	case s.act.Busy():
		return st.Subtle.Render(p.T("admin.busy"))
	case s.err != "":
		return st.Error.Render("! " + s.err)
	}
	return s.status.view(st, s.w)
}

// chooser is the question of the chooser open and its items.
func (s *requestDetail) chooser() string {
	st, p, v := s.d.st, s.d.p, s.view
	q := p.T("admin.request.choose_assignee", v.ID)
	if s.choose == chooseStatus {
		q = p.T("admin.request.choose_status", v.ID, statusWord(s.d, v.Status))
	}
	return st.Title.Render(q) + "\n" + s.menu.View()
}

// scrollHint says which lines of the history show, when not all do.
func (s *requestDetail) scrollHint() string {
	total := s.vp.TotalLineCount()
	if total <= s.vp.Height {
		return ""
	}
	last := min(total, s.vp.YOffset+s.vp.Height)
	return s.d.st.Subtle.Render(s.d.p.T("admin.request.scroll", s.vp.YOffset+1, last, total))
}

// layout gives the history the rows the head leaves, less the hint's.
// The end of the history stays in sight when the head grows (an outcome
// line) or the screen shrinks.
func (s *requestDetail) layout() {
	if s.view == nil {
		return
	}
	rows := s.h - strings.Count(s.head(), "\n") - 2
	end := s.vp.AtBottom() && s.vp.TotalLineCount() > 0
	s.vp.Width, s.vp.Height = max(1, s.w), max(1, rows)
	s.vp.SetYOffset(s.vp.YOffset) // back in range for the new height
	if end {
		s.vp.GotoBottom()
	}
}

func (s *requestDetail) SetSize(w, h int) {
	if w != s.w {
		s.w = w
		s.fill()
	}
	s.h = h
	s.layout()
}

func (s *requestDetail) Keys() []key.Binding {
	if s.confirm != "" {
		return s.keys.answers()
	}
	if s.choose != "" {
		return append(ui.MenuKeys(s.d.p), s.keys.cancel)
	}
	return []key.Binding{s.keys.scroll, s.keys.page, s.keys.ends, s.keys.status, s.keys.assign, s.keys.note, s.keys.back}
}
