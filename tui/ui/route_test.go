package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestRouteFollowsDepthFirst: a step's own requests come before the steps
// that were waiting, whatever the nesting.
func TestRouteFollowsDepthFirst(t *testing.T) {
	var r Route
	var seen []string
	update := func(msg tea.Msg) tea.Cmd {
		s := msg.(string)
		seen = append(seen, s)
		switch s {
		case "open":
			r.Go("open.init")
			r.Go("open.focus")
		case "open.init":
			r.Go("open.init.load")
		}
		return nil
	}
	r.Go("open")
	r.Go("key b")
	r.Go("key c")
	r.Follow(update, nil)
	want := "open,open.init,open.init.load,open.focus,key b,key c"
	if got := strings.Join(seen, ","); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
	if len(r.next) != 0 {
		t.Fatalf("left behind: %v", r.next)
	}
}
