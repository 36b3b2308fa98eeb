package admin

import (
	"github.com/clientportal/portal/tui/ui"
)

// fitTimes sets the width of the time columns (by index) of a table w
// wide and reports whether times are shown short.
func fitTimes(g *ui.Table, w int, cols ...int) bool {
	short := w < shortTimesBelow
	for _, i := range cols {
		g.Col(i).Width = timeWidth(short)
	}
	return short
}

// tableBody is the table, or what stands in for it: the error of the last
// load, that it is loading, or empty when it has no rows ("" draws the
// empty table, headers and all).
func tableBody(g *ui.Table, d *deps, err string, loaded bool, empty string) string {
	switch {
	case err != "":
		return d.st.Error.Render("! " + err)
	case !loaded:
		return d.st.Subtle.Render(d.p.T("admin.loading"))
	case empty != "" && g.Len() == 0:
		return d.st.Subtle.Render(empty)
	}
	return g.View()
}
