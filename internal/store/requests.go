package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateRequestType inserts t, filling its normalized name. A name already
// taken, in any case, gives ErrDuplicate.
func (s *Store) CreateRequestType(ctx context.Context, t *RequestType) error {
	t.NameNorm = NormalizeSearch(t.Name)
	if err := s.with(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create request type: %w", duplicate(err))
	}
	return nil
}

// RequestTypeUpdate names the columns of a request type to change; nil
// fields stay.
type RequestTypeUpdate struct {
	Name, Description, Fields *string
	Disabled                  *bool
	At                        time.Time
}

// UpdateRequestType changes the named columns of type id.
func (s *Store) UpdateRequestType(ctx context.Context, id uint64, u RequestTypeUpdate) error {
	cols := map[string]any{"updated_at": u.At}
	if u.Name != nil {
		cols["name"] = *u.Name
		cols["name_norm"] = NormalizeSearch(*u.Name)
	}
	if u.Description != nil {
		cols["description"] = *u.Description
	}
	if u.Fields != nil {
		cols["fields"] = *u.Fields
	}
	if u.Disabled != nil {
		cols["disabled"] = *u.Disabled
	}
	res := s.with(ctx).Model(&RequestType{}).Where("id = ?", id).UpdateColumns(cols)
	if res.Error != nil {
		return fmt.Errorf("update request type %d: %w", id, duplicate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update request type %d: %w", id, ErrNotFound)
	}
	return nil
}

// RequestTypeByID finds a request type.
func (s *Store) RequestTypeByID(ctx context.Context, id uint64) (*RequestType, error) {
	var t RequestType
	if err := s.with(ctx).Take(&t, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// ListRequestTypes lists the request types by name, the disabled ones too
// when asked. Types are few (a firm has tens, not thousands), so they are
// listed whole.
func (s *Store) ListRequestTypes(ctx context.Context, withDisabled bool) ([]RequestType, error) {
	var out []RequestType
	q := s.with(ctx).Order("name_norm, id").Limit(1000)
	if !withDisabled {
		q = q.Where("disabled = ?", false)
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list request types: %w", err)
	}
	return out, nil
}

// CreateRequest inserts r.
func (s *Store) CreateRequest(ctx context.Context, r *Request) error {
	if err := s.with(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("create request: %w", err)
	}
	return nil
}

// RequestByID finds a request. On PostgreSQL, inside a transaction, the row
// stays locked until it ends, so two changes to one request queue their
// notice one after the other.
func (s *Store) RequestByID(ctx context.Context, id uint64) (*Request, error) {
	var r Request
	q := s.with(ctx)
	if s.dialect == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&r, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// RequestUpdate names the columns of a request to change; nil fields stay.
type RequestUpdate struct {
	Status, Assignee                         *string
	UpdatedAt, ClientUpdatedAt, ClientSeenAt *time.Time
}

// UpdateRequest changes the named columns of request id.
func (s *Store) UpdateRequest(ctx context.Context, id uint64, u RequestUpdate) error {
	cols := map[string]any{}
	set := func(name string, v any, ok bool) {
		if ok {
			cols[name] = v
		}
	}
	set("status", deref(u.Status), u.Status != nil)
	set("assignee", deref(u.Assignee), u.Assignee != nil)
	set("updated_at", deref(u.UpdatedAt), u.UpdatedAt != nil)
	set("client_updated_at", deref(u.ClientUpdatedAt), u.ClientUpdatedAt != nil)
	set("client_seen_at", deref(u.ClientSeenAt), u.ClientSeenAt != nil)
	if len(cols) == 0 {
		return nil
	}
	// UpdateColumns: gorm would otherwise stamp updated_at with the wall
	// clock on every update, and a client reading a request would move it
	// up the queue.
	res := s.with(ctx).Model(&Request{}).Where("id = ?", id).UpdateColumns(cols)
	if res.Error != nil {
		return fmt.Errorf("update request %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update request %d: %w", id, ErrNotFound)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// MarkRequestSeen records that the client saw request id at at. It only
// moves forward, so an old page closing late never marks a newer change
// read.
func (s *Store) MarkRequestSeen(ctx context.Context, id uint64, at time.Time) error {
	err := s.with(ctx).Model(&Request{}).Where("id = ? AND client_seen_at < ?", id, at).
		UpdateColumn("client_seen_at", at).Error
	if err != nil {
		return fmt.Errorf("mark request %d seen: %w", id, err)
	}
	return nil
}

// AddRequestEvent appends e to its request's history.
func (s *Store) AddRequestEvent(ctx context.Context, e *RequestEvent) error {
	if err := s.with(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("add request event: %w", err)
	}
	return nil
}

// EventQuery selects part of a request's history, oldest first.
type EventQuery struct {
	RequestID uint64
	// FromID: only events with this ID or a later one.
	FromID uint64
	// WithInternal includes internal notes and assignments.
	WithInternal bool
	// Last keeps only the last events (1000 when 0).
	Last int
}

// RequestEvents lists the last events of part of a request's history,
// oldest first.
func (s *Store) RequestEvents(ctx context.Context, q EventQuery) ([]RequestEvent, error) {
	var out []RequestEvent
	db := s.with(ctx).Where("request_id = ? AND id >= ?", q.RequestID, q.FromID).Order("id DESC")
	if !q.WithInternal {
		db = db.Where("internal = ?", false)
	}
	last := q.Last
	if last <= 0 {
		last = 1000
	}
	if err := db.Limit(last).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list events of request %d: %w", q.RequestID, err)
	}
	slices.Reverse(out)
	return out, nil
}

// RequestQuery selects a page of requests. Zero fields do not filter.
type RequestQuery struct {
	ClientID uint64
	TypeID   uint64
	Status   string
	// Assignee: a staff name; Unassigned: only requests with none.
	Assignee   string
	Unassigned bool
	// The staff queue is newest first: BeforeID is the last ID of the
	// previous page.
	BeforeID uint64
	// A client's list is by last update, newest first: Before is the last
	// request of the previous page.
	Before *Request
	Limit  int
}

// ListRequests lists a page of the staff queue, newest first.
func (s *Store) ListRequests(ctx context.Context, q RequestQuery) ([]Request, error) {
	var out []Request
	if err := s.queueQuery(ctx, q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return out, nil
}

func (s *Store) queueQuery(ctx context.Context, q RequestQuery) *gorm.DB {
	db := s.filterRequests(ctx, q).Order("id DESC")
	if q.BeforeID > 0 {
		db = db.Where("id < ?", q.BeforeID)
	}
	return db.Limit(pageSize(q.Limit, 500))
}

// ClientRequests lists a page of one client's requests, the latest change
// they can see first (q.ClientID is required).
func (s *Store) ClientRequests(ctx context.Context, q RequestQuery) ([]Request, error) {
	if q.ClientID == 0 {
		return nil, fmt.Errorf("list client requests: no client")
	}
	var out []Request
	if err := s.clientRequestsQuery(ctx, q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list requests of client %d: %w", q.ClientID, err)
	}
	return out, nil
}

func (s *Store) clientRequestsQuery(ctx context.Context, q RequestQuery) *gorm.DB {
	db := s.filterRequests(ctx, q).Order("client_updated_at DESC, id DESC")
	if b := q.Before; b != nil {
		db = db.Where("client_updated_at < ? OR (client_updated_at = ? AND id < ?)", b.ClientUpdatedAt, b.ClientUpdatedAt, b.ID)
	}
	return db.Limit(pageSize(q.Limit, 500))
}

func (s *Store) filterRequests(ctx context.Context, q RequestQuery) *gorm.DB {
	db := s.with(ctx).Model(&Request{})
	if q.ClientID > 0 {
		db = db.Where("client_id = ?", q.ClientID)
	}
	if q.TypeID > 0 {
		db = db.Where("type_id = ?", q.TypeID)
	}
	if q.Status != "" {
		db = db.Where("status = ?", q.Status)
	}
	switch {
	case q.Unassigned:
		db = db.Where("assignee = ''")
	case q.Assignee != "":
		db = db.Where("assignee = ?", q.Assignee)
	}
	return db
}

// CountUnread counts a client's requests with a change they have not seen.
func (s *Store) CountUnread(ctx context.Context, clientID uint64) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&Request{}).
		Where("client_id = ? AND client_updated_at > client_seen_at", clientID).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count unread requests of client %d: %w", clientID, err)
	}
	return n, nil
}

// LatestNotice finds the newest notice mail about a request to one
// address, whatever its state, or nil. On PostgreSQL, inside a
// transaction, the row stays locked until it ends.
func (s *Store) LatestNotice(ctx context.Context, requestID uint64, kind, to string) (*OutboxMessage, error) {
	m, err := s.latestNotice(ctx, "request_id", requestID, kind, to)
	if err != nil {
		return nil, fmt.Errorf("find latest notice of request %d: %w", requestID, err)
	}
	return m, nil
}

// RewriteMail replaces the subject and body of a queued mail no worker has
// claimed at now. It reports false when the mail was claimed meanwhile.
func (s *Store) RewriteMail(ctx context.Context, id uint64, subject, body string, now time.Time) (bool, error) {
	res := s.with(ctx).Model(&OutboxMessage{}).
		Where("id = ? AND state = ? AND (lease_until IS NULL OR lease_until <= ?)", id, vocab.MailQueued, now).
		Updates(map[string]any{"subject": subject, "body": body})
	if res.Error != nil {
		return false, fmt.Errorf("rewrite mail %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// pageSize is a page's size: n, 50 when unset, at most max.
func pageSize(n, max int) int {
	switch {
	case n <= 0:
		return 50
	case n > max:
		return max
	}
	return n
}

// LatestClientNotice finds the newest notice mail of kind about any
// request of a client to one address, whatever its state, or nil: the
// legal team's notices are one a client, not one a request. On PostgreSQL,
// inside a transaction, the row stays locked until it ends.
func (s *Store) LatestClientNotice(ctx context.Context, clientID uint64, kind, to string) (*OutboxMessage, error) {
	m, err := s.latestNotice(ctx, "client_id", clientID, kind, to)
	if err != nil {
		return nil, fmt.Errorf("find latest notice about client %d: %w", clientID, err)
	}
	return m, nil
}

// latestNotice is the newest mail of kind to one address whose column
// (request_id or client_id) is id, row-locked on PostgreSQL; nil for none.
func (s *Store) latestNotice(ctx context.Context, column string, id uint64, kind, to string) (*OutboxMessage, error) {
	var out []OutboxMessage
	q := s.with(ctx).Where(column+" = ? AND kind = ? AND to_addr = ?", id, kind, to).Order("id DESC").Limit(1)
	if s.dialect == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// ClientEvent is an event of one of a client's requests, with the
// request's type.
type ClientEvent struct {
	RequestEvent
	TypeName string
}

// ClientEvents lists the visible events of every request of a client with
// this ID or a later one, oldest first, at most limit of them.
func (s *Store) ClientEvents(ctx context.Context, clientID, fromID uint64, limit int) ([]ClientEvent, error) {
	var out []ClientEvent
	err := s.with(ctx).Model(&RequestEvent{}).
		Select("request_events.*, requests.type_name").
		Joins("JOIN requests ON requests.id = request_events.request_id").
		Where("requests.client_id = ? AND request_events.id >= ? AND request_events.internal = ?", clientID, fromID, false).
		Order("request_events.id").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list events of client %d: %w", clientID, err)
	}
	return out, nil
}
