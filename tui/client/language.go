package client

import (
	"context"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// languageName is a language's name in that language ("Français"), the
// way a person looking for theirs recognizes it whatever the screen speaks.
func languageName(d *deps, l text.Lang) string {
	return d.svc.Catalog().Printer(l).T("client.language.name")
}

// languageLabel is the menu item that opens the chooser: "Language", with
// the other languages named in their own, so that someone who cannot read
// the screen's language still finds theirs.
func languageLabel(d *deps) string {
	var others []string
	for _, l := range d.svc.Catalog().Langs() {
		if l != d.p.Lang() {
			others = append(others, languageName(d, l))
		}
	}
	return d.p.T("client.menu.language", strings.Join(others, ", "))
}

// language lists the catalog's languages, each by its own name. Before log
// in the choice is the session's (and saved on the account at log in); at
// home the chooser saves it on the account at once, for mails too.
type language struct {
	d      *deps
	actor  portal.Actor
	save   bool // logged in: the choice is saved on the account
	menu   ui.Menu
	run    ui.Runner
	err    string
	width  int
	langOf map[string]text.Lang
}

func newLanguage(d *deps, a portal.Actor, save bool) *language {
	s := &language{d: d, actor: a, save: save, run: newRunner(d), langOf: map[string]text.Lang{}}
	var items []ui.MenuItem
	for i, l := range d.svc.Catalog().Langs() {
		label := languageName(d, l)
		if l == d.p.Lang() {
			label = d.p.T("client.language.current", label)
		}
		items = append(items, ui.MenuItem{Key: strconv.Itoa(i + 1), Label: label, ID: string(l)})
		s.langOf[string(l)] = l
	}
	s.menu = ui.NewMenu(d.st, items...)
	s.menu.Select(string(d.p.Lang()))
	return s
}

func (s *language) Init() tea.Cmd { return nil }

// leave gives up on saving the choice (see Model.switchTo).
func (s *language) Leave() { s.run.Stop() }

func (s *language) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(ui.Result[*portal.Client]); ok && s.run.Take(r) {
		if r.Err != nil {
			s.err = s.d.failed(r.Err)
			return nil
		}
		return s.d.goTo(langMsg{lang: text.Lang(r.Val.Lang), client: r.Val})
	}
	km, cmd, ok := s.run.Key(msg)
	if !ok {
		return cmd
	}
	if km.Type == tea.KeyEsc {
		return s.d.goTo(backMsg{})
	}
	if s.run.Busy() {
		return nil
	}
	var chosen string
	s.menu, chosen = s.menu.Update(km)
	lang, ok := s.langOf[chosen]
	if !ok {
		return nil
	}
	if !s.save {
		return s.d.goTo(langMsg{lang: lang})
	}
	s.err = ""
	svc, a := s.d.svc, s.actor
	return ui.Run(&s.run, screen(s), func(ctx context.Context) (*portal.Client, error) { return svc.SetLanguage(ctx, a, string(lang)) })
}

func (s *language) View() string {
	st, p := s.d.st, s.d.p
	intro := p.T("client.language.intro")
	if s.save {
		intro = p.T("client.language.intro_account")
	}
	return ui.Page(
		st.Title.Render(p.T("client.language.title")),
		ui.Para(st.Subtle, intro, s.width),
		s.menu.View(),
		ui.Para(st.Error, s.err, s.width),
		s.run.Status(s.d.st, p.T("client.busy")),
	)
}

func (s *language) Keys() []key.Binding {
	return append(ui.MenuKeys(s.d.p), s.d.bind(s.d.p.T("ui.key.esc"), "ui.help.back", "esc"))
}

func (s *language) SetSize(w, _ int) { s.width = w }

func (s *language) Typing() bool { return false }
