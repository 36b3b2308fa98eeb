package admin

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/tui/ui"
)

// cellPad is the padding the table's cell style puts on each side.
const cellPad = 1

// grid is a bubbles table drawn with the session's styles. The selected row
// starts with a ">" so that it shows on a terminal without colour.
type grid struct {
	tbl  table.Model
	cols []col
}

// col is a column: a fixed width, or a share of what is left (flex > 0)
// with a floor (min).
type col struct {
	title string
	width int
	flex  int
	min   int
}

func newGrid(st *ui.Styles, cols ...col) *grid {
	km := table.KeyMap{
		LineUp:     key.NewBinding(key.WithKeys("up", "k")),
		LineDown:   key.NewBinding(key.WithKeys("down", "j")),
		PageUp:     key.NewBinding(key.WithKeys("pgup")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown")),
		GotoTop:    key.NewBinding(key.WithKeys("home")),
		GotoBottom: key.NewBinding(key.WithKeys("end")),
	}
	r := st.Renderer
	styles := table.Styles{
		Header: st.Subtle.Bold(true).Padding(0, cellPad),
		Cell:   r.NewStyle().Padding(0, cellPad),
		Selected: st.MenuSelected.UnsetUnderline().Transform(func(s string) string {
			if strings.HasPrefix(s, " ") {
				return ">" + s[1:]
			}
			return s
		}),
	}
	t := table.New(table.WithKeyMap(km), table.WithStyles(styles), table.WithFocused(true))
	// table.New's help model is styled from the global renderer; it is
	// never drawn, but nothing of the global renderer is kept either.
	t.Help = ui.NewHelp(st)
	g := &grid{tbl: t, cols: cols}
	g.setSize(80, 10)
	return g
}

// setSize spreads w columns over the columns and gives the rows h lines,
// the header included.
func (g *grid) setSize(w, h int) {
	fixed, flex := 0, 0
	for _, c := range g.cols {
		fixed += 2 * cellPad
		if c.flex > 0 {
			flex += c.flex
			fixed += c.min
		} else {
			fixed += c.width
		}
	}
	spare := max(0, w-fixed)
	out := make([]table.Column, len(g.cols))
	given := 0
	for i, c := range g.cols {
		out[i] = table.Column{Title: c.title, Width: c.width}
		if c.flex > 0 {
			extra := spare * c.flex / flex
			given += extra
			out[i].Width = c.min + extra
		}
	}
	// What integer division left goes to the first flexible column.
	for i, c := range g.cols {
		if c.flex > 0 {
			out[i].Width += spare - given
			break
		}
	}
	// A column set wider than the table would be cut by the viewport; set
	// the rows first when they no longer match the columns.
	if len(g.tbl.Columns()) != len(out) {
		g.tbl.SetRows(nil)
	}
	g.tbl.SetColumns(out)
	g.tbl.SetWidth(w)
	g.tbl.SetHeight(max(2, h))
}

// update moves the cursor; it reports whether the key was a move.
func (g *grid) update(msg tea.KeyMsg) bool {
	km := g.tbl.KeyMap
	if msg.Paste || !key.Matches(msg, km.LineUp, km.LineDown, km.PageUp, km.PageDown, km.GotoTop, km.GotoBottom) {
		return false
	}
	g.tbl, _ = g.tbl.Update(msg)
	return true
}

// setRows replaces the rows; the cursor stays in range, and on the first
// row when rows come to an empty table (bubbles leaves it at -1).
//
// Each cell is cut to its column here, by the width lipgloss pads and
// frames with (x/ansi, per grapheme cluster): bubbles cuts with
// go-runewidth, which counts an emoji with U+FE0F (❤️, ⚖️) as one column
// where lipgloss counts two, so a cell it thought fit lost its last
// column, and with it the "…" that shows the cut.
func (g *grid) setRows(rows []table.Row) {
	cols := g.tbl.Columns()
	for _, row := range rows {
		for i := range min(len(row), len(cols)) {
			if w := cols[i].Width; w > 0 && ansi.StringWidth(row[i]) > w {
				row[i] = ansi.Truncate(row[i], w, "…")
			}
		}
	}
	g.tbl.SetRows(rows)
	if g.tbl.Cursor() < 0 && len(rows) > 0 {
		g.tbl.SetCursor(0)
	}
}

func (g *grid) cursor() int     { return g.tbl.Cursor() }
func (g *grid) setCursor(n int) { g.tbl.SetCursor(n) }
func (g *grid) len() int        { return len(g.tbl.Rows()) }
func (g *grid) view() string    { return g.tbl.View() }

// moveKeys is the help of the moves.
func moveKeys(d *deps) key.Binding {
	return d.bind(d.p.T("ui.key.up_down"), "ui.help.move", "up", "down")
}

// fitTimes sets the width of the time columns (by index) for a table w
// wide and reports whether times are shown short.
func (g *grid) fitTimes(w int, cols ...int) bool {
	short := w < shortTimesBelow
	for _, i := range cols {
		g.cols[i].width = timeWidth(short)
	}
	return short
}

// body is the table, or what stands in for it: the error of the last load,
// that it is loading, or empty when it has no rows ("" draws the empty
// table, headers and all).
func (g *grid) body(d *deps, err string, loaded bool, empty string) string {
	switch {
	case err != "":
		return d.st.Error.Render("! " + err)
	case !loaded:
		return d.st.Subtle.Render(d.p.T("admin.loading"))
	case empty != "" && g.len() == 0:
		return d.st.Subtle.Render(empty)
	}
	return g.view()
}
