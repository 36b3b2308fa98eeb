package ui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

// TestRunnerKey: a screen of choices takes keys typed, and the spinner's
// tick while a call runs; a paste or any other message is neither.
func TestRunnerKey(t *testing.T) {
	r := NewSpinRunner(context.Background(), stylesFor(termenv.Ascii))
	_ = Run(&r, nil, func(context.Context) (int, error) { return 0, nil }) // busy, never answering
	typed := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}}
	tests := []struct {
		name    string
		msg     tea.Msg
		wantKey bool
		wantCmd bool
	}{
		{"typed key", typed, true, false},
		{"Esc", tea.KeyMsg{Type: tea.KeyEsc}, true, false},
		{"paste", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}, Paste: true}, false, false},
		{"spinner tick", r.spin.Tick(), false, true},
		{"other message", tea.WindowSizeMsg{Width: 80, Height: 24}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			km, cmd, ok := r.Key(tt.msg)
			if ok != tt.wantKey || (cmd != nil) != tt.wantCmd {
				t.Fatalf("Key(%#v) = ok %v, command %v; want ok %v, command %v", tt.msg, ok, cmd != nil, tt.wantKey, tt.wantCmd)
			}
			if ok && km.String() != tt.msg.(tea.KeyMsg).String() {
				t.Fatalf("Key gave %q, want %q", km, tt.msg)
			}
		})
	}
	r.Stop()
	if _, cmd, ok := r.Key(r.spin.Tick()); ok || cmd != nil {
		t.Fatal("with no call running the spinner's tick turns nothing and is no key")
	}
}
