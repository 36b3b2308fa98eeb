package admin

import (
	"context"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/tui/ui"
)

// settings is the admins' Settings tab: the sign-up mode, chosen from a
// menu and confirmed, and the way to the request types (t).
type settings struct {
	d       *deps
	menu    ui.Menu
	mode    string    // as last read; "" until then
	confirm string    // the mode waiting for y/n
	load    ui.Runner // the mode
	act     ui.Runner // the change on its way, beside a load
	status  line
	w       int
	keys    struct {
		answerKeys
		types key.Binding
	}
}

func newSettings(d *deps) *settings {
	p := d.p
	s := &settings{d: d, load: d.runner(), act: d.runner()}
	s.menu = ui.NewMenu(d.st,
		ui.MenuItem{Key: "f", Label: p.T("admin.settings.off"), ID: vocab.SignUpOff},
		ui.MenuItem{Key: "o", Label: p.T("admin.settings.on"), ID: vocab.SignUpOn},
		ui.MenuItem{Key: "a", Label: p.T("admin.settings.approval"), ID: vocab.SignUpApproval},
	)
	s.keys.answerKeys = d.answerKeys()
	s.keys.types = d.bind("t", "admin.help.types", "t")
	return s
}

func (s *settings) Init() tea.Cmd { return nil }
func (s *settings) Hide()         { s.load.Stop() } // Show loads again
func (s *settings) Typing() bool  { return false }

func (s *settings) Show() tea.Cmd {
	svc := s.d.svc
	return ui.Run(&s.load, screen(s), func(ctx context.Context) (string, error) { return svc.SignUpMode(ctx) })
}

// modeSet is the outcome of setting the sign-up mode.
type modeSet struct{ mode string }

func (o modeSet) notice(d *deps) string {
	return d.p.T("admin.settings.saved", d.p.T("admin.settings.mode_"+o.mode))
}

func (s *settings) Update(msg tea.Msg) tea.Cmd {
	p := s.d.p
	switch msg := msg.(type) {
	case ui.Result[string]:
		if !s.load.Take(msg) {
			return nil
		}
		if msg.Err != nil {
			s.status = errLine(s.d.errText(msg.Err))
			return nil
		}
		s.mode = msg.Val
		s.menu.Select(s.mode)
		return nil
	case ui.Result[outcome]:
		if !s.act.Take(msg) {
			return nil
		}
		s.status = s.d.said(msg)
		return s.Show()
	case tea.KeyMsg:
		if msg.Paste || s.act.Busy() {
			return nil
		}
		if s.confirm != "" {
			mode := s.confirm
			switch {
			case key.Matches(msg, s.keys.yes):
				s.confirm = ""
				svc, a := s.d.svc, s.d.actor
				return ui.Run(&s.act, screen(s), func(ctx context.Context) (outcome, error) {
					return modeSet{mode}, svc.SetSignUpMode(ctx, a, mode)
				})
			case key.Matches(msg, s.keys.no):
				s.confirm = ""
				s.menu.Select(s.mode)
			}
			return nil
		}
		if key.Matches(msg, s.keys.types) {
			s.status.clear()
			return s.d.goTo(pushMsg{newTypesScreen(s.d)})
		}
		var chosen string
		s.menu, chosen = s.menu.Update(msg)
		if chosen == "" {
			return nil
		}
		if chosen == s.mode {
			s.status = okLine(p.T("admin.settings.unchanged", p.T("admin.settings.mode_"+chosen)))
			return nil
		}
		s.status.clear()
		s.confirm = chosen
	}
	return nil
}

func (s *settings) View() string {
	st, p := s.d.st, s.d.p
	mode := p.T("admin.loading")
	if s.mode != "" {
		mode = p.T("admin.settings.mode_" + s.mode)
	}
	foot := s.status.view(st, s.w)
	switch {
	case s.confirm != "":
		foot = st.Error.Render(p.T("admin.settings.confirm_" + s.confirm))
	case s.act.Busy():
		foot = st.Subtle.Render(p.T("admin.busy"))
	}
	return ui.Page(
		st.Title.Render(p.T("admin.settings.signup")),
		ui.Para(st.Subtle, p.T("admin.settings.intro"), s.w),
		p.T("admin.settings.current", mode),
		s.menu.View(),
		foot,
		ui.Lines(st.Title.Render(p.T("admin.settings.types")),
			ui.Para(st.Subtle, p.T("admin.settings.types_intro"), s.w),
			"  "+st.KeyHint.Render("t")+"  "+p.T("admin.settings.types_open")),
	)
}

func (s *settings) SetSize(w, _ int) { s.w = w }

func (s *settings) Keys() []key.Binding {
	if s.confirm != "" {
		return s.keys.answers()
	}
	return append(ui.MenuKeys(s.d.p), s.keys.types)
}
