package ui

import "github.com/clientportal/portal/internal/text"

// CleanRunes applies text.Sanitize's rules to typed or pasted runes before
// they reach a field: runes that are not valid code points become U+FFFD,
// a tab becomes a space, and C0, DEL, C1, bidi and zero-width controls (so
// also the ESC that starts an escape sequence) are dropped. Going through
// Sanitize itself keeps one definition of "safe" for the whole portal.
func CleanRunes(rs []rune) []rune {
	if len(rs) == 0 {
		return rs
	}
	// string() turns surrogates and out-of-range runes into U+FFFD.
	return []rune(text.Sanitize(string(rs)))
}
