package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/clientportal/portal/internal/text"
)

// Radio marks of a chooser: the chosen one, the others. A plain terminal
// gets ASCII, as for the password mask.
const (
	radioOn         = "(•)"
	radioOnPlain    = "(*)"
	radioOff        = "( )"
	choiceGap       = "  "
	choiceMoreLeft  = ellipsis + " "
	choiceMoreRight = " " + ellipsis
	areaPrompt      = "│ "
)

// newArea makes the text area of a Multiline field.
func newArea(st *Styles, fd Field) *textarea.Model {
	return NewTextArea(st, fd.Placeholder, fd.CharLimit, fd.Lines)
}

// NewTextArea makes a text area of lines rows (DefaultLines when 0) drawn
// as a Multiline field's, styled entirely from the session's styles
// (textarea.New's come from the global renderer), for a screen that lays
// its fields out itself. Keys reach it cleaned by CleanKey, as in a Form.
// charLimit bounds the text as textarea counts it: in columns, a line
// break counting one.
func NewTextArea(st *Styles, placeholder string, charLimit, lines int) *textarea.Model {
	a := textarea.New()
	a.Prompt = areaPrompt
	a.ShowLineNumbers = false
	a.Placeholder = placeholder
	a.CharLimit = charLimit
	// MaxHeight caps the lines one may type, not only the rows shown: no
	// cap but CharLimit, so a long letter pasted in is kept whole.
	a.MaxHeight = 0
	r := st.Renderer
	style := textarea.Style{
		Base:             r.NewStyle(),
		CursorLine:       st.Field,
		CursorLineNumber: st.Subtle,
		EndOfBuffer:      st.Subtle,
		LineNumber:       st.Subtle,
		Placeholder:      st.Placeholder,
		Prompt:           st.Subtle,
		Text:             st.Field,
	}
	a.BlurredStyle = style
	style.Prompt = st.Marker
	a.FocusedStyle = style
	a.Cursor.Style = st.Cursor
	a.Cursor.TextStyle = st.Field
	a.Cursor.SetMode(cursor.CursorStatic)
	km := textarea.DefaultKeyMap
	// As in NewLineInput: Ctrl+V would read the server's clipboard.
	km.Paste = key.Binding{}
	a.KeyMap = km
	if lines <= 0 {
		lines = DefaultLines
	}
	a.SetHeight(lines)
	a.Blur() // points the area at the styles set above
	return &a
}

// cleanAreaRunes is CleanRunes for a text area: line breaks are kept, as
// "\n" whichever of CR LF, CR or LF the terminal sent.
func cleanAreaRunes(rs []rune) []rune {
	if len(rs) == 0 {
		return rs
	}
	s := strings.ReplaceAll(string(rs), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return []rune(text.SanitizeMultiline(s))
}

// find is the index of the choice equal to v but for case and spaces
// around it, or -1.
func (fd *formField) find(v string) int {
	v = strings.TrimSpace(text.Sanitize(v))
	for i, c := range fd.Choices {
		if strings.EqualFold(c, v) {
			return i
		}
	}
	return -1
}

// choose applies a key to a chooser.
func (fd *formField) choose(km tea.KeyMsg) {
	n := len(fd.Choices)
	switch {
	case km.Paste:
		if i := fd.find(string(km.Runes)); i >= 0 {
			fd.choice = i
		}
	case km.Type == tea.KeyRight || km.Type == tea.KeySpace:
		fd.choice = (fd.choice + 1) % n
	case km.Type == tea.KeyLeft:
		if fd.choice <= 0 {
			fd.choice = n - 1
		} else {
			fd.choice--
		}
	case km.Type == tea.KeyBackspace || km.Type == tea.KeyDelete:
		fd.choice = -1
	case km.Type == tea.KeyRunes && len(km.Runes) == 1:
		// The next choice that starts with the letter, after the chosen one.
		for step := 1; step <= n; step++ {
			i := (fd.choice + step + n) % n
			if r, _ := utf8.DecodeRuneInString(fd.Choices[i]); unicode.ToLower(r) == unicode.ToLower(km.Runes[0]) {
				fd.choice = i
				return
			}
		}
	case km.Type == tea.KeyRunes:
		if i := fd.find(string(km.Runes)); i >= 0 {
			fd.choice = i
		}
	}
}

// choiceView draws a chooser's choices on one line of at most w columns,
// the chosen one marked; when they do not all fit, the line shows the
// ones around the chosen one with an ellipsis where some are left out.
func (f *Form) choiceView(fd *formField, w int) string {
	on := radioOn
	if f.st.Plain {
		on = radioOnPlain
	}
	items := make([]string, len(fd.Choices))
	widths := make([]int, len(fd.Choices))
	for i, c := range fd.Choices {
		c = text.Sanitize(c)
		if i == fd.choice {
			items[i] = f.st.Marker.Render(on) + " " + f.st.MenuSelected.Render(c)
		} else {
			items[i] = f.st.Placeholder.Render(radioOff) + " " + f.st.Field.Render(c)
		}
		widths[i] = lipgloss.Width(radioOff) + 1 + lipgloss.Width(c)
	}
	span := func(from, to int) int { // columns of items[from:to] with gaps
		n := 0
		for i := from; i < to; i++ {
			n += widths[i]
			if i > from {
				n += len(choiceGap)
			}
		}
		return n
	}
	if span(0, len(items)) <= w {
		return strings.Join(items, choiceGap)
	}
	room := max(1, w-lipgloss.Width(choiceMoreLeft)-lipgloss.Width(choiceMoreRight))
	from := max(0, fd.choice)
	to := from + 1
	for to < len(items) && span(from, to+1) <= room {
		to++
	}
	for from > 0 && span(from-1, to) <= room {
		from--
	}
	line := strings.Join(items[from:to], choiceGap)
	if from > 0 {
		line = f.st.Subtle.Render(choiceMoreLeft) + line
	}
	if to < len(items) {
		line += f.st.Subtle.Render(choiceMoreRight)
	}
	if lipgloss.Width(line) > w { // one choice wider than the room
		line = ansi.Truncate(line, w, ellipsis)
	}
	return line
}

// settle changes nothing; SettleTextArea hands it to a text area.
type settle struct{}

// SettleTextArea scrolls a text area to its cursor's line against the
// lines it holds now. bubbles' text area scrolls in its Update, but against
// the lines it laid out when last drawn, so after a paste of many lines, or
// a new width, it stopped short and showed lines from the middle. Drawing
// it, then handing it a message that changes nothing, scrolls it again.
// Call it from Update or a size change, never from View.
func SettleTextArea(ta *textarea.Model) {
	ta.View()
	*ta, _ = ta.Update(settle{})
}
