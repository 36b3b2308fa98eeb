package admin

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/clientportal/portal/internal/text"
	"github.com/clientportal/portal/tui/ui"
)

// pasted is what a paste of rs may put in a field that holds have of at
// most max characters (counted as the portal counts them, in code points):
// the text to insert, or the message that refuses the paste whole. A paste
// holding control characters or escape sequences, or more than the field
// has room for, is never cut or cleaned silently: the person would send
// something other than what they see in their clipboard.
func pasted(d *deps, rs []rune, have, max int, multiline bool) (string, string) {
	// string() turns runes that are no code point into U+FFFD.
	s := strings.NewReplacer("\r\n", "\n", "\r", "\n", "\t", " ").Replace(string(rs))
	if !multiline {
		s = strings.ReplaceAll(s, "\n", " ")
	}
	if text.SanitizeMultiline(s) != s {
		return "", d.p.T("admin.paste.control")
	}
	if have+utf8.RuneCountInString(s) > max {
		return "", d.p.T("admin.paste.too_long", max)
	}
	return s, ""
}

// maxTextWidth is the widest a text area is drawn: longer lines are hard
// to read, and they wrap anyway.
const maxTextWidth = 100

// textArea is a bubbles textarea drawn with the session's styles, for text
// on several lines: a note, the fields of a request type.
type textArea struct {
	d   *deps
	ta  textarea.Model
	max int // what the portal accepts, in code points
}

func newTextArea(d *deps, placeholder string, max int) *textArea {
	st := d.st
	ta := textarea.New()
	ta.Prompt = "│ "
	ta.ShowLineNumbers = false
	ta.Placeholder = placeholder
	// The textarea counts columns, not characters: the bound is for memory,
	// the portal says when a text is too long.
	ta.CharLimit = 2 * max
	// Lines are limited by the characters alone.
	ta.MaxHeight = 0
	// Every style replaced: textarea.New's come from the global renderer.
	focused := textarea.Style{
		Base:             st.Renderer.NewStyle(),
		CursorLine:       st.Field,
		CursorLineNumber: st.Subtle,
		EndOfBuffer:      st.Subtle,
		LineNumber:       st.Subtle,
		Placeholder:      st.Placeholder,
		Prompt:           st.Marker,
		Text:             st.Field,
	}
	blurred := focused
	blurred.Prompt = st.Subtle
	ta.FocusedStyle, ta.BlurredStyle = focused, blurred
	ta.Cursor.Style = st.Cursor
	ta.Cursor.TextStyle = st.Field
	// A blinking cursor would tick for every idle session.
	ta.Cursor.SetMode(cursor.CursorStatic)
	km := textarea.DefaultKeyMap
	// Ctrl+V would read the server's clipboard; Ctrl+T belongs to the
	// screens (the internal toggle), Ctrl+D and Ctrl+S too.
	km.Paste = key.Binding{}
	km.TransposeCharacterBackward = key.Binding{}
	km.DeleteCharacterForward = key.NewBinding(key.WithKeys("delete"))
	ta.KeyMap = km
	ta.Blur()
	return &textArea{d: d, ta: ta, max: max}
}

// update edits the text: a paste is checked first (the refusal is
// returned), typed runes are cleaned as every form's are.
func (t *textArea) update(msg tea.KeyMsg) (tea.Cmd, string) {
	if msg.Paste {
		s, refused := pasted(t.d, msg.Runes, utf8.RuneCountInString(t.ta.Value()), t.max, true)
		if refused != "" {
			return nil, refused
		}
		t.ta.InsertString(s)
		return nil, ""
	}
	if msg.Type == tea.KeyRunes {
		msg.Runes = ui.CleanRunes(msg.Runes)
		if len(msg.Runes) == 0 {
			return nil, ""
		}
	}
	var cmd tea.Cmd
	t.ta, cmd = t.ta.Update(msg)
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
}

// newLineInput is a one-line input drawn as the forms of tui/ui draw
// theirs, for a screen that mixes one-line fields with a textArea.
func newLineInput(st *ui.Styles, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	in.PromptStyle = st.Field
	in.TextStyle = st.Field
	in.PlaceholderStyle = st.Placeholder
	in.CompletionStyle = st.Placeholder
	in.Cursor.Style = st.Cursor
	in.Cursor.TextStyle = st.Field
	in.Cursor.SetMode(cursor.CursorStatic)
	km := textinput.DefaultKeyMap
	km.Paste = key.Binding{}
	km.AcceptSuggestion = key.Binding{}
	km.NextSuggestion = key.Binding{}
	km.PrevSuggestion = key.Binding{}
	in.KeyMap = km
	return in
}
