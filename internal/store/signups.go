package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SignUp is one attempt to open an account by signing up: the typed
// profile and password wait here with the verification code mailed to the
// address, and become an account only when that code is entered, from the
// session that made the attempt (it holds the ticket, of which only the
// SHA-256 is stored). Until then no account exists, so an unverified
// sign-up holds no email: several may wait for one address, and none
// decides the password of the account another verifies. It expires at
// ExpiresAt (migration 0006).
type SignUp struct {
	ID           uint64 `gorm:"primaryKey"`
	TicketHash   string `gorm:"size:64;not null;uniqueIndex"`
	Email        string `gorm:"size:320;not null"`
	EmailNorm    string `gorm:"size:320;not null;index"`
	Name         string `gorm:"size:200;not null"`
	Company      string `gorm:"size:200;not null;default:''"`
	Phone        string `gorm:"size:50;not null;default:''"`
	Lang         string `gorm:"size:8;not null"`
	PasswordHash string `gorm:"size:200;not null"`
	// The live code: its hash, the wrong guesses it took, when it was
	// mailed and until when it works. A new code replaces the old one.
	CodeHash      string    `gorm:"size:64;not null"`
	CodeTries     int       `gorm:"not null;default:0"`
	CodeSentAt    time.Time `gorm:"not null"`
	CodeExpiresAt time.Time `gorm:"not null"`
	CreatedAt     time.Time `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null;index"`
	// VerifiedAt is when the code was entered and the account made;
	// RemovedAt when staff removed the sign-up, or another sign-up for the
	// same address was verified. Either ends it.
	VerifiedAt *time.Time
	RemovedAt  *time.Time
}

// TableName is the one migration 0006 made.
func (SignUp) TableName() string { return "sign_ups" }

// CreateSignUp inserts a sign-up attempt, filling its normalized email.
func (s *Store) CreateSignUp(ctx context.Context, u *SignUp) error {
	u.EmailNorm = NormalizeEmail(u.Email)
	if err := s.with(ctx).Create(u).Error; err != nil {
		return fmt.Errorf("create sign-up: %w", err)
	}
	return nil
}

// liveSignUps are the sign-ups still waiting at now.
func (s *Store) liveSignUps(ctx context.Context, now time.Time) *gorm.DB {
	return s.with(ctx).Model(&SignUp{}).Where("verified_at IS NULL AND removed_at IS NULL AND expires_at > ?", now)
}

// SignUpByTicket finds the waiting sign-up whose ticket hashes to
// ticketHash.
func (s *Store) SignUpByTicket(ctx context.Context, ticketHash string, now time.Time) (*SignUp, error) {
	var u SignUp
	if err := s.liveSignUps(ctx, now).Where("ticket_hash = ?", ticketHash).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// SignUpByID finds a waiting sign-up by id.
func (s *Store) SignUpByID(ctx context.Context, id uint64, now time.Time) (*SignUp, error) {
	var u SignUp
	if err := s.liveSignUps(ctx, now).Take(&u, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// SpendSignUpTry takes one of the live code's tries before it is compared,
// in one conditional UPDATE, so that concurrent guesses get no more than
// maxTries between them. It reports false when none was left, the code
// expired, or there is no such waiting sign-up (id 0 never is).
func (s *Store) SpendSignUpTry(ctx context.Context, id uint64, now time.Time, maxTries int) (bool, error) {
	res := s.liveSignUps(ctx, now).Where("id = ? AND code_tries < ? AND code_expires_at > ?", id, maxTries, now).
		Update("code_tries", gorm.Expr("code_tries + 1"))
	if res.Error != nil {
		return false, fmt.Errorf("spend sign-up code try: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReplaceSignUpCode gives the waiting sign-up id a new code, unless its
// last one was mailed after notBefore: the check and the change are one
// UPDATE, so a burst of requests for a new code makes one. It reports
// whether the code was replaced.
func (s *Store) ReplaceSignUpCode(ctx context.Context, id uint64, codeHash string, now, notBefore, expires time.Time) (bool, error) {
	res := s.liveSignUps(ctx, now).Where("id = ? AND code_sent_at <= ?", id, notBefore).
		Updates(map[string]any{"code_hash": codeHash, "code_tries": 0, "code_sent_at": now, "code_expires_at": expires})
	if res.Error != nil {
		return false, fmt.Errorf("replace sign-up code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// FinishSignUp marks the waiting sign-up id verified and ends every other
// one for the same address; of two finishing at once, the second gets
// ErrConflict.
func (s *Store) FinishSignUp(ctx context.Context, id uint64, emailNorm string, now time.Time) error {
	res := s.liveSignUps(ctx, now).Where("id = ?", id).Update("verified_at", now)
	if res.Error != nil {
		return fmt.Errorf("finish sign-up: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("finish sign-up: %w", ErrConflict)
	}
	if err := s.liveSignUps(ctx, now).Where("email_norm = ?", emailNorm).Update("removed_at", now).Error; err != nil {
		return fmt.Errorf("finish sign-up: end the others: %w", err)
	}
	return nil
}

// RemoveSignUp ends the waiting sign-up id (staff turned it away).
func (s *Store) RemoveSignUp(ctx context.Context, id uint64, now time.Time) (*SignUp, error) {
	u, err := s.SignUpByID(ctx, id, now)
	if err != nil {
		return nil, err
	}
	res := s.liveSignUps(ctx, now).Where("id = ?", id).Update("removed_at", now)
	if res.Error != nil {
		return nil, fmt.Errorf("remove sign-up %d: %w", id, res.Error)
	}
	if res.RowsAffected != 1 {
		return nil, fmt.Errorf("remove sign-up %d: %w", id, ErrNotFound)
	}
	return u, nil
}

// SignUpQuery selects a page of waiting sign-ups, newest first.
type SignUpQuery struct {
	// Before is the ID of the last sign-up of the previous page; 0 for
	// the first.
	Before uint64
	// Limit is the page size (default 50, at most 1000).
	Limit int
}

// ListSignUps returns a page of the sign-ups still waiting at now.
func (s *Store) ListSignUps(ctx context.Context, q SignUpQuery, now time.Time) ([]SignUp, error) {
	limit := pageSize(q.Limit, 1000)
	db := s.liveSignUps(ctx, now)
	if q.Before > 0 {
		db = db.Where("id < ?", q.Before)
	}
	var out []SignUp
	if err := db.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list sign-ups: %w", err)
	}
	return out, nil
}

// PruneSignUps forgets sign-ups that ended (verified, removed or expired)
// before before: what they held, a password hash among it, is kept no
// longer than needed.
func (s *Store) PruneSignUps(ctx context.Context, before time.Time) error {
	err := s.with(ctx).Where("expires_at < ? OR verified_at < ? OR removed_at < ?", before, before, before).Delete(&SignUp{}).Error
	if err != nil {
		return fmt.Errorf("prune sign-ups: %w", err)
	}
	return nil
}
