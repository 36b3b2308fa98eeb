package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// views draws one of everything the package makes, in every state that
// changes its styling.
func views(t *testing.T, st *Styles) map[string]string {
	t.Helper()
	p := printer(t)
	f := NewForm(st, p, threeFields()...)
	f.SetValue("name", "Ann")
	f.SetError("name", "bad")
	f.SetError("", "form")
	empty := NewForm(st, p, threeFields()...)
	empty.Focus("email") // placeholder under the cursor
	m := NewMenu(st, welcomeItems()...)
	h := NewHelp(st)
	full := NewHelp(st)
	full.ShowAll = true
	narrow := NewHelp(st)
	narrow.Width = 12 // draws the ellipsis
	sp := NewSpinner(st)
	kinds := NewForm(st, p, kindFields()...)
	kinds.SetValue("urgency", "Normal")
	kinds.SetValue("details", "one\ntwo")
	kinds.Focus("details")
	return map[string]string{
		"form kinds":  kinds.View(),
		"form":        f.View(),
		"placeholder": empty.View(),
		"menu":        m.View(),
		"help":        h.View(f.Keys()),
		"full help":   full.View(f.Keys()),
		"narrow help": narrow.View(MenuKeys(p)),
		"spinner":     sp.View(),
		"frame":       Frame(st, 80, 24, "Client Portal", m.View(), h.View(KeyMap{key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))})),
		"box":         st.Box.Render("boxed"),
	}
}

// With the global renderer set to colour, an Ascii session must still get
// no escape at all: any style left from bubbles' defaults or made with
// lipgloss.NewStyle would be drawn by the global renderer and show here.
func TestNoStyleFromGlobalRenderer(t *testing.T) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(prev) })

	st := stylesFor(termenv.Ascii)
	if !st.Plain || st.Mask != '*' {
		t.Errorf("Ascii styles: Plain %v Mask %q", st.Plain, st.Mask)
	}
	for name, v := range views(t, st) {
		if strings.Contains(v, "\x1b") {
			t.Errorf("%s: escape on a plain terminal: %q", name, v)
		}
	}
}

func TestColourOnColourTerminal(t *testing.T) {
	st := stylesFor(termenv.TrueColor)
	if st.Plain || st.Mask != '•' {
		t.Errorf("TrueColor styles: Plain %v Mask %q", st.Plain, st.Mask)
	}
	for name, v := range views(t, st) {
		if !strings.Contains(v, "\x1b[") || !strings.Contains(v, "38;2;") {
			t.Errorf("%s: no true colour: %q", name, v)
		}
	}
	if v := st.Error.Render("x"); !strings.Contains(v, "38;2;") {
		t.Errorf("error style has no colour: %q", v)
	}
}
