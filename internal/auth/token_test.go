package auth

import (
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != TokenLen || !ValidTokenSyntax(tok) {
			t.Fatalf("NewToken() = %q: bad form", tok)
		}
		if seen[tok] {
			t.Fatalf("NewToken repeated %q", tok)
		}
		seen[tok] = true
	}
	// Every symbol of the alphabet should turn up across 32,000 random ones;
	// a missing one would mean a wrong encoding.
	var all strings.Builder
	for tok := range seen {
		all.WriteString(tok)
	}
	for _, c := range tokenAlphabet {
		if !strings.ContainsRune(all.String(), c) {
			t.Errorf("symbol %q never appears in 1000 tokens", c)
		}
	}
}

func TestValidTokenSyntax(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"abcdefghijklmnopqrstuvwxyz234567", true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 31), false},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", false}, // upper case
		{"abcdefghijklmnopqrstuvwxyz234561", false}, // 1 is not base32
		{"abcdefghijklmnopqrstuvwxyz234568", false}, // nor is 8
		{"abcdefghijklmnopqrstuvwxyz23456=", false},
		{"abcdefghijklmnopqrstuvwxyz23456 ", false},
		{"abcdefghijklmnopqrstuvwxyz2345é", false}, // 32 bytes, not ASCII
	}
	for _, tt := range tests {
		if got := ValidTokenSyntax(tt.s); got != tt.want {
			t.Errorf("ValidTokenSyntax(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestHashSecret(t *testing.T) {
	// Known answer: SHA-256 of "abc" (FIPS 180-2).
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashSecret("abc"); got != abc {
		t.Fatalf("HashSecret(abc) = %s", got)
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{abc, abc, true},
		{abc, HashSecret("abd"), false},
		{abc, abc[:63], false},
		{abc, strings.ToUpper(abc), false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := EqualHash(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualHash(%.8s…, %.8s…) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
