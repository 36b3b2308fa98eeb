package admin

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/tui/ui"
)

// leaveGuarded is Esc on a form guarded by g: it goes back at once when
// nothing would be lost (dirty false), else g asks (see ui.DiscardGuard).
func leaveGuarded(d *deps, g *ui.DiscardGuard, dirty bool) tea.Cmd {
	if g.Leave(dirty) {
		return d.goTo(popMsg{})
	}
	return nil
}
