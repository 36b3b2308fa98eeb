package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/text"
)

// DiscardGuard keeps a form from throwing away what was typed on one Esc:
// with typed work, Esc asks first, and the question and the help show the
// keys: y leaves, n or Esc goes back to the text. An explicit question
// rather than "press Esc again": a person pressing Esc twice in a hurry
// does not lose a long text without having read what the second Esc does.
type DiscardGuard struct {
	asking   bool
	question string
	yes, no  key.Binding
}

// NewDiscardGuard makes the guard of a form; question (from the catalog)
// is what it asks, and names the keys.
func NewDiscardGuard(p text.Printer, question string) DiscardGuard {
	return DiscardGuard{
		question: question,
		yes:      Bind(p, p.T("ui.key.y"), "ui.help.discard", "y"),
		no:       Bind(p, p.T("ui.key.n"), "ui.help.keep_writing", "n", "esc"),
	}
}

// Leave is Esc on the form: it reports whether to leave at once, which is
// when nothing would be lost (dirty false); else the guard asks.
func (g *DiscardGuard) Leave(dirty bool) bool {
	if !dirty {
		return true
	}
	g.asking = true
	return false
}

// Asking reports whether the question is shown: then every key goes to
// Answer.
func (g *DiscardGuard) Asking() bool { return g.asking }

// Answer takes a key while the guard asks and reports whether to leave
// (y). n and Esc go back to the text; any other key, a paste too, does
// nothing.
func (g *DiscardGuard) Answer(msg tea.KeyMsg) bool {
	switch {
	case IsKey(msg, g.yes):
		g.asking = false
		return true
	case IsKey(msg, g.no):
		g.asking = false
	}
	return false
}

// Reset forgets the question (the form was left another way).
func (g *DiscardGuard) Reset() { g.asking = false }

// View is the question while asked, else "".
func (g *DiscardGuard) View(st *Styles, w int) string {
	if !g.asking {
		return ""
	}
	return Para(st.Error, g.question, w)
}

// Keys are the answers, for help.
func (g *DiscardGuard) Keys() []key.Binding { return []key.Binding{g.yes, g.no} }
