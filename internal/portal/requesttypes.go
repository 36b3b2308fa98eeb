package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// Limits of a request type, in characters or items.
const (
	MaxTypeNameLen    = 100
	MaxTypeDescLen    = 1000
	MaxTypeFields     = 30
	MaxFieldLabelLen  = 100
	MaxFieldChoices   = 50
	MaxFieldChoiceLen = 100
)

// Fields of the request type form and flags that errors point at.
const (
	FieldTypeName   = "type_name"
	FieldTypeDesc   = "description"
	FieldTypeFields = "fields"
)

// TypeInput is a request type as staff describe it.
type TypeInput struct {
	Name        string
	Description string
	Fields      []RequestField
	// ReadAt, for an edit, is the type's UpdatedAt when the editor read
	// it: an edit made meanwhile by someone else is then refused rather
	// than silently undone. Zero skips the check.
	ReadAt time.Time
}

// ParseFieldSpec reads one field of a request type as staff write it, on
// the command line (--field) or a line of the console's form:
//
//	Subject: text, required
//	Details: multiline
//	Deadline: date
//	Urgency: choice(Low | Normal | High), required
func ParseFieldSpec(spec string) (RequestField, error) {
	bad := refuse(FieldTypeFields, "error.type.field_spec", spec)
	label, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return RequestField{}, bad
	}
	f := RequestField{Label: strings.TrimSpace(label)}
	rest = strings.TrimSpace(rest)
	if kind, opt, ok := cutLast(rest, ","); ok && strings.EqualFold(strings.TrimSpace(opt), "required") {
		f.Required = true
		rest = strings.TrimSpace(kind)
	}
	if open := strings.IndexByte(rest, '('); open >= 0 {
		if !strings.HasSuffix(rest, ")") {
			return RequestField{}, bad
		}
		for _, c := range strings.Split(rest[open+1:len(rest)-1], "|") {
			f.Choices = append(f.Choices, strings.TrimSpace(c))
		}
		rest = strings.TrimSpace(rest[:open])
	}
	f.Kind = strings.ToLower(rest)
	return f, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// FormatFieldSpec writes f the way ParseFieldSpec reads it.
func FormatFieldSpec(f RequestField) string {
	s := f.Label + ": " + f.Kind
	if len(f.Choices) > 0 {
		s += "(" + strings.Join(f.Choices, " | ") + ")"
	}
	if f.Required {
		s += ", required"
	}
	return s
}

// validType checks a request type and returns it cleaned.
func validType(in TypeInput) (TypeInput, error) {
	var err error
	if in.Name, err = cleanText(FieldTypeName, in.Name, MaxTypeNameLen, true); err != nil {
		return in, err
	}
	if in.Description, err = cleanText(FieldTypeDesc, in.Description, MaxTypeDescLen, false); err != nil {
		return in, err
	}
	if len(in.Fields) == 0 {
		return in, refuse(FieldTypeFields, "error.type.no_fields")
	}
	if len(in.Fields) > MaxTypeFields {
		return in, refuse(FieldTypeFields, "error.type.too_many_fields", MaxTypeFields)
	}
	out := make([]RequestField, len(in.Fields))
	seen := map[string]bool{}
	for i, f := range in.Fields {
		if f, err = validField(f); err != nil {
			return in, err
		}
		if key := strings.ToLower(f.Label); seen[key] {
			return in, refuse(FieldTypeFields, "error.type.label_twice", f.Label)
		} else {
			seen[key] = true
		}
		out[i] = f
	}
	in.Fields = out
	return in, nil
}

func validField(f RequestField) (RequestField, error) {
	var err error
	if f.Label, err = cleanText(FieldTypeFields, f.Label, MaxFieldLabelLen, true); err != nil {
		return f, err
	}
	if strings.Contains(f.Label, ":") {
		return f, refuse(FieldTypeFields, "error.type.label_colon", f.Label)
	}
	if !slices.Contains(vocab.FieldKinds(), f.Kind) {
		return f, refuse(FieldTypeFields, "error.type.kind", f.Label, strings.Join(vocab.FieldKinds(), ", "))
	}
	if f.Kind != vocab.FieldChoice {
		if len(f.Choices) > 0 {
			return f, refuse(FieldTypeFields, "error.type.choices_unexpected", f.Label)
		}
		return f, nil
	}
	if len(f.Choices) < 2 || len(f.Choices) > MaxFieldChoices {
		return f, refuse(FieldTypeFields, "error.type.choices_count", f.Label, MaxFieldChoices)
	}
	seen := map[string]bool{}
	for i, c := range f.Choices {
		if c, err = cleanText(FieldTypeFields, c, MaxFieldChoiceLen, true); err != nil {
			return f, err
		}
		if strings.ContainsAny(c, "|()") || seen[strings.ToLower(c)] {
			return f, refuse(FieldTypeFields, "error.type.choice_bad", f.Label, c)
		}
		seen[strings.ToLower(c)] = true
		f.Choices[i] = c
	}
	return f, nil
}

// RequestTypes lists the request types: the enabled ones for a client, all
// of them for staff.
func (s *Service) RequestTypes(ctx context.Context, a Actor) ([]RequestType, error) {
	withDisabled := false
	if a.IsStaff() {
		if err := s.requireStaff(ctx, a); err != nil {
			return nil, err
		}
		withDisabled = true
	} else if _, err := s.activeClient(ctx, a); err != nil {
		return nil, err
	}
	types, err := s.store.ListRequestTypes(ctx, withDisabled)
	if err != nil {
		return nil, err
	}
	out := make([]RequestType, len(types))
	for i := range types {
		v, err := typeView(&types[i])
		if err != nil {
			return nil, err
		}
		out[i] = *v
	}
	return out, nil
}

// RequestType finds one request type; clients see only enabled ones.
func (s *Service) RequestType(ctx context.Context, a Actor, id uint64) (*RequestType, error) {
	if a.IsStaff() {
		if err := s.requireStaff(ctx, a); err != nil {
			return nil, err
		}
	} else if _, err := s.activeClient(ctx, a); err != nil {
		return nil, err
	}
	t, err := s.requestType(ctx, id, a.IsStaff())
	if err != nil {
		return nil, err
	}
	return typeView(t)
}

// requestType finds request type id for an actor already checked: a
// disabled one only for staff.
func (s *Service) requestType(ctx context.Context, id uint64, staff bool) (*store.RequestType, error) {
	t, err := s.store.RequestTypeByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Disabled && !staff) {
		return nil, refuse(FieldTypeName, "error.type.not_found", id)
	}
	return t, err
}

// typeToWrite is what adding or editing a request type starts with: the
// actor may (admins only), in is valid (and tidied), and its fields as
// stored.
func (s *Service) typeToWrite(ctx context.Context, a Actor, in TypeInput) (TypeInput, []byte, error) {
	if err := s.authorize(ctx, a, ActEditRequestTypes); err != nil {
		return in, nil, err
	}
	in, err := validType(in)
	if err != nil {
		return in, nil, err
	}
	fields, err := json.Marshal(in.Fields)
	if err != nil {
		return in, nil, fmt.Errorf("encode the fields of request type %q: %w", in.Name, err)
	}
	return in, fields, nil
}

// AddRequestType creates a request type. Admins only.
func (s *Service) AddRequestType(ctx context.Context, a Actor, in TypeInput) (*RequestType, error) {
	in, fields, err := s.typeToWrite(ctx, a, in)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var t *store.RequestType
	err = s.tx(ctx, func(tx *store.Store) error {
		// Afresh in each run of a retried transaction.
		t = &store.RequestType{Name: in.Name, Description: in.Description, Fields: string(fields), CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateRequestType(ctx, t); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return refuse(FieldTypeName, "error.type.exists", in.Name)
			}
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditRequestTypeAdd, t.Name, fmt.Sprintf("type %d, %d fields", t.ID, len(in.Fields)))
	})
	if err != nil {
		return nil, fmt.Errorf("add request type %q: %w", in.Name, err)
	}
	return typeView(t)
}

// EditRequestType replaces a request type's name, description and fields.
// Requests already submitted keep the fields they were submitted with.
// Admins only.
func (s *Service) EditRequestType(ctx context.Context, a Actor, id uint64, in TypeInput) (*RequestType, error) {
	in, fields, err := s.typeToWrite(ctx, a, in)
	if err != nil {
		return nil, err
	}
	var t *store.RequestType
	err = s.tx(ctx, func(tx *store.Store) error {
		if !in.ReadAt.IsZero() {
			cur, err := tx.RequestTypeByID(ctx, id)
			if err == nil && !cur.UpdatedAt.Equal(in.ReadAt) {
				return refuse(FieldTypeName, "error.type.changed", cur.Name)
			}
		}
		f := string(fields)
		err := tx.UpdateRequestType(ctx, id, store.RequestTypeUpdate{Name: &in.Name, Description: &in.Description, Fields: &f, At: s.clock()})
		switch {
		case errors.Is(err, store.ErrNotFound):
			return refuse(FieldTypeName, "error.type.not_found", id)
		case errors.Is(err, store.ErrDuplicate):
			return refuse(FieldTypeName, "error.type.exists", in.Name)
		case err != nil:
			return err
		}
		if t, err = tx.RequestTypeByID(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditRequestTypeEdit, t.Name, fmt.Sprintf("type %d, %d fields", t.ID, len(in.Fields)))
	})
	if err != nil {
		return nil, fmt.Errorf("edit request type %d: %w", id, err)
	}
	return typeView(t)
}

// SetRequestTypeDisabled hides a request type from clients' "New request"
// (disabled) or shows it again. Requests of the type stay as they are.
// Admins only.
func (s *Service) SetRequestTypeDisabled(ctx context.Context, a Actor, id uint64, disabled bool) error {
	if err := s.authorize(ctx, a, ActEditRequestTypes); err != nil {
		return err
	}
	action := vocab.AuditRequestTypeEnable
	if disabled {
		action = vocab.AuditRequestTypeDisable
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		t, err := tx.RequestTypeByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(FieldTypeName, "error.type.not_found", id)
		}
		if err != nil {
			return err
		}
		if t.Disabled == disabled {
			key := "error.type.already_enabled"
			if disabled {
				key = "error.type.already_disabled"
			}
			return refuse(FieldTypeName, key, t.Name)
		}
		if err := tx.UpdateRequestType(ctx, id, store.RequestTypeUpdate{Disabled: &disabled, At: s.clock()}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, action, t.Name, fmt.Sprintf("type %d", t.ID))
	})
	if err != nil {
		return fmt.Errorf("%s %d: %w", action, id, err)
	}
	return nil
}
