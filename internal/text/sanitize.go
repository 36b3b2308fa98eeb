package text

import (
	"strings"
	"unicode/utf8"
)

// Sanitize makes a user-supplied string harmless to show on a terminal or in
// a log: invalid UTF-8 becomes U+FFFD, and C0 controls, DEL, C1 controls and
// the bidirectional controls and zero-width space that can disguise text
// are dropped; the joiners ZWNJ and ZWJ are kept. Newlines are dropped too; use SanitizeMultiline where a text may
// keep its line breaks.
func Sanitize(s string) string {
	return sanitize(s, false)
}

// SanitizeMultiline is Sanitize but keeps "\n" (a "\r\n" pair becomes "\n"),
// for texts a person wrote on several lines.
func SanitizeMultiline(s string) string {
	return sanitize(s, true)
}

func sanitize(s string, keepNewlines bool) string {
	if isClean(s, keepNewlines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case unsafeRune(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isClean is the fast path: most strings need no change and no allocation.
func isClean(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !(keepNewlines && c == '\n') {
					return false
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune reports the runes a terminal would act on rather than show, or
// that reorder or hide the text around them.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f: // C0 and DEL
		return true
	case r >= 0x80 && r <= 0x9f: // C1, including the 8-bit CSI U+009B
		return true
	case r == 0x200b, r == 0x200e, r == 0x200f: // zero-width space, LRM, RLM
		// U+200C and U+200D (ZWNJ, ZWJ) stay: they reorder nothing, and
		// Persian and Indic names and emoji sequences (👩‍⚖️) need them.
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r == 0x061c: // Arabic letter mark
		return true
	case r == 0xfeff: // zero-width no-break space (BOM)
		return true
	}
	return false
}
