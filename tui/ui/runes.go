package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/text"
)

// CleanRunes applies text.Sanitize's rules to typed or pasted runes before
// they reach a field: runes that are not valid code points become U+FFFD,
// a tab becomes a space, and C0, DEL, C1, bidi controls and the zero-width
// space (so also the ESC that starts an escape sequence) are dropped; the
// joiners ZWNJ and ZWJ stay, names need them. Going through
// Sanitize itself keeps one definition of "safe" for the whole portal.
func CleanRunes(rs []rune) []rune {
	if len(rs) == 0 {
		return rs
	}
	// string() turns surrogates and out-of-range runes into U+FFFD.
	return []rune(text.Sanitize(string(rs)))
}

// CleanKey is the one input rule of every field, in a Form or not: the
// runes of a key, typed or pasted, are cleaned before the field sees them
// (by CleanRunes for a one-line input; for a text area, multiline, line
// breaks are kept as "\n" whichever of CR LF, CR or LF the terminal sent).
// Control characters and escape sequences are dropped, never refused: a
// paste goes in without them. ok is false when a key of runes has none
// left, and there is nothing to type.
func CleanKey(km tea.KeyMsg, multiline bool) (tea.KeyMsg, bool) {
	if multiline {
		km.Runes = cleanAreaRunes(km.Runes)
	} else {
		km.Runes = CleanRunes(km.Runes)
	}
	return km, km.Type != tea.KeyRunes || len(km.Runes) > 0
}
