package portal

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/store"
)

// The views below are what the portal hands its doors (the TUIs, the SSH
// commands, the SFTP file system): plain structs holding what a screen or
// a command shows, made from the store's rows here and nowhere else. None
// carries a password hash, a token's hash, a lockout counter or a mail's
// body, so a value a session keeps for its whole life holds no secret.

// Client is a client as staff and the client themselves see them.
type Client struct {
	ID uint64
	// Email is as typed; EmailNorm is trimmed and lower-cased, the key
	// clients are found, paged and audited by.
	Email, EmailNorm     string
	Name, Company, Phone string
	// Lang is the language of the client's screens and mails, "" while
	// they have not chosen one.
	Lang string
	// Status is one of the vocab.Status* words.
	Status      string
	LastLoginAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// login is what BindSession needs of the log in that read this
	// client, without the password hash it is derived from.
	login loginStamp
}

// loginStamp ties a session to the password and the "end sessions" count
// a client had when the log in read them (see Sessions.Bind).
type loginStamp struct {
	credential  string
	sessionsGen int64
}

func clientView(c *store.Client) *Client {
	if c == nil {
		return nil
	}
	return &Client{
		ID: c.ID, Email: c.Email, EmailNorm: c.EmailNorm,
		Name: c.Name, Company: c.Company, Phone: c.Phone, Lang: c.Lang, Status: c.Status,
		LastLoginAt: c.LastLoginAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		login: loginStamp{credential: credentialOf(c.PasswordHash), sessionsGen: c.SessionsGen},
	}
}

func clientViews(cs []store.Client) []Client {
	out := make([]Client, len(cs))
	for i := range cs {
		out[i] = *clientView(&cs[i])
	}
	return out
}

// InvitationView is one invitation of a client as staff see it.
type InvitationView struct {
	ID         uint64
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	RevokedAt  *time.Time
	// State is one of the vocab.Invitation* words, at the time of reading.
	State string
}

func invitationView(inv store.Invitation, now time.Time) InvitationView {
	return InvitationView{
		ID: inv.ID, CreatedBy: inv.CreatedBy, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
		AcceptedAt: inv.AcceptedAt, RevokedAt: inv.RevokedAt, State: inv.State(now),
	}
}

// StaffMember is one staff key: a person with two keys is two members of
// the same name.
type StaffMember struct {
	ID   uint64
	Name string
	// Role is vocab.RoleAdmin or vocab.RoleSupport.
	Role        string
	PublicKey   string
	Fingerprint string
	CreatedAt   time.Time
}

func staffView(st *store.Staff) *StaffMember {
	if st == nil {
		return nil
	}
	return &StaffMember{ID: st.ID, Name: st.Name, Role: st.Role, PublicKey: st.PublicKey, Fingerprint: st.Fingerprint, CreatedAt: st.CreatedAt}
}

// AuditEvent records who did what, when, and from where.
type AuditEvent struct {
	ID uint64
	At time.Time
	// ActorKind is one of the vocab.Actor* words.
	ActorKind  string
	Actor      string
	Action     string
	Subject    string
	Detail     string
	RemoteAddr string
}

func auditViews(es []store.AuditEvent) []AuditEvent {
	out := make([]AuditEvent, len(es))
	for i, e := range es {
		out[i] = AuditEvent(e)
	}
	return out
}

// Mail is one message of the outbox as staff see it: where it goes and
// what became of it, never its body (which holds codes and tokens).
type Mail struct {
	ID       uint64
	Kind     string
	ClientID *uint64
	ToAddr   string
	Subject  string
	// State is one of the vocab.Mail* words.
	State         string
	NextAttemptAt time.Time
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
	RequestID     *uint64
}

func mailViews(ms []store.OutboxMessage) []Mail {
	out := make([]Mail, len(ms))
	for i, m := range ms {
		out[i] = Mail{
			ID: m.ID, Kind: m.Kind, ClientID: m.ClientID, ToAddr: m.ToAddr, Subject: m.Subject,
			State: m.State, NextAttemptAt: m.NextAttemptAt, Attempts: m.Attempts, LastError: m.LastError,
			CreatedAt: m.CreatedAt, SentAt: m.SentAt, RequestID: m.RequestID,
		}
	}
	return out
}

// RequestField is one field of a request type, in the type's order. It is
// stored as JSON in the type's row, so its tags are part of the data.
type RequestField struct {
	Label string `json:"label"`
	// Kind is one of the vocab.Field* words.
	Kind     string   `json:"kind"`
	Required bool     `json:"required,omitempty"`
	Choices  []string `json:"choices,omitempty"`
}

// FieldValue is what a client put in one field of a request: the field as
// it was when the request was submitted, so that editing the type later
// never changes what a request says. Stored as JSON in the request's row.
type FieldValue struct {
	Label string `json:"label"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// RequestType is a kind of request clients can submit, with its fields.
type RequestType struct {
	ID          uint64
	Name        string
	Description string
	Fields      []RequestField
	Disabled    bool
	CreatedAt   time.Time
	// UpdatedAt is what an edit hands back as TypeInput.ReadAt.
	UpdatedAt time.Time
}

// typeFields decodes a stored request type's fields.
func typeFields(t *store.RequestType) ([]RequestField, error) {
	var fs []RequestField
	if err := json.Unmarshal([]byte(t.Fields), &fs); err != nil {
		return nil, fmt.Errorf("read fields of request type %d: %w", t.ID, err)
	}
	return fs, nil
}

func typeView(t *store.RequestType) (*RequestType, error) {
	fs, err := typeFields(t)
	if err != nil {
		return nil, err
	}
	return &RequestType{ID: t.ID, Name: t.Name, Description: t.Description, Fields: fs, Disabled: t.Disabled, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}, nil
}

// Request is one thing a client asked the firm for, as a list shows it.
type Request struct {
	ID       uint64
	ClientID uint64
	TypeID   uint64
	TypeName string
	Summary  string
	// Status is one of the vocab.Request* words.
	Status   string
	Assignee string
	// UpdatedAt is the last change of any kind; ClientUpdatedAt the last
	// the client can see, which orders their list.
	CreatedAt, UpdatedAt, ClientUpdatedAt time.Time
	ClientSeenAt                          time.Time
}

// Unread reports whether the client has not yet seen the latest change.
func (r Request) Unread() bool { return r.ClientUpdatedAt.After(r.ClientSeenAt) }

func requestView(r *store.Request) Request {
	return Request{
		ID: r.ID, ClientID: r.ClientID, TypeID: r.TypeID, TypeName: r.TypeName, Summary: r.Summary,
		Status: r.Status, Assignee: r.Assignee, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ClientUpdatedAt: r.ClientUpdatedAt, ClientSeenAt: r.ClientSeenAt,
	}
}

func requestViews(rs []store.Request) []Request {
	out := make([]Request, len(rs))
	for i := range rs {
		out[i] = requestView(&rs[i])
	}
	return out
}

// RequestEvent is one entry of a request's history: its submission, a
// status change, a note, an assignment.
type RequestEvent struct {
	ID        uint64
	RequestID uint64
	At        time.Time
	// Kind is one of the vocab.Event* words; AuthorKind one of the
	// vocab.Actor* words.
	Kind       string
	AuthorKind string
	Author     string
	Status     string
	Body       string
	// Internal events are never shown to the client nor mailed to them.
	Internal bool
}

func eventViews(es []store.RequestEvent) []RequestEvent {
	out := make([]RequestEvent, len(es))
	for i, e := range es {
		out[i] = RequestEvent{
			ID: e.ID, RequestID: e.RequestID, At: e.At, Kind: e.Kind, AuthorKind: e.AuthorKind,
			Author: e.Author, Status: e.Status, Body: e.Body, Internal: e.Internal,
		}
	}
	return out
}
