package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestFrameFits(t *testing.T) {
	longBody := strings.Repeat(strings.Repeat("word ", 60)+"\n", 100)
	tests := []struct {
		name, title, body, help string
	}{
		{"empty", "", "", ""},
		{"short", "Client Portal", "hello", "enter continue • esc back"},
		{"long", strings.Repeat("Client Portal ", 30), longBody, strings.Repeat("tab next field • ", 40)},
		{"wide runes", "事務所ポータル", strings.Repeat("日本語のテキスト", 40), "↑/↓ move"},
		{"many help lines", "T", "b", strings.Repeat("help\n", 40)},
	}
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.TrueColor} {
		st := stylesFor(profile)
		for _, tt := range tests {
			for w := 20; w <= 200; w += 9 {
				for h := 5; h <= 60; h += 5 {
					checkFrame(t, st, w, h, tt.title, tt.body, tt.help)
				}
			}
			for _, s := range [][2]int{{1, 1}, {2, 1}, {1, 3}, {3, 2}, {80, 24}} {
				checkFrame(t, st, s[0], s[1], tt.title, tt.body, tt.help)
			}
		}
	}
}

func checkFrame(t *testing.T, st *Styles, w, h int, title, body, help string) {
	t.Helper()
	lines := strings.Split(Frame(st, w, h, title, body, help), "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
		}
	}
}

func TestFrameLayout(t *testing.T) {
	st := stylesFor(termenv.Ascii)
	out := Frame(st, 80, 24, "Client Portal", "line one\nline two", "enter continue")
	lines := strings.Split(out, "\n")
	if got := lines[0]; got != " Client Portal"+strings.Repeat(" ", 80-14) {
		t.Errorf("title bar = %q", got)
	}
	if !strings.Contains(out, "  line one\n  line two") {
		t.Errorf("body missing:\n%s", out)
	}
	if got := lines[23]; got != "  enter continue" {
		t.Errorf("help line = %q", got)
	}
	if got := Frame(st, 0, 10, "t", "b", "h"); got != "" {
		t.Errorf("zero width gave %q", got)
	}
	if got := Frame(st, 10, 1, "Title", "b", "h"); got != " Title    " {
		t.Errorf("one line gave %q", got)
	}
	if got := Frame(st, 10, 2, "T", "b", "h"); !strings.HasSuffix(got, "\nh") {
		t.Errorf("two lines should keep the help: %q", got)
	}
}

func TestFrameSanitizesTitle(t *testing.T) {
	out := Frame(stylesFor(termenv.Ascii), 40, 5, "Jane\x1b]0;x\x07 \u202eDoe", "", "")
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("control in title: %q", out)
	}
}
