package ui

import tea "github.com/charmbracelet/bubbletea"

// SplitBurst splits a burst of typed runes (several keys read at once, as
// when someone types ahead over a slow link; not a paste) into its first
// key and the rest, for the caller to deliver after what the first one
// causes. A menu key at the start of the burst then takes effect, and the
// screen it opens gets the keys typed after it. ok is false for anything
// else.
func SplitBurst(msg tea.Msg) (first, rest tea.KeyMsg, ok bool) {
	km, isKey := msg.(tea.KeyMsg)
	if !isKey || km.Paste || km.Type != tea.KeyRunes || len(km.Runes) < 2 {
		return tea.KeyMsg{}, tea.KeyMsg{}, false
	}
	first = tea.KeyMsg{Type: tea.KeyRunes, Runes: km.Runes[:1], Alt: km.Alt}
	rest = tea.KeyMsg{Type: tea.KeyRunes, Runes: append([]rune(nil), km.Runes[1:]...)}
	return first, rest, true
}
