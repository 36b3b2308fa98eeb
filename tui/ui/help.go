package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// KeyMap is a flat list of bindings that satisfies help.KeyMap, for screens
// whose help is one line.
type KeyMap []key.Binding

// ShortHelp returns the bindings in order.
func (k KeyMap) ShortHelp() []key.Binding { return k }

// FullHelp returns the bindings as one column.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k} }

// NewHelp returns a help model drawn with the session's styles. It is built
// field by field rather than from help.New so that no style of bubbles'
// defaults, made from the global renderer, is ever in it.
func NewHelp(st *Styles) help.Model {
	return help.Model{
		ShortSeparator: helpSeparator,
		FullSeparator:  "    ",
		Ellipsis:       ellipsis,
		Styles:         st.Help,
	}
}
