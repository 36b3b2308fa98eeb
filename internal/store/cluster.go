package store

import (
	"context"
	"fmt"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"gorm.io/gorm/clause"
)

// The instances sharing a database keep time by the database's clock on
// PostgreSQL, not by their own: whether an instance is alive must not
// depend on how far apart the hosts' clocks are. SQLite is one process on
// one host, whose clock it is.

// clock is the database's time on PostgreSQL (the transaction's, inside
// one), the host's on SQLite.
func (s *Store) clock(ctx context.Context) (time.Time, error) {
	if s.dialect != "postgres" {
		return time.Now().UTC(), nil
	}
	var now time.Time
	if err := s.with(ctx).Raw("SELECT now()").Scan(&now).Error; err != nil {
		return time.Time{}, fmt.Errorf("read the database's clock: %w", err)
	}
	return now.UTC(), nil
}

// StartInstance records a newly started instance. On SQLite, which one
// process serves, every other instance recorded is a process that died:
// they are forgotten with their live sessions, so that the mail they had
// leased goes out now.
func (s *Store) StartInstance(ctx context.Context, id string) error {
	err := s.Tx(ctx, func(tx *Store) error {
		if s.dialect == "sqlite" {
			if err := tx.with(ctx).Where("id <> ?", id).Delete(&Instance{}).Error; err != nil {
				return err
			}
			if err := tx.with(ctx).Where("instance <> ?", id).Delete(&LiveSession{}).Error; err != nil {
				return err
			}
		}
		return tx.upsertInstance(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("start instance %s: %w", id, err)
	}
	return nil
}

// liveness is s on the heartbeat's own connection when it has one
// (PostgreSQL): the heartbeat and the sweep never wait for the pool.
func (s *Store) liveness() *Store {
	if s.beat == nil {
		return s
	}
	return &Store{db: s.beat, dialect: s.dialect, retries: s.retries}
}

// Heartbeat tells the other instances that instance id is alive now, on a
// connection of its own.
func (s *Store) Heartbeat(ctx context.Context, id string) error {
	if err := s.liveness().upsertInstance(ctx, id); err != nil {
		return fmt.Errorf("heartbeat of %s: %w", id, err)
	}
	return nil
}

func (s *Store) upsertInstance(ctx context.Context, id string) error {
	now, err := s.clock(ctx)
	if err != nil {
		return err
	}
	return s.with(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"seen_at"}),
	}).Create(&Instance{ID: id, StartedAt: now, SeenAt: now}).Error
}

// StopInstance forgets instance id at a clean shutdown, with its live
// sessions, handing back the mail it still holds. Call it once its mail
// worker has stopped.
func (s *Store) StopInstance(ctx context.Context, id string) error {
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Delete(&Instance{ID: id}).Error; err != nil {
			return err
		}
		if err := tx.with(ctx).Where("instance = ?", id).Delete(&LiveSession{}).Error; err != nil {
			return err
		}
		return tx.with(ctx).Model(&OutboxMessage{}).Where("state = ? AND lease_owner = ?", vocab.MailQueued, id).
			Updates(map[string]any{"lease_until": nil, "lease_owner": ""}).Error
	})
	if err != nil {
		return fmt.Errorf("stop instance %s: %w", id, err)
	}
	return nil
}

// leasedByGone selects the mail leased by an instance not in a subquery of
// those alive: only queued mail has a lease (sending or failing for good
// clears it). Its terms are idx_outbox_leased's, whose rows are only the
// messages being sent; a term on the state would lead the planners to the
// index of the whole queue.
const leasedByGone = "lease_until IS NOT NULL AND lease_owner NOT IN (?)"

// SweepGoneInstances clears up after the instances silent for goneAfter
// (they died, or cannot reach the database): it hands back the mail they
// had leased, maybe mid-send; and it forgets the instances silent for
// forgetAfter, with their live sessions. It returns how many messages it
// handed back.
func (s *Store) SweepGoneInstances(ctx context.Context, goneAfter, forgetAfter time.Duration) (int64, error) {
	var n int64
	err := s.liveness().Tx(ctx, func(tx *Store) error {
		now, err := tx.clock(ctx)
		if err != nil {
			return err
		}
		alive := tx.with(ctx).Model(&Instance{}).Select("id").Where("seen_at >= ?", now.Add(-goneAfter))
		res := tx.with(ctx).Model(&OutboxMessage{}).Where(leasedByGone, alive).
			Updates(map[string]any{"lease_until": nil, "lease_owner": ""})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if err := tx.with(ctx).Where("seen_at < ?", now.Add(-forgetAfter)).Delete(&Instance{}).Error; err != nil {
			return err
		}
		// Only the sessions of instances forgotten: one merely silent
		// for a while finds its own again when it beats, and the counts
		// leave them out meanwhile.
		known := tx.with(ctx).Model(&Instance{}).Select("id")
		return tx.with(ctx).Where("instance NOT IN (?)", known).Delete(&LiveSession{}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("sweep gone instances: %w", err)
	}
	return n, nil
}

// AddSessionEnd asks every instance to end a client's sessions. Call it in
// the transaction of the action that ends them.
//
// Readers go by ID (SessionEndsAfter), so IDs must become visible in their
// order: on PostgreSQL, where a later ID could commit first and a reader
// move past an earlier one for good, an advisory lock held to the commit
// makes the ends of concurrent transactions take their IDs and commit one
// after the other (they are rare: a disable, a reset). SQLite has one
// writer at a time already.
func (s *Store) AddSessionEnd(ctx context.Context, e *SessionEnd) error {
	add := func(tx *Store) error {
		e.ID = 0 // a retried transaction must not insert a rolled-back run's ID
		if tx.dialect == "postgres" {
			if err := tx.with(ctx).Exec("SELECT pg_advisory_xact_lock(?)", sessionEndsLockKey).Error; err != nil {
				return err
			}
		}
		return tx.with(ctx).Create(e).Error
	}
	var err error
	if s.inTx() {
		err = add(s)
	} else {
		err = s.Tx(ctx, add)
	}
	if err != nil {
		return fmt.Errorf("end sessions of client %d: %w", e.ClientID, err)
	}
	return nil
}

// sessionEndsLockKey is the advisory lock of AddSessionEnd ("ends" in
// ASCII).
const sessionEndsLockKey = 0x656e6473

// SessionEndsAfter lists the session ends recorded after id, oldest first.
func (s *Store) SessionEndsAfter(ctx context.Context, id uint64, limit int) ([]SessionEnd, error) {
	var out []SessionEnd
	if err := s.with(ctx).Where("id > ?", id).Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read session ends: %w", err)
	}
	return out, nil
}

// LastSessionEndID is the newest session end's ID, 0 if none.
func (s *Store) LastSessionEndID(ctx context.Context) (uint64, error) {
	var id uint64
	if err := s.with(ctx).Model(&SessionEnd{}).Select("coalesce(max(id), 0)").Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("read session ends: %w", err)
	}
	return id, nil
}

// PruneSessionEnds forgets session ends older than before: every instance
// has read them by then.
func (s *Store) PruneSessionEnds(ctx context.Context, before time.Time) error {
	if err := s.with(ctx).Where("at < ?", before).Delete(&SessionEnd{}).Error; err != nil {
		return fmt.Errorf("prune session ends: %w", err)
	}
	return nil
}

// AddLiveSession records a client's live session on an instance (again,
// after a second log in on the same session).
func (s *Store) AddLiveSession(ctx context.Context, ls *LiveSession) error {
	err := s.with(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"client_id", "instance", "started_at"}),
	}).Create(ls).Error
	if err != nil {
		return fmt.Errorf("record live session of client %d: %w", ls.ClientID, err)
	}
	return nil
}

// RemoveLiveSession forgets a session that ended or logged out.
func (s *Store) RemoveLiveSession(ctx context.Context, id string) error {
	if err := s.with(ctx).Where("id = ?", id).Delete(&LiveSession{}).Error; err != nil {
		return fmt.Errorf("forget live session: %w", err)
	}
	return nil
}

// CountLiveSessions counts the client's live sessions on the instances
// heard from within goneAfter.
func (s *Store) CountLiveSessions(ctx context.Context, clientID uint64, goneAfter time.Duration) (int, error) {
	now, err := s.clock(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	alive := s.with(ctx).Model(&Instance{}).Select("id").Where("seen_at >= ?", now.Add(-goneAfter))
	err = s.with(ctx).Model(&LiveSession{}).Where("client_id = ? AND instance IN (?)", clientID, alive).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count live sessions of client %d: %w", clientID, err)
	}
	return int(n), nil
}
