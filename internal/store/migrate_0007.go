package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The columns of migration 0007 as they were then.
type v7Client struct {
	SessionsGen int64 `gorm:"not null;default:0"`
}
type v7SessionEnd struct {
	StaffKey string `gorm:"size:100;not null;default:''"`
}
type v7Outbox struct {
	ToNorm    string `gorm:"size:320;not null;default:'';index:idx_outbox_to_norm,priority:1"`
	CreatedAt string `gorm:"index:idx_outbox_to_norm,priority:2"`
}

func (v7Client) TableName() string     { return "clients" }
func (v7SessionEnd) TableName() string { return "session_ends" }
func (v7Outbox) TableName() string     { return "outbox_messages" }

// migration0007 holds what the quotas and the session fixes of the
// security audit need:
//
//   - clients.sessions_gen: raised by "end this client's sessions", so a
//     log in that began before the call and binds its session after it
//     finds the number changed and ends that session too.
//   - session_ends.staff_key: an end of the sessions of one staff key (a
//     key or a staff member removed), told to every instance like a
//     client's.
//   - outbox_messages.to_norm, indexed with created_at: the recipient's
//     normalized address, which the daily cap on security mails counts
//     by. Existing rows get it from to_addr (NormalizeEmail is trim and
//     lower case, which SQL does the same).
func migration0007() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0007_quotas_sessions",
		Migrate: func(tx *gorm.DB) error {
			m := tx.Migrator()
			if err := m.AddColumn(&v7Client{}, "SessionsGen"); err != nil {
				return err
			}
			if err := m.AddColumn(&v7SessionEnd{}, "StaffKey"); err != nil {
				return err
			}
			if err := m.AddColumn(&v7Outbox{}, "ToNorm"); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE outbox_messages SET to_norm = LOWER(TRIM(to_addr))`).Error; err != nil {
				return err
			}
			return m.CreateIndex(&v7Outbox{}, "idx_outbox_to_norm")
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Migrator().DropIndex(&v7Outbox{}, "idx_outbox_to_norm"); err != nil {
				return err
			}
			// ALTER TABLE itself: gorm's SQLite migrator drops a column by
			// making the table anew, which would lose the triggers of the
			// clients' search index.
			return execAll(tx, []string{
				`ALTER TABLE outbox_messages DROP COLUMN to_norm`,
				`ALTER TABLE session_ends DROP COLUMN staff_key`,
				`ALTER TABLE clients DROP COLUMN sessions_gen`,
			})
		},
	}
}
