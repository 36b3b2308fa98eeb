package admin

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/tui/ui"
)

// discardGuard keeps a form from throwing away what was typed on one Esc:
// with unsaved text, Esc asks first; y leaves, n or Esc goes back to the
// text.
type discardGuard struct {
	d        *deps
	asking   bool
	question string // from the catalog
	yes, no  key.Binding
}

func newDiscardGuard(d *deps, question string) discardGuard {
	return discardGuard{
		d:        d,
		question: question,
		yes:      d.bind("y", "admin.help.discard", "y"),
		no:       d.bind("n", "admin.help.keep_writing", "n", "esc"),
	}
}

// leave is Esc on the form: it goes back at once when nothing would be
// lost (dirty false), else it asks.
func (g *discardGuard) leave(dirty bool) tea.Cmd {
	if !dirty {
		return g.d.goTo(popMsg{})
	}
	g.asking = true
	return nil
}

// key is a key while the guard asks; any other key than y, n and Esc
// (a paste too) does nothing.
func (g *discardGuard) key(msg tea.KeyMsg) tea.Cmd {
	switch {
	case isKey(msg, g.yes):
		g.asking = false
		return g.d.goTo(popMsg{})
	case isKey(msg, g.no):
		g.asking = false
	}
	return nil
}

// view is the question, while asked.
func (g *discardGuard) view(st *ui.Styles, w int) string {
	if !g.asking {
		return ""
	}
	return ui.Para(st.Error, g.question, w)
}

func (g *discardGuard) keys() []key.Binding { return []key.Binding{g.yes, g.no} }
