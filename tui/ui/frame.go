package ui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/text"
)

// Frame lays a screen out in exactly width x height cells: the title bar on
// the first line, the body under it, the help at the bottom. Lines too long
// are cut (escape-sequence aware) and a body too tall loses its last lines,
// so a small terminal never wraps or scrolls the screen. The help gets at
// most a third of the height; the title bar wins on a one-line terminal.
func Frame(st *Styles, width, height int, title, body, helpView string) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	out := make([]string, 0, height)
	out = append(out, titleBar(st, width, title))

	help := helpLines(height, helpView)
	bodyRows := bodyRows(height, len(help))

	// Breathing room around the body only where there is room for it.
	margin, top := 0, bodyTop(bodyRows)
	if width >= 40 {
		margin = 2
	}
	pad := strings.Repeat(" ", margin)
	var bodyLines []string
	if body != "" {
		bodyLines = strings.Split(body, "\n")
	}
	for i := 0; i < bodyRows; i++ {
		j := i - top
		if j < 0 || j >= len(bodyLines) || bodyLines[j] == "" {
			out = append(out, "")
			continue
		}
		out = append(out, fit(pad+bodyLines[j], width))
	}
	for _, l := range help {
		out = append(out, fit(pad+l, width))
	}
	return strings.Join(out, "\n")
}

// The smallest terminal the programs are designed for: a program draws
// for it until the first WindowSizeMsg, rather than not at all.
const (
	DefaultWidth  = 80
	DefaultHeight = 24
)

// BodyWidth is how many columns a program gives its screen (and its help)
// in a terminal width columns wide: the width less Frame's margin of two
// columns on each side.
func BodyWidth(width int) int { return max(1, width-4) }

// BodyHeight is how many lines of a body Frame shows in a screen height
// lines tall, under help of helpLines lines (HelpHeight): a screen fits
// itself to it.
func BodyHeight(height, helpLines int) int {
	if height <= 0 {
		return 0
	}
	rows := bodyRows(height, helpLines)
	return max(0, rows-bodyTop(rows))
}

// HelpHeight is how many lines helpView takes.
func HelpHeight(helpView string) int {
	if helpView == "" {
		return 0
	}
	return strings.Count(helpView, "\n") + 1
}

// bodyRows are the lines under the title bar and over the help, which
// gets at most a third of the height and none on a one-line terminal.
func bodyRows(height, helpLines int) int {
	if height < 2 {
		helpLines = 0
	}
	return height - 1 - min(helpLines, max(1, height/3))
}

// helpLines are the lines of help Frame keeps (see bodyRows).
func helpLines(height int, helpView string) []string {
	if height < 2 || helpView == "" {
		return nil
	}
	help := strings.Split(helpView, "\n")
	return help[:min(len(help), max(1, height/3))]
}

// bodyTop is the blank line above a body of that many rows, if it has
// room for one.
func bodyTop(bodyRows int) int {
	if bodyRows >= 8 {
		return 1
	}
	return 0
}

// titleBar is the title on a bar as wide as the screen.
func titleBar(st *Styles, width int, title string) string {
	t := ansi.Truncate(" "+text.Sanitize(title), width, ellipsis)
	t += strings.Repeat(" ", max(0, width-lipgloss.Width(t)))
	return st.TitleBar.Render(t)
}

// fit cuts a line to width columns, dropping a stray carriage return that
// would send the cursor back over the line.
func fit(line string, width int) string {
	line = strings.TrimRight(line, "\r")
	if lipgloss.Width(line) <= width {
		return line
	}
	return ansi.Truncate(line, width, ellipsis)
}
