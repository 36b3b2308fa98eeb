package text

import "testing"

func TestInvisible(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want rune // 0: every code point shows
	}{
		{"plain", "Ann Smith", 0},
		{"accents and CJK", "Zoë 山田", 0},
		{"ZWJ emoji sequence", "Zoë 👩\u200d⚖\ufe0f Ünal", 0},
		{"ZWJ after skin tone", "👩\U0001F3FD\u200d⚖\ufe0f", 0},
		{"ZWJ after VS16", "❤\ufe0f\u200d🔥", 0},
		{"Persian ZWNJ", "مهر\u200cانگیز", 0},
		{"Devanagari ZWJ after virama", "क्\u200dष", 0},
		{"keycap", "Room 1\ufe0f\u20e3", 0},
		{"ideographic variation sequence", "葛\U000E0100城", 0},
		{"ZWJ between Latin letters", "An\u200dn", 0x200d},
		{"ZWNJ between Latin letters", "An\u200cn", 0x200c},
		{"ZWJ at the end", "👩\u200d", 0x200d},
		{"ZWJ at the start", "\u200d👩", 0x200d},
		{"ZWJ before a space", "👩\u200d ⚖", 0x200d},
		{"two ZWJ", "👩\u200d\u200d⚖", 0x200d},
		{"VS after a Latin letter", "Ann\ufe0f", 0xfe0f},
		{"VS alone", "\ufe0f", 0xfe0f},
		{"two VS", "❤\ufe0f\ufe0f", 0xfe0f},
		{"Hangul filler", "\u3164", 0x3164},
		{"Hangul filler in a name", "Ann\u3164Smith", 0x3164},
		{"Hangul choseong filler", "\u115f", 0x115f},
		{"Hangul jungseong filler", "\u1160", 0x1160},
		{"halfwidth Hangul filler", "\uffa0", 0xffa0},
		{"word joiner", "Ann\u2060", 0x2060},
		{"invisible times", "a\u2062b", 0x2062},
		{"invisible plus", "a\u2064b", 0x2064},
		{"soft hyphen", "An\u00adn", 0x00ad},
		{"Mongolian vowel separator", "a\u180eb", 0x180e},
		{"tag characters", "🏴\U000E0067\U000E0062\U000E007F", 0xe0067},
		{"tag space", "Ann\U000E0020", 0xe0020},
		{"combining grapheme joiner", "A\u034fnn", 0x034f},
		{"Khmer inherent vowel", "ក\u17b4", 0x17b4},
		{"Braille blank", "\u2800", 0x2800},
		{"zero width space", "a\u200bb", 0x200b},
		{"BOM", "\ufeffAnn", 0xfeff},
		{"Arabic number sign is visible", "\u0600١", 0},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := Invisible(tt.in)
			if ok != (tt.want != 0) || r != tt.want {
				t.Errorf("Invisible(%+q) = %U, %v; want %U", tt.in, r, ok, tt.want)
			}
		})
	}
}
