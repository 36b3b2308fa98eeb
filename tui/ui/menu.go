package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/text"
)

// MenuItem is one choice of a menu.
type MenuItem struct {
	Key   string // the hotkey, as a key name ("l"); letters match either case
	Label string // from the catalog
	ID    string // what Update returns when it is chosen
}

// Menu is a vertical list of choices, each with a hotkey. It is a value, as
// Bubble Tea models are: Update returns the changed copy.
type Menu struct {
	st    *Styles
	items []MenuItem
	sel   int
}

// NewMenu makes a menu with the first item selected.
func NewMenu(st *Styles, items ...MenuItem) Menu {
	return Menu{st: st, items: append([]MenuItem(nil), items...)}
}

// MenuKeys returns the keys every menu answers to, for help; the hotkeys
// are shown beside the items themselves.
func MenuKeys(p text.Printer) KeyMap {
	return KeyMap{
		key.NewBinding(key.WithKeys("up", "down", "k", "j"), key.WithHelp(p.T("ui.key.up_down"), p.T("ui.help.move"))),
		key.NewBinding(key.WithKeys("enter"), key.WithHelp(p.T("ui.key.enter"), p.T("ui.help.choose"))),
	}
}

// Update moves the selection on Up/Down (and k/j) and returns the ID of
// the item chosen by Enter or by its hotkey, or "" when none was. A hotkey
// wins over k/j, so an item may use either letter.
func (m Menu) Update(msg tea.Msg) (Menu, string) {
	km, ok := msg.(tea.KeyMsg)
	// A paste is text typed in nowhere, not a choice.
	if !ok || km.Paste || len(m.items) == 0 {
		return m, ""
	}
	k := km.String()
	for i, it := range m.items {
		if it.Key != "" && strings.EqualFold(it.Key, k) {
			m.sel = i
			return m, it.ID
		}
	}
	n := len(m.items)
	switch k {
	case "up", "k", "shift+tab":
		m.sel = (m.sel + n - 1) % n
	case "down", "j", "tab":
		m.sel = (m.sel + 1) % n
	case "enter":
		return m, m.items[m.sel].ID
	}
	return m, ""
}

// SetItems replaces the items, keeping the selection on the same ID when
// it is still there.
func (m *Menu) SetItems(items ...MenuItem) {
	id := m.Selected()
	m.items = append([]MenuItem(nil), items...)
	m.sel = 0
	m.Select(id)
}

// Selected returns the ID of the selected item, or "" for an empty menu.
func (m Menu) Selected() string {
	if m.sel < len(m.items) {
		return m.items[m.sel].ID
	}
	return ""
}

// Select selects the item with the ID; an unknown ID changes nothing.
func (m *Menu) Select(id string) {
	for i, it := range m.items {
		if it.ID == id {
			m.sel = i
			return
		}
	}
}

// View draws one item a line, "l  Log in", the selected one marked.
func (m Menu) View() string {
	keyW := 0
	for _, it := range m.items {
		keyW = max(keyW, lipgloss.Width(it.Key))
	}
	lines := make([]string, len(m.items))
	for i, it := range m.items {
		marker, label := noMarker, m.st.MenuItem.Render(it.Label)
		if i == m.sel {
			marker = m.st.Marker.Render(focusMarker)
			label = m.st.MenuSelected.Render(it.Label)
		}
		pad := strings.Repeat(" ", keyW-lipgloss.Width(it.Key)+2)
		lines[i] = marker + m.st.KeyHint.Render(it.Key) + pad + label
	}
	return strings.Join(lines, "\n")
}
