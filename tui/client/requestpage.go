package client

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// when is a time as the session's language writes it, in UTC (the screens
// that show times say so).
func when(d *deps, t time.Time) string {
	return t.UTC().Format(d.p.T("client.time.layout"))
}

// statusLabel is a request status in the session's language.
func statusLabel(d *deps, status string) string {
	return d.p.T("request.status." + text.Sanitize(status))
}

// requestPage shows one of the client's requests: what they asked, and
// its history oldest first, in a page that scrolls. Opening it marks the
// request read (the portal does, in RequestPage).
type requestPage struct {
	d      *deps
	actor  portal.Actor
	id     uint64
	notice string
	atEnd  bool // scroll to the latest news once loaded
	run    ui.Runner
	req    *portal.RequestView
	err    string
	scroll scroller
	width  int
	height int
	note   key.Binding
	back   key.Binding
}

func newRequestPage(d *deps, a portal.Actor, id uint64, notice string, atEnd bool) *requestPage {
	return &requestPage{
		d: d, actor: a, id: id, notice: notice, atEnd: atEnd, run: newRunner(d), scroll: newScroller(d),
		height: ui.DefaultHeight,
		note:   d.bind(d.p.T("client.key.n"), "client.help.note", "n"),
		back:   d.bind(d.p.T("ui.key.esc"), "ui.help.back", "esc"),
	}
}

func (s *requestPage) Init() tea.Cmd {
	svc, a, id := s.d.svc, s.actor, s.id
	return ui.Run(&s.run, screen(s), func(ctx context.Context) (*portal.RequestView, error) { return svc.RequestPage(ctx, a, id) })
}

// leave gives up on loading the page (see Model.switchTo).
func (s *requestPage) Leave() { s.run.Stop() }

func (s *requestPage) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(ui.Result[*portal.RequestView]); ok && s.run.Take(r) {
		if r.Err != nil {
			s.err = s.d.failed(r.Err)
			return nil
		}
		s.req = r.Val
		news := s.layout()
		switch {
		case news >= 0:
			s.scroll.vp.SetYOffset(news) // what is new since the last visit
		case s.atEnd:
			s.scroll.vp.GotoBottom()
		}
		return nil
	}
	km, cmd, ok := s.run.Key(msg)
	if !ok {
		return cmd
	}
	switch {
	case key.Matches(km, s.back):
		return s.d.goTo(listMsg{seen: s.id})
	case s.req == nil:
	case key.Matches(km, s.note):
		return s.d.goTo(noteMsg{id: s.id})
	default:
		s.scroll.update(km)
	}
	return nil
}

// header stays above the page that scrolls: which request, its status and
// dates, and what just happened.
func (s *requestPage) header() string {
	st, p := s.d.st, s.d.p
	if s.req == nil {
		return st.Title.Render(p.T("client.page.title_loading", s.id))
	}
	r := s.req
	return ui.Page(
		ui.Lines(
			st.Title.Render(p.T("client.page.title", text.Sanitize(r.TypeName), r.ID)),
			ui.Para(st.Field, p.T("client.page.status", statusLabel(s.d, r.Status)), s.width),
			ui.Para(st.Subtle, p.T("client.page.dates", when(s.d, r.CreatedAt), when(s.d, r.ClientUpdatedAt)), s.width),
		),
		ui.Para(st.Success, s.notice, s.width),
	)
}

// content is the request's fields, then its history; news is the line of
// the first entry the client had not seen before opening the page, or -1.
func (s *requestPage) content() (content string, news int) {
	st, p, w, r := s.d.st, s.d.p, s.width, s.req
	var parts []string
	for _, f := range r.Fields {
		parts = append(parts, fieldBlock(st, text.Sanitize(f.Label), f.Value, w, p.T("client.request.empty")))
	}
	parts = append(parts, st.Title.Render(p.T("client.page.history")))
	if r.Earlier {
		parts = append(parts, ui.Para(st.Subtle, p.T("client.page.earlier", portal.MaxThread), w))
	}
	news = -1
	for _, e := range r.Events {
		// As for Unread: a change by the legal team after the last visit.
		fresh := r.Unread() && e.At.After(r.ClientSeenAt) && e.AuthorKind != vocab.ActorClient
		ev := s.event(e, fresh)
		if ev == "" {
			continue
		}
		if fresh && news < 0 {
			news = strings.Count(ui.Page(parts...), "\n") + 2
		}
		parts = append(parts, ev)
	}
	return ui.Page(parts...), news
}

// event is one entry of the history: when and who, then what. An entry
// that is news is marked as the list marks its request.
func (s *requestPage) event(e portal.RequestEvent, fresh bool) string {
	st, p := s.d.st, s.d.p
	who := p.T("client.page.team")
	if e.AuthorKind == vocab.ActorClient {
		who = p.T("client.page.you")
	}
	var what string
	switch e.Kind {
	case vocab.EventSubmitted:
		what = p.T("client.page.submitted")
	case vocab.EventStatus:
		what = p.T("client.page.status_changed", statusLabel(s.d, e.Status))
		if e.AuthorKind == vocab.ActorClient {
			// The client changes no status: their note answered the
			// team, which the portal took back to work on it.
			what = p.T("client.page.answered", statusLabel(s.d, e.Status))
		}
	case vocab.EventNote:
		what = strings.TrimSpace(text.SanitizeMultiline(e.Body))
	default:
		return "" // nothing a client is meant to read
	}
	head := st.Subtle.Render(when(s.d, e.At)+" · ") + st.Label.Bold(true).Render(who)
	if fresh {
		head = st.Marker.Render(unreadMark) + " " + head
	}
	return ui.Lines(head, indent(ui.Para(st.Field, what, max(1, s.width-2)), "  "))
}

func (s *requestPage) View() string {
	st, p := s.d.st, s.d.p
	switch {
	case s.err != "":
		return ui.Page(s.header(), ui.Para(st.Error, s.err, s.width))
	case s.req == nil:
		return ui.Page(s.header(), s.run.Status(s.d.st, p.T("client.loading")))
	}
	return ui.Page(s.header(), s.scroll.view())
}

func (s *requestPage) Keys() []key.Binding {
	if s.req == nil {
		return []key.Binding{s.back}
	}
	return append(s.scroll.keys(), s.note, s.back)
}

// layout fits the page to the screen (the text is made again only when
// the width changed) and returns where the news starts (see content).
func (s *requestPage) layout() (news int) {
	if s.req == nil {
		return -1
	}
	content, news := s.content()
	s.scroll.setContent(content, s.width)
	s.fitHeight()
	return news
}

// SetSize lays the page out again for a new width, and gives the thread
// what the header leaves.
func (s *requestPage) SetSize(w, h int) {
	s.height = h
	if w != s.width {
		s.width = w
		s.layout()
	}
	s.fitHeight()
}

func (s *requestPage) fitHeight() {
	s.scroll.setHeight(s.height - strings.Count(s.header(), "\n") - 2)
}

func (s *requestPage) Typing() bool { return false }
