package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// StartInstance records a newly started instance. On SQLite, which one
// process serves, every other instance recorded is a process that died:
// they are forgotten, so that the mail they had leased goes out now.
func (s *Store) StartInstance(ctx context.Context, id string, now time.Time) error {
	err := s.Tx(ctx, func(tx *Store) error {
		if s.dialect == "sqlite" {
			if err := tx.with(ctx).Where("id <> ?", id).Delete(&Instance{}).Error; err != nil {
				return err
			}
			if err := tx.with(ctx).Where("instance <> ?", id).Delete(&LiveSession{}).Error; err != nil {
				return err
			}
		}
		return tx.upsertInstance(ctx, &Instance{ID: id, StartedAt: now, SeenAt: now})
	})
	if err != nil {
		return fmt.Errorf("start instance %s: %w", id, err)
	}
	return nil
}

// Heartbeat tells the other instances that instance id is alive at now.
func (s *Store) Heartbeat(ctx context.Context, id string, now time.Time) error {
	if err := s.upsertInstance(ctx, &Instance{ID: id, StartedAt: now, SeenAt: now}); err != nil {
		return fmt.Errorf("heartbeat of %s: %w", id, err)
	}
	return nil
}

func (s *Store) upsertInstance(ctx context.Context, in *Instance) error {
	return s.with(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"seen_at"}),
	}).Create(in).Error
}

// StopInstance forgets instance id at a clean shutdown, with its live
// sessions, handing back the mail it still holds.
func (s *Store) StopInstance(ctx context.Context, id string) error {
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.with(ctx).Delete(&Instance{ID: id}).Error; err != nil {
			return err
		}
		if err := tx.with(ctx).Where("instance = ?", id).Delete(&LiveSession{}).Error; err != nil {
			return err
		}
		return tx.with(ctx).Model(&OutboxMessage{}).Where("state = ? AND lease_owner = ?", MailQueued, id).
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

// SweepGoneInstances clears up after the instances not seen since
// aliveSince (they died): it hands back the mail they had leased, maybe
// mid-send, and forgets their live sessions; and it forgets instances not
// seen since forgetBefore. It returns how many messages it handed back.
func (s *Store) SweepGoneInstances(ctx context.Context, aliveSince, forgetBefore time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		alive := tx.with(ctx).Model(&Instance{}).Select("id").Where("seen_at >= ?", aliveSince)
		res := tx.with(ctx).Model(&OutboxMessage{}).Where(leasedByGone, alive).
			Updates(map[string]any{"lease_until": nil, "lease_owner": ""})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		if err := tx.with(ctx).Where("instance NOT IN (?)", alive).Delete(&LiveSession{}).Error; err != nil {
			return err
		}
		return tx.with(ctx).Where("seen_at < ?", forgetBefore).Delete(&Instance{}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("sweep gone instances: %w", err)
	}
	return n, nil
}

// AddLiveSession records a client's live session (again, after a second
// log in on the same session).
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
// seen since aliveSince.
func (s *Store) CountLiveSessions(ctx context.Context, clientID uint64, aliveSince time.Time) (int, error) {
	var n int64
	alive := s.with(ctx).Model(&Instance{}).Select("id").Where("seen_at >= ?", aliveSince)
	err := s.with(ctx).Model(&LiveSession{}).Where("client_id = ? AND instance IN (?)", clientID, alive).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count live sessions of client %d: %w", clientID, err)
	}
	return int(n), nil
}

// AddSessionEnd asks every instance to end a client's sessions. Call it in
// the transaction of the action that ends them.
func (s *Store) AddSessionEnd(ctx context.Context, e *SessionEnd) error {
	if err := s.with(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("end sessions of client %d: %w", e.ClientID, err)
	}
	return nil
}

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
