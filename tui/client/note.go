package client

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// noteLines are the rows of the note's text area.
const noteLines = 8

// note writes a note to the legal team on one request. Enter starts a new
// line, so Ctrl+S sends it: a key every SSH client passes through. The
// note takes no more than the portal keeps (a paste longer than that is
// cut, as in every form). Esc on a note with text in it asks first whether
// to throw it away (see ui.DiscardGuard).
type note struct {
	formScreen
	actor portal.Actor
	id    uint64
}

func newNote(d *deps, a portal.Actor, id uint64) *note {
	s := &note{
		formScreen: newFormScreen(d, ui.Field{
			Key: portal.FieldNote, Label: d.p.T("client.field.note"),
			Multiline: true, Lines: noteLines, CharLimit: portal.MaxNoteLen,
		}),
		actor: a,
		id:    id,
	}
	s.submit = d.bind(d.p.T("client.key.ctrl_s"), "client.help.send", "ctrl+s")
	s.guard = ui.NewDiscardGuard(d.p, d.p.T("client.note.discard"))
	return s
}

func (s *note) Init() tea.Cmd { return nil }

func (s *note) Update(msg tea.Msg) tea.Cmd {
	if leave, taken := s.asking(msg); taken {
		if leave {
			return s.d.goTo(requestMsg{id: s.id})
		}
		return nil
	}
	if s.isEsc(msg) {
		if !s.leaving(strings.TrimSpace(s.form.Value(portal.FieldNote)) != "") {
			return nil
		}
		return s.d.goTo(requestMsg{id: s.id})
	}
	svc, a, id := s.d.svc, s.actor, s.id
	return s.handle(s, msg, func(f *ui.Form) call {
		body := f.Value(portal.FieldNote)
		return func(ctx context.Context) (*portal.Client, error) { return nil, svc.AddNote(ctx, a, id, body, false) }
	}, func(*portal.Client) tea.Cmd {
		return s.d.goTo(requestMsg{id: id, notice: s.d.p.T("client.note.sent"), atEnd: true})
	})
}

func (s *note) View() string {
	p := s.d.p
	return s.page(p.T("client.note.title", s.id), "", p.T("client.note.intro"))
}

func (s *note) Keys() []key.Binding {
	if s.guard.Asking() {
		return s.guard.Keys()
	}
	return []key.Binding{s.d.bind(s.d.p.T("ui.key.enter"), "client.help.newline", "enter"), s.submit, s.form.Keys().Back}
}
