package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The v3 types are the frozen schema migration0003 adds.
type v3RequestType struct {
	ID          uint64    `gorm:"primaryKey"`
	Name        string    `gorm:"size:100;not null"`
	NameNorm    string    `gorm:"size:100;not null;uniqueIndex"`
	Description string    `gorm:"size:1000;not null;default:''"`
	Fields      string    `gorm:"type:text;not null"`
	Disabled    bool      `gorm:"not null;default:false"`
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}
type v3Request struct {
	ID              uint64         `gorm:"primaryKey;index:idx_requests_client_updated,priority:3;index:idx_requests_client_id,priority:2;index:idx_requests_type_id,priority:2;index:idx_requests_status_id,priority:2;index:idx_requests_assignee_id,priority:2"`
	ClientID        uint64         `gorm:"not null;index:idx_requests_client_updated,priority:1;index:idx_requests_client_id,priority:1"`
	Client          *v1Client      `gorm:"constraint:OnDelete:CASCADE"`
	TypeID          uint64         `gorm:"not null;index:idx_requests_type_id,priority:1"`
	Type            *v3RequestType `gorm:"constraint:OnDelete:RESTRICT"`
	TypeName        string         `gorm:"size:100;not null"`
	Summary         string         `gorm:"size:200;not null;default:''"`
	Fields          string         `gorm:"type:text;not null"`
	Status          string         `gorm:"size:16;not null;index:idx_requests_status_id,priority:1"`
	Assignee        string         `gorm:"size:100;not null;default:'';index:idx_requests_assignee_id,priority:1"`
	CreatedAt       time.Time      `gorm:"not null"`
	UpdatedAt       time.Time      `gorm:"not null"`
	ClientUpdatedAt time.Time      `gorm:"not null;index:idx_requests_client_updated,priority:2"`
	ClientSeenAt    time.Time      `gorm:"not null"`
}
type v3RequestEvent struct {
	ID         uint64     `gorm:"primaryKey;index:idx_request_events_request,priority:2"`
	RequestID  uint64     `gorm:"not null;index:idx_request_events_request,priority:1"`
	Request    *v3Request `gorm:"constraint:OnDelete:CASCADE"`
	At         time.Time  `gorm:"not null"`
	Kind       string     `gorm:"size:16;not null"`
	AuthorKind string     `gorm:"size:16;not null"`
	Author     string     `gorm:"size:320;not null"`
	Status     string     `gorm:"size:16;not null;default:''"`
	Body       string     `gorm:"type:text;not null;default:''"`
	Internal   bool       `gorm:"not null;default:false"`
}
type v3OutboxRequest struct {
	RequestID      *uint64 `gorm:"index:idx_outbox_request"`
	RequestEventID *uint64
}

func (v3RequestType) TableName() string   { return "request_types" }
func (v3Request) TableName() string       { return "requests" }
func (v3RequestEvent) TableName() string  { return "request_events" }
func (v3OutboxRequest) TableName() string { return "outbox_messages" }

// migration0003 adds requests: their types, the requests themselves, their
// history, and the outbox columns that let a request's notice mail be
// amended until it goes out.
//
// Every list of requests is one index range: a client's requests by last
// update (client_id, updated_at), and the staff queue newest first by id
// within a status, a type, a client or an assignee (each index ends in the
// primary key, which SQLite and PostgreSQL both use to order the range).
func migration0003() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0003_requests",
		Migrate: func(tx *gorm.DB) error {
			if err := tx.AutoMigrate(&v3RequestType{}, &v3Request{}, &v3RequestEvent{}); err != nil {
				return err
			}
			m := tx.Migrator()
			for _, col := range []string{"RequestID", "RequestEventID"} {
				if err := m.AddColumn(&v3OutboxRequest{}, col); err != nil {
					return err
				}
			}
			return m.CreateIndex(&v3OutboxRequest{}, "idx_outbox_request")
		},
		Rollback: func(tx *gorm.DB) error {
			m := tx.Migrator()
			if err := m.DropIndex(&v3OutboxRequest{}, "idx_outbox_request"); err != nil {
				return err
			}
			for _, col := range []string{"RequestEventID", "RequestID"} {
				if err := m.DropColumn(&v3OutboxRequest{}, col); err != nil {
					return err
				}
			}
			return m.DropTable(&v3RequestEvent{}, &v3Request{}, &v3RequestType{})
		},
	}
}
