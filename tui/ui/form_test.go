package ui

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func threeFields() []Field {
	return []Field{
		{Key: "name", Label: "Name"},
		{Key: "email", Label: "Email", Placeholder: "you@example.com"},
		{Key: "pw", Label: "Password", Password: true},
	}
}

func TestFormNavigation(t *testing.T) {
	tests := []struct {
		name      string
		keys      []string
		wantFocus string
		wantEvent FormEvent
	}{
		{"starts on first", nil, "name", FormNone},
		{"enter moves on", []string{"enter"}, "email", FormNone},
		{"enter twice", []string{"enter", "enter"}, "pw", FormNone},
		{"enter on last submits", []string{"enter", "enter", "enter"}, "pw", FormSubmit},
		{"tab moves on", []string{"tab"}, "email", FormNone},
		{"tab wraps", []string{"tab", "tab", "tab"}, "name", FormNone},
		{"shift+tab wraps back", []string{"shift+tab"}, "pw", FormNone},
		{"shift+tab after tab", []string{"tab", "tab", "shift+tab"}, "email", FormNone},
		{"down moves on", []string{"down"}, "email", FormNone},
		{"up wraps back", []string{"up"}, "pw", FormNone},
		{"esc goes back", []string{"tab", "esc"}, "email", FormBack},
		{"typing stays", []string{"x", "y"}, "name", FormNone},
		{"pasted enter is text", []string{"paste:enter"}, "name", FormNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewForm(stylesFor(termenv.Ascii), printer(t), threeFields()...)
			ev := FormNone
			for _, k := range tt.keys {
				msg := press(k)
				if s, ok := strings.CutPrefix(k, "paste:"); ok {
					msg = paste(s)
				}
				ev, _ = f.Update(msg)
			}
			if ev != tt.wantEvent {
				t.Errorf("event = %v, want %v", ev, tt.wantEvent)
			}
			if got := f.Focused(); got != tt.wantFocus {
				t.Errorf("focus = %q, want %q", got, tt.wantFocus)
			}
		})
	}
}

func TestFormTypingGoesToFocusedField(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), threeFields()...)
	typeText(f, "Ann")
	f.Update(press("tab"))
	typeText(f, "ann@example.com")
	f.Update(press("backspace"))
	if got := f.Value("name"); got != "Ann" {
		t.Errorf("name = %q", got)
	}
	if got := f.Value("email"); got != "ann@example.co" {
		t.Errorf("email = %q", got)
	}
	if got := f.Value("nope"); got != "" {
		t.Errorf("unknown key = %q", got)
	}
}

func TestFormPasswordNeverEchoed(t *testing.T) {
	tests := []struct {
		profile  termenv.Profile
		wantMask string
	}{
		{termenv.Ascii, "******"},
		{termenv.TrueColor, "••••••"},
	}
	for _, tt := range tests {
		t.Run(tt.profile.Name(), func(t *testing.T) {
			f := NewForm(stylesFor(tt.profile), printer(t), threeFields()...)
			f.Focus("pw")
			typeText(f, "secret")
			if got := f.Value("pw"); got != "secret" {
				t.Fatalf("value = %q", got)
			}
			focused := f.View()
			f.Focus("name")
			for _, v := range []string{focused, f.View()} {
				plain := ansiStrip(v)
				if strings.Contains(plain, "secret") || strings.Contains(plain, "ecre") {
					t.Errorf("password echoed:\n%s", v)
				}
				if !strings.Contains(plain, tt.wantMask) {
					t.Errorf("mask %q not shown:\n%s", tt.wantMask, plain)
				}
			}
		})
	}
}

func TestFormPasteIsCut(t *testing.T) {
	big := strings.Repeat("a", 100*1024)
	tests := []struct {
		name  string
		field Field
		want  int
	}{
		{"default limit", Field{Key: "k", Label: "K"}, DefaultCharLimit},
		{"password default", Field{Key: "k", Label: "K", Password: true}, DefaultCharLimit},
		{"own limit", Field{Key: "k", Label: "K", CharLimit: 10}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewForm(stylesFor(termenv.Ascii), printer(t), tt.field)
			f.Update(paste(big))
			f.Update(paste(big)) // a second paste must not grow it either
			typeText(f, "zz")
			if got := utf8.RuneCountInString(f.Value("k")); got != tt.want {
				t.Errorf("length = %d, want %d", got, tt.want)
			}
			f.SetValue("k", big)
			if got := utf8.RuneCountInString(f.Value("k")); got != tt.want {
				t.Errorf("SetValue length = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFormInputIsCleaned(t *testing.T) {
	tests := []struct {
		name  string
		runes []rune
		want  string
	}{
		{"CSI colour", []rune("\x1b[31mred"), "[31mred"},
		{"OSC title", []rune("\x1b]0;pwned\x07ok"), "]0;pwnedok"},
		{"C1 CSI", []rune("a\u009b2Jb"), "a2Jb"},
		{"bidi override", []rune("abc\u202Edef\u2066g"), "abcdefg"},
		{"zero width", []rune("a\u200bb\ufeffc"), "abc"},
		{"newline and CR", []rune("a\r\nb"), "ab"},
		{"tab becomes space", []rune("a\tb"), "a b"},
		// CleanRunes makes these U+FFFD (see TestCleanRunes), and then
		// textinput's own sanitizer drops every U+FFFD: either way nothing
		// invalid is stored.
		{"surrogate", []rune{'a', 0xD800, 'b'}, "ab"},
		{"out of range", []rune{'a', 0x110000}, "a"},
		{"only controls", []rune("\x1b\x07\x00"), ""},
	}
	for _, tt := range tests {
		for _, how := range []string{"typed", "pasted", "set"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				f := NewForm(stylesFor(termenv.Ascii), printer(t), Field{Key: "k", Label: "K"})
				switch how {
				case "typed":
					f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: tt.runes})
				case "pasted":
					f.Update(paste(string(tt.runes)))
				case "set":
					f.SetValue("k", string(tt.runes))
				}
				if got := f.Value("k"); got != tt.want {
					t.Errorf("value = %q, want %q", got, tt.want)
				}
				v := f.View()
				if strings.ContainsAny(v, "\x1b\x07\r\u009b\u202e\u2066\u200b") {
					t.Errorf("control reached the view: %q", v)
				}
				if !utf8.ValidString(v) {
					t.Errorf("invalid UTF-8 in view: %q", v)
				}
			})
		}
	}
}

func TestFormErrors(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), threeFields()...)
	f.SetError("email", "Not an email \x1b[2J address.")
	f.SetError("", "Could not log in.")
	lines := strings.Split(f.View(), "\n")
	at := -1
	for i, l := range lines {
		if strings.Contains(l, "Email") {
			at = i
		}
	}
	if at < 0 || at+1 >= len(lines) {
		t.Fatalf("no email line:\n%s", strings.Join(lines, "\n"))
	}
	// The error sits right under its field, lined up with the input.
	if got := lines[at+1]; !strings.Contains(got, "! Not an email [2J address.") ||
		strings.Index(got, "!") != strings.Index(lines[at], "you@") {
		t.Errorf("error not beside its field: %q under %q", got, lines[at])
	}
	if last := lines[len(lines)-1]; last != "! Could not log in." {
		t.Errorf("form error = %q", last)
	}

	f.SetError("email", "")
	if strings.Contains(f.View(), "Not an email") {
		t.Error("SetError with \"\" did not clear")
	}
	f.ClearErrors()
	if strings.Contains(f.View(), "!") {
		t.Errorf("ClearErrors left an error:\n%s", f.View())
	}
	f.SetError("no-such-field", "kept")
	if !strings.Contains(f.View(), "! kept") {
		t.Error("error for an unknown field was lost")
	}
}

func TestFormMissingRequired(t *testing.T) {
	p := printer(t)
	fields := append(threeFields(), Field{Key: "phone", Label: "Phone", Optional: true})
	f := NewForm(stylesFor(termenv.Ascii), p, fields...)
	f.SetValue("name", "Ann")
	f.SetValue("email", "   ")
	if !f.MissingRequired(p) {
		t.Fatal("MissingRequired = false with empty fields")
	}
	v := f.View()
	if n := strings.Count(v, p.T("ui.error.required")); n != 2 {
		t.Errorf("required shown %d times, want 2 (email, pw):\n%s", n, v)
	}
	if f.Focused() != "email" {
		t.Errorf("focus = %q, want the first missing field", f.Focused())
	}

	f.ClearErrors()
	f.SetValue("email", "a@b.c")
	f.SetValue("pw", "x")
	if f.MissingRequired(p) {
		t.Error("MissingRequired = true with every required field filled")
	}
}

// TestSubmit: a form with a required field empty starts no call and says
// what is missing, in place of what the last try showed; a filled one
// starts the call with its values.
func TestSubmit(t *testing.T) {
	p := printer(t)
	f := NewForm(stylesFor(termenv.Ascii), p, threeFields()...)
	var r Runner
	submit := func(f *Form) func(context.Context) (string, error) {
		email := f.Value("email")
		return func(context.Context) (string, error) { return email, nil }
	}
	f.SetError("", "Could not log in.")
	f.SetValue("name", "Ann")
	if cmd := Submit(&r, nil, f, p, submit); cmd != nil || r.Busy() {
		t.Fatal("a call started with required fields empty")
	}
	if v := f.View(); strings.Contains(v, "Could not log in.") || !strings.Contains(v, p.T("ui.error.required")) || f.Focused() != "email" {
		t.Errorf("want the last error gone and the first empty field marked and focused (on %q):\n%s", f.Focused(), v)
	}
	f.SetValue("email", "ann@example.com")
	f.SetValue("pw", "x")
	cmd := Submit(&r, nil, f, p, submit)
	if cmd == nil || !r.Busy() {
		t.Fatal("no call started with every required field filled")
	}
	if res, ok := cmd().(Result[string]); !ok || !r.Take(res) || res.Val != "ann@example.com" {
		t.Errorf("the call answered %#v, want the email typed", res)
	}
	if strings.Contains(f.View(), p.T("ui.error.required")) {
		t.Errorf("the required errors stayed:\n%s", f.View())
	}
}

func TestFormReset(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), threeFields()...)
	f.SetValue("name", "Ann")
	f.SetError("name", "bad")
	f.SetError("", "worse")
	f.Focus("pw")
	f.Reset()
	if f.Value("name") != "" || f.Focused() != "name" || strings.Contains(f.View(), "!") {
		t.Errorf("not reset: focus %q view\n%s", f.Focused(), f.View())
	}
}

func TestFormMarksFocusAndFitsWidth(t *testing.T) {
	for _, w := range []int{10, 20, 30, 40, 60, 76, 120} {
		f := NewForm(stylesFor(termenv.Ascii), printer(t), threeFields()...)
		f.SetWidth(w)
		f.Focus("email")
		f.SetValue("email", strings.Repeat("x", 200))
		f.SetError("email", strings.Repeat("long error ", 20))
		v := f.View()
		for _, l := range strings.Split(v, "\n") {
			if lipgloss.Width(l) > w {
				t.Errorf("width %d: line %q is %d wide", w, l, lipgloss.Width(l))
			}
			if strings.HasPrefix(l, "> ") && !strings.Contains(l, "Email") {
				t.Errorf("width %d: marker on the wrong field: %q", w, l)
			}
		}
		if !strings.Contains(v, "> Email") {
			t.Errorf("width %d: focused field not marked:\n%s", w, v)
		}
	}
}

func TestCursorDoesNotBlink(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), threeFields()...)
	cmds := []tea.Cmd{f.Focus("email")}
	for _, k := range []string{"a", "tab", "shift+tab", "backspace", "enter"} {
		_, cmd := f.Update(press(k))
		cmds = append(cmds, cmd)
	}
	for i, c := range cmds {
		if c != nil {
			t.Errorf("step %d returned a command (%T); a static cursor needs none", i, c())
		}
	}
}

func TestFormErrorClearsWhenTheFieldChanges(t *testing.T) {
	f := NewForm(stylesFor(termenv.Ascii), printer(t), Field{Key: "name", Label: "Name"}, Field{Key: "email", Label: "Email"})
	f.SetError("name", "Required.")
	f.SetError("email", "Not an email.")
	f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("A")})
	if v := f.View(); strings.Contains(v, "Required.") || !strings.Contains(v, "Not an email.") {
		t.Fatalf("after typing in name:\n%s", v)
	}
}
