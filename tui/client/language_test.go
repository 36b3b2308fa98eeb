package client

import (
	"context"
	"strings"
	"testing"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/portaltest"
	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/uitest"
)

// storedLang is the language saved on the account of email.
func storedLang(t *testing.T, env *portaltest.Env, email string) string {
	t.Helper()
	c, err := env.Store.ClientByEmail(context.Background(), email)
	must(t, err)
	return c.Lang
}

func setLang(t *testing.T, env *portaltest.Env, c *portal.Client, lang string) {
	t.Helper()
	_, err := env.Service.SetLanguage(context.Background(), portaltest.ClientActor(c), lang)
	must(t, err)
}

func TestFrenchLocaleFromTheFirstFrame(t *testing.T) {
	env := portaltest.New(t)
	for _, locale := range []string{"fr_FR.UTF-8", "fr_CA.UTF-8", "fr"} {
		sess, _, _ := uitest.Session(t, "ann", "192.0.2.10:50000")
		sess.Locale = locale
		// Before Init, before the terminal's size: the very first frame.
		v := New(env.Service, sess, "").View()
		for _, want := range []string{"Portail client", "Bienvenue", "Se connecter", "Langue (English)", "ctrl+c quitter"} {
			if !strings.Contains(v, want) {
				t.Errorf("%s: first frame lacks %q:\n%s", locale, want, v)
			}
		}
	}
	// An invitation opened in French is checked in French.
	sess, _, _ := uitest.Session(t, "ann", "192.0.2.10:50000")
	sess.Locale = "fr_BE.UTF-8"
	if v := New(env.Service, sess, "sometoken").View(); !strings.Contains(v, "Vérification de votre invitation") {
		t.Errorf("invitation not in French:\n%s", v)
	}
	// A locale the catalog lacks, or none, is English.
	for _, locale := range []string{"", "de_DE.UTF-8", "C", "POSIX"} {
		h := newLocaleHarness(t, env, "", locale)
		h.RequireView("Welcome", "Log in", "Language (Français)", "ctrl+c quit")
	}
}

func TestSwitchLanguageOnWelcome(t *testing.T) {
	env := portaltest.New(t)
	h := newHarness(t, env, "")
	h.Press("g")
	h.RequireView("Language", "1  English (current)", "2  Français", "esc")
	h.Press("esc")
	h.RequireView("Welcome", "Log in")

	h.Press("g", "2")
	if _, ok := h.m.cur.(*welcome); !ok {
		t.Fatalf("not back on the welcome screen:\n%s", h.View())
	}
	h.RequireView("Portail client", "Bienvenue", "Se connecter", "Langue (English)", "ctrl+c quitter", "déplacer")
	h.RefuseView("Log in", "quit ")
	// Every screen from now on speaks French, and so do the errors.
	h.Press("l")
	h.RequireView("Connexion", "Courriel", "champ suivant", "ctrl+c quitter")
	h.Fill("", "")
	h.RequireView("Ce champ est obligatoire.")
	h.Press("esc", "f")
	h.RequireView("Mot de passe oublié")

	// And back, with the arrows this time.
	h.Press("esc", "g")
	h.RequireView("Langue", "1  English", "2  Français (actuelle)")
	h.Press("up", "enter")
	h.RequireView("Welcome", "Log in", "Language (Français)", "ctrl+c quit")
}

func TestLanguageRememberedOnTheAccount(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")

	// Chosen before log in: saved on the account at log in.
	h := newHarness(t, env, "")
	h.Press("g", "2")
	h.Press("l")
	h.Fill(annEmail, portaltest.StrongPassword)
	h.RequireView("Bonjour, Ann Smith", "Nouvelle demande", "Mes demandes")
	if got := storedLang(t, env, annEmail); got != "fr" {
		t.Fatalf("language saved = %q, want fr", got)
	}

	// Next time, with nothing said: English until log in, then hers.
	h2 := newHarness(t, env, "")
	h2.RequireView("Welcome")
	h2.logIn(annEmail)
	h2.RequireView("Bonjour, Ann Smith", "Changer de mot de passe", "ctrl+c quitter")
	// Log out returns to the session's own language: the next person at
	// this terminal does not get hers.
	h2.Press("o")
	h2.RequireView("Welcome")

	// A terminal's locale does not override a saved language...
	h3 := newLocaleHarness(t, env, "", "en_US.UTF-8")
	h3.RequireView("Welcome")
	h3.logIn(annEmail)
	h3.RequireView("Bonjour, Ann Smith")
	if got := storedLang(t, env, annEmail); got != "fr" {
		t.Errorf("a locale changed the saved language to %q", got)
	}

	// ...but a choice does, both ways.
	h4 := newLocaleHarness(t, env, "", "fr_FR.UTF-8")
	h4.Press("g", "1")
	h4.logIn(annEmail)
	h4.RequireView("Hello, Ann Smith")
	if got := storedLang(t, env, annEmail); got != "en" {
		t.Errorf("language saved = %q, want en", got)
	}
}

func TestChoiceIsNotCarriedToTheNextClient(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	env.AddActiveClient(t, "bob@example.com", "Bob Stone")
	h := newHarness(t, env, "")
	h.Press("g", "2")
	h.logIn(annEmail)
	h.Press("o")
	h.logIn("bob@example.com")
	h.RequireView("Hello, Bob Stone")
	if got := storedLang(t, env, "bob@example.com"); got != "" {
		t.Errorf("Ann's choice was saved on Bob's account: %q", got)
	}
}

func TestLanguageAtHomeIsSaved(t *testing.T) {
	env := portaltest.New(t)
	env.AddActiveClient(t, annEmail, "Ann Smith")
	h := newHarness(t, env, "")
	h.logIn(annEmail)
	h.Press("g")
	h.RequireView("Choose the language of the portal's screens and of the emails we send you.", "English (current)")
	h.Press("2")
	if _, ok := h.m.cur.(*home); !ok {
		t.Fatalf("not home after choosing:\n%s", h.View())
	}
	h.RequireView("Bonjour, Ann Smith", "Votre langue a été enregistrée", "Langue (English)", "ctrl+c quitter")
	if got := storedLang(t, env, annEmail); got != "fr" {
		t.Errorf("language saved = %q, want fr", got)
	}
	// Esc leaves the chooser with nothing changed.
	h.Press("g", "esc")
	h.RequireView("Bonjour, Ann Smith")
}

// inviteIn adds an invited client whose account staff set to lang ("" for
// the default) and returns the invitation's token.
func inviteIn(t *testing.T, env *portaltest.Env, email, lang string) string {
	t.Helper()
	if _, err := env.Service.AddClient(context.Background(), env.Admin(), portal.NewClient{Email: email, Name: "Carol Diaz", Lang: lang}); err != nil {
		t.Fatal(err)
	}
	return portaltest.TokenIn(t, env.LastMail(t, email, portal.MailInvitation).Body)
}

func TestInvitationLanguage(t *testing.T) {
	tests := []struct {
		name      string
		locale    string
		staffLang string
		choose    string // a language key pressed on the welcome screen first
		wantSaved string
		wantHello string
	}{
		{"locale saved over the default", "fr_CA.UTF-8", "", "", "fr", "Bonjour, Carol"},
		{"staff's wins over the locale", "en_GB.UTF-8", "fr", "", "fr", "Bonjour, Carol"},
		{"nothing said: staff's is used", "", "fr", "", "fr", "Bonjour, Carol"},
		{"nothing said: none is saved", "", "", "", "", "Hello, Carol"},
		{"chosen over staff's", "", "fr", "1", "en", "Hello, Carol"},
		{"chosen on welcome", "", "", "2", "fr", "Bonjour, Carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := portaltest.New(t)
			email := "carol@example.com"
			token := inviteIn(t, env, email, tt.staffLang)
			var h *harness
			if tt.choose == "" {
				h = newLocaleHarness(t, env, token, tt.locale)
			} else {
				h = newLocaleHarness(t, env, "", tt.locale)
				h.Press("g", tt.choose, "i")
				h.Fill(token)
			}
			h.Fill(portaltest.StrongPassword, portaltest.StrongPassword)
			h.RequireView(tt.wantHello)
			if got := storedLang(t, env, email); got != tt.wantSaved {
				t.Errorf("saved %q, want %q", got, tt.wantSaved)
			}
		})
	}
}

func TestSignUpInTheSessionLanguage(t *testing.T) {
	env := portaltest.New(t)
	signUpOn(t, env, true)
	h := newLocaleHarness(t, env, "", "fr_FR.UTF-8")
	h.Press("s")
	h.RequireView("Inscription")
	h.Fill("Bob Stone", "bob@example.com", "", "", portaltest.StrongPassword, portaltest.StrongPassword)
	h.RequireView("Confirmez votre adresse courriel")
	mail := env.LastMail(t, "bob@example.com", portal.MailVerifyCode)
	if want := env.Catalog.Printer(text.French).T("mail.verify_code.subject"); mail.Subject != want {
		t.Errorf("code mail subject %q, want %q", mail.Subject, want)
	}
	h.Fill(code(t, env, "bob@example.com", portal.MailVerifyCode))
	h.RequireView("Bonjour, Bob Stone")
	if got := storedLang(t, env, "bob@example.com"); got != "fr" {
		t.Errorf("saved %q, want fr", got)
	}
}
