package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The table of migration 0006 as it was then.
type v6SignUp struct {
	ID            uint64    `gorm:"primaryKey"`
	TicketHash    string    `gorm:"size:64;not null;uniqueIndex"`
	Email         string    `gorm:"size:320;not null"`
	EmailNorm     string    `gorm:"size:320;not null;index"`
	Name          string    `gorm:"size:200;not null"`
	Company       string    `gorm:"size:200;not null;default:''"`
	Phone         string    `gorm:"size:50;not null;default:''"`
	Lang          string    `gorm:"size:8;not null"`
	PasswordHash  string    `gorm:"size:200;not null"`
	CodeHash      string    `gorm:"size:64;not null"`
	CodeTries     int       `gorm:"not null;default:0"`
	CodeSentAt    time.Time `gorm:"not null"`
	CodeExpiresAt time.Time `gorm:"not null"`
	CreatedAt     time.Time `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null;index"`
	VerifiedAt    *time.Time
	RemovedAt     *time.Time
}

func (v6SignUp) TableName() string { return "sign_ups" }

// v6PendingClient is what migration 0006 reads of a pending client: the
// columns the clients table had then, never today's model (a later
// migration's column would not exist yet).
type v6PendingClient struct {
	ID                                           uint64
	Email, EmailNorm, Name, Company, Phone, Lang string
	PasswordHash                                 string
	CreatedAt                                    time.Time
}

func (v6PendingClient) TableName() string { return "clients" }

// v6PendingSignUpTTL is how long a sign-up waits for its code (the domain's
// portal.SignUpTTL when this migration was written).
const v6PendingSignUpTTL = 24 * time.Hour

// migration0006 keeps sign-ups apart from accounts. Until now a sign-up
// made a "pending" client holding the typed password, so the first to
// sign up with an address decided the password of the account its owner
// later verified, a pending account answered log in differently from an
// existing one, and it held the address for good. Now the attempt waits in
// sign_ups with its code, and the account is made only when that code is
// entered. Each pending client moves to sign_ups as an attempt that can no
// longer be finished (its session, which would hold the ticket, is gone,
// and a random ticket hash matches nothing), expiring 24 hours after it
// was made, and the pending client row goes, with its codes.
func migration0006() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0006_sign_ups",
		Migrate: func(tx *gorm.DB) error {
			if err := tx.AutoMigrate(&v6SignUp{}); err != nil {
				return err
			}
			var pending []v6PendingClient
			if err := tx.Where("status = ?", "pending").Find(&pending).Error; err != nil {
				return err
			}
			for _, c := range pending {
				ticket := make([]byte, 32)
				_, _ = rand.Read(ticket)
				sum := sha256.Sum256(ticket)
				u := v6SignUp{
					TicketHash: hex.EncodeToString(sum[:]), Email: c.Email, EmailNorm: c.EmailNorm,
					Name: c.Name, Company: c.Company, Phone: c.Phone, Lang: c.Lang, PasswordHash: c.PasswordHash,
					CodeSentAt: c.CreatedAt, CodeExpiresAt: c.CreatedAt, CreatedAt: c.CreatedAt,
					ExpiresAt: c.CreatedAt.Add(v6PendingSignUpTTL),
				}
				if err := tx.Create(&u).Error; err != nil {
					return err
				}
				if err := tx.Exec("DELETE FROM codes WHERE client_id = ?", c.ID).Error; err != nil {
					return err
				}
				if err := tx.Exec("DELETE FROM clients WHERE id = ?", c.ID).Error; err != nil {
					return err
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable(&v6SignUp{})
		},
	}
}
