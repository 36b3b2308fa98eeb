package client

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/tui/ui"
	"github.com/clientportal/portal/tui/uitest"
)

const annEmail = "ann@example.com"

func TestLogInGreetsByName(t *testing.T) {
	env := portaltest.New(t)
	c := env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.RequireView("Hello, Ann Smith", annEmail, "n  New request", "m  My requests", "Change password", "Log out")
	h.RefuseView("Your requests will appear here.")
	if n := env.Service.Sessions().Count(c.ID); n != 1 {
		t.Errorf("session bound %d times, want 1", n)
	}
}

func TestLogInWrongPassword(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	for _, email := range []string{annEmail, "nobody@example.com"} {
		h := newHarness(t, env, "")
		h.Press("l")
		h.Fill(email, "not the password at all")
		h.RequireView("Wrong email or password.", "Log in with the email")
		h.RefuseView("not the password")
	}
}

// TestLogInBeforeVerifyingIsUnknown: a sign-up whose code was not entered
// is no account: log in with its password reads as a wrong password, so
// it tells nobody an attempt waits for that address.
func TestLogInBeforeVerifyingIsUnknown(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	if _, err := env.Service.SignUp(context.Background(), portal.Guest("", "x"), portal.SignUpInput{
		Profile:  portal.Profile{Name: "Bob Stone", Email: "bob@example.com"},
		Password: portaltest.StrongPassword, Repeat: portaltest.StrongPassword,
	}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, "")
	h.Press("l")
	h.Fill("bob@example.com", portaltest.StrongPassword)
	h.RequireView("Wrong email or password.")
	h.RefuseView("Confirm your email")
}

func TestSignUpOnlyWhileOn(t *testing.T) {
	env := portaltest.New(t)
	h := newHarness(t, env, "")
	h.RefuseView("Sign up")
	h.Press("s")
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatalf("s left the welcome screen while sign-up is off:\n%s", h.View())
	}

	// Turned on meanwhile: the welcome screen asks again when shown again.
	signUpOn(t, env, true)
	h.Press("l", "esc")
	h.RequireView("s  Sign up")
	h.Press("s")
	h.RequireView("Tell us who you are")

	// And turned off again before the form is sent: the portal refuses.
	signUpOn(t, env, false)
	h.Fill("Ann Smith", annEmail, "", "", portaltest.StrongPassword, portaltest.StrongPassword)
	h.RequireView("Sign-up is closed.")
	h.Press("esc")
	h.RefuseView("Sign up")
}

func TestSignUpThenCode(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	h := newHarness(t, env, "")
	h.Press("s")
	h.Fill("Ann Smith", annEmail, "Smith & Co", "+1 555 010 0199", portaltest.StrongPassword, portaltest.StrongPassword)
	h.RequireView("Confirm your email", "We sent a code to "+annEmail)

	// Ctrl+R within the minute after a code says when a new one can be
	// asked for, and sends none: the first code still works.
	first := code(t, env, annEmail, portal.MailVerifyCode)
	h.Press("ctrl+r")
	h.RequireView("You can ask for a new code in ")
	if n := len(env.Mails(t, annEmail)); n != 1 {
		t.Fatalf("%d mails after ctrl+r within the minute; want the first code only", n)
	}
	h.Fill(strings.ToLower(first))
	h.RequireView("Hello, Ann Smith", "Smith & Co")
}

func TestWrongCodeSixTimes(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	h := newHarness(t, env, "")
	h.Press("s")
	h.Fill("Ann Smith", annEmail, "", "", portaltest.StrongPassword, portaltest.StrongPassword)
	right := code(t, env, annEmail, portal.MailVerifyCode)
	wrong := "AAAA-AAAA"
	if right == wrong {
		wrong = "BBBB-BBBB"
	}
	h.Type(wrong)
	h.Press("enter")
	h.RequireView("That code is not right, or no longer works.")
	for range 5 {
		h.Press("enter")
	}
	h.RequireView("That code is not right, or no longer works.")
	// Not even the right code works now.
	for range codeCharLimit {
		h.Press("backspace")
	}
	h.Fill(right)
	h.RequireView("That code is not right, or no longer works.")
	if _, ok := h.m.cur.(*verify); !ok {
		t.Fatal("left the code screen")
	}
}

func TestForgotThenReset(t *testing.T) {
	env := portaltest.New(t)
	c := env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.Press("f")
	h.Fill(annEmail)
	h.RequireView("If an account exists for " + annEmail + ", we sent a code")
	newPassword := "purple elephant dances quietly 77"
	h.Fill(code(t, env, annEmail, portal.MailResetCode), newPassword, newPassword)
	h.RequireView("Hello, Ann Smith", "Your password was changed.")
	if n := env.Service.Sessions().Count(c.ID); n != 1 {
		t.Errorf("%d sessions bound, want 1", n)
	}
	if _, err := env.Service.LogIn(context.Background(), portal.Guest("", "y"), annEmail, newPassword); err != nil {
		t.Errorf("new password does not work: %v", err)
	}
}

func TestForgotUnknownEmailSaysTheSame(t *testing.T) {
	env := portaltest.New(t)
	h := newHarness(t, env, "")
	h.Press("f")
	h.Fill("nobody@example.com")
	h.RequireView("If an account exists for nobody@example.com, we sent a code")
}

func TestAcceptInvitationFromUserName(t *testing.T) {
	env := portaltest.New(t)
	token := inviteToken(t, env, annEmail, "Ann Smith")
	h := newHarness(t, env, token)
	h.RequireView("Welcome, Ann Smith.", annEmail)
	h.RefuseView(token, "Invitation code")
	h.Fill(portaltest.StrongPassword, portaltest.StrongPassword)
	h.RequireView("Hello, Ann Smith", "Smith & Co")

	// Used: a second session with the same token is told so, and Esc
	// leads to the welcome screen.
	h2 := newHarness(t, env, token)
	h2.RequireView("already used")
	h2.RefuseView("Repeat password")
	h2.Press("esc")
	h2.RequireView("Forgot password")
}

func TestAcceptInvitationTyped(t *testing.T) {
	env := portaltest.New(t)
	token := inviteToken(t, env, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.Press("i")
	h.Fill("not-a-token", portaltest.StrongPassword, portaltest.StrongPassword)
	h.RequireView("This invitation is not valid.")
	if got := h.m.cur.(*invite).form.Focused(); got != portal.FieldToken {
		t.Errorf("focus on %q after a bad token, want the token field", got)
	}
	for range tokenCharLimit {
		h.Press("backspace")
	}
	h.Type(" " + strings.ToUpper(token) + " ")
	h.Press("enter", "enter", "enter")
	h.RequireView("Hello, Ann Smith")
}

func TestChangePassword(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("p")
	newPassword := "purple elephant dances quietly 77"
	h.Fill("wrong current password", newPassword, newPassword)
	h.RequireView("That is not your current password.")
	if got := h.m.cur.(*password).form.Focused(); got != portal.FieldCurrent {
		t.Errorf("focus on %q, want current", got)
	}
	for range 40 {
		h.Press("backspace")
	}
	h.Type(portaltest.StrongPassword)
	h.Press("enter", "enter", "enter")
	h.RequireView("Hello, Ann Smith", "Your password was changed.")
	if _, err := env.Service.LogIn(context.Background(), portal.Guest("", "y"), annEmail, newPassword); err != nil {
		t.Errorf("new password does not work: %v", err)
	}
}

func TestEditProfile(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("e")
	f := h.m.cur.(*profile).form
	if got := f.Value(portal.FieldName); got != "Ann Smith" {
		t.Fatalf("name not prefilled: %q", got)
	}
	h.Type("-Jones")
	h.Press("tab")
	h.Type("Jones LLP")
	h.Press("tab")
	h.Type("phone?")
	h.Press("enter")
	h.RequireView("Use digits, spaces and + - ( ) only")
	for range 6 {
		h.Press("backspace")
	}
	h.Type("+44 20 7946 0000")
	h.Press("enter")
	h.RequireView("Hello, Ann Smith-Jones", "Jones LLP", "Your profile was saved.")
	got, err := env.Store.ClientByEmail(context.Background(), annEmail)
	if err != nil || got.Name != "Ann Smith-Jones" || got.Phone != "+44 20 7946 0000" {
		t.Errorf("stored %+v, %v", got, err)
	}
}

func TestLogOut(t *testing.T) {
	env := portaltest.New(t)
	c := env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("o")
	h.RequireView("Accept invitation")
	h.RefuseView("Hello")
	if n := env.Service.Sessions().Count(c.ID); n != 0 {
		t.Errorf("%d sessions still bound after log out", n)
	}
	// Home's choices mean nothing once logged out.
	h.Send(openMsg{to: toProfile})
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Errorf("profile opened without a client")
	}
}

func TestResetElsewhereEndsSession(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	other := newHarness(t, env, "")
	other.Press("f")
	other.Fill(annEmail)
	other.Fill(code(t, env, annEmail, portal.MailResetCode), "purple elephant dances quietly 77", "purple elephant dances quietly 77")
	if h.ended.Load() != 1 {
		t.Errorf("first session ended %d times, want 1", h.ended.Load())
	}
	if other.ended.Load() != 0 {
		t.Error("the session that reset was ended")
	}
}

func TestQuitKeys(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	tests := []struct {
		name string
		keys []string
	}{
		{"q on welcome", []string{"q"}},
		{"ctrl+c on welcome", []string{"ctrl+c"}},
		{"ctrl+c in a form", []string{"l", "a", "ctrl+c"}},
		{"ctrl+c in verify", []string{"l", "ctrl+c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, env, "")
			h.Press(tt.keys...)
			if !h.Quit {
				t.Error("did not quit")
			}
		})
	}
	t.Run("q in a form is text", func(t *testing.T) {
		h := newHarness(t, env, "")
		h.Press("l", "q")
		if h.Quit {
			t.Fatal("quit while typing")
		}
		if got := h.m.cur.(*login).form.Value(portal.FieldEmail); got != "q" {
			t.Errorf("email = %q", got)
		}
	})
	t.Run("q at home", func(t *testing.T) {
		h := newHarness(t, env, "")
		h.logIn(annEmail)
		h.Press("q")
		if !h.Quit {
			t.Error("did not quit")
		}
	})
}

func TestTabAndEsc(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.Press("l")
	f := h.m.cur.(*login).form
	h.Press("tab")
	if f.Focused() != portal.FieldPassword {
		t.Fatalf("tab: focus %q", f.Focused())
	}
	h.Type("secret")
	h.Press("shift+tab")
	h.Type("ann")
	if f.Value(portal.FieldEmail) != "ann" || f.Value(portal.FieldPassword) != "secret" {
		t.Errorf("values: %q %q", f.Value(portal.FieldEmail), f.Value(portal.FieldPassword))
	}
	h.Press("tab", "tab")
	if f.Focused() != portal.FieldEmail {
		t.Errorf("tab wraps: focus %q", f.Focused())
	}
	h.RefuseView("secret")
	h.RequireView("******")
	h.Press("esc")
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatalf("esc did not go back to welcome:\n%s", h.View())
	}
	// A new visit starts empty.
	h.Press("l")
	if v := h.m.cur.(*login).form.Value(portal.FieldEmail); v != "" {
		t.Errorf("old value kept: %q", v)
	}

	// From a home screen, Esc goes home, not to welcome.
	h.Press("esc")
	h.logIn(annEmail)
	for _, k := range []string{"p", "e"} {
		h.Press(k, "esc")
		if _, ok := h.m.cur.(*home); !ok {
			t.Errorf("esc from %s did not go home", k)
		}
	}
	// Esc on welcome and home does nothing.
	h.Press("esc")
	if _, ok := h.m.cur.(*home); !ok || h.Quit {
		t.Error("esc on home left it")
	}
}

func TestEmptySubmitMarksFields(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	tests := []struct {
		name    string
		open    []string
		login   bool
		enters  int
		errors  int // "This field is required." lines
		focused string
	}{
		{"log in", []string{"l"}, false, 2, 2, portal.FieldEmail},
		{"sign up", []string{"s"}, false, 6, 4, portal.FieldName},
		{"forgot", []string{"f"}, false, 1, 1, portal.FieldEmail},
		{"invite", []string{"i"}, false, 3, 3, portal.FieldToken},
		{"change password", []string{"p"}, true, 3, 3, portal.FieldCurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, env, "")
			if tt.login {
				h.logIn(annEmail)
			}
			h.Press(tt.open...)
			for range tt.enters {
				h.Press("enter")
			}
			if got := strings.Count(h.View(), "This field is required."); got != tt.errors {
				t.Errorf("%d required errors, want %d:\n%s", got, tt.errors, h.View())
			}
			fs, ok := h.m.cur.(interface{ formOf() *ui.Form })
			if !ok {
				t.Fatalf("%T is not a form screen", h.m.cur)
			}
			if got := fs.formOf().Focused(); got != tt.focused {
				t.Errorf("focus on %q, want %q", got, tt.focused)
			}
		})
	}
	t.Run("profile with name cleared", func(t *testing.T) {
		h := newHarness(t, env, "")
		h.logIn(annEmail)
		h.Press("e")
		for range 20 {
			h.Press("backspace")
		}
		h.Press("enter", "enter", "enter")
		h.RequireView("This field is required.", "Edit profile")
	})
}

func TestHugePasteIsCut(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	h := newHarness(t, env, "")
	h.Press("s")
	big := strings.Repeat("A", 100*1024)
	h.Paste(big)
	h.Paste(big)
	f := h.m.cur.(*signUp).form
	if n := utf8.RuneCountInString(f.Value(portal.FieldName)); n != ui.DefaultCharLimit {
		t.Fatalf("name holds %d characters, want %d", n, ui.DefaultCharLimit)
	}
	checkFits(t, h.View(), 80, 24)
	// A pasted newline is text, not Enter: the form was not sent.
	h.Paste("x\ry\n")
	if _, ok := h.m.cur.(*signUp); !ok {
		t.Fatal("a paste submitted the form")
	}
	h.Press("tab")
	h.Type(annEmail)
	h.Press("tab", "tab", "tab")
	h.Type(portaltest.StrongPassword)
	h.Press("tab")
	h.Type(portaltest.StrongPassword)
	h.Press("enter")
	h.RequireView("Too long: at most 200 characters.")
	if got := f.Focused(); got != portal.FieldName {
		t.Errorf("focus on %q, want name", got)
	}
	checkFits(t, h.View(), 80, 24)

	h.Press("esc", "l")
	h.Press("tab")
	h.Paste(big)
	if n := utf8.RuneCountInString(h.m.cur.(*login).form.Value(portal.FieldPassword)); n != ui.DefaultCharLimit {
		t.Errorf("password holds %d characters", n)
	}
	h.RefuseView("AAAA")
}

func TestControlsNeverReachTheTerminal(t *testing.T) {
	const evil = "\x1b[31mEvil\x1b]0;title\x07 \u202eName\u200b\u009b2J"
	env := portaltest.New(t)
	c := env.AddActiveClient(t, annEmail, "Ann Smith")

	// Typed into a field: cleaned on the way in, shown and stored clean.
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("e")
	for range 20 {
		h.Press("backspace")
	}
	h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(evil), Paste: true})
	requireClean(t, h.View())
	h.Press("enter", "enter", "enter")
	h.RequireView("Hello, [31mEvil]0;title Name2J")
	requireClean(t, h.View())

	// Stored by some other path: still drawn clean, in the greeting, the
	// form that edits it and the invitation greeting.
	name := evil + "\xff\xfe"
	if err := env.Store.UpdateClient(context.Background(), c.ID, store.ClientUpdate{Name: &name, Company: &name}); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, env, "")
	h2.logIn(annEmail)
	h2.RequireView("Hello, [31mEvil]0;title Name2J\uFFFD\uFFFD")
	requireClean(t, h2.View())
	h2.Press("e")
	requireClean(t, h2.View())
	if v := h2.m.cur.(*profile).form.Value(portal.FieldName); strings.ContainsAny(v, "\x1b\x07\u202e") {
		t.Errorf("control kept in the field: %q", v)
	}

	// An email typed with controls is echoed clean on the next screen.
	h3 := newHarness(t, env, "")
	h3.Press("f")
	h3.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ann\x1b[2J@example.com"), Paste: true})
	h3.Press("enter")
	requireClean(t, h3.View())
}

func TestInvalidUTF8IsDropped(t *testing.T) {
	env := portaltest.New(t)
	h := newHarness(t, env, "")
	h.Press("l")
	h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a\xff\xc0b")})
	h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'c', 0xD800, 0x110000, 'd'}})
	v := h.m.cur.(*login).form.Value(portal.FieldEmail)
	if v != "abcd" || !utf8.ValidString(v) {
		t.Errorf("email = %q", v)
	}
	if !utf8.ValidString(h.View()) {
		t.Error("view is not valid UTF-8")
	}
}

func TestSecondSubmitIgnoredWhileBusy(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	// The call is in flight: its command has not run.
	cmd := h.submitLogIn(annEmail, "wrong password here")
	h.RequireView("Checking…")
	if _, again := h.m.Update(uitest.Key("enter")); again != nil {
		t.Error("a second Enter started another call")
	}
	h.m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	if got := h.m.cur.(*login).form.Value(portal.FieldPassword); got != "wrong password here" {
		t.Errorf("typing while busy changed the field: %q", got)
	}
	h.Run(cmd)
	h.RequireView("Wrong email or password.")
	h.RefuseView("Checking…")
}

func TestEscDuringCallDropsItsResult(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	cmd := h.submitLogIn(annEmail, portaltest.StrongPassword)
	h.Press("esc")
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatal("esc while busy did not go back")
	}
	h.Run(cmd) // cancelled, or finished: either way it is not acted on
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatalf("a dropped call still logged in:\n%s", h.View())
	}
}

func TestEveryScreenFitsAnySize(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	token := inviteToken(t, env, "bob@example.com", "Bob Stone")
	screens := map[string]func(h *harness){
		"welcome": func(h *harness) {},
		"login":   func(h *harness) { h.Press("l", "enter", "enter") },
		"signup":  func(h *harness) { h.Press("s"); h.Fill("", "", "", "", "", "") },
		"verify":  func(h *harness) { h.Send(verifyMsg{ticket: "t", email: strings.Repeat("long", 60) + "@example.com"}) },
		"forgot":  func(h *harness) { h.Press("f") },
		"reset":   func(h *harness) { h.Send(resetMsg{email: annEmail}); h.Fill("", "", "") },
		"invite":  func(h *harness) { h.Press("i") },
		"home":    func(h *harness) { h.logIn(annEmail) },
		"password": func(h *harness) {
			h.logIn(annEmail)
			h.Press("p")
			h.Fill("x", "short", "other")
		},
		"profile": func(h *harness) { h.logIn(annEmail); h.Press("e") },
	}
	for name, open := range screens {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, env, "")
			open(h)
			for _, s := range [][2]int{{80, 24}, {120, 40}, {60, 20}, {40, 12}, {20, 6}, {200, 60}, {1, 1}} {
				h.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
				checkFits(t, h.View(), s[0], s[1])
			}
			h.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
			lines := strings.Split(h.View(), "\n")
			help := strings.Join(lines[len(lines)-3:], "\n")
			if !strings.Contains(help, "ctrl+c quit") {
				t.Errorf("help not at the bottom at 80x24:\n%s", h.View())
			}
		})
	}
	t.Run("invitation", func(t *testing.T) {
		h := newHarness(t, env, token)
		h.Fill("", "")
		checkFits(t, h.View(), 80, 24)
		h.RequireView("Welcome, Bob Stone", "This field is required.", "esc       back")
	})
}

// checkFits: exactly h lines, none wider than w.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
		}
	}
}

// requireClean: the Ascii renderer draws no escape of its own, so any
// control in the view came from the data.
func requireClean(t *testing.T, view string) {
	t.Helper()
	for _, r := range view {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u202e' || r == '\u200b' {
			t.Fatalf("control %U in view:\n%q", r, view)
		}
	}
}

func TestSignUpWaitingForApproval(t *testing.T) {
	env := portaltest.New(t)
	if err := env.Service.SetSignUpMode(context.Background(), env.Admin(), vocab.SignUpApproval); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, env, "")
	h.Press("s")
	h.Fill("Ann Smith", annEmail, "", "", portaltest.StrongPassword, portaltest.StrongPassword)
	h.Fill(code(t, env, annEmail, portal.MailVerifyCode))
	h.RequireView("Your email is confirmed. The firm reviews new accounts")
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatalf("not back on the welcome screen:\n%s", h.View())
	}
	h.Press("l")
	h.Fill(annEmail, portaltest.StrongPassword)
	h.RequireView("waiting for the firm's approval")
	if err := env.Service.ApproveSignUp(context.Background(), env.Admin(), annEmail); err != nil {
		t.Fatal(err)
	}
	h.Press("enter")
	h.RequireView("Hello, Ann Smith")
}

// TestTypeAheadReachesTheNextScreen: keys typed ahead arrive in one read;
// the menu key opens its screen and the rest lands in its first field.
func TestTypeAheadReachesTheNextScreen(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("l" + annEmail)})
	if _, ok := h.m.cur.(*login); !ok {
		t.Fatalf("the burst did not open Log in:\n%s", h.View())
	}
	h.RequireView(annEmail)
	h.Press("enter")
	h.Fill(portaltest.StrongPassword)
	h.RequireView("Hello, Ann Smith")
	// A paste is never a menu choice.
	h.Press("o") // log out
	h.Paste("l" + annEmail)
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatal("a paste chose a menu item")
	}
}
