package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func kindFields() []Field {
	return []Field{
		{Key: "subject", Label: "Subject"},
		{Key: "details", Label: "Details", Multiline: true, Lines: 3, Optional: true},
		{Key: "urgency", Label: "Urgency", Choices: []string{"Low", "Normal", "High"}},
	}
}

func TestTextAreaKeepsEnterAndArrows(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), kindFields()...)
	f.Update(press("tab"))
	typeText(f, "one")
	for _, k := range []string{"enter", "up", "down"} {
		if ev, _ := f.Update(press(k)); ev != FormNone {
			t.Fatalf("%s in a text area gave %v", k, ev)
		}
		if f.Focused() != "details" {
			t.Fatalf("%s left the text area for %q", k, f.Focused())
		}
	}
	typeText(f, "two")
	if got := f.Value("details"); got != "one\ntwo" {
		t.Errorf("value = %q", got)
	}
	f.Update(press("tab"))
	if f.Focused() != "urgency" {
		t.Errorf("tab went to %q", f.Focused())
	}
	f.Update(press("shift+tab"))
	if f.Focused() != "details" {
		t.Errorf("shift+tab went to %q", f.Focused())
	}
	if ev, _ := f.Update(press("esc")); ev != FormBack {
		t.Errorf("esc gave %v", ev)
	}
}

func TestTextAreaCleansInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"line endings", "a\r\nb\rc\nd", "a\nb\nc\nd"},
		{"escape sequences", "x\x1b[2J\x1b]0;t\x07y", "x[2J]0;ty"},
		{"bidi and zero width", "a\u202eb\u200bc", "abc"},
		{"tab", "a\tb", "a b"},
		{"invalid UTF-8", "a\xff\xfeb", "ab"},
	}
	for _, tt := range tests {
		for _, how := range []string{"typed", "pasted", "set"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				f := NewForm(stylesFor(termenv.Ascii), printer(t), Field{Key: "k", Label: "K", Multiline: true})
				switch how {
				case "typed":
					f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tt.in)})
				case "pasted":
					f.Update(paste(tt.in))
				case "set":
					f.SetValue("k", tt.in)
				}
				if got := f.Value("k"); got != tt.want {
					t.Errorf("value = %q, want %q", got, tt.want)
				}
				if v := f.View(); strings.ContainsAny(v, "\x1b\x07\r\u202e\u200b") {
					t.Errorf("control in view: %q", v)
				}
			})
		}
	}
}

func TestTextAreaPasteIsCut(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), Field{Key: "k", Label: "K", Multiline: true, CharLimit: 50})
	f.Update(paste(strings.Repeat("line\n", 1000)))
	if n := len([]rune(f.Value("k"))); n > 50 {
		t.Errorf("area holds %d characters, want at most 50", n)
	}
}

func TestChooser(t *testing.T) {
	tests := []struct {
		name string
		keys []tea.KeyMsg
		want string
	}{
		{"none at first", nil, ""},
		{"right picks the first", []tea.KeyMsg{press("right")}, "Low"},
		{"left picks the last", []tea.KeyMsg{press("left")}, "High"},
		{"right wraps", []tea.KeyMsg{press("right"), press("right"), press("right"), press("right")}, "Low"},
		{"space steps", []tea.KeyMsg{{Type: tea.KeySpace, Runes: []rune{' '}}, {Type: tea.KeySpace, Runes: []rune{' '}}}, "Normal"},
		{"letter", []tea.KeyMsg{press("h")}, "High"},
		{"capital letter", []tea.KeyMsg{press("N")}, "Normal"},
		{"unknown letter", []tea.KeyMsg{press("z")}, ""},
		{"backspace clears", []tea.KeyMsg{press("right"), press("backspace")}, ""},
		{"paste of a choice", []tea.KeyMsg{paste(" normal ")}, "Normal"},
		{"paste of no choice", []tea.KeyMsg{press("right"), paste("Urgent")}, "Low"},
		{"escape sequence", []tea.KeyMsg{paste("\x1b[31mHigh")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewForm(stylesFor(termenv.Ascii), printer(t), kindFields()...)
			f.Focus("urgency")
			for _, k := range tt.keys {
				f.Update(k)
			}
			if got := f.Value("urgency"); got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChooserViewAndRequired(t *testing.T) {
	p := printer(t)
	f := NewForm(stylesFor(termenv.Ascii), p, kindFields()...)
	f.SetValue("subject", "Lease")
	if !f.MissingRequired(p) || f.Focused() != "urgency" {
		t.Fatalf("no choice made should be missing; focus %q", f.Focused())
	}
	f.ClearErrors()
	f.SetValue("urgency", "high")
	if f.MissingRequired(p) {
		t.Error("a choice made is missing")
	}
	if v := f.View(); !strings.Contains(v, "( ) Low  ( ) Normal  (*) High") {
		t.Errorf("chooser not drawn:\n%s", v)
	}
	f.Reset()
	if f.Value("urgency") != "" || f.Value("details") != "" {
		t.Error("Reset kept a value")
	}
}

func TestChooserTooWideShowsAWindow(t *testing.T) {
	var choices []string
	for i := range 30 {
		choices = append(choices, fmt.Sprintf("Choice %02d", i))
	}
	for _, w := range []int{20, 40, 76} {
		f := NewForm(stylesFor(termenv.Ascii), printer(t), Field{Key: "c", Label: "C", Choices: choices})
		f.SetWidth(w)
		f.SetValue("c", "Choice 15")
		v := f.View()
		if !strings.Contains(v, "(*) Choice 15") || !strings.Contains(v, "…") {
			t.Errorf("width %d: chosen one not in sight:\n%s", w, v)
		}
		for _, l := range strings.Split(v, "\n") {
			if lipgloss.Width(l) > w {
				t.Errorf("width %d: %q is %d wide", w, l, lipgloss.Width(l))
			}
		}
	}
}

func TestFormKindsFitWidth(t *testing.T) {
	for _, w := range []int{10, 20, 40, 76, 120} {
		f := NewForm(stylesFor(termenv.Ascii), printer(t), kindFields()...)
		f.SetWidth(w)
		f.Focus("details")
		f.Update(paste(strings.Repeat("word ", 100) + "\n" + strings.Repeat("x", 300)))
		f.SetError("details", strings.Repeat("long error ", 10))
		for _, l := range strings.Split(f.View(), "\n") {
			if lipgloss.Width(l) > w {
				t.Errorf("width %d: %q is %d wide", w, l, lipgloss.Width(l))
			}
		}
	}
}

func TestFocusSpan(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), kindFields()...)
	f.SetError("details", "bad")
	f.Focus("details")
	top, bottom := f.FocusSpan()
	lines := strings.Split(f.View(), "\n")
	if !strings.Contains(lines[top], "> Details") {
		t.Errorf("span starts at %q", lines[top])
	}
	if bottom != top+3 || !strings.Contains(lines[bottom], "! bad") {
		t.Errorf("span %d..%d ends at %q", top, bottom, lines[bottom])
	}
	f.Focus("urgency")
	if top, bottom := f.FocusSpan(); top != bottom || !strings.Contains(lines[top], "Urgency") {
		t.Errorf("urgency span %d..%d", top, bottom)
	}
	if f.HasFormError() {
		t.Error("form error reported without one")
	}
	f.SetError("", "whole form")
	if !f.HasFormError() {
		t.Error("form error not reported")
	}
}

func TestBodyHeightMatchesFrame(t *testing.T) {
	st := stylesFor(termenv.Ascii)
	var body []string
	for i := range 100 {
		body = append(body, fmt.Sprintf("row%03d", i))
	}
	for _, help := range []string{"", "one", "one\ntwo", "a\nb\nc\nd"} {
		for h := 1; h <= 40; h++ {
			out := Frame(st, 80, h, "T", strings.Join(body, "\n"), help)
			if got, want := strings.Count(out, "row"), BodyHeight(h, HelpHeight(help)); got != want {
				t.Errorf("height %d help %q: frame shows %d body lines, BodyHeight says %d", h, help, got, want)
			}
		}
	}
}

func TestTextAreaGoesUnderALongLabel(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t),
		Field{Key: "q", Label: "A rather long question about the whole matter"},
		Field{Key: "d", Label: "Details", Multiline: true, Lines: 2})
	f.SetError("d", "bad")
	lines := strings.Split(f.View(), "\n")
	if len(lines) != 5 || strings.TrimSpace(lines[1]) != "Details" || !strings.HasPrefix(lines[2], "  │") || lines[4] != "  ! bad" {
		t.Errorf("text area not under its label:\n%s", f.View())
	}
	if !strings.Contains(lines[0], "A rather long question about the whole matter  ") {
		t.Errorf("one-line inputs left beside their labels:\n%s", f.View())
	}
}

// A text area without focus is drawn from its last drawing until something
// it shows changes: after each change the form looks exactly as a form
// brought to the same state and drawn once.
func TestBlurredTextAreaRedrawsWhatChanged(t *testing.T) {
	long := strings.Repeat("word ", 40)
	tests := []struct {
		name   string
		change func(f *Form)
	}{
		{"value set", func(f *Form) { f.SetValue("details", "a new value") }},
		{"long value set", func(f *Form) { f.SetValue("details", long) }},
		{"narrower", func(f *Form) { f.SetWidth(40) }},
		{"wider", func(f *Form) { f.SetWidth(120) }},
		{"reset", func(f *Form) { f.Reset() }},
		{"typed in, then left", func(f *Form) {
			f.Focus("details")
			typeText(f, "more")
			f.Update(press("enter"))
			typeText(f, "lines")
			f.Focus("subject")
		}},
		{"cursor moved, then left", func(f *Form) {
			f.Focus("details")
			f.Update(press("up"))
			f.Update(press("up"))
			f.Focus("subject")
		}},
	}
	start := func(f *Form) {
		f.SetWidth(80)
		f.SetValue("details", "first\nsecond\nthird\nfourth")
		f.Focus("subject")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drawn := NewForm(stylesFor(termenv.ANSI256), printer(t), kindFields()...)
			start(drawn)
			_ = drawn.View() // the drawing the form may keep
			tt.change(drawn)

			fresh := NewForm(stylesFor(termenv.ANSI256), printer(t), kindFields()...)
			start(fresh)
			tt.change(fresh)

			if got, want := drawn.View(), fresh.View(); got != want {
				t.Errorf("after %s the form shows\n%s\nwant\n%s", tt.name, got, want)
			}
		})
	}
}
