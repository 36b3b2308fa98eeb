package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The tables of migration 0004 as they were then.
type v4Instance struct {
	ID        string    `gorm:"primaryKey;size:64"`
	StartedAt time.Time `gorm:"not null"`
	SeenAt    time.Time `gorm:"not null;index"`
}
type v4SessionEnd struct {
	ID             uint64    `gorm:"primaryKey"`
	ClientID       uint64    `gorm:"not null"`
	ExceptSession  string    `gorm:"size:128;not null;default:''"`
	KeepCredential string    `gorm:"size:32;not null;default:''"`
	Origin         string    `gorm:"size:64;not null;default:''"`
	At             time.Time `gorm:"not null;index"`
}
type v4LiveSession struct {
	ID        string    `gorm:"primaryKey;size:128"`
	ClientID  uint64    `gorm:"not null;index"`
	Instance  string    `gorm:"size:64;not null;index"`
	StartedAt time.Time `gorm:"not null"`
}
type v4OutboxOwner struct {
	LeaseOwner string `gorm:"size:64;not null;default:'';index:idx_outbox_leased,where:lease_until IS NOT NULL"`
}

func (v4Instance) TableName() string    { return "instances" }
func (v4SessionEnd) TableName() string  { return "session_ends" }
func (v4LiveSession) TableName() string { return "live_sessions" }
func (v4OutboxOwner) TableName() string { return "outbox_messages" }

// migration0004 lets several instances share one database:
//
//   - instances: each running portal's heartbeat. An instance silent for
//     half a minute (portal.InstanceGoneAfter) is gone, and the mail it had
//     leased is handed back then rather than when the lease runs out.
//   - session_ends: "end the live sessions of this client" told to every
//     instance (a disable, a reset or a password change on one must end
//     the client's sessions on all); each instance reads the new rows
//     every second.
//   - live_sessions: the clients' live sessions on every instance, so that
//     any instance can count them; an instance's go with it.
//   - outbox_messages.lease_owner: which instance holds a message's lease,
//     indexed over the leased messages only (the few being sent), so that
//     looking for a gone instance's costs nothing however long the queue
//     grows while a mail server is down.
func migration0004() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0004_instances",
		Migrate: func(tx *gorm.DB) error {
			if err := tx.AutoMigrate(&v4Instance{}, &v4SessionEnd{}, &v4LiveSession{}); err != nil {
				return err
			}
			if err := tx.Migrator().AddColumn(&v4OutboxOwner{}, "LeaseOwner"); err != nil {
				return err
			}
			return tx.Migrator().CreateIndex(&v4OutboxOwner{}, "idx_outbox_leased")
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Migrator().DropIndex(&v4OutboxOwner{}, "idx_outbox_leased"); err != nil {
				return err
			}
			if err := tx.Migrator().DropColumn(&v4OutboxOwner{}, "LeaseOwner"); err != nil {
				return err
			}
			return tx.Migrator().DropTable(&v4LiveSession{}, &v4SessionEnd{}, &v4Instance{})
		},
	}
}
