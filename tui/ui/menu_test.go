package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

func welcomeItems() []MenuItem {
	return []MenuItem{
		{Key: "l", Label: "Log in", ID: "login"},
		{Key: "s", Label: "Sign up", ID: "signup"},
		{Key: "f", Label: "Forgot password", ID: "forgot"},
		{Key: "i", Label: "Accept invitation", ID: "invite"},
	}
}

func TestMenuUpdate(t *testing.T) {
	tests := []struct {
		name       string
		keys       []tea.KeyMsg
		wantChosen string
		wantSel    string
	}{
		{"hotkey", []tea.KeyMsg{press("f")}, "forgot", "forgot"},
		{"hotkey upper case", []tea.KeyMsg{press("I")}, "invite", "invite"},
		{"enter on first", []tea.KeyMsg{press("enter")}, "login", "login"},
		{"down then enter", []tea.KeyMsg{press("down"), press("enter")}, "signup", "signup"},
		{"j moves", []tea.KeyMsg{press("j"), press("j")}, "", "forgot"},
		{"up wraps", []tea.KeyMsg{press("up")}, "", "invite"},
		{"k after j", []tea.KeyMsg{press("j"), press("k")}, "", "login"},
		{"other key", []tea.KeyMsg{press("x")}, "", "login"},
		{"paste is no choice", []tea.KeyMsg{paste("s")}, "", "login"},
		{"pasted newline is no choice", []tea.KeyMsg{paste("\r")}, "", "login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMenu(stylesFor(termenv.Ascii), welcomeItems()...)
			var chosen string
			for _, k := range tt.keys {
				m, chosen = m.Update(k)
			}
			if chosen != tt.wantChosen {
				t.Errorf("chosen = %q, want %q", chosen, tt.wantChosen)
			}
			if m.Selected() != tt.wantSel {
				t.Errorf("selected = %q, want %q", m.Selected(), tt.wantSel)
			}
		})
	}
}

func TestMenuHotkeyWinsOverMovement(t *testing.T) {
	m := NewMenu(stylesFor(termenv.Ascii), MenuItem{Key: "a", ID: "a"}, MenuItem{Key: "j", ID: "jump"})
	if _, chosen := m.Update(press("j")); chosen != "jump" {
		t.Errorf("j chose %q, want its item", chosen)
	}
}

func TestMenuSetItemsKeepsSelection(t *testing.T) {
	items := welcomeItems()
	m := NewMenu(stylesFor(termenv.Ascii), items...)
	m, _ = m.Update(press("down"))
	m, _ = m.Update(press("down"))           // on "forgot"
	m.SetItems(items[0], items[2], items[3]) // sign-up turned off
	if m.Selected() != "forgot" {
		t.Errorf("selected = %q, want forgot", m.Selected())
	}
	if _, chosen := m.Update(press("s")); chosen != "" {
		t.Errorf("removed item still chosen: %q", chosen)
	}
	m.SetItems(items[3])
	if m.Selected() != "invite" {
		t.Errorf("selected = %q after the selection went away", m.Selected())
	}
	m.SetItems()
	if m, chosen := m.Update(press("enter")); chosen != "" || m.View() != "" {
		t.Errorf("empty menu chose %q", chosen)
	}
}

func TestMenuView(t *testing.T) {
	m := NewMenu(stylesFor(termenv.Ascii), welcomeItems()...)
	m.Select("signup")
	want := strings.Join([]string{
		"  l  Log in",
		"> s  Sign up",
		"  f  Forgot password",
		"  i  Accept invitation",
	}, "\n")
	if got := m.View(); got != want {
		t.Errorf("view =\n%s\nwant\n%s", got, want)
	}
}
