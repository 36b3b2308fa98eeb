package admin

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/tui/ui"
)

// noteForm writes a note on a request: a text on several lines, internal
// (for staff only, the default: a remark meant for colleagues must never
// reach the client by a forgotten key) or visible to the client, who is
// told by email. Ctrl+S sends, Ctrl+T switches the visibility, Esc leaves
// without sending, asking first when there is text.
type noteForm struct {
	d       *deps
	id      uint64
	about   string // the request, as the title shows it
	client  string // who reads a visible note
	area    *textArea
	visible bool // the client reads the note; false: internal
	discard ui.DiscardGuard
	err     string // beside the text: the portal's refusal, or a paste's
	run     ui.Runner
	w, h    int
	// Ctrl+S and Ctrl+T each have two bindings, which differ only by
	// their help: what the key does now.
	keys struct {
		sendInternal, sendVisible, toVisible, toInternal, newline, back key.Binding
	}
}

func newNoteForm(d *deps, v *portal.RequestView) *noteForm {
	p := d.p
	s := &noteForm{
		d: d, id: v.ID, run: d.runner(),
		about:   p.T("admin.note.title", v.ID, clean(v.TypeName)),
		client:  p.T("admin.request.client_line", clean(v.ClientName), clean(v.ClientEmail)),
		area:    newTextArea(d, p.T("admin.note.placeholder"), portal.MaxNoteLen),
		discard: ui.NewDiscardGuard(d.p, p.T("admin.note.confirm_discard")),
	}
	s.keys.sendInternal = d.bind("ctrl+s", "admin.help.send_internal", "ctrl+s")
	s.keys.sendVisible = d.bind("ctrl+s", "admin.help.send_visible", "ctrl+s")
	s.keys.toVisible = d.bind("ctrl+t", "admin.help.to_visible", "ctrl+t")
	s.keys.toInternal = d.bind("ctrl+t", "admin.help.to_internal", "ctrl+t")
	s.keys.newline = d.bind(p.T("ui.key.enter"), "admin.help.newline", "enter")
	s.keys.back = d.bind(p.T("ui.key.esc"), "admin.help.cancel", "esc")
	return s
}

func (s *noteForm) Init() tea.Cmd { return s.area.focus() }

func (s *noteForm) Typing() bool { return true }

func (s *noteForm) Update(msg tea.Msg) tea.Cmd { return updateTextForm(s.d, s, msg) }

// noteSent is the answer of a note sent.
type noteSent struct{}

// Leave gives up the call on its way (see ui.Leaver).
func (s *noteForm) Leave() { s.run.Stop() }

func (s *noteForm) answer(msg tea.Msg) (tea.Cmd, bool) {
	r, ok := msg.(ui.Result[noteSent])
	if !ok || !s.run.Take(r) {
		return nil, ok
	}
	p := s.d.p
	if r.Err != nil {
		s.err = s.d.errText(r.Err)
		return nil, true
	}
	notice := p.T("admin.note.sent_internal", s.id)
	if s.visible {
		notice = p.T("admin.note.sent_visible", s.id)
	}
	return s.d.goTo(popMsg{notice: notice}), true
}

func (s *noteForm) calling() bool           { return s.run.Busy() }
func (s *noteForm) guard() *ui.DiscardGuard { return &s.discard }

func (s *noteForm) key(msg tea.KeyMsg) tea.Cmd {
	switch {
	case ui.IsKey(msg, s.keys.back):
		return leaveGuarded(s.d, &s.discard, strings.TrimSpace(s.area.value()) != "")
	case ui.IsKey(msg, s.keys.toVisible):
		s.visible = !s.visible
		return nil
	case ui.IsKey(msg, s.keys.sendInternal):
		s.err = ""
		svc, a, id, body, internal := s.d.svc, s.d.actor, s.id, s.area.value(), !s.visible
		return ui.Run(&s.run, screen(s), func(ctx context.Context) (noteSent, error) {
			return noteSent{}, svc.AddNote(ctx, a, id, body, internal)
		})
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

// head is what stands above the text: the title and who reads the note,
// unmistakable when it is the client.
func (s *noteForm) head() string {
	st, p := s.d.st, s.d.p
	vis := ui.Para(st.Success, p.T("admin.note.internal"), s.w)
	if s.visible {
		vis = ui.Para(st.Error, p.T("admin.note.visible", s.client), s.w)
	}
	return strings.Join([]string{st.Title.Render(s.about), vis, ""}, "\n")
}

// foot is what stands under the text: an error, the count, and the
// question or the busy line.
func (s *noteForm) foot() string {
	st, p := s.d.st, s.d.p
	var errs, status string
	if s.err != "" {
		errs = ui.Para(st.Error, "! "+s.err, s.w)
	}
	switch {
	case s.discard.Asking():
		status = s.discard.View(st, s.w)
	case s.run.Busy():
		status = st.Subtle.Render(p.T("admin.busy"))
	}
	count := st.Subtle.Render(p.T("admin.note.count", s.area.length(), portal.MaxNoteLen))
	return ui.Lines(errs, count, status)
}

// layout gives the text what the rest leaves, less a line before the
// help; lines past about a hundred columns are hard to read.
func (s *noteForm) layout() {
	rows := s.h - strings.Count(s.head(), "\n") - strings.Count(s.foot(), "\n") - 3
	s.area.setSize(min(s.w, maxTextWidth), rows)
}

func (s *noteForm) View() string {
	return s.head() + "\n" + s.area.view() + "\n" + s.foot()
}

func (s *noteForm) SetSize(w, h int) {
	s.w, s.h = w, h
	s.layout()
}

func (s *noteForm) Keys() []key.Binding {
	if s.discard.Asking() {
		return s.discard.Keys()
	}
	if s.visible {
		return []key.Binding{s.keys.sendVisible, s.keys.toInternal, s.keys.newline, s.keys.back}
	}
	return []key.Binding{s.keys.sendInternal, s.keys.toVisible, s.keys.newline, s.keys.back}
}
