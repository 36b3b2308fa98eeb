package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The v1 types are the frozen schema of migration0001.
type v1Client struct {
	ID           uint64 `gorm:"primaryKey"`
	Email        string `gorm:"size:320;not null"`
	EmailNorm    string `gorm:"size:320;not null;uniqueIndex"`
	Name         string `gorm:"size:200;not null"`
	NameNorm     string `gorm:"size:200;not null;index"`
	Company      string `gorm:"size:200;not null;default:''"`
	CompanyNorm  string `gorm:"size:200;not null;default:'';index"`
	Phone        string `gorm:"size:50;not null;default:''"`
	Lang         string `gorm:"size:8;not null;default:'en'"`
	Status       string `gorm:"size:16;not null;index"`
	PasswordHash string `gorm:"size:200;not null;default:''"`
	FailedLogins int    `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}
type v1Invitation struct {
	ID         uint64    `gorm:"primaryKey"`
	ClientID   uint64    `gorm:"not null;index"`
	Client     *v1Client `gorm:"constraint:OnDelete:CASCADE"`
	TokenHash  string    `gorm:"size:64;not null;uniqueIndex"`
	CreatedBy  string    `gorm:"size:200;not null;default:''"`
	CreatedAt  time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	AcceptedAt *time.Time
	RevokedAt  *time.Time
}
type v1Code struct {
	ID        uint64    `gorm:"primaryKey"`
	ClientID  uint64    `gorm:"not null;index:idx_codes_client_purpose"`
	Client    *v1Client `gorm:"constraint:OnDelete:CASCADE"`
	Purpose   string    `gorm:"size:16;not null;index:idx_codes_client_purpose"`
	CodeHash  string    `gorm:"size:64;not null"`
	Tries     int       `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null"`
	UsedAt    *time.Time
	RevokedAt *time.Time
}
type v1Staff struct {
	ID          uint64    `gorm:"primaryKey"`
	Name        string    `gorm:"size:100;not null;index"`
	Role        string    `gorm:"size:16;not null"`
	PublicKey   string    `gorm:"size:4096;not null"`
	Fingerprint string    `gorm:"size:100;not null;uniqueIndex"`
	CreatedAt   time.Time `gorm:"not null"`
}
type v1Setting struct {
	Key       string    `gorm:"primaryKey;size:64"`
	Value     string    `gorm:"size:1024;not null"`
	UpdatedAt time.Time `gorm:"not null"`
}
type v1OutboxMessage struct {
	ID            uint64    `gorm:"primaryKey"`
	Kind          string    `gorm:"size:32;not null"`
	ClientID      *uint64   `gorm:"index"`
	ToAddr        string    `gorm:"size:320;not null"`
	Subject       string    `gorm:"size:500;not null"`
	Body          string    `gorm:"type:text;not null"`
	State         string    `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
	NextAttemptAt time.Time `gorm:"not null;index:idx_outbox_due,priority:2"`
	LeaseUntil    *time.Time
	Attempts      int       `gorm:"not null;default:0"`
	LastError     string    `gorm:"size:1000;not null;default:''"`
	CreatedAt     time.Time `gorm:"not null"`
	SentAt        *time.Time
}
type v1AuditEvent struct {
	ID         uint64    `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index"`
	ActorKind  string    `gorm:"size:16;not null"`
	Actor      string    `gorm:"size:320;not null;index"`
	Action     string    `gorm:"size:64;not null;index"`
	Subject    string    `gorm:"size:320;not null;default:'';index"`
	Detail     string    `gorm:"size:1000;not null;default:''"`
	RemoteAddr string    `gorm:"size:100;not null;default:''"`
}
type v1Attempt struct {
	ID   uint64    `gorm:"primaryKey"`
	Kind string    `gorm:"size:16;not null;index:idx_attempts_kind_addr_at,priority:1"`
	Addr string    `gorm:"size:100;not null;index:idx_attempts_kind_addr_at,priority:2"`
	At   time.Time `gorm:"not null;index:idx_attempts_kind_addr_at,priority:3;index"`
}

// migration0001 creates the first schema. Its structs are frozen copies of
// the models as they were then: later migrations change the schema in
// steps of their own, so a fresh database and an old one end up the same.
func migration0001() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0001_initial",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(&v1Client{}, &v1Invitation{}, &v1Code{}, &v1Staff{}, &v1Setting{}, &v1OutboxMessage{}, &v1AuditEvent{}, &v1Attempt{})
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable(&v1Attempt{}, &v1AuditEvent{}, &v1OutboxMessage{}, &v1Setting{}, &v1Staff{}, &v1Code{}, &v1Invitation{}, &v1Client{})
		},
	}
}

func (v1Client) TableName() string        { return "clients" }
func (v1Invitation) TableName() string    { return "invitations" }
func (v1Code) TableName() string          { return "codes" }
func (v1Staff) TableName() string         { return "staffs" }
func (v1Setting) TableName() string       { return "settings" }
func (v1OutboxMessage) TableName() string { return "outbox_messages" }
func (v1AuditEvent) TableName() string    { return "audit_events" }
func (v1Attempt) TableName() string       { return "attempts" }
