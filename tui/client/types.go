package client

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// typeChooser is the first step of a new request: which kind it is. Each
// kind shows its name and, under it, the first line of its description
// when it has one; the form that follows shows the description whole.
type typeChooser struct {
	d      *deps
	actor  portal.Actor
	run    ui.Runner
	types  []portal.RequestType
	loaded bool
	err    string
	sel    int
	offset int // first kind shown, when they do not all fit
	width  int
	height int
	keys   []key.Binding
}

func newTypeChooser(d *deps, a portal.Actor) *typeChooser {
	return &typeChooser{
		d: d, actor: a, run: newRunner(d), height: ui.DefaultHeight,
		keys: []key.Binding{
			d.bind(d.p.T("ui.key.up_down"), "ui.help.move", "up", "down", "k", "j"),
			d.bind(d.p.T("ui.key.enter"), "ui.help.choose", "enter"),
			d.bind(d.p.T("ui.key.esc"), "ui.help.back", "esc"),
		},
	}
}

func (s *typeChooser) Init() tea.Cmd {
	svc, a := s.d.svc, s.actor
	return ui.Run(&s.run, screen(s), func(ctx context.Context) ([]portal.RequestType, error) { return svc.RequestTypes(ctx, a) })
}

// leave gives up on loading the kinds (see Model.switchTo).
func (s *typeChooser) Leave() { s.run.Stop() }

func (s *typeChooser) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(ui.Result[[]portal.RequestType]); ok && s.run.Take(r) {
		s.loaded = true
		if r.Err != nil {
			s.err = s.d.failed(r.Err)
		} else {
			s.types = r.Val
		}
		return nil
	}
	km, cmd, ok := s.run.Key(msg)
	if !ok {
		return cmd
	}
	switch {
	case key.Matches(km, s.keys[2]):
		return s.d.goTo(backMsg{})
	case key.Matches(km, s.keys[1]):
		if s.sel < len(s.types) {
			return s.d.goTo(typeMsg{rt: s.types[s.sel]})
		}
	case km.String() == "up" || km.String() == "k":
		if len(s.types) > 0 {
			s.sel = (s.sel + len(s.types) - 1) % len(s.types)
		}
	case km.String() == "down" || km.String() == "j":
		if len(s.types) > 0 {
			s.sel = (s.sel + 1) % len(s.types)
		}
	}
	s.scroll()
	return nil
}

// header is what stays above the list.
func (s *typeChooser) header() string {
	st, p := s.d.st, s.d.p
	return ui.Page(st.Title.Render(p.T("client.types.title")), ui.Para(st.Subtle, p.T("client.types.intro"), s.width))
}

// rows is how many lines the list has under the header.
func (s *typeChooser) rows() int {
	return max(1, s.height-strings.Count(s.header(), "\n")-2)
}

// lines is how many lines kind i takes: its name, and the line of its
// description when it has one.
func (s *typeChooser) lines(i int) int {
	if firstLine(s.types[i].Description) == "" {
		return 1
	}
	return 2
}

// span is how many lines the kinds from i to j take, both shown.
func (s *typeChooser) span(i, j int) int {
	n := 0
	for k := i; k <= j; k++ {
		n += s.lines(k)
	}
	return n
}

// scroll keeps the chosen kind in sight, moving the list as little as it
// can, and the room filled when the list ends above its bottom.
func (s *typeChooser) scroll() {
	if len(s.types) == 0 {
		s.offset = 0
		return
	}
	rows := s.rows()
	s.offset = max(0, min(s.offset, s.sel, len(s.types)-1))
	for s.offset < s.sel && s.span(s.offset, s.sel) > rows {
		s.offset++
	}
	for s.offset > 0 && s.span(s.offset-1, len(s.types)-1) <= rows {
		s.offset--
	}
}

func (s *typeChooser) View() string {
	st, p := s.d.st, s.d.p
	var body string
	switch {
	case !s.loaded:
		body = s.run.Status(s.d.st, p.T("client.loading"))
	case s.err != "":
		body = ui.Para(st.Error, s.err, s.width)
	case len(s.types) == 0:
		body = ui.Para(st.Success, p.T("client.types.none"), s.width)
	default:
		var lines []string
		rows := s.rows()
		// The kinds that fit from the first shown; always that one.
		for i := s.offset; i < len(s.types) && (i == s.offset || len(lines)+s.lines(i) <= rows); i++ {
			t := s.types[i]
			marker, name := "  ", st.MenuItem.Render(text.Sanitize(t.Name))
			if i == s.sel {
				marker, name = st.Marker.Render("> "), st.MenuSelected.Render(text.Sanitize(t.Name))
			}
			lines = append(lines, marker+name)
			if desc := firstLine(t.Description); desc != "" {
				lines = append(lines, "    "+st.Subtle.Render(ansi.Truncate(desc, max(1, s.width-4), "…")))
			}
		}
		body = strings.Join(lines, "\n")
	}
	return ui.Page(s.header(), body)
}

// firstLine is a stored text made safe, on one line.
func firstLine(s string) string { return strings.Join(strings.Fields(text.Sanitize(s)), " ") }

func (s *typeChooser) Keys() []key.Binding {
	if len(s.types) == 0 {
		return s.keys[2:]
	}
	return s.keys
}

func (s *typeChooser) SetSize(w, h int) {
	s.width, s.height = w, h
	s.scroll()
}

func (s *typeChooser) Typing() bool { return false }
