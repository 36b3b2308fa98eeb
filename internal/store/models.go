package store

import (
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
)

// Client is a person or company the firm serves. EmailNorm is the email
// trimmed and lower-cased: the one unique key, so "A@x.com" and "a@x.com"
// are one client. NameNorm and CompanyNorm are lower-cased copies; with
// EmailNorm and Status they feed the full-text index client_search
// (migration 0002), kept in step by triggers.
type Client struct {
	ID          uint64 `gorm:"primaryKey"`
	Email       string `gorm:"size:320;not null"`
	EmailNorm   string `gorm:"size:320;not null;uniqueIndex;index:idx_clients_status_email,priority:2"`
	Name        string `gorm:"size:200;not null"`
	NameNorm    string `gorm:"size:200;not null"`
	Company     string `gorm:"size:200;not null;default:''"`
	CompanyNorm string `gorm:"size:200;not null;default:''"`
	Phone       string `gorm:"size:50;not null;default:''"`
	// Lang is the language of the client's screens and mails, "" while
	// the client has not chosen one (mails are then in English). No
	// default in the model, so that gorm writes "" rather than the
	// column's old default.
	Lang         string `gorm:"size:8;not null"`
	Status       string `gorm:"size:16;not null;index:idx_clients_status_email,priority:1"`
	PasswordHash string `gorm:"size:200;not null;default:''"`
	FailedLogins int    `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`

	// SessionsGen goes up by one at each "end this client's sessions"
	// (migration 0007): a session bound with an older number was logged
	// in before that call, and is ended when it is bound.
	SessionsGen int64 `gorm:"not null;default:0"`
}

// Invitation is a single-use token that lets an invited client set a
// password. Only the token's SHA-256 is stored.
type Invitation struct {
	ID         uint64    `gorm:"primaryKey"`
	ClientID   uint64    `gorm:"not null;index"`
	Client     *Client   `gorm:"constraint:OnDelete:CASCADE"`
	TokenHash  string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedBy  string    `gorm:"size:200;not null;default:''"`
	CreatedAt  time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	AcceptedAt *time.Time
	RevokedAt  *time.Time
}

// State tells what became of the invitation at time now.
func (i Invitation) State(now time.Time) string {
	switch {
	case i.AcceptedAt != nil:
		return vocab.InvitationAccepted
	case i.RevokedAt != nil:
		return vocab.InvitationRevoked
	case !now.Before(i.ExpiresAt):
		return vocab.InvitationExpired
	}
	return vocab.InvitationOpen
}

// Code purposes.
const (
	CodeVerify = "verify" // confirms the email of a sign-up
	CodeReset  = "reset"  // lets a client set a new password
)

// Code is a short one-time code mailed to a client. Only its SHA-256 is
// stored; Tries counts wrong guesses.
type Code struct {
	ID        uint64    `gorm:"primaryKey"`
	ClientID  uint64    `gorm:"not null;index:idx_codes_client_purpose"`
	Client    *Client   `gorm:"constraint:OnDelete:CASCADE"`
	Purpose   string    `gorm:"size:16;not null;index:idx_codes_client_purpose"`
	CodeHash  string    `gorm:"size:64;not null"`
	Tries     int       `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// Staff is a member of the firm who reaches the console with a public key.
// One row per key: a person with two keys has two rows with the same name.
type Staff struct {
	ID          uint64    `gorm:"primaryKey"`
	Name        string    `gorm:"size:100;not null;index"`
	Role        string    `gorm:"size:16;not null"`
	PublicKey   string    `gorm:"size:4096;not null"`
	Fingerprint string    `gorm:"size:100;not null;uniqueIndex"`
	CreatedAt   time.Time `gorm:"not null"`
}

// Setting is one portal-wide setting, shared by every instance.
type Setting struct {
	Key       string    `gorm:"primaryKey;size:64"`
	Value     string    `gorm:"size:1024;not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// OutboxMessage is a mail queued in the same transaction as the action that
// caused it, and delivered by the mail worker.
type OutboxMessage struct {
	ID            uint64    `gorm:"primaryKey"`
	Kind          string    `gorm:"size:32;not null"`
	ClientID      *uint64   `gorm:"index"`
	ToAddr        string    `gorm:"size:320;not null"`
	Subject       string    `gorm:"size:500;not null"`
	Body          string    `gorm:"type:text;not null"`
	State         string    `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
	NextAttemptAt time.Time `gorm:"not null;index:idx_outbox_due,priority:2"`
	LeaseUntil    *time.Time
	LeaseOwner    string    `gorm:"size:64;not null;default:'';index:idx_outbox_leased,where:lease_until IS NOT NULL"` // the instance holding the lease (migration 0004)
	Attempts      int       `gorm:"not null;default:0"`
	LastError     string    `gorm:"size:1000;not null;default:''"`
	CreatedAt     time.Time `gorm:"not null;index:idx_outbox_to_norm,priority:2"`
	SentAt        *time.Time
	// A request's notice mail is amended with each change until it is
	// claimed: RequestID names the request, RequestEventID the first of
	// the request's events the mail tells of (migration 0003).
	RequestID      *uint64 `gorm:"index:idx_outbox_request"`
	RequestEventID *uint64

	// ToNorm is ToAddr normalized (NormalizeEmail), filled by EnqueueMail:
	// what the daily cap on security mails counts by, with CreatedAt
	// (migration 0007).
	ToNorm string `gorm:"size:320;not null;default:'';index:idx_outbox_to_norm,priority:1"`
}

// AuditEvent records who did what, when, and from where.
type AuditEvent struct {
	ID         uint64    `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index"`
	ActorKind  string    `gorm:"size:16;not null"`
	Actor      string    `gorm:"size:320;not null;index"`
	Action     string    `gorm:"size:64;not null;index"`
	Subject    string    `gorm:"size:320;not null;default:'';index"`
	Detail     string    `gorm:"size:1000;not null;default:''"`
	RemoteAddr string    `gorm:"size:100;not null;default:''"`
}

// Attempt kinds: what a source address tried, counted per address.
const (
	AttemptLogin  = "login"  // a log in
	AttemptCode   = "code"   // a typed verification or reset code
	AttemptMailer = "mailer" // an action that mails someone: sign-up, reset request, new code
)

// Attempt records one try of something limited per source address, in the
// database so that every instance sees the same count.
type Attempt struct {
	ID   uint64    `gorm:"primaryKey"`
	Kind string    `gorm:"size:16;not null;index:idx_attempts_kind_addr_at,priority:1"`
	Addr string    `gorm:"size:100;not null;index:idx_attempts_kind_addr_at,priority:2"`
	At   time.Time `gorm:"not null;index:idx_attempts_kind_addr_at,priority:3;index"`
}

// Instance is a running portal's heartbeat (migration 0004).
type Instance struct {
	ID        string    `gorm:"primaryKey;size:64"`
	StartedAt time.Time `gorm:"not null"`
	SeenAt    time.Time `gorm:"not null;index"`
}

// SessionEnd asks every instance but Origin (which ended its own at once)
// to end the client's live sessions but the one named ExceptSession and
// those logged in with KeepCredential, when set (migration 0004).
type SessionEnd struct {
	ID             uint64    `gorm:"primaryKey"`
	ClientID       uint64    `gorm:"not null"`
	ExceptSession  string    `gorm:"size:128;not null;default:''"`
	KeepCredential string    `gorm:"size:32;not null;default:''"`
	Origin         string    `gorm:"size:64;not null;default:''"`
	At             time.Time `gorm:"not null;index"`

	// StaffKey, when set, asks instead to end the sessions of that staff
	// key (its SHA256 fingerprint), ClientID being 0 (migration 0007).
	StaffKey string `gorm:"size:100;not null;default:''"`
}

// LiveSession is a client's live SSH session on an instance (migration
// 0004).
type LiveSession struct {
	ID        string    `gorm:"primaryKey;size:128"`
	ClientID  uint64    `gorm:"not null;index"`
	Instance  string    `gorm:"size:64;not null;index"`
	StartedAt time.Time `gorm:"not null"`
}
