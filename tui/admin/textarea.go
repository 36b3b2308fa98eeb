package admin

import (
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// cleanKey readies a key for a field of the console as every form of the
// portal does (ui.CleanKey: control characters and escape sequences are
// dropped, a paste goes in as the text it shows). A paste longer than the
// field has room for, have of at most max characters (counted as the
// portal counts them, in code points), is refused whole rather than cut:
// the person would send something other than what they pasted. ok is
// false when nothing is left to type; refused is the refusal, or "".
func cleanKey(d *deps, msg tea.KeyMsg, multiline bool, have, max int) (km tea.KeyMsg, ok bool, refused string) {
	km, ok = ui.CleanKey(msg, multiline)
	if ok && km.Paste && have+len(km.Runes) > max {
		return km, false, d.p.T("admin.paste.too_long", max)
	}
	return km, ok, ""
}

// maxTextWidth is the widest a text area is drawn: longer lines are hard
// to read, and they wrap anyway.
const maxTextWidth = 100

// textArea is tui/ui's text area, for text on several lines on a screen
// that lays its fields out itself: a note, the fields of a request type.
type textArea struct {
	d   *deps
	ta  *textarea.Model
	max int // what the portal accepts, in code points
}

func newTextArea(d *deps, placeholder string, max int) *textArea {
	// The textarea counts columns, not characters: the bound is for memory,
	// the portal says when a text is too long.
	ta := ui.NewTextArea(d.st, placeholder, 2*max, 0)
	// Ctrl+T belongs to the screens (the visibility of a note), Ctrl+D and
	// Ctrl+S too.
	ta.KeyMap.TransposeCharacterBackward = key.Binding{}
	ta.KeyMap.DeleteCharacterForward = key.NewBinding(key.WithKeys("delete"))
	return &textArea{d: d, ta: ta, max: max}
}

// update edits the text; a paste too long for the field is refused (the
// refusal is returned).
func (t *textArea) update(msg tea.KeyMsg) (tea.Cmd, string) {
	msg, ok, refused := cleanKey(t.d, msg, true, t.length(), t.max)
	if !ok {
		return nil, refused
	}
	var cmd tea.Cmd
	*t.ta, cmd = t.ta.Update(msg)
	ui.SettleTextArea(t.ta)
	return cmd, ""
}

func (t *textArea) value() string     { return t.ta.Value() }
func (t *textArea) length() int       { return utf8.RuneCountInString(t.ta.Value()) }
func (t *textArea) focus() tea.Cmd    { return t.ta.Focus() }
func (t *textArea) blur()             { t.ta.Blur() }
func (t *textArea) view() string      { return t.ta.View() }
func (t *textArea) setValue(s string) { t.ta.SetValue(text.SanitizeMultiline(s)) }

// setSize gives the text w columns (the prompt included) and h lines, at
// least three.
func (t *textArea) setSize(w, h int) {
	t.ta.SetWidth(max(4, w))
	t.ta.SetHeight(max(3, h))
	ui.SettleTextArea(t.ta)
}
