package portal

import (
	"errors"
	"fmt"

	"github.com/clientportal/portal/internal/auth"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// Error is a refusal a person should read: a catalog key, the form field it
// belongs to (or "" for the whole form), and the arguments of the message.
// Anything else a method returns is an internal failure, shown as the
// catalog's generic "something went wrong" and logged in full.
type Error struct {
	Key   string
	Field string
	Args  []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (field %s)", e.Key, e.Field)
	}
	return e.Key
}

// Form fields that errors point at. The TUI forms and the command flags use
// the same names.
const (
	FieldEmail     = "email"
	FieldName      = "name"
	FieldCompany   = "company"
	FieldPhone     = "phone"
	FieldPassword  = "password"
	FieldRepeat    = "repeat"
	FieldCurrent   = "current"
	FieldCode      = "code"
	FieldToken     = "token"
	FieldStaffName = "staff_name"
	FieldRole      = "role"
	FieldKey       = "key"
)

// Is makes a refusal match, with errors.Is, a sentinel of the same catalog
// key (ErrForbidden, ErrAwaitingApproval): the doors ask what kind of
// refusal they got without comparing keys, whatever field or arguments it
// carries. A target that names a field matches only that field.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Key != e.Key {
		return false
	}
	return t.Field == "" || t.Field == e.Field
}

func refuse(field, key string, args ...any) *Error {
	return &Error{Key: key, Field: field, Args: args}
}

// Sentinels of the refusals a door acts on, to test with errors.Is.
var (
	// ErrForbidden is returned when the actor's role may not do the
	// action (see Can).
	ErrForbidden = &Error{Key: "error.forbidden"}
	// ErrAwaitingApproval answers a verified sign-up while sign-up needs
	// approval: the account now waits for staff.
	ErrAwaitingApproval = &Error{Key: KeyAwaitingApproval}
	// ErrUnknownStaffKey answers a key that no staff member owns, or no
	// longer owns (removed since the connection's handshake).
	ErrUnknownStaffKey = &Error{Key: "error.staff.key_unknown"}
)

// AsError returns the *Error in err's chain, or nil.
func AsError(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// Message is what a person reads for err in p's language: the refusal's own
// message, or the generic internal-error text for anything else.
func Message(p text.Printer, err error) string {
	if pe := AsError(err); pe != nil {
		// Arguments are often what someone typed or stored: clean them
		// here, once, for every screen and command that shows a refusal.
		args := make([]any, len(pe.Args))
		for i, a := range pe.Args {
			if s, ok := a.(string); ok {
				a = text.Sanitize(s)
			}
			args[i] = a
		}
		return p.T(pe.Key, args...)
	}
	return p.T(InternalKey(err))
}

// InternalKey is the catalog key for a failure that is not a refusal: the
// disk being full says so, since only freeing space helps; a hashing pool
// that would not take the password (auth.ErrBusy) says to try again soon,
// since nothing is wrong but the load; anything else is the generic
// "something went wrong".
func InternalKey(err error) string {
	if store.IsStorageFull(err) {
		return "common.error.storage_full"
	}
	if errors.Is(err, auth.ErrBusy) {
		return "common.error.busy"
	}
	return "common.error.internal"
}

// FieldOf names the form field err belongs to, or "".
func FieldOf(err error) string {
	if pe := AsError(err); pe != nil {
		return pe.Field
	}
	return ""
}
