package ui

import (
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// ScrollKey moves vp by one of the keys every scrolling page of the portal
// answers to (↑/↓ or k/j, page up/down or space, home, end) and reports
// whether km was one. bubbles' own viewport keys are not used: they take
// letters (f, b, d, u) the screens need for their actions.
func ScrollKey(vp *viewport.Model, km tea.KeyMsg) bool {
	switch km.String() {
	case "up", "k":
		vp.ScrollUp(1)
	case "down", "j":
		vp.ScrollDown(1)
	case "pgup":
		vp.PageUp()
	case "pgdown", " ":
		vp.PageDown()
	case "home":
		vp.GotoTop()
	case "end":
		vp.GotoBottom()
	default:
		return false
	}
	return true
}
