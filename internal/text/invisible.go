package text

import "unicode"

// Invisible returns the first code point of s that would not show where it
// stands, so that two names a person cannot tell apart could be stored as
// different ones (or a name could look blank): Unicode's
// Default_Ignorable_Code_Point set (Hangul fillers, soft hyphen, word
// joiner and invisible operators, tag characters, the combining grapheme
// joiner, …) and the Braille blank, with the exceptions names need:
//
//   - U+200C and U+200D (ZWNJ, ZWJ) between two visible characters of
//     which neither is ASCII, Latin, Greek or Cyrillic: Persian, Arabic
//     and Indic names use them, and emoji sequences (👩‍⚖️) are made with
//     ZWJ; between two Latin letters, at an edge or beside a space they
//     only hide a difference;
//   - a variation selector (U+FE00–FE0F, U+E0100–E01EF, the Mongolian
//     free variation selectors) right after a visible character that is
//     not ASCII, Latin, Greek or Cyrillic (a keycap's digit, # or * aside):
//     emoji take U+FE0F (❤️, ⚖️, 1️⃣) and Japanese names ideographic
//     variation sequences; one alone, a second in a row or one after a
//     Latin letter changes nothing seen.
//
// Tag characters (U+E0000–E007F) are refused although three subdivision
// flags use them: they spell hidden ASCII after any character.
// ok is false when every code point of s shows.
func Invisible(s string) (r rune, ok bool) {
	rs := []rune(s)
	for i, r := range rs {
		if r == 0x2800 { // Braille pattern blank: a symbol drawn as nothing
			return r, true
		}
		if !defaultIgnorable(r) {
			continue
		}
		var prev, next rune = -1, -1
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch {
		case r == 0x200c || r == 0x200d:
			if joinerBase(prev) && shows(next) && !plainScript(next) {
				continue
			}
		case variationSelector(r):
			if shows(prev) && (!plainScript(prev) || keycapBase(prev)) {
				continue
			}
		}
		return r, true
	}
	return 0, false
}

// DefaultIgnorable reports whether r has Unicode's Default_Ignorable_Code_Point
// property: a code point that, where it is not supported, is drawn as
// nothing at all.
func DefaultIgnorable(r rune) bool { return defaultIgnorable(r) }

// defaultIgnorable is Unicode's derived Default_Ignorable_Code_Point:
// Other_Default_Ignorable_Code_Point, format characters and variation
// selectors, less white space, the interlinear annotation and Egyptian
// hieroglyph format characters and the prepended concatenation marks
// (DerivedCoreProperties.txt).
func defaultIgnorable(r rune) bool {
	switch {
	case r < 0xad:
		return false
	case r >= 0xfff9 && r <= 0xfffb, r >= 0x13430 && r <= 0x1345f:
		return false
	case unicode.In(r, unicode.White_Space, unicode.Prepended_Concatenation_Mark):
		return false
	}
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Cf, unicode.Variation_Selector)
}

func variationSelector(r rune) bool {
	return unicode.Is(unicode.Variation_Selector, r)
}

// shows reports whether r is a character drawn with ink: not absent (-1),
// not a space, not ignorable.
func shows(r rune) bool {
	return r >= 0 && !unicode.IsSpace(r) && !defaultIgnorable(r) && r != 0x2800 && unicode.IsPrint(r)
}

// joinerBase is what may stand before a ZWJ or ZWNJ: a visible character
// outside the plain scripts, or the U+FE0F that ends an emoji's
// presentation (❤️‍🔥 is U+2764 U+FE0F U+200D U+1F525).
func joinerBase(r rune) bool {
	return r == 0xfe0f || (shows(r) && !plainScript(r))
}

// plainScript reports the characters of the scripts that never join with
// ZWJ or ZWNJ nor take variation selectors in a name: ASCII, Latin, Greek
// and Cyrillic, the scripts of most lookalikes.
func plainScript(r rune) bool {
	return r < 0x80 || unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

// keycapBase is what starts an emoji keycap (1️⃣ is "1" U+FE0F U+20E3).
func keycapBase(r rune) bool {
	return r >= '0' && r <= '9' || r == '#' || r == '*'
}
