package auth

import (
	"strings"
	"testing"
)

func TestNewCode(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeLen {
			t.Fatalf("NewCode() = %q, want %d symbols", c, CodeLen)
		}
		if n, ok := NormalizeCode(c); !ok || n != c {
			t.Fatalf("NewCode() = %q is not canonical (%q, %v)", c, n, ok)
		}
		if strings.ContainsAny(c, "ILOU") {
			t.Fatalf("NewCode() = %q uses a non-Crockford symbol", c)
		}
		// 40 bits: a repeat in 1000 draws has odds of about 5e-7.
		if seen[c] {
			t.Fatalf("NewCode repeated %q", c)
		}
		seen[c] = true
	}
}

func TestFormatCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ABCD1234", "ABCD-1234"},
		{"abcd-1234", "ABCD-1234"},
		{"abcdl234", "ABCD-1234"},
		{"bad", "bad"},
	}
	for _, tt := range tests {
		if got := FormatCode(tt.in); got != tt.want {
			t.Errorf("FormatCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means refused
	}{
		{"canonical", "7K3M9QZT", "7K3M9QZT"},
		{"lower case", "7k3m9qzt", "7K3M9QZT"},
		{"mixed case", "7k3M9qZt", "7K3M9QZT"},
		{"dash", "7K3M-9QZT", "7K3M9QZT"},
		{"dash elsewhere", "7K3-M9QZT", "7K3M9QZT"},
		{"surrounding spaces", "  7k3m-9qzt \t\n", "7K3M9QZT"},
		{"alias I and L", "IL3M9QZT", "113M9QZT"},
		{"alias lower i and l", "il3m9qzt", "113M9QZT"},
		{"alias O", "O0oM9QZT", "000M9QZT"},
		{"all of 0-9", "0123-4567", "01234567"},
		{"high symbols", "VWXYZ89H", "VWXYZ89H"},
		{"U", "7K3M9QZU", ""},
		{"lower u", "7k3m9qzu", ""},
		{"two dashes", "7K3M--9QZT", ""},
		{"dashes apart", "7K-3M9-QZT", ""},
		{"leading dash", "-7K3M9QZT", ""},
		{"trailing dash", "7K3M9QZT-", ""},
		{"inner space", "7K3M 9QZT", ""},
		{"too short", "7K3M9QZ", ""},
		{"too short with dash", "7K3M-9QZ", ""},
		{"too long", "7K3M9QZTA", ""},
		{"empty", "", ""},
		{"only spaces", "        ", ""},
		{"punctuation", "7K3M9QZ!", ""},
		{"star", "7K3M9QZ*", ""},
		{"fullwidth", "７Ｋ３Ｍ９ＱＺＴ", ""},
		{"accented", "7K3M9QZÉ", ""},
		{"nul", "7K3M9QZ\x00", ""},
		{"invalid utf8", "7K3M9QZ\xff", ""},
		{"huge", strings.Repeat(" ", 100) + "7K3M9QZT", ""},
		{"64 bytes ok", strings.Repeat(" ", 56) + "7K3M9QZT", "7K3M9QZT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeCode(tt.in)
			if ok != (tt.want != "") || got != tt.want {
				t.Fatalf("NormalizeCode(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"7K3M9QZT", "7k3m-9qzt", " il0o-uuuu ", "-", "7K3M--9QZT", "\xff\xfe", "７Ｋ３Ｍ９ＱＺＴ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := NormalizeCode(in)
		if !ok {
			if got != "" {
				t.Fatalf("refused %q but returned %q", in, got)
			}
			if FormatCode(in) != in {
				t.Fatalf("FormatCode changed refused input %q to %q", in, FormatCode(in))
			}
			return
		}
		if len(in) > maxCodeInput {
			t.Fatalf("accepted %d bytes of input", len(in))
		}
		if len(got) != CodeLen {
			t.Fatalf("NormalizeCode(%q) = %q: wrong length", in, got)
		}
		for i := 0; i < len(got); i++ {
			if !strings.ContainsRune(crockford, rune(got[i])) {
				t.Fatalf("NormalizeCode(%q) = %q: symbol %q outside the alphabet", in, got, got[i])
			}
		}
		// Canonical output is a fixed point, and its mailed form reads back.
		if again, ok := NormalizeCode(got); !ok || again != got {
			t.Fatalf("NormalizeCode(%q) = %q, %v; not idempotent", got, again, ok)
		}
		formatted := FormatCode(got)
		if len(formatted) != CodeLen+1 || formatted[CodeLen/2] != '-' || formatted != got[:CodeLen/2]+"-"+got[CodeLen/2:] {
			t.Fatalf("FormatCode(%q) = %q, want XXXX-XXXX", got, formatted)
		}
		if back, ok := NormalizeCode(formatted); !ok || back != got {
			t.Fatalf("FormatCode(%q) does not read back: %q, %v", got, back, ok)
		}
		if FormatCode(in) != formatted {
			t.Fatalf("FormatCode(%q) = %q, want %q", in, FormatCode(in), formatted)
		}
		// Case never matters, and exactly CodeLen symbols were typed.
		for _, v := range []string{strings.ToLower(in), strings.ToUpper(in)} {
			if again, ok := NormalizeCode(v); len(v) <= maxCodeInput && (!ok || again != got) {
				t.Fatalf("NormalizeCode(%q) = %q, %v; want %q as for %q", v, again, ok, got, in)
			}
		}
		if typed := strings.Replace(strings.TrimSpace(in), "-", "", 1); len(typed) != CodeLen {
			t.Fatalf("NormalizeCode(%q) accepted %d symbols", in, len(typed))
		}
	})
}
