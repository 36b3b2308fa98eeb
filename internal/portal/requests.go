package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// Limits of what a request holds, in characters.
const (
	MaxTextValueLen = 200
	MaxLongValueLen = 5000
	MaxNoteLen      = 5000
	maxSummaryLen   = 80
	// MaxThread is how many events of a request's history a page shows.
	MaxThread = 1000
)

// DateLayout is how a date field is typed and stored.
const DateLayout = "2006-01-02"

// Fields of request forms and flags that errors point at. A request's own
// fields are "field0", "field1"… in the type's order (RequestFieldName).
const (
	FieldNote     = "note"
	FieldStatus   = "status"
	FieldAssignee = "assignee"
	FieldRequest  = "request"
)

// RequestFieldName names the i-th field of a request form in errors.
func RequestFieldName(i int) string { return fmt.Sprintf("field%d", i) }

// activeClient is the logged-in client behind a, refused unless active: a
// session that outlived a disable must not keep acting.
func (s *Service) activeClient(ctx context.Context, a Actor) (*store.Client, error) {
	return s.activeClientIn(ctx, s.store, a)
}

// activeClientIn is activeClient read through st: inside a transaction,
// the transaction itself, so that it needs no second pooled connection
// (transactions waiting for a row while each needs one more connection
// would wait for each other for good once the pool is taken).
func (s *Service) activeClientIn(ctx context.Context, st *store.Store, a Actor) (*store.Client, error) {
	if a.Kind != vocab.ActorClient {
		return nil, ErrForbidden
	}
	c, err := st.ClientByID(ctx, a.ClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != vocab.StatusActive) {
		return nil, ErrForbidden
	}
	return c, err
}

// validValue checks what a client typed into field f and returns it as
// stored.
func validValue(i int, f RequestField, v string) (string, error) {
	name := RequestFieldName(i)
	switch f.Kind {
	case vocab.FieldMultiline:
		return cleanLongText(name, v, MaxLongValueLen, f.Required)
	case vocab.FieldText:
		return cleanText(name, v, MaxTextValueLen, f.Required)
	}
	v, err := cleanText(name, v, MaxTextValueLen, f.Required)
	if err != nil || v == "" {
		return v, err
	}
	if f.Kind == vocab.FieldDate {
		d, err := time.Parse(DateLayout, v)
		var pe *time.ParseError
		switch {
		case errors.As(err, &pe) && strings.HasSuffix(pe.Message, "out of range"):
			// The form is right but the day is not: 2026-02-30.
			return "", refuse(name, "error.request.no_such_date", v)
		case err != nil:
			return "", refuse(name, "error.request.date")
		case d.Year() < 1900 || d.Year() > 2200:
			return "", refuse(name, "error.request.date_range")
		}
		return d.Format(DateLayout), nil
	}
	for _, c := range f.Choices {
		if strings.EqualFold(c, v) {
			return c, nil
		}
	}
	return "", refuse(name, "error.request.choice", strings.Join(f.Choices, ", "))
}

// cleanLongText is cleanText for several lines: line breaks are kept, tabs
// become spaces, trailing spaces and blank lines at the ends are dropped,
// anything else a terminal would act on is refused.
func cleanLongText(field, s string, max int, required bool) (string, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\t", "    ")
	if !utf8.ValidString(s) || text.SanitizeMultiline(s) != s {
		return "", refuse(field, "error.field.bad_chars")
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Trim(strings.Join(lines, "\n"), "\n")
	if strings.TrimSpace(s) == "" {
		if required {
			return "", refuse(field, "error.field.required")
		}
		return "", nil
	}
	if utf8.RuneCountInString(s) > max {
		return "", refuse(field, "error.field.too_long", max)
	}
	return s, nil
}

// summarize is the line a list shows for a request: its first text value.
func summarize(values []FieldValue) string {
	for _, v := range values {
		if v.Value != "" && (v.Kind == vocab.FieldText || v.Kind == vocab.FieldMultiline) {
			line := strings.Join(strings.Fields(v.Value), " ")
			if utf8.RuneCountInString(line) > maxSummaryLen {
				line = string([]rune(line)[:maxSummaryLen-1]) + "…"
			}
			return line
		}
	}
	return ""
}

// SubmitRequest files a new request of type typeID with values in the
// type's field order, and tells the legal team. Active clients only.
func (s *Service) SubmitRequest(ctx context.Context, a Actor, typeID uint64, values []string) (*Request, error) {
	c, err := s.activeClient(ctx, a)
	if err != nil {
		return nil, err
	}
	t, stored, problems, err := s.checkRequest(ctx, typeID, values)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problems[0]
	}
	raw, err := json.Marshal(stored)
	if err != nil {
		return nil, fmt.Errorf("submit request: %w", err)
	}
	now := s.clock()
	var r *store.Request
	quota := func(st *store.Store) error { return s.checkRequestQuota(ctx, st, c, int64(len(raw)), now) }
	err = s.withinQuota(ctx, quota, func(tx *store.Store) error {
		if err := s.recheckQuota(ctx, tx, c.ID, quota); err != nil {
			return err
		}
		r = &store.Request{ // afresh in each run of a retried transaction
			ClientID: c.ID, TypeID: t.ID, TypeName: t.Name, Summary: summarize(stored), Fields: string(raw),
			Status: vocab.RequestNew, CreatedAt: now, UpdatedAt: now, ClientUpdatedAt: now, ClientSeenAt: now,
		}
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		e := &store.RequestEvent{RequestID: r.ID, At: now, Kind: vocab.EventSubmitted, AuthorKind: a.Kind, Author: c.EmailNorm, Status: r.Status}
		if err := tx.AddRequestEvent(ctx, e); err != nil {
			return err
		}
		if err := s.noticeTeam(ctx, tx, r, c, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditRequestSubmit, c.EmailNorm, fmt.Sprintf("request %d (%s)", r.ID, t.Name))
	})
	if err != nil {
		return nil, fmt.Errorf("submit request of client %d: %w", c.ID, err)
	}
	v := requestView(r)
	return &v, nil
}

// CheckRequest checks what a client typed into a request of type typeID
// without submitting it, and returns every refusal, one per field in the
// type's order, so that a form can show them all at once before the
// review. err is for anything else (an unknown type, a failure).
func (s *Service) CheckRequest(ctx context.Context, a Actor, typeID uint64, values []string) (problems []*Error, err error) {
	if _, err := s.activeClient(ctx, a); err != nil {
		return nil, err
	}
	_, _, problems, err = s.checkRequest(ctx, typeID, values)
	return problems, err
}

// checkRequest reads the type and checks every value against its field.
func (s *Service) checkRequest(ctx context.Context, typeID uint64, values []string) (*store.RequestType, []FieldValue, []*Error, error) {
	t, err := s.requestType(ctx, typeID, false) // the caller checked the client
	if err != nil {
		return nil, nil, nil, err
	}
	fields, err := typeFields(t)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(values) != len(fields) {
		// The type changed while the form was open.
		return nil, nil, []*Error{refuse(FieldRequest, "error.request.type_changed")}, nil
	}
	stored := make([]FieldValue, len(fields))
	var problems []*Error
	for i, f := range fields {
		v, err := validValue(i, f, values[i])
		if pe := AsError(err); pe != nil {
			problems = append(problems, pe)
		} else if err != nil {
			return nil, nil, nil, err
		}
		stored[i] = FieldValue{Label: f.Label, Kind: f.Kind, Value: v}
	}
	return t, stored, problems, nil
}

// MyRequests lists a page of the logged-in client's requests, the latest
// change they can see first; status "" lists them all. after is the last request of the
// previous page, or nil.
func (s *Service) MyRequests(ctx context.Context, a Actor, status string, after *Request, limit int) ([]Request, error) {
	c, err := s.activeClient(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := validRequestStatus(status, true); err != nil {
		return nil, err
	}
	q := store.RequestQuery{ClientID: c.ID, Status: status, Limit: limit}
	if after != nil {
		// The page's cursor is the order's key: what the last request
		// showed last changed, and its ID.
		q.Before = &store.Request{ID: after.ID, ClientUpdatedAt: after.ClientUpdatedAt}
	}
	reqs, err := s.store.ClientRequests(ctx, q)
	if err != nil {
		return nil, err
	}
	return requestViews(reqs), nil
}

// UnreadRequests counts the client's requests with a change not yet seen.
func (s *Service) UnreadRequests(ctx context.Context, a Actor) (int64, error) {
	c, err := s.activeClient(ctx, a)
	if err != nil {
		return 0, err
	}
	return s.store.CountUnread(ctx, c.ID)
}

func validRequestStatus(status string, emptyOK bool) error {
	if (status == "" && emptyOK) || slices.Contains(vocab.RequestStatuses(), status) {
		return nil
	}
	return refuse(FieldStatus, "error.request.status", strings.Join(vocab.RequestStatuses(), ", "))
}

// RequestView is one request as its page shows it.
type RequestView struct {
	Request
	Fields []FieldValue
	// Events is the history, oldest first; a client sees no internal ones.
	// A thread longer than MaxThread shows its latest events, and Earlier
	// says some came before.
	Events      []RequestEvent
	Earlier     bool
	ClientEmail string
	ClientName  string
	// Next lists the statuses staff may move the request to.
	Next []string
}

// RequestPage shows one request: to its client (marking it read), or to
// any staff member with internal notes. Another client's request is
// refused as if it did not exist.
func (s *Service) RequestPage(ctx context.Context, a Actor, id uint64) (*RequestView, error) {
	r, c, err := s.requestFor(ctx, s.store, a, id)
	if err != nil {
		return nil, err
	}
	events, err := s.store.RequestEvents(ctx, store.EventQuery{RequestID: r.ID, WithInternal: a.IsStaff(), Last: MaxThread + 1})
	if err != nil {
		return nil, err
	}
	v := &RequestView{Request: requestView(r), Events: eventViews(events), ClientEmail: c.Email, ClientName: c.Name}
	if len(v.Events) > MaxThread {
		v.Events, v.Earlier = v.Events[1:], true
	}
	if err := json.Unmarshal([]byte(r.Fields), &v.Fields); err != nil {
		return nil, fmt.Errorf("read fields of request %d: %w", r.ID, err)
	}
	if a.IsStaff() {
		v.Next = nextStatuses(r.Status)
	} else if r.Unread() {
		if err := s.store.MarkRequestSeen(ctx, r.ID, s.clock()); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// requestFor finds request id for a: its own client, or staff.
func (s *Service) requestFor(ctx context.Context, st *store.Store, a Actor, id uint64) (*store.Request, *store.Client, error) {
	var own *store.Client
	if a.IsStaff() {
		if err := s.requireStaff(ctx, a); err != nil {
			return nil, nil, err
		}
	} else {
		c, err := s.activeClientIn(ctx, st, a)
		if err != nil {
			return nil, nil, err
		}
		own = c
	}
	r, err := st.RequestByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && own != nil && r.ClientID != own.ID) {
		return nil, nil, refuse(FieldRequest, "error.request.not_found", id)
	}
	if err != nil {
		return nil, nil, err
	}
	if own != nil {
		return r, own, nil
	}
	c, err := st.ClientByID(ctx, r.ClientID)
	if err != nil {
		return nil, nil, fmt.Errorf("client of request %d: %w", id, err)
	}
	return r, c, nil
}

// nextStatuses lists where a request may go from status: forward through
// the work, back to in progress when the client answers, rejected at any
// time before it is done, and reopened after it ended.
func nextStatuses(status string) []string {
	switch status {
	case vocab.RequestNew:
		return []string{vocab.RequestInProgress, vocab.RequestWaiting, vocab.RequestDone, vocab.RequestRejected}
	case vocab.RequestInProgress:
		return []string{vocab.RequestWaiting, vocab.RequestDone, vocab.RequestRejected}
	case vocab.RequestWaiting:
		return []string{vocab.RequestInProgress, vocab.RequestDone, vocab.RequestRejected}
	case vocab.RequestDone, vocab.RequestRejected:
		return []string{vocab.RequestInProgress}
	}
	return nil
}

// SetRequestStatus moves a request to status and tells the client. Any
// staff member.
func (s *Service) SetRequestStatus(ctx context.Context, a Actor, id uint64, status string) error {
	if !a.IsStaff() {
		return ErrForbidden
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		// requestFor checks the staff key first, so a removed key is
		// refused as such whatever the status says.
		r, c, err := s.requestFor(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := validRequestStatus(status, false); err != nil {
			return err
		}
		if next := nextStatuses(r.Status); !slices.Contains(next, status) {
			return refuse(FieldStatus, "error.request.transition", r.ID, r.Status, status, strings.Join(next, ", "))
		}
		now := s.clock()
		if err := tx.UpdateRequest(ctx, r.ID, store.RequestUpdate{Status: &status, UpdatedAt: &now, ClientUpdatedAt: &now}); err != nil {
			return err
		}
		e := &store.RequestEvent{RequestID: r.ID, At: now, Kind: vocab.EventStatus, AuthorKind: a.Kind, Author: a.Name, Status: status}
		if err := tx.AddRequestEvent(ctx, e); err != nil {
			return err
		}
		if err := s.noticeClient(ctx, tx, r, c, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditRequestStatus, c.EmailNorm, fmt.Sprintf("request %d: %s → %s", r.ID, r.Status, status))
	})
	if err != nil {
		return fmt.Errorf("set status of request %d: %w", id, err)
	}
	return nil
}

// AssignRequest gives a request to a staff member by name, or to no one
// when name is "". Any staff member; the client is not told.
func (s *Service) AssignRequest(ctx context.Context, a Actor, id uint64, name string) error {
	if !a.IsStaff() {
		return ErrForbidden
	}
	name = strings.TrimSpace(name)
	err := s.tx(ctx, func(tx *store.Store) error {
		r, c, err := s.requestFor(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if name != "" {
			// No staff name is invalid UTF-8 (PostgreSQL would not
			// even take it in a query).
			if !utf8.ValidString(name) {
				return refuse(FieldAssignee, "error.staff.not_found", name)
			}
			if n, err := tx.CountStaffNamed(ctx, name); err != nil {
				return err
			} else if n == 0 {
				return refuse(FieldAssignee, "error.staff.not_found", name)
			}
		}
		if r.Assignee == name {
			return nil
		}
		now := s.clock()
		if err := tx.UpdateRequest(ctx, r.ID, store.RequestUpdate{Assignee: &name, UpdatedAt: &now}); err != nil {
			return err
		}
		e := &store.RequestEvent{RequestID: r.ID, At: now, Kind: vocab.EventAssign, AuthorKind: a.Kind, Author: a.Name, Body: name, Internal: true}
		if err := tx.AddRequestEvent(ctx, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditRequestAssign, c.EmailNorm, fmt.Sprintf("request %d: %q → %q", r.ID, r.Assignee, name))
	})
	if err != nil {
		return fmt.Errorf("assign request %d: %w", id, err)
	}
	return nil
}

// AddNote adds a note to a request's thread. A client's note goes to the
// legal team; a staff note goes to the client unless internal.
func (s *Service) AddNote(ctx context.Context, a Actor, id uint64, body string, internal bool) error {
	body, err := cleanLongText(FieldNote, body, MaxNoteLen, true)
	if err != nil {
		return err
	}
	if internal && !a.IsStaff() {
		return ErrForbidden
	}
	now := s.clock()
	var quota func(st *store.Store) error
	add := func(tx *store.Store) error {
		r, c, err := s.requestFor(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if quota != nil {
			if err := s.recheckQuota(ctx, tx, c.ID, quota); err != nil {
				return err
			}
		}
		u := store.RequestUpdate{UpdatedAt: &now}
		if !internal {
			u.ClientUpdatedAt = &now
		}
		if !a.IsStaff() {
			u.ClientSeenAt = &now // their own note is no news to them
		}
		if err := tx.UpdateRequest(ctx, r.ID, u); err != nil {
			return err
		}
		e := &store.RequestEvent{RequestID: r.ID, At: now, Kind: vocab.EventNote, AuthorKind: a.Kind, Author: a.Name, Body: body, Internal: internal}
		if err := tx.AddRequestEvent(ctx, e); err != nil {
			return err
		}
		if !a.IsStaff() && r.Status == vocab.RequestWaiting {
			// The client answered what the team waited for: the ball is
			// back with the team.
			if err := s.answered(ctx, tx, r, a, now); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("request %d", r.ID)
		switch {
		case internal:
			detail += ", internal"
		case a.IsStaff():
			err = s.noticeClient(ctx, tx, r, c, e)
		default:
			err = s.noticeTeam(ctx, tx, r, c, e)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, vocab.AuditRequestNote, c.EmailNorm, detail)
	}
	// The legal team's notes have no quota: the quotas keep one client
	// from flooding the team, not the team from answering.
	if !a.IsStaff() {
		c, err := s.activeClient(ctx, a)
		if err != nil {
			return err
		}
		quota = func(st *store.Store) error { return s.checkNoteQuota(ctx, st, c, id, int64(len(body)), now) }
	}
	err = s.withinQuota(ctx, quota, add)
	if err != nil {
		return fmt.Errorf("add note to request %d: %w", id, err)
	}
	return nil
}

// answered moves a request waiting on its client back to in progress, as
// the client's own step in its history.
func (s *Service) answered(ctx context.Context, tx *store.Store, r *store.Request, a Actor, now time.Time) error {
	status := vocab.RequestInProgress
	if err := tx.UpdateRequest(ctx, r.ID, store.RequestUpdate{Status: &status}); err != nil {
		return err
	}
	e := &store.RequestEvent{RequestID: r.ID, At: now, Kind: vocab.EventStatus, AuthorKind: a.Kind, Author: a.Name, Status: status}
	if err := tx.AddRequestEvent(ctx, e); err != nil {
		return err
	}
	return s.audit(ctx, tx, a, vocab.AuditRequestStatus, a.Name, fmt.Sprintf("request %d: %s → %s (the client answered)", r.ID, r.Status, status))
}

// QueueFilter selects part of the staff queue. Zero fields do not filter.
type QueueFilter struct {
	Status string
	TypeID uint64
	// Client is a client's email.
	Client string
	// Assignee is a staff name, or "-" for requests assigned to no one.
	Assignee string
	BeforeID uint64
	Limit    int
}

// Unassigned is the QueueFilter.Assignee of requests assigned to no one.
const Unassigned = "-"

// QueueRow is a line of the staff queue.
type QueueRow struct {
	Request
	ClientEmail string
	ClientName  string
}

// RequestQueue lists a page of requests for staff, newest first.
func (s *Service) RequestQueue(ctx context.Context, a Actor, f QueueFilter) ([]QueueRow, error) {
	if err := s.requireStaff(ctx, a); err != nil {
		return nil, err
	}
	if err := validRequestStatus(f.Status, true); err != nil {
		return nil, err
	}
	q := store.RequestQuery{TypeID: f.TypeID, Status: f.Status, BeforeID: f.BeforeID, Limit: f.Limit}
	switch f.Assignee {
	case "":
	case Unassigned:
		q.Unassigned = true
	default:
		q.Assignee = f.Assignee
	}
	if strings.TrimSpace(f.Client) != "" {
		c, err := s.clientByEmail(ctx, s.store, f.Client)
		if err != nil {
			return nil, err
		}
		q.ClientID = c.ID
	}
	reqs, err := s.store.ListRequests(ctx, q)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, 0, len(reqs))
	for _, r := range reqs {
		ids = append(ids, r.ClientID)
	}
	clients, err := s.store.ClientsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]QueueRow, len(reqs))
	for i, r := range reqs {
		c := clients[r.ClientID]
		out[i] = QueueRow{Request: requestView(&r), ClientEmail: c.Email, ClientName: c.Name}
	}
	return out, nil
}
