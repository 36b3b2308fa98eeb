package store

import (
	"context"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"gorm.io/gorm/clause"
)

// ClientUsage is what a client has made, as the quotas count it.
type ClientUsage struct {
	// OpenRequests are the client's requests not done nor rejected.
	OpenRequests int64
	// RecentRequests are those submitted after the time asked, and
	// OldestRecent the first of them (zero when none).
	RecentRequests int64
	OldestRecent   time.Time
	// StoredBytes are the bytes of the client's request fields and of the
	// notes the client wrote, as stored.
	StoredBytes int64
}

// byteLength is the SQL for the length in bytes of a text column: SQLite's
// length counts characters unless given a blob, PostgreSQL's too.
func (s *Store) byteLength(col string) string {
	if s.dialect == "postgres" {
		return "octet_length(" + col + ")"
	}
	return "length(CAST(" + col + " AS BLOB))"
}

// ClientUsage counts what client id made: open requests, requests
// submitted after since, and the bytes stored. Every count goes by the
// index on requests(client_id, id) and, for notes, request_events'
// (request_id, id), so it reads one client's rows only.
func (s *Store) ClientUsage(ctx context.Context, id uint64, since time.Time) (ClientUsage, error) {
	var u ClientUsage
	var row struct {
		Open, Recent, Bytes int64
	}
	err := s.with(ctx).Model(&Request{}).Where("client_id = ?", id).Select(
		"COUNT(CASE WHEN status NOT IN (?, ?) THEN 1 END) AS open, "+
			"COUNT(CASE WHEN created_at > ? THEN 1 END) AS recent, "+
			"COALESCE(SUM("+s.byteLength("fields")+"), 0) AS bytes",
		vocab.RequestDone, vocab.RequestRejected, since).Scan(&row).Error
	if err != nil {
		return u, fmt.Errorf("count requests of client %d: %w", id, err)
	}
	u.OpenRequests, u.RecentRequests, u.StoredBytes = row.Open, row.Recent, row.Bytes
	if u.RecentRequests > 0 {
		var first Request
		err := s.with(ctx).Select("created_at").Where("client_id = ? AND created_at > ?", id, since).
			Order("created_at").Take(&first).Error
		if err != nil {
			return u, fmt.Errorf("first recent request of client %d: %w", id, err)
		}
		u.OldestRecent = first.CreatedAt
	}
	var notes int64
	err = s.with(ctx).Model(&RequestEvent{}).
		Joins("JOIN requests ON requests.id = request_events.request_id").
		Where("requests.client_id = ? AND request_events.kind = ? AND request_events.author_kind = ?", id, vocab.EventNote, vocab.ActorClient).
		Select("COALESCE(SUM(" + s.byteLength("request_events.body") + "), 0)").Scan(&notes).Error
	if err != nil {
		return u, fmt.Errorf("count notes of client %d: %w", id, err)
	}
	u.StoredBytes += notes
	return u, nil
}

// ClientNotesSince counts the notes clients wrote after since on request
// id, when it is client clientID's, and returns the first of them (zero
// when none).
func (s *Store) ClientNotesSince(ctx context.Context, id, clientID uint64, since time.Time) (int64, time.Time, error) {
	own := s.with(ctx).Model(&Request{}).Select("id").Where("id = ? AND client_id = ?", id, clientID)
	var n int64
	err := s.with(ctx).Model(&RequestEvent{}).
		Where("request_id IN (?) AND kind = ? AND author_kind = ? AND at > ?", own, vocab.EventNote, vocab.ActorClient, since).
		Count(&n).Error
	if err != nil || n == 0 {
		if err != nil {
			err = fmt.Errorf("count notes on request %d: %w", id, err)
		}
		return n, time.Time{}, err
	}
	var first RequestEvent
	err = s.with(ctx).Select("at").
		Where("request_id = ? AND kind = ? AND author_kind = ? AND at > ?", id, vocab.EventNote, vocab.ActorClient, since).
		Order("at").Take(&first).Error
	if err != nil {
		return n, time.Time{}, fmt.Errorf("first recent note on request %d: %w", id, err)
	}
	return n, first.At, nil
}

// LockClient holds client id's row until the transaction ends, so that
// two actions of one client that count what it made and then add to it
// run one after the other. On SQLite the transaction holds the one write
// turn already, so there is nothing more to take.
func (s *Store) LockClient(ctx context.Context, id uint64) error {
	if s.dialect != "postgres" {
		return nil
	}
	var c Client
	err := s.with(ctx).Select("id").Clauses(clause.Locking{Strength: "UPDATE"}).Take(&c, id).Error
	if err != nil {
		return fmt.Errorf("lock client %d: %w", id, notFound(err))
	}
	return nil
}

// CountSecurityMail counts the mails of the given kinds queued to the
// normalized address to since, by the index on (to_norm, created_at).
func (s *Store) CountSecurityMail(ctx context.Context, to string, kinds []string, since time.Time) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&OutboxMessage{}).
		Where("to_norm = ? AND created_at > ? AND kind IN ?", NormalizeEmail(to), since, kinds).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count security mail: %w", err)
	}
	return n, nil
}

// RaiseSessionsGen adds one to client id's SessionsGen: every session
// logged in before is to end (see portal's sessionRecorder).
func (s *Store) RaiseSessionsGen(ctx context.Context, id uint64) error {
	err := s.with(ctx).Model(&Client{}).Where("id = ?", id).
		UpdateColumn("sessions_gen", clause.Expr{SQL: "sessions_gen + 1"}).Error
	if err != nil {
		return fmt.Errorf("end sessions of client %d: %w", id, err)
	}
	return nil
}
