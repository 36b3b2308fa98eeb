package ui

import (
	"context"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/clientportal/portal/internal/text"
)

const (
	// DefaultCharLimit caps a field when Field.CharLimit is 0. It is far
	// above any real name, email or password (policy stops at 128) and low
	// enough that a runaway paste is cut rather than stored.
	DefaultCharLimit = 256

	// DefaultLines is the height of a Multiline field when Field.Lines is 0.
	DefaultLines = 4

	defaultFormWidth = 76 // an 80-column frame less its margins
	maxInputWidth    = 48 // wider inputs only make the eye travel
	maxAreaWidth     = 64 // a text area may be wider: it holds sentences
	minAreaWidth     = 32 // narrower, it goes under its label
	minInputWidth    = 16 // below this, labels go above their inputs
	labelGap         = 2
)

// Field describes one input of a form.
type Field struct {
	Key         string // names the field for Value, SetValue, SetError, Focus
	Label       string // from the catalog
	Placeholder string // from the catalog; may be empty
	Password    bool   // masked, never echoed
	CharLimit   int    // in code points; 0 means DefaultCharLimit
	Optional    bool   // MissingRequired skips it

	// Multiline makes the field a text area of Lines rows (DefaultLines
	// when 0): Enter, Up and Down edit in it, and only Tab and Shift+Tab
	// leave it, so the screen must offer another way to send the form.
	Multiline bool
	Lines     int
	// Choices makes the field a chooser of one of them: Left and Right (or
	// Space) step through the choices, a letter picks the next one starting
	// with it, Backspace clears it. Its value is the choice,
	// or "" before one is made.
	Choices []string
}

// FormEvent is what a key did to the form as a whole.
type FormEvent int

// The form events.
const (
	FormNone   FormEvent = iota // nothing for the screen to do
	FormSubmit                  // Enter on the last field
	FormBack                    // Esc
)

type formField struct {
	Field
	input  textinput.Model
	area   *textarea.Model // Multiline fields only
	choice int             // index in Choices, -1 for none; Choices fields only
	err    string

	// blurredArea is the last drawing of the text area while it had no
	// focus. Drawing a full area costs milliseconds, and a form is drawn
	// several times per key typed in another field.
	blurredArea struct {
		key   areaViewKey
		lines []string
	}
}

// areaViewKey is what a text area's drawing depends on while it has no
// focus (its styles are set once, when it is made).
type areaViewKey struct {
	value         string
	width, height int
	line          int
	info          textarea.LineInfo
}

func (fd *formField) isChoice() bool { return len(fd.Choices) > 0 }

// Form is a column of text inputs with labels and errors. It is used by
// pointer (*Form): the screen keeps one and calls Update and View on it, and
// its setters change it in place.
type Form struct {
	st      *Styles
	keys    FormKeyMap
	fields  []formField
	focus   int
	formErr string
	width   int
	labelW  int
	inline  bool // labels left of the inputs, or above them when narrow
	// areaBelow puts text areas under their labels even when inline.
	areaBelow bool
}

// NewForm makes a form of the fields in order, focused on the first.
func NewForm(st *Styles, p text.Printer, fields ...Field) *Form {
	f := &Form{st: st, keys: newFormKeyMap(p), width: defaultFormWidth}
	for _, fd := range fields {
		if fd.CharLimit <= 0 {
			fd.CharLimit = DefaultCharLimit
		}
		ff := formField{Field: fd, input: newInput(st, fd), choice: -1}
		if fd.Multiline {
			ff.area = newArea(st, fd)
		}
		f.fields = append(f.fields, ff)
		f.labelW = max(f.labelW, lipgloss.Width(fd.Label))
	}
	f.layout()
	f.focusIndex(0)
	return f
}

func newInput(st *Styles, fd Field) textinput.Model {
	in := NewLineInput(st, fd.Placeholder, fd.CharLimit)
	if fd.Password {
		in.EchoMode = textinput.EchoPassword
		in.EchoCharacter = st.Mask
	}
	return in
}

// UpdateLineInput is in.Update without bubbles v1.0.0's panic: deleting
// the word forward (alt+d, alt+delete) with the cursor on the last
// character indexes past the end and kills the session.
func UpdateLineInput(in textinput.Model, msg tea.Msg) (textinput.Model, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok && key.Matches(km, in.KeyMap.DeleteWordForward) {
		runes := []rune(in.Value())
		if pos := in.Position(); pos == len(runes)-1 {
			in.SetValue(string(runes[:pos]))
			in.CursorEnd()
			return in, nil
		}
	}
	return in.Update(msg)
}

// NewLineInput makes a one-line text input drawn as every form's inputs
// are, for a screen that lays its fields out itself. Keys reach it cleaned
// by CleanKey, as in a Form.
func NewLineInput(st *Styles, placeholder string, charLimit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = charLimit
	// Every style replaced: textinput.New's come from the global renderer.
	in.PromptStyle = st.Field
	in.TextStyle = st.Field
	in.PlaceholderStyle = st.Placeholder
	in.CompletionStyle = st.Placeholder
	in.Cursor.Style = st.Cursor
	in.Cursor.TextStyle = st.Field
	// A blinking cursor sends a message every half second to every idle
	// session; a static one costs nothing.
	in.Cursor.SetMode(cursor.CursorStatic)
	km := textinput.DefaultKeyMap
	// Ctrl+V would read the clipboard of the server, not the client's; the
	// client's terminal pastes on its own. Tab, Up and Down belong to the
	// form, and fields have no suggestions anyway.
	km.Paste = key.Binding{}
	km.AcceptSuggestion = key.Binding{}
	km.NextSuggestion = key.Binding{}
	km.PrevSuggestion = key.Binding{}
	in.KeyMap = km
	return in
}

// Keys returns the form's key bindings, for help.
func (f *Form) Keys() FormKeyMap { return f.keys }

// Update handles a message: moving between fields, submitting, going back,
// or editing the focused field. Typed and pasted runes are cleaned by
// CleanRunes before the field sees them; textinput then drops the U+FFFD
// that invalid input became, so a field never holds one.
func (f *Form) Update(msg tea.Msg) (FormEvent, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return FormNone, f.updateFocused(msg)
	}
	n := len(f.fields)
	// A paste is text, never a command, even when it reads "enter".
	if !km.Paste {
		if f.focusedArea() && (km.Type == tea.KeyEnter || km.Type == tea.KeyUp || km.Type == tea.KeyDown) {
			// In a text area these edit: a new line, the line above or below.
			return FormNone, f.updateFocused(km)
		}
		switch {
		case key.Matches(km, f.keys.Back):
			return FormBack, nil
		case key.Matches(km, f.keys.Enter):
			if f.focus >= n-1 {
				return FormSubmit, nil
			}
			return FormNone, f.focusIndex(f.focus + 1)
		case key.Matches(km, f.keys.Next):
			if n == 0 {
				return FormNone, nil
			}
			return FormNone, f.focusIndex((f.focus + 1) % n)
		case key.Matches(km, f.keys.Prev):
			if n == 0 {
				return FormNone, nil
			}
			return FormNone, f.focusIndex((f.focus + n - 1) % n)
		}
	}
	km, ok = CleanKey(km, f.focusedArea())
	if !ok {
		return FormNone, nil
	}
	return FormNone, f.updateFocused(km)
}

// focusedArea reports whether the focused field is a text area.
func (f *Form) focusedArea() bool {
	return f.focus >= 0 && f.focus < len(f.fields) && f.fields[f.focus].area != nil
}

func (f *Form) updateFocused(msg tea.Msg) tea.Cmd {
	if f.focus < 0 || f.focus >= len(f.fields) {
		return nil
	}
	fd := &f.fields[f.focus]
	before := fd.value()
	var cmd tea.Cmd
	switch {
	case fd.area != nil:
		*fd.area, cmd = fd.area.Update(msg)
		SettleTextArea(fd.area)
	case fd.isChoice():
		if km, ok := msg.(tea.KeyMsg); ok {
			fd.choose(km)
		}
	default:
		fd.input, cmd = UpdateLineInput(fd.input, msg)
	}
	if fd.value() != before {
		// The person is fixing what the error was about: it no longer
		// describes what the field holds.
		fd.err = ""
	}
	return cmd
}

func (f *Form) focusIndex(i int) tea.Cmd {
	if i < 0 || i >= len(f.fields) {
		return nil
	}
	for j := range f.fields {
		f.fields[j].input.Blur()
		if a := f.fields[j].area; a != nil {
			a.Blur()
		}
	}
	f.focus = i
	if a := f.fields[i].area; a != nil {
		return a.Focus()
	}
	return f.fields[i].input.Focus()
}

func (f *Form) index(key string) int {
	for i := range f.fields {
		if f.fields[i].Key == key {
			return i
		}
	}
	return -1
}

// Value returns what is typed in the field (the choice made, for a
// chooser), or "" for an unknown key.
func (f *Form) Value(key string) string {
	if i := f.index(key); i >= 0 {
		return f.fields[i].value()
	}
	return ""
}

func (fd *formField) value() string {
	switch {
	case fd.area != nil:
		return fd.area.Value()
	case fd.isChoice():
		if fd.choice < 0 {
			return ""
		}
		return fd.Choices[fd.choice]
	}
	return fd.input.Value()
}

// SetValue fills a field, sanitized and cut to its CharLimit; a chooser
// takes the choice equal to v but for case, or none.
func (f *Form) SetValue(key, v string) {
	i := f.index(key)
	if i < 0 {
		return
	}
	fd := &f.fields[i]
	switch {
	case fd.area != nil:
		fd.area.SetValue(string(cleanAreaRunes([]rune(v))))
	case fd.isChoice():
		fd.choice = fd.find(v)
	default:
		fd.input.SetValue(text.Sanitize(v))
		fd.input.CursorEnd()
	}
}

// SetError shows msg under the field named key; "" clears it. Key "" (or a
// key the form does not have, so that no error is ever lost) sets the
// form-level error shown below the fields.
func (f *Form) SetError(key, msg string) {
	if i := f.index(key); i >= 0 && key != "" {
		f.fields[i].err = msg
		return
	}
	f.formErr = msg
}

// ClearErrors clears every field's error and the form-level one.
func (f *Form) ClearErrors() {
	for i := range f.fields {
		f.fields[i].err = ""
	}
	f.formErr = ""
}

// Focus moves the focus to the field named key.
func (f *Form) Focus(key string) tea.Cmd {
	return f.focusIndex(f.index(key))
}

// Focused returns the key of the focused field ("" for an empty form).
func (f *Form) Focused() string {
	if f.focus < len(f.fields) {
		return f.fields[f.focus].Key
	}
	return ""
}

// SetWidth sets the columns the form may use.
func (f *Form) SetWidth(w int) {
	f.width = max(w, 1)
	f.layout()
}

// Reset clears every value and error and focuses the first field.
func (f *Form) Reset() {
	for i := range f.fields {
		f.fields[i].input.Reset()
		if a := f.fields[i].area; a != nil {
			a.Reset()
		}
		f.fields[i].choice = -1
	}
	f.ClearErrors()
	f.focusIndex(0)
}

// Submit starts on r, for owner, the call submit makes of the form's
// values, once every required field is filled in; else the empty ones say
// so, the first has the focus and nothing runs (nil). What the last try
// showed is cleared first.
func Submit[T any](r *Runner, owner Screen, f *Form, p text.Printer, submit func(*Form) func(context.Context) (T, error)) tea.Cmd {
	f.ClearErrors()
	if f.MissingRequired(p) {
		return nil
	}
	return Run(r, owner, submit(f))
}

// MissingRequired sets the "required" error on each empty (or blank)
// field that is not optional, moves the focus to the first of them, and
// reports whether there was any.
func (f *Form) MissingRequired(p text.Printer) bool {
	first := -1
	for i := range f.fields {
		fd := &f.fields[i]
		if fd.Optional || strings.TrimSpace(fd.value()) != "" {
			continue
		}
		fd.err = p.T("ui.error.required")
		if first < 0 {
			first = i
		}
	}
	if first >= 0 {
		f.focusIndex(first)
	}
	return first >= 0
}

// layout decides where labels go and how wide inputs are for the width.
func (f *Form) layout() {
	indent := len(noMarker) + f.labelW + labelGap
	f.inline = f.width-indent-1 >= minInputWidth
	if !f.inline {
		indent = len(noMarker)
	}
	// textinput draws up to Width columns plus one for the cursor.
	w := min(maxInputWidth, max(1, f.width-indent-1))
	aw := min(maxAreaWidth, max(1, f.width-indent))
	// Long labels leave a text area too narrow to write in beside them:
	// then it goes under its label, as wide as the form.
	f.areaBelow = f.inline && aw < minAreaWidth
	if f.areaBelow {
		aw = min(maxAreaWidth, max(1, f.width-len(noMarker)))
	}
	for i := range f.fields {
		f.fields[i].input.Width = w
		if a := f.fields[i].area; a != nil {
			a.SetWidth(aw)
			SettleTextArea(a) // its lines wrap anew
		}
	}
}
