package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/text"
)

// CellPad is the padding the table's cell style puts on each side.
const CellPad = 1

// Table is a bubbles table drawn with the session's styles, the table of
// both programs. The selected row starts with a ">" so that it shows on a
// terminal without colour; the arrows, k and j, page up and down, home and
// end move the cursor.
type Table struct {
	tbl  table.Model
	cols []Col
}

// Col is a column: a fixed width, or a share of what is left (Flex > 0)
// with a floor (Min).
type Col struct {
	Title string
	Width int
	Flex  int
	Min   int
}

// NewTable makes a table of cols, 80 columns wide and 10 lines high until
// SetSize.
func NewTable(st *Styles, cols ...Col) *Table {
	km := table.KeyMap{
		LineUp:     key.NewBinding(key.WithKeys("up", "k")),
		LineDown:   key.NewBinding(key.WithKeys("down", "j")),
		PageUp:     key.NewBinding(key.WithKeys("pgup")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown")),
		GotoTop:    key.NewBinding(key.WithKeys("home")),
		GotoBottom: key.NewBinding(key.WithKeys("end")),
	}
	styles := table.Styles{
		Header: st.Subtle.Bold(true).Padding(0, CellPad),
		Cell:   st.Renderer.NewStyle().Padding(0, CellPad),
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
	t.Help = NewHelp(st)
	g := &Table{tbl: t, cols: cols}
	g.SetSize(80, 10)
	return g
}

// SetCols replaces the columns; SetSize lays them out.
func (g *Table) SetCols(cols ...Col) { g.cols = cols }

// Col is column i, to change before SetSize (the width of a time column).
func (g *Table) Col(i int) *Col { return &g.cols[i] }

// NumCols is the number of columns.
func (g *Table) NumCols() int { return len(g.cols) }

// SetSize spreads w columns over the columns and gives the rows h lines,
// the header included (at least 2).
func (g *Table) SetSize(w, h int) {
	fixed, flex := 0, 0
	for _, c := range g.cols {
		fixed += 2 * CellPad
		if c.Flex > 0 {
			flex += c.Flex
			fixed += c.Min
		} else {
			fixed += c.Width
		}
	}
	spare := max(0, w-fixed)
	out := make([]table.Column, len(g.cols))
	given := 0
	for i, c := range g.cols {
		out[i] = table.Column{Title: c.Title, Width: c.Width}
		if c.Flex > 0 {
			extra := spare * c.Flex / flex
			given += extra
			out[i].Width = c.Min + extra
		}
	}
	// What integer division left goes to the first flexible column.
	for i, c := range g.cols {
		if c.Flex > 0 {
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

// Update moves the cursor; it reports whether the key was a move.
func (g *Table) Update(msg tea.KeyMsg) bool {
	km := g.tbl.KeyMap
	if msg.Paste || !key.Matches(msg, km.LineUp, km.LineDown, km.PageUp, km.PageDown, km.GotoTop, km.GotoBottom) {
		return false
	}
	g.tbl, _ = g.tbl.Update(msg)
	return true
}

// SetRows replaces the rows; the cursor stays in range, and on the first
// row when rows come to an empty table (bubbles leaves it at -1).
//
// Each cell is cut to its column here, by the width lipgloss pads and
// frames with (x/ansi, per grapheme cluster): bubbles cuts with
// go-runewidth, which counts an emoji with U+FE0F (❤️, ⚖️) as one column
// where lipgloss counts two, so a cell it thought fit lost its last
// column, and with it the "…" that shows the cut.
func (g *Table) SetRows(rows []table.Row) {
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

// Cursor is the index of the selected row, or -1 in an empty table.
func (g *Table) Cursor() int { return g.tbl.Cursor() }

// SetCursor selects row n.
func (g *Table) SetCursor(n int) { g.tbl.SetCursor(n) }

// Len is the number of rows.
func (g *Table) Len() int { return len(g.tbl.Rows()) }

// View draws the table.
func (g *Table) View() string { return g.tbl.View() }

// MoveKeys is the help of the table's moves: the arrows, for every key
// the table moves with.
func MoveKeys(p text.Printer) key.Binding {
	return Bind(p, p.T("ui.key.up_down"), "ui.help.move", "up", "down", "k", "j", "pgup", "pgdown", "home", "end")
}
