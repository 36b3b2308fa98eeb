package text

import (
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
		{"zero width", "a\u200bb\u200fc", "abc", "abc"},
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
	for _, s := range []string{"", "plain", "\x1b[31m", "\u009b", "\xff\xfe", "a\u202eb", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("unsafe rune %U left in %q", r, out)
			}
		}
		if Sanitize(out) != out {
			t.Fatalf("not idempotent on %q", s)
		}
	})
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
	for _, l := range c.Langs() {
		for _, k := range c.Keys(English) {
			if _, ok := c.messages[l][k]; !ok {
				t.Errorf("%s lacks %s", l, k)
			}
		}
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
