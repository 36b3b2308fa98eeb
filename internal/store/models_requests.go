package store

import "time"

// RequestType is a kind of request clients can submit (a contract review,
// a document request), with the fields they fill. Fields holds the JSON of
// the portal's fields (portal.RequestField): a type's fields are always
// read and written together.
type RequestType struct {
	ID          uint64    `gorm:"primaryKey"`
	Name        string    `gorm:"size:100;not null"`
	NameNorm    string    `gorm:"size:100;not null;uniqueIndex"`
	Description string    `gorm:"size:1000;not null;default:''"`
	Fields      string    `gorm:"type:text;not null"`
	Disabled    bool      `gorm:"not null;default:false"`
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}

// Request is one thing a client asked the firm for. TypeName and Fields
// are copies made at submission. UpdatedAt is the last change of any kind
// (the staff queue's "updated"); ClientUpdatedAt the last change the client
// can see (a status, a visible note, their own note), which orders their
// list; the request is unread while it is after ClientSeenAt.
type Request struct {
	ID              uint64    `gorm:"primaryKey;index:idx_requests_client_updated,priority:3;index:idx_requests_client_id,priority:2;index:idx_requests_type_id,priority:2;index:idx_requests_status_id,priority:2;index:idx_requests_assignee_id,priority:2"`
	ClientID        uint64    `gorm:"not null;index:idx_requests_client_updated,priority:1;index:idx_requests_client_id,priority:1"`
	Client          *Client   `gorm:"constraint:OnDelete:CASCADE"`
	TypeID          uint64    `gorm:"not null;index:idx_requests_type_id,priority:1"`
	TypeName        string    `gorm:"size:100;not null"`
	Summary         string    `gorm:"size:200;not null;default:''"`
	Fields          string    `gorm:"type:text;not null"`
	Status          string    `gorm:"size:16;not null;index:idx_requests_status_id,priority:1"`
	Assignee        string    `gorm:"size:100;not null;default:'';index:idx_requests_assignee_id,priority:1"`
	CreatedAt       time.Time `gorm:"not null"`
	UpdatedAt       time.Time `gorm:"not null"`
	ClientUpdatedAt time.Time `gorm:"not null;index:idx_requests_client_updated,priority:2"`
	ClientSeenAt    time.Time `gorm:"not null"`
}

// Unread reports whether the client has not yet seen the latest change.
func (r Request) Unread() bool { return r.ClientUpdatedAt.After(r.ClientSeenAt) }

// RequestEvent is one entry of a request's history: its submission, a
// status change, a note, an assignment. Internal events (internal notes,
// assignments) are never shown to the client nor mailed to them.
type RequestEvent struct {
	ID         uint64    `gorm:"primaryKey;index:idx_request_events_request,priority:2"`
	RequestID  uint64    `gorm:"not null;index:idx_request_events_request,priority:1"`
	Request    *Request  `gorm:"constraint:OnDelete:CASCADE"`
	At         time.Time `gorm:"not null"`
	Kind       string    `gorm:"size:16;not null"`
	AuthorKind string    `gorm:"size:16;not null"`
	Author     string    `gorm:"size:320;not null"`
	Status     string    `gorm:"size:16;not null;default:''"`
	Body       string    `gorm:"type:text;not null;default:''"`
	Internal   bool      `gorm:"not null;default:false"`
}
