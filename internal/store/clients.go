package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/clientportal/portal/internal/emailaddr"
	"github.com/clientportal/portal/internal/portal/vocab"
)

// NormalizeEmail is the form an email is stored, compared and mailed in:
// emailaddr.Normalize's (trimmed, NFKC, an ASCII local part in lower
// case, a lower-case domain), the one the portal validates addresses into.
// Two clients differing only by case, by a Kelvin sign or by fullwidth
// letters would be one person.
//
// Input that is no address in that form gets the key every email had
// before it (trimmed, lower case): no such address can be stored any
// more, so the key finds only a row stored before, such as one whose
// local part is outside ASCII, which staff can still show and disable.
func NormalizeEmail(email string) string {
	if n, err := emailaddr.Normalize(email); err == nil {
		return n
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// NormalizeSearch is the form names and companies are searched in.
func NormalizeSearch(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// CreateClient inserts c, filling its normalized columns. An existing email
// gives ErrDuplicate.
func (s *Store) CreateClient(ctx context.Context, c *Client) error {
	c.EmailNorm = NormalizeEmail(c.Email)
	c.NameNorm = NormalizeSearch(c.Name)
	c.CompanyNorm = NormalizeSearch(c.Company)
	if err := s.with(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("create client: %w", duplicate(err))
	}
	return nil
}

// ClientByEmail finds a client by email in any case.
func (s *Store) ClientByEmail(ctx context.Context, email string) (*Client, error) {
	var c Client
	err := s.with(ctx).Where("email_norm = ?", NormalizeEmail(email)).Take(&c).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// ClientByID finds a client by id.
func (s *Store) ClientByID(ctx context.Context, id uint64) (*Client, error) {
	var c Client
	if err := s.with(ctx).Take(&c, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// ClientUpdate names the columns of a client to change; nil fields stay.
type ClientUpdate struct {
	Name, Company, Phone, Lang, Status, PasswordHash *string
	FailedLogins                                     *int
	LockedUntil                                      **time.Time
	LastLoginAt                                      *time.Time
}

// UpdateClient changes the named columns of client id.
func (s *Store) UpdateClient(ctx context.Context, id uint64, u ClientUpdate) error {
	cols := map[string]any{}
	if u.Name != nil {
		cols["name"] = *u.Name
		cols["name_norm"] = NormalizeSearch(*u.Name)
	}
	if u.Company != nil {
		cols["company"] = *u.Company
		cols["company_norm"] = NormalizeSearch(*u.Company)
	}
	if u.Phone != nil {
		cols["phone"] = *u.Phone
	}
	if u.Lang != nil {
		cols["lang"] = *u.Lang
	}
	if u.Status != nil {
		cols["status"] = *u.Status
	}
	if u.PasswordHash != nil {
		cols["password_hash"] = *u.PasswordHash
	}
	if u.FailedLogins != nil {
		cols["failed_logins"] = *u.FailedLogins
	}
	if u.LockedUntil != nil {
		cols["locked_until"] = *u.LockedUntil
	}
	if u.LastLoginAt != nil {
		cols["last_login_at"] = *u.LastLoginAt
	}
	if len(cols) == 0 {
		return nil
	}
	res := s.with(ctx).Model(&Client{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("update client %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update client %d: %w", id, ErrNotFound)
	}
	return nil
}

// LoginTry is one log in attempt reserved on an account before its
// password is checked.
type LoginTry struct {
	// Allowed is false while the account is locked: the attempt must not
	// be checked at all.
	Allowed bool
	// N is the attempt's place among the failures in a row, this one
	// counted as a failure until it proves right.
	N int
	// LockedUntil is the lock this attempt's reservation began, when it
	// was the one that reached the limit; nil otherwise.
	LockedUntil *time.Time
}

// ReserveLoginTry counts a log in attempt on client id as a failure before
// its password is checked, in one transaction: a locked account (locked
// until after now) reserves nothing, and the attempt that reaches the
// limit takes the lock (now + lockFor(N), when that is positive) in the
// same step. Since counting and checking are one step, a burst of parallel
// guesses gets no more checks between them than the limit allows; a
// success clears the count through RecordLogin.
func (s *Store) ReserveLoginTry(ctx context.Context, id uint64, now time.Time, lockFor func(n int) time.Duration) (LoginTry, error) {
	var try LoginTry
	err := s.Tx(ctx, func(tx *Store) error {
		try = LoginTry{}
		var c Client
		if err := tx.with(ctx).Select("id", "failed_logins", "locked_until").Take(&c, id).Error; err != nil {
			return notFound(err)
		}
		if c.LockedUntil != nil && now.Before(*c.LockedUntil) {
			return nil
		}
		try.Allowed, try.N = true, c.FailedLogins+1
		cols := map[string]any{"failed_logins": try.N}
		if d := lockFor(try.N); d > 0 {
			until := now.Add(d)
			try.LockedUntil = &until
			cols["locked_until"] = until
		}
		return tx.with(ctx).Model(&Client{}).Where("id = ?", id).Updates(cols).Error
	})
	if err != nil {
		return LoginTry{}, fmt.Errorf("reserve log in try: %w", err)
	}
	return try, nil
}

// ListClients returns a page of clients: ordered by email without a search,
// by ID (the order they were added) with one. Pages are found by key, never
// by OFFSET: without a search email_norm > After over the unique email index
// (or the (status, email) index with a status), and a search walks the
// full-text index in ID order from the cursor and stops at the page's end,
// so a page costs about the same with a million clients.
func (s *Store) ListClients(ctx context.Context, q vocab.ClientQuery) ([]Client, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 1000 {
		limit = 1000
	}
	if strings.TrimSpace(q.Search) != "" {
		return s.searchClients(ctx, q, limit)
	}
	db := s.with(ctx).Model(&Client{})
	if q.Status != "" {
		db = db.Where("status = ?", q.Status)
	}
	if q.After != "" {
		db = db.Where("email_norm > ?", q.After)
	}
	var out []Client
	if err := db.Order("email_norm").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out, nil
}

// CountClients counts clients, optionally of one status.
func (s *Store) CountClients(ctx context.Context, status string) (int64, error) {
	db := s.with(ctx).Model(&Client{})
	if status != "" {
		db = db.Where("status = ?", status)
	}
	var n int64
	if err := db.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count clients: %w", err)
	}
	return n, nil
}

// RecordLogin records a successful log in of an active client whose
// password hash is still verifiedHash, the one the password was checked
// against, by the attempt that ReserveLoginTry counted as try: the failure
// count and lock cleared, the time, and a new hash when given. It reports
// false, and changes nothing, when the client is no longer active (disabled
// a moment ago), its password changed meanwhile (a reset), or the account
// is locked by any attempt but this one (another guess in flight reached
// the limit first): a locked account never opens, and a rehash never
// writes back the old password over the new.
func (s *Store) RecordLogin(ctx context.Context, id uint64, verifiedHash string, try LoginTry, at time.Time, newHash *string) (bool, error) {
	cols := map[string]any{"failed_logins": 0, "locked_until": nil, "last_login_at": at}
	if newHash != nil {
		cols["password_hash"] = *newHash
	}
	res := rightPassword(s.with(ctx).Model(&Client{}), try, at).
		Where("id = ? AND status = ? AND password_hash = ?", id, vocab.StatusActive, verifiedHash).
		Updates(cols)
	if res.Error != nil {
		return false, fmt.Errorf("record log in: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ClearLoginTries ends the failures in a row that try began counting, for
// a password that proved right on an account that refuses the log in for
// another reason (disabled, waiting for approval): a right password is no
// guess, and must not lock the account. As with RecordLogin, a lock
// another attempt took meanwhile stays.
func (s *Store) ClearLoginTries(ctx context.Context, id uint64, try LoginTry, at time.Time) error {
	err := rightPassword(s.with(ctx).Model(&Client{}), try, at).Where("id = ?", id).
		Updates(map[string]any{"failed_logins": 0, "locked_until": nil}).Error
	if err != nil {
		return fmt.Errorf("clear log in tries of %d: %w", id, err)
	}
	return nil
}

// rightPassword narrows q to an account that try's right password may
// clear: not locked at at, or locked by try itself (no attempt reserved
// after it).
func rightPassword(q *gorm.DB, try LoginTry, at time.Time) *gorm.DB {
	return q.Where("locked_until IS NULL OR locked_until <= ? OR failed_logins = ?", at, try.N)
}

// ClientsByID finds the clients with the given ids, in one query.
func (s *Store) ClientsByID(ctx context.Context, ids []uint64) (map[uint64]Client, error) {
	out := make(map[uint64]Client, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Client
	if err := s.with(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("clients by id: %w", err)
	}
	for _, c := range rows {
		out[c.ID] = c
	}
	return out, nil
}
