package portal

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// CheckProfile is the single-client validator, for the import fuzzer of
// the external test package: every row an import stores must pass it.
var CheckProfile = validProfile

// FuzzNormalizeEmail checks the email rules every flow shares: validEmail
// (log in, reset, sign up, add and import a client) and the normalized
// form emails are stored, compared and mailed in.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"jane.doe@example.com", " Jane.Doe@Example.COM\t", "a@b.c", "", " \t ",
		"Jane <jane@example.com>", "jane@example.com\x1b[31m", "jane@exa\u202emple.com",
		"jane\u0085@example.com", "j\xffane@example.com", "zoë@山田.jp", "jane@山田.jp", "a@b..c", "@b.c",
		"a@b.c.", "\"a b\"@c.d", "K\u212a@EXAMPLE.COM", "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "\u0130@example.com",
		"jane@e\u0301cole.fr", strings.Repeat("a", 64) + "@b.co", strings.Repeat("x", 5000) + "@example.com",
	} {
		f.Add(s)
	}
	cat, err := text.Load()
	if err != nil {
		f.Fatal(err)
	}
	en := cat.Printer(text.English)
	f.Fuzz(func(t *testing.T, in string) {
		out, err := validEmail(in)
		norm := store.NormalizeEmail(in)
		if err != nil {
			pe := AsError(err)
			if pe == nil || pe.Field != FieldEmail || (pe.Key != "error.email.invalid" && pe.Key != "error.email.required" && pe.Key != "error.email.local_ascii") {
				t.Fatalf("validEmail(%q) = %v, want an email refusal", in, err)
			}
			if pe.Key == "error.email.required" && strings.TrimSpace(in) != "" {
				t.Fatalf("validEmail(%q): %q typed, yet told it is required", in, strings.TrimSpace(in))
			}
			if msg := Message(en, err); strings.HasPrefix(msg, "[") || text.Sanitize(msg) != msg {
				t.Fatalf("validEmail(%q): message %q", in, msg)
			}
			// What is refused keeps the key emails had before, which can
			// only find a row stored before.
			if norm != strings.ToLower(strings.TrimSpace(in)) {
				t.Fatalf("NormalizeEmail(%q) = %q for a refused address", in, norm)
			}
			return
		}
		// One form: what validEmail returns is what is stored, compared
		// (NormalizeEmail) and mailed, and it is a fixed point of both.
		if out != norm {
			t.Fatalf("validEmail(%q) = %q, NormalizeEmail = %q", in, out, norm)
		}
		if again, err := validEmail(out); err != nil || again != out || store.NormalizeEmail(out) != out {
			t.Fatalf("validEmail(%q) = %q, %v; not a fixed point", out, again, err)
		}
		if !utf8.ValidString(out) || text.Sanitize(out) != out || strings.ContainsFunc(out, unicode.IsSpace) {
			t.Fatalf("validEmail(%q) accepted %q: invalid UTF-8, a control or a space", in, out)
		}
		if _, hidden := text.Invisible(out); hidden || strings.ContainsFunc(out, text.DefaultIgnorable) {
			t.Fatalf("validEmail(%q) accepted %q with a code point that does not show", in, out)
		}
		if n := utf8.RuneCountInString(out); n > MaxEmailLen {
			t.Fatalf("validEmail(%q) accepted %d characters", in, n)
		}
		at := strings.LastIndexByte(out, '@')
		if at < 1 {
			t.Fatalf("validEmail(%q) = %q: no local part", in, out)
		}
		local, domain := out[:at], out[at+1:]
		for _, r := range local {
			if r >= utf8.RuneSelf || (r >= 'A' && r <= 'Z') {
				t.Fatalf("validEmail(%q) = %q: local part not lower-case ASCII", in, out)
			}
		}
		if domain != strings.ToLower(domain) {
			t.Fatalf("validEmail(%q) = %q: domain not lower case", in, out)
		}
		if labels := strings.Split(domain, "."); len(labels) < 2 || strings.Contains(domain, "..") || labels[0] == "" || labels[len(labels)-1] == "" {
			t.Fatalf("validEmail(%q) = %q: bad domain %q", in, out, domain)
		}
		// Any case typed is the same address.
		up := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, out)
		if got, err := validEmail(" " + up + " "); err != nil || got != out {
			t.Fatalf("validEmail(%q) = %q, %v; of %q = %q", up, got, err, out, out)
		}
	})
}
