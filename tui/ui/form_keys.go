package ui

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/clientportal/portal/internal/text"
)

// FormKeyMap is the keys a form answers to, with their help in the
// session's language. It satisfies help.KeyMap.
type FormKeyMap struct {
	Next  key.Binding // next field, wrapping: Tab and Down
	Prev  key.Binding // previous field, wrapping: Shift+Tab and Up
	Enter key.Binding // next field, or submit on the last
	Back  key.Binding // leave the form: Esc
}

func newFormKeyMap(p text.Printer) FormKeyMap {
	return FormKeyMap{
		Next:  key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp(p.T("ui.key.tab"), p.T("ui.help.next"))),
		Prev:  key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp(p.T("ui.key.shift_tab"), p.T("ui.help.prev"))),
		Enter: key.NewBinding(key.WithKeys("enter"), key.WithHelp(p.T("ui.key.enter"), p.T("ui.help.enter"))),
		Back:  key.NewBinding(key.WithKeys("esc"), key.WithHelp(p.T("ui.key.esc"), p.T("ui.help.back"))),
	}
}

// ShortHelp lists the form's keys for a one-line help.
func (k FormKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Enter, k.Next, k.Prev, k.Back}
}

// FullHelp lists the form's keys as one column.
func (k FormKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{k.ShortHelp()}
}
