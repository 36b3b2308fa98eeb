package ui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func ansiStrip(s string) string { return ansi.Strip(s) }

func TestCleanRunes(t *testing.T) {
	tests := []struct {
		in   []rune
		want string
	}{
		{nil, ""},
		{[]rune("plain é 日本"), "plain é 日本"},
		{[]rune("\x1b[0m"), "[0m"},
		{[]rune{0x7f, 0x85, 'x'}, "x"},
		{[]rune{0xDFFF}, "\uFFFD"},
		{[]rune{-1}, "\uFFFD"},
		{[]rune("\u061cA\u200fB"), "AB"},
	}
	for _, tt := range tests {
		if got := string(CleanRunes(tt.in)); got != tt.want {
			t.Errorf("CleanRunes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
