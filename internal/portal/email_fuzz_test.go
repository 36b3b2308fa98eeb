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
// form emails are compared and recorded in.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"jane.doe@example.com", " Jane.Doe@Example.COM\t", "a@b.c", "", " \t ",
		"Jane <jane@example.com>", "jane@example.com\x1b[31m", "jane@exa\u202emple.com",
		"jane\u0085@example.com", "j\xffane@example.com", "zoë@山田.jp", "a@b..c", "@b.c",
		"a@b.c.", "\"a b\"@c.d", "K\u212a@EXAMPLE.COM", strings.Repeat("a", 250) + "@b.co",
		strings.Repeat("x", 5000) + "@example.com",
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
		if store.NormalizeEmail(norm) != norm {
			t.Fatalf("NormalizeEmail(%q) = %q is not a fixed point", in, norm)
		}
		if err != nil {
			pe := AsError(err)
			if pe == nil || pe.Field != FieldEmail || (pe.Key != "error.email.invalid" && pe.Key != "error.email.required") {
				t.Fatalf("validEmail(%q) = %v, want an email refusal", in, err)
			}
			if pe.Key == "error.email.required" && strings.TrimSpace(in) != "" {
				t.Fatalf("validEmail(%q): %q typed, yet told it is required", in, strings.TrimSpace(in))
			}
			if msg := Message(en, err); strings.HasPrefix(msg, "[") || text.Sanitize(msg) != msg {
				t.Fatalf("validEmail(%q): message %q", in, msg)
			}
			return
		}
		// The address is used as typed, only trimmed.
		if out != strings.TrimSpace(in) {
			t.Fatalf("validEmail(%q) = %q, want it trimmed only", in, out)
		}
		if !utf8.ValidString(out) || text.Sanitize(out) != out || strings.ContainsFunc(out, unicode.IsSpace) {
			t.Fatalf("validEmail(%q) accepted %q: invalid UTF-8, a control or a space", in, out)
		}
		if n := utf8.RuneCountInString(out); n > MaxEmailLen {
			t.Fatalf("validEmail(%q) accepted %d characters", in, n)
		}
		at := strings.LastIndexByte(out, '@')
		if at < 1 {
			t.Fatalf("validEmail(%q) = %q: no local part", in, out)
		}
		domain := out[at+1:]
		if labels := strings.Split(domain, "."); len(labels) < 2 || strings.Contains(domain, "..") || labels[0] == "" || labels[len(labels)-1] == "" {
			t.Fatalf("validEmail(%q) = %q: bad domain %q", in, out, domain)
		}
		if again, err := validEmail(out); err != nil || again != out {
			t.Fatalf("validEmail(%q) = %q, %v; not a fixed point", out, again, err)
		}
		// The compared form: trimmed, lower case (the domain above all),
		// the same for any case typed, and still an address.
		if norm != store.NormalizeEmail(out) {
			t.Fatalf("NormalizeEmail differs for %q and %q", in, out)
		}
		// Any case typed compares equal.
		up := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, out)
		if store.NormalizeEmail(up) != norm {
			t.Fatalf("NormalizeEmail(%q) = %q, of %q = %q", up, store.NormalizeEmail(up), out, norm)
		}
		if nat := strings.LastIndexByte(norm, '@'); nat < 0 || norm[nat+1:] != strings.ToLower(domain) || norm != strings.ToLower(norm) {
			t.Fatalf("NormalizeEmail(%q) = %q: not lower case", out, norm)
		}
		if _, err := validEmail(norm); err != nil {
			t.Fatalf("NormalizeEmail(%q) = %q is refused: %v", out, norm, err)
		}
	})
}
