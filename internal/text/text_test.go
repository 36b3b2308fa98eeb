package text

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want, wantMulti string
	}{
		{"plain", "Ann Smith", "Ann Smith", "Ann Smith"},
		{"accents and CJK kept", "Zoë 山田", "Zoë 山田", "Zoë 山田"},
		{"CSI", "Ann\x1b[31mRed", "Ann[31mRed", "Ann[31mRed"},
		{"OSC title", "a\x1b]0;pwned\x07b", "a]0;pwnedb", "a]0;pwnedb"},
		{"C1 CSI", "a\u009b31mb", "a31mb", "a31mb"},
		{"carriage return", "ok\rEVIL", "okEVIL", "okEVIL"},
		{"newline", "one\ntwo", "onetwo", "one\ntwo"},
		{"crlf", "one\r\ntwo", "onetwo", "one\ntwo"},
		{"tab becomes space", "a\tb", "a b", "a b"},
		{"DEL", "a\x7fb", "ab", "ab"},
		{"bidi override", "abc\u202edcba", "abcdcba", "abcdcba"},
		{"bidi isolate", "x\u2066y\u2069z", "xyz", "xyz"},
		{"arabic letter mark", "a\u061cb", "ab", "ab"},
		{"zero width", "a\u200bb\u200fc\u200ed", "abcd", "abcd"},
		{"ZWJ emoji sequence kept", "Zoë 👩\u200d⚖\ufe0f Ünal", "Zoë 👩\u200d⚖\ufe0f Ünal", "Zoë 👩\u200d⚖\ufe0f Ünal"},
		{"ZWNJ kept", "مهر\u200cانگیز", "مهر\u200cانگیز", "مهر\u200cانگیز"},
		{"BOM", "\ufeffabc", "abc", "abc"},
		{"invalid utf8", "a\xffb", "a\ufffdb", "a\ufffdb"},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := SanitizeMultiline(tt.in); got != tt.wantMulti {
				t.Errorf("SanitizeMultiline(%q) = %q, want %q", tt.in, got, tt.wantMulti)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31m", "\u009b", "\xff\xfe", "a\u202eb", "\r\n", "Zoë 山田", "a\tb\n", "👩\u200d⚖\ufe0f", "مهر\u200cانگیز", "a\u200b\u200c\u200d\u200e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, multi := Sanitize(s), SanitizeMultiline(s)
		for _, o := range []struct {
			name, out string
			newlines  bool
		}{{"Sanitize", out, false}, {"SanitizeMultiline", multi, true}} {
			if !utf8.ValidString(o.out) {
				t.Fatalf("%s(%q): invalid UTF-8 %q", o.name, s, o.out)
			}
			for _, r := range o.out {
				if r == '\n' && o.newlines {
					continue
				}
				if fuzzUnsafe(r) {
					t.Fatalf("%s(%q) = %q: unsafe rune %U left", o.name, s, o.out, r)
				}
			}
			// Each input byte yields at most U+FFFD (3 bytes).
			if len(o.out) > 3*len(s) {
				t.Fatalf("%s(%q) grew to %d bytes", o.name, s, len(o.out))
			}
		}
		if want := fuzzSanitizeModel(s, false); out != want {
			t.Fatalf("Sanitize(%q) = %q, want %q", s, out, want)
		}
		if want := fuzzSanitizeModel(s, true); multi != want {
			t.Fatalf("SanitizeMultiline(%q) = %q, want %q", s, multi, want)
		}
		if Sanitize(out) != out || SanitizeMultiline(multi) != multi {
			t.Fatalf("not idempotent on %q", s)
		}
		// Line breaks are all that tells the two apart.
		if got := strings.ReplaceAll(multi, "\n", ""); got != out {
			t.Fatalf("SanitizeMultiline(%q) without newlines = %q, Sanitize = %q", s, got, out)
		}
		// Printable text is shown exactly as written.
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r == '\t' || fuzzUnsafe(r) }) && out != s {
			t.Fatalf("printable %q changed to %q", s, out)
		}
	})
}

// fuzzUnsafe lists, independently of unsafeRune, what must never reach a
// terminal from data: C0, DEL, C1, the bidi controls and the zero-width
// space. The joiners U+200C and U+200D are not in it: they are text.
func fuzzUnsafe(r rune) bool {
	if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
		return true
	}
	return strings.ContainsRune("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff", r)
}

// fuzzSanitizeModel is what Sanitize promises, rune by rune: invalid bytes
// become U+FFFD, a tab a space, a newline stays where asked, and every
// unsafe rune goes.
func fuzzSanitizeModel(s string, keepNewlines bool) string {
	var b strings.Builder
	for _, r := range s { // ranging yields U+FFFD for each invalid byte
		switch {
		case r == '\n' && keepNewlines:
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case !fuzzUnsafe(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestCatalogEveryKeyDefinedInEnglish(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	en := c.Printer(English)
	for _, k := range c.Keys(English) {
		if msg := en.T(k); strings.TrimSpace(msg) == "" {
			t.Errorf("key %s is empty", k)
		}
	}
}

// staffOnly reports whether key belongs to the staff screens (admin.json)
// or commands (commands.json, keys "cmd."), which stay in English; every
// other key is read by clients and must be translated.
func staffOnly(key string) bool {
	return strings.HasPrefix(key, "admin.") || strings.HasPrefix(key, "cmd.")
}

// verbRE matches one fmt verb, indexed or not, with its flags, width and
// precision ("%[2]d", "%s", "%-8.2f", "%%").
var verbRE = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?[a-zA-Z%]`)

// formatVerbs returns the distinct fmt verbs of msg, sorted; "%%" is a
// literal percent sign, not a verb.
func formatVerbs(msg string) []string {
	seen := map[string]bool{}
	for _, v := range verbRE.FindAllString(msg, -1) {
		if v != "%%" {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// translationProblems lists how lang falls short of English: a client key
// it lacks, a key English does not have, an empty message, or a message
// whose format verbs differ from the English one.
func translationProblems(c *Catalog, lang Lang) []string {
	var out []string
	en, tr := c.messages[English], c.messages[lang]
	for _, k := range c.Keys(English) {
		msg, ok := tr[k]
		switch {
		case !ok && staffOnly(k):
			// Staff text stays English.
		case !ok:
			out = append(out, fmt.Sprintf("%s lacks key %s", lang, k))
		case strings.TrimSpace(msg) == "":
			out = append(out, fmt.Sprintf("%s key %s is empty", lang, k))
		default:
			if want, got := formatVerbs(en[k]), formatVerbs(msg); !slices.Equal(got, want) {
				out = append(out, fmt.Sprintf("%s key %s uses verbs %q, English uses %q", lang, k, got, want))
			}
		}
	}
	for _, k := range c.Keys(lang) {
		if _, ok := en[k]; !ok {
			out = append(out, fmt.Sprintf("%s has key %s, which English lacks", lang, k))
		}
	}
	return out
}

func TestCatalogLanguagesMatchEnglish(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Langs() {
		if l == English {
			continue
		}
		t.Run(string(l), func(t *testing.T) {
			for _, p := range translationProblems(c, l) {
				t.Error(p)
			}
		})
	}
}

func TestTranslationProblems(t *testing.T) {
	en := `{"a": "A %[1]s and %[2]d", "b": "B", "admin.x": "X", "cmd.y": "Y %[1]s"}`
	tests := []struct {
		name, fr string
		want     []string
	}{
		{"complete, staff keys left out", `{"a": "FA %[2]d puis %[1]s et %[1]s", "b": "FB"}`, nil},
		{"staff keys may be translated", `{"a": "FA %[1]s %[2]d", "b": "FB", "admin.x": "FX"}`, nil},
		{"missing key", `{"a": "FA %[1]s %[2]d"}`, []string{"fr lacks key b"}},
		{"stray key", `{"a": "FA %[1]s %[2]d", "b": "FB", "c": "FC"}`, []string{"fr has key c, which English lacks"}},
		{"empty message", `{"a": "FA %[1]s %[2]d", "b": " "}`, []string{"fr key b is empty"}},
		{"verb missing", `{"a": "FA %[1]s", "b": "FB"}`, []string{`fr key a uses verbs ["%[1]s"], English uses ["%[1]s" "%[2]d"]`}},
		{"verb of another kind", `{"a": "FA %[1]s %[2]s", "b": "FB"}`, []string{`fr key a uses verbs ["%[1]s" "%[2]s"], English uses ["%[1]s" "%[2]d"]`}},
		{"stray verb", `{"a": "FA %[1]s %[2]d", "b": "FB 50 % de plus"}`, []string{`fr key b uses verbs ["% d"], English uses []`}},
		{"literal percent", `{"a": "FA %[1]s %[2]d", "b": "FB 50 %%"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFS(fstest.MapFS{
				"loc/en/a.json": {Data: []byte(en)},
				"loc/fr/a.json": {Data: []byte(tt.fr)},
			}, "loc")
			if err != nil {
				t.Fatal(err)
			}
			if got := translationProblems(c, French); !slices.Equal(got, tt.want) {
				t.Errorf("problems = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCatalogDuplicateKeyAndFallback(t *testing.T) {
	fsys := fstest.MapFS{
		"loc/en/a.json": {Data: []byte(`{"x": "X %[1]s", "only.en": "E"}`)},
		"loc/en/b.json": {Data: []byte(`{"x": "again"}`)},
	}
	if _, err := LoadFS(fsys, "loc"); err == nil || !strings.Contains(err.Error(), `"x" defined twice`) {
		t.Fatalf("duplicate key: %v", err)
	}
	fsys = fstest.MapFS{
		"loc/en/a.json": {Data: []byte(`{"x": "X %[1]s", "plain": "no verbs", "only.en": "E"}`)},
		"loc/fr/a.json": {Data: []byte(`{"x": "FX %[1]s"}`)},
	}
	c, err := LoadFS(fsys, "loc")
	if err != nil {
		t.Fatal(err)
	}
	fr := c.Printer(French)
	tests := []struct{ got, want string }{
		{fr.T("x", "a"), "FX a"},
		{fr.T("only.en"), "E"},
		{fr.T("missing"), "[missing]"},
		{fr.T("plain", 1, 2), "no verbs"},
		{c.Printer("de").T("x", "b"), "X b"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := c.ParseLang("fr_CA.UTF-8"); got != French {
		t.Errorf("ParseLang = %q", got)
	}
	if got := c.ParseLang("de_DE"); got != "" {
		t.Errorf("ParseLang(de) = %q", got)
	}
}
