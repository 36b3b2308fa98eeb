package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
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

func TestCleanKey(t *testing.T) {
	tests := []struct {
		name      string
		in        tea.KeyMsg
		multiline bool
		want      string
		ok        bool
	}{
		{"typed", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a\x1b[2Jb")}, false, "a[2Jb", true},
		{"pasted in an input", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("one\r\ntwo\tthree\x07"), Paste: true}, false, "onetwo three", true},
		{"pasted in an area", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("one\r\ntwo\rthree\x1b]0;t\x07\u202e"), Paste: true}, true, "one\ntwo\nthree]0;t", true},
		{"nothing left", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("\x1b\u009b\u200b")}, true, "", false},
		{"not runes", tea.KeyMsg{Type: tea.KeyEnter}, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CleanKey(tt.in, tt.multiline)
			if string(got.Runes) != tt.want || ok != tt.ok || got.Paste != tt.in.Paste || got.Type != tt.in.Type {
				t.Errorf("CleanKey = %q (paste %v, type %v), %v; want %q, %v", string(got.Runes), got.Paste, got.Type, ok, tt.want, tt.ok)
			}
		})
	}
}

// The constructors for screens that lay fields out themselves draw as a
// Form's fields do, from the session's renderer only.
func TestExportedFieldsDrawAsTheForm(t *testing.T) {
	st := stylesFor(termenv.Ascii)
	in := NewLineInput(st, "placeholder", 10)
	in.Focus()
	in.SetValue("0123456789 and more")
	if in.Value() != "0123456789" {
		t.Errorf("input holds %q past its limit", in.Value())
	}
	a := NewTextArea(st, "write here", 100, 0)
	a.SetWidth(30)
	if a.Height() != DefaultLines || a.MaxHeight != 0 || a.Prompt != areaPrompt || !strings.Contains(a.View(), "write here") {
		t.Errorf("area: height %d, max %d, prompt %q, view:\n%s", a.Height(), a.MaxHeight, a.Prompt, a.View())
	}
	if a.KeyMap.Paste.Enabled() || in.KeyMap.Paste.Enabled() {
		t.Error("ctrl+v would read the server's clipboard")
	}
}
