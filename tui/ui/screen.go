package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/text"
)

// Screen is one page of a program, the client's or the console: the
// parent model keeps the screen shown, hands it the messages that are not
// its own, draws its View in the Frame with the help of its Keys, and
// tells it its size. Screens are used by pointer and change in place.
//
// A screen with portal calls keeps a Runner for each kind of call that may
// run beside another, starts them with Run, takes their Result in Update
// and gives them up in Leave (see Leaver).
type Screen interface {
	Init() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	// View is the screen's part of the body: the parent adds the rest
	// (title bar, header, help).
	View() string
	// Keys are the bindings the screen answers to, for help; the parent
	// adds the ones it handles itself.
	Keys() []key.Binding
	// SetSize tells the screen the columns and lines it may draw. The
	// parent calls it when either changes, so it may lay itself out here.
	SetSize(w, h int)
	// Typing reports whether a text input has the focus: then every key
	// but Ctrl+C is the screen's, and keys typed ahead in one read are not
	// split into choices.
	Typing() bool
}

// Leaver is a screen that may have calls running: Leave gives them up when
// the person leaves the screen, so that nothing keeps waiting for an answer
// no one will read. A screen kept to go back to starts again what it still
// needs when shown again.
type Leaver interface{ Leave() }

// Leave gives up s's calls, if it has any (see Leaver).
func Leave(s Screen) {
	if l, ok := s.(Leaver); ok {
		l.Leave()
	}
}

// Routed is a message meant for one screen (the one that started the call
// or the timer it answers), whichever screen is shown when it arrives.
type Routed interface{ Target() Screen }

// Bind makes a binding whose help shows label as it is (a key's name,
// already translated where it has words: p.T("ui.key.esc")) and the
// catalog's desc.
func Bind(p text.Printer, label, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, p.T(desc)))
}

// IsKey reports whether msg is a typed (not pasted) key matching one of
// bindings.
func IsKey(msg tea.KeyMsg, bindings ...key.Binding) bool {
	return !msg.Paste && key.Matches(msg, bindings...)
}

// HelpColumns lays bindings out for the full help in columns of Rows keys
// each, in order (help.KeyMap).
type HelpColumns struct {
	Keys []key.Binding
	Rows int
}

// ShortHelp returns the bindings in order.
func (k HelpColumns) ShortHelp() []key.Binding { return k.Keys }

// FullHelp returns the bindings in columns of Rows.
func (k HelpColumns) FullHelp() [][]key.Binding {
	rows := max(1, k.Rows)
	var cols [][]key.Binding
	for i := 0; i < len(k.Keys); i += rows {
		cols = append(cols, k.Keys[i:min(i+rows, len(k.Keys))])
	}
	return cols
}
