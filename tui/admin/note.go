package admin

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// noteForm writes a note on a request: a text on several lines, visible to
// the client (the default, and they are told by email) or internal, for
// staff only. Ctrl+S sends, Ctrl+T switches the visibility, Esc leaves
// without sending.
type noteForm struct {
	d        *deps
	id       uint64
	about    string // the request, as the title shows it
	client   string // who reads a visible note
	area     *textArea
	internal bool
	err      string // beside the text: the portal's refusal, or a paste's
	busy     bool
	w, h     int
	keys     struct{ send, toggle, newline, back key.Binding }
}

func newNoteForm(d *deps, v *portal.RequestView) *noteForm {
	p := d.p
	s := &noteForm{
		d: d, id: v.ID,
		about:  p.T("admin.note.title", v.ID, clean(v.TypeName)),
		client: p.T("admin.request.client_line", clean(v.ClientName), clean(v.ClientEmail)),
		area:   newTextArea(d, p.T("admin.note.placeholder"), portal.MaxNoteLen),
	}
	s.keys.send = d.bind("ctrl+s", "admin.help.send", "ctrl+s")
	s.keys.toggle = d.bind("ctrl+t", "admin.help.visibility", "ctrl+t")
	s.keys.newline = d.bind(p.T("ui.key.enter"), "admin.help.newline", "enter")
	s.keys.back = d.bind(p.T("ui.key.esc"), "admin.help.cancel", "esc")
	return s
}

func (s *noteForm) Init() tea.Cmd { return s.area.focus() }

func (s *noteForm) Typing() bool { return true }

func (s *noteForm) Update(msg tea.Msg) tea.Cmd {
	p := s.d.p
	switch msg := msg.(type) {
	case doneMsg:
		s.busy = false
		if msg.err != nil {
			s.err = s.d.errText(msg.err)
			return nil
		}
		notice := p.T("admin.note.sent_visible", s.id)
		if s.internal {
			notice = p.T("admin.note.sent_internal", s.id)
		}
		return send(popMsg{notice: notice})
	case tea.KeyMsg:
		if s.busy {
			return nil // one call at a time; its answer comes back here
		}
		if !msg.Paste {
			switch {
			case key.Matches(msg, s.keys.back):
				return send(popMsg{})
			case key.Matches(msg, s.keys.toggle):
				s.internal = !s.internal
				return nil
			case key.Matches(msg, s.keys.send):
				s.err = ""
				s.busy = true
				svc, a, id, body, internal := s.d.svc, s.d.actor, s.id, s.area.value(), s.internal
				return s.d.call(s, "note", func(ctx context.Context) (any, error) {
					return nil, svc.AddNote(ctx, a, id, body, internal)
				})
			}
		}
		before := s.area.value()
		cmd, refused := s.area.update(msg)
		if refused != "" {
			s.err = refused
		} else if s.area.value() != before {
			s.err = "" // the person is fixing what the error was about
		}
		return cmd
	}
	return nil
}

func (s *noteForm) View() string {
	st, p := s.d.st, s.d.p
	vis := ui.Para(st.Success, p.T("admin.note.visible", s.client), s.w)
	if s.internal {
		vis = ui.Para(st.Error, p.T("admin.note.internal"), s.w)
	}
	var errs, status string
	if s.err != "" {
		errs = ui.Para(st.Error, "! "+s.err, s.w)
	}
	if s.busy {
		status = st.Subtle.Render(p.T("admin.busy"))
	}
	count := st.Subtle.Render(p.T("admin.note.count", s.area.length(), portal.MaxNoteLen))
	top := strings.Join([]string{st.Title.Render(s.about), vis, ""}, "\n")
	bottom := ui.Lines(errs, count, status)
	// The text takes what the rest leaves, less a line before the help.
	// Lines past about a hundred columns are hard to read.
	s.area.setSize(min(s.w, maxTextWidth), s.h-strings.Count(top, "\n")-strings.Count(bottom, "\n")-3)
	return top + "\n" + s.area.view() + "\n" + bottom
}

func (s *noteForm) SetSize(w, h int) { s.w, s.h = w, h }

func (s *noteForm) Keys() []key.Binding {
	return []key.Binding{s.keys.send, s.keys.toggle, s.keys.newline, s.keys.back}
}
