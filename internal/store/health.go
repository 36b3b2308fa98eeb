package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/go-gormigrate/gormigrate/v2"
)

// Health is what an operator or a load balancer checks of the database.
type Health struct {
	Dialect string
	// Pending names the migrations this build knows and the database has
	// not had: an instance of this build would apply them at start.
	Pending []string
	// Unknown names the migrations the database has had and this build
	// does not know: a newer build's. Migrations add, so an older
	// instance still works beside a newer one during an upgrade.
	Unknown []string
	// Instances are those heard from lately.
	Instances  []Instance
	MailQueued int64
	MailFailed int64
	// OldestDue is when the longest-waiting queued mail was due, if any.
	OldestDue *time.Time
}

// Health reads the database's state without changing it: which migrations
// are pending, the instances heard from within goneAfter, and the outbox.
func (s *Store) Health(ctx context.Context, goneAfter time.Duration) (*Health, error) {
	h := &Health{Dialect: s.dialect}
	var applied []string
	if s.with(ctx).Migrator().HasTable("migrations") {
		if err := s.with(ctx).Table("migrations").Pluck("id", &applied).Error; err != nil {
			return nil, fmt.Errorf("read migrations: %w", err)
		}
	}
	known := migrations()
	for _, m := range known {
		if !slices.Contains(applied, m.ID) {
			h.Pending = append(h.Pending, m.ID)
		}
	}
	for _, id := range applied {
		if !slices.ContainsFunc(known, func(m *gormigrate.Migration) bool { return m.ID == id }) {
			h.Unknown = append(h.Unknown, id)
		}
	}
	if len(h.Pending) > 0 {
		return h, nil // the tables below may not be there yet
	}
	now, err := s.clock(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.with(ctx).Where("seen_at >= ?", now.Add(-goneAfter)).Order("id").Find(&h.Instances).Error; err != nil {
		return nil, fmt.Errorf("read instances: %w", err)
	}
	q := s.with(ctx).Model(&OutboxMessage{})
	if err := q.Where("state = ?", vocab.MailQueued).Count(&h.MailQueued).Error; err != nil {
		return nil, fmt.Errorf("count queued mail: %w", err)
	}
	if err := s.with(ctx).Model(&OutboxMessage{}).Where("state = ?", vocab.MailFailed).Count(&h.MailFailed).Error; err != nil {
		return nil, fmt.Errorf("count failed mail: %w", err)
	}
	if h.MailQueued > 0 {
		var oldest OutboxMessage
		err := s.with(ctx).Where("state = ?", vocab.MailQueued).Order("next_attempt_at, id").Take(&oldest).Error
		if err != nil {
			return nil, fmt.Errorf("read oldest queued mail: %w", err)
		}
		h.OldestDue = &oldest.NextAttemptAt
	}
	return h, nil
}
