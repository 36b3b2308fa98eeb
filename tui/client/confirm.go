package client

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// confirm shows a filled request form as it will be sent; Enter sends it,
// Esc goes back to change it.
type confirm struct {
	d      *deps
	actor  portal.Actor
	form   *requestForm
	run    ui.Runner
	scroll scroller
	width  int
	send   key.Binding
	back   key.Binding
}

func newConfirm(d *deps, a portal.Actor, form *requestForm) *confirm {
	return &confirm{
		d: d, actor: a, form: form, run: newRunner(d), scroll: newScroller(d),
		send: d.bind(d.p.T("ui.key.enter"), "client.help.send", "enter"),
		back: d.bind(d.p.T("ui.key.esc"), "client.help.edit", "esc"),
	}
}

func (s *confirm) Init() tea.Cmd { return nil }

// leave gives up on sending (see Model.switchTo).
func (s *confirm) Leave() { s.run.Stop() }

func (s *confirm) Typing() bool { return false }

func (s *confirm) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(ui.Result[*portal.Request]); ok && s.run.Take(r) {
		if r.Err != nil {
			return s.d.goTo(editMsg{form: s.form, err: r.Err})
		}
		req := r.Val
		return s.d.goTo(requestMsg{id: req.ID, notice: s.d.p.T("client.request.sent", req.ID)})
	}
	km, cmd, ok := s.run.Key(msg)
	if !ok {
		return cmd
	}
	switch {
	case key.Matches(km, s.back):
		return s.d.goTo(editMsg{form: s.form})
	case s.run.Busy():
	case key.Matches(km, s.send):
		svc, a, id, values := s.d.svc, s.actor, s.form.rt.ID, s.form.values()
		return ui.Run(&s.run, screen(s), func(ctx context.Context) (*portal.Request, error) { return svc.SubmitRequest(ctx, a, id, values) })
	default:
		s.scroll.update(km)
	}
	return nil
}

// content is what will be sent: each field's label, then its value as
// typed (made safe to show), or a dash when left empty.
func (s *confirm) content() string {
	st, p := s.d.st, s.d.p
	var parts []string
	values := s.form.values()
	for i, f := range s.form.fields {
		parts = append(parts, fieldBlock(st, text.Sanitize(f.Label), values[i], s.width, p.T("client.request.empty")))
	}
	return ui.Page(parts...)
}

// fieldBlock is a field as a page shows it: the label, and under it the
// value indented, wrapped, on as many lines as it was written on.
func fieldBlock(st *ui.Styles, label, value string, w int, empty string) string {
	value = strings.TrimSpace(text.SanitizeMultiline(value))
	if value == "" {
		return ui.Lines(st.Label.Bold(true).Render(label), "  "+st.Subtle.Render(empty))
	}
	return ui.Lines(st.Label.Bold(true).Render(label), indent(ui.Para(st.Field, value, max(1, w-2)), "  "))
}

// indent puts pad before every line of s.
func indent(s, pad string) string {
	if s == "" {
		return ""
	}
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func (s *confirm) header() string {
	st, p := s.d.st, s.d.p
	return ui.Page(
		st.Title.Render(p.T("client.confirm.title", text.Sanitize(s.form.rt.Name))),
		ui.Para(st.Subtle, p.T("client.confirm.intro"), s.width),
	)
}

func (s *confirm) View() string {
	return ui.Page(s.header(), s.scroll.view(), s.run.Status(s.d.st, s.d.p.T("client.sending")))
}

func (s *confirm) Keys() []key.Binding {
	if s.run.Busy() {
		return []key.Binding{s.back}
	}
	return append([]key.Binding{s.send}, append(s.scroll.keys(), s.back)...)
}

// SetSize lays the text out again for a new width, and gives the page
// what the header and the status leave.
func (s *confirm) SetSize(w, h int) {
	if w != s.width {
		s.width = w
		s.scroll.setContent(s.content(), w)
	}
	used := strings.Count(s.header(), "\n") + 2 // and the blank line under it
	if s.run.Busy() {
		used += 2
	}
	s.scroll.setHeight(h - used)
}

// scroller is a page of text taller than the screen, moved with the
// arrows, Page Up/Down, Home and End: a viewport drawn with the session's
// renderer.
type scroller struct {
	d  *deps
	vp viewport.Model
	up key.Binding
	pg key.Binding
}

func newScroller(d *deps) scroller {
	vp := viewport.New(0, 0)
	vp.Style = d.st.Renderer.NewStyle()
	vp.MouseWheelEnabled = false
	vp.KeyMap = viewport.KeyMap{}
	return scroller{
		d: d, vp: vp,
		up: d.bind(d.p.T("ui.key.up_down"), "client.help.scroll", "up", "down", "k", "j"),
		pg: d.bind(d.p.T("client.key.pages"), "client.help.pages", "pgup", "pgdown", "home", "end"),
	}
}

func (s *scroller) setContent(content string, w int) {
	s.vp.Width = max(1, w)
	s.vp.SetContent(content)
}

func (s *scroller) setHeight(h int) {
	s.vp.Height = max(1, h)
	s.vp.SetYOffset(s.vp.YOffset) // back in range
}

// update moves the page; it reports whether the key was a move.
func (s *scroller) update(km tea.KeyMsg) bool { return ui.ScrollKey(&s.vp, km) }

// scrolls reports whether the text is taller than the room it has.
func (s *scroller) scrolls() bool { return s.vp.TotalLineCount() > s.vp.Height }

// keys are the moves, for help, when there is anywhere to move.
func (s *scroller) keys() []key.Binding {
	if !s.scrolls() {
		return nil
	}
	return []key.Binding{s.up, s.pg}
}

// view is the visible part, with trailing blanks cut so that a page
// shorter than the room does not push the status line down.
func (s *scroller) view() string {
	v := s.vp.View()
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
