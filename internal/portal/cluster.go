package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/store"
)

// How instances sharing a database keep in step (see RunInstance).
const (
	sessionEndPoll    = time.Second      // how soon an end told by another instance is acted on
	heartbeatInterval = 2 * time.Second  // how often an instance says it is alive
	instanceGoneAfter = 10 * time.Second // silence after which its leased mail is handed back
	sessionEndsKept   = 10 * time.Minute // long past the slowest poll
	instancesKept     = 24 * time.Hour   // how long a gone instance is remembered
)

// newInstanceID names this process among the instances sharing the
// database: the host name, for operators, and random bytes, since one
// host may run several.
func newInstanceID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r < '!' || r > '~' {
			return -1
		}
		return r
	}, host)
	if len(host) > 40 {
		host = host[:40]
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	if host == "" {
		host = "portal"
	}
	return host + "-" + hex.EncodeToString(b[:])
}

// Instance is this process's name among the instances sharing the
// database.
func (s *Service) Instance() string { return s.instance }

// tellSessionEnd asks the other instances, in tx, to end the client's
// live sessions but except within a second. The caller ends this
// instance's own once tx commits (s.sessions.End).
func (s *Service) tellSessionEnd(ctx context.Context, tx *store.Store, clientID uint64, except string) error {
	return tx.AddSessionEnd(ctx, &store.SessionEnd{ClientID: clientID, ExceptSession: except, Origin: s.instance, At: s.clock()})
}

// StartInstance records this instance among those sharing the database,
// before it serves or sends anything, and hands back the mail of instances
// gone silent. On SQLite, which one process serves, instances recorded
// before this one are gone at once, so the mail a killed server was
// sending goes out now.
func (s *Service) StartInstance(ctx context.Context) error {
	if err := s.store.StartInstance(ctx, s.instance, s.clock()); err != nil {
		return err
	}
	// Ends recorded from now on are this instance's to act on, even those
	// recorded before RunInstance begins.
	last, err := s.store.LastSessionEndID(ctx)
	if err != nil {
		return err
	}
	s.sessionEndsRead.Store(last)
	s.sweepGoneInstances(ctx)
	return nil
}

// RunInstance keeps this instance in step with the others sharing the
// database until ctx ends: it ends the sessions other instances ask to
// end, says every few seconds that it is alive, and hands back the mail
// leased by instances that went silent (died mid-send). When ctx ends it
// signs the instance off, handing back the mail it still holds.
// Call StartInstance first.
func (s *Service) RunInstance(ctx context.Context) {
	last := s.sessionEndsRead.Load()
	defer func() {
		// The server's context is over: a short one of its own, so a
		// clean stop hands its mail back at once.
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.store.StopInstance(stop, s.instance); err != nil {
			s.log.Warn("instance: could not sign off; its mail is handed back when it is seen gone", "err", err)
		}
	}()
	poll := time.NewTicker(sessionEndPoll)
	defer poll.Stop()
	lastBeat, lastPrune := s.clock(), s.clock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		last = s.applySessionEnds(ctx, last)
		now := s.clock()
		if now.Sub(lastBeat) >= heartbeatInterval {
			lastBeat = now
			if err := s.store.Heartbeat(ctx, s.instance, now); err != nil {
				s.log.Warn("instance: heartbeat failed", "err", err)
			}
			s.sweepGoneInstances(ctx)
		}
		if now.Sub(lastPrune) >= time.Minute {
			lastPrune = now
			if err := s.store.PruneSessionEnds(ctx, now.Add(-sessionEndsKept)); err != nil {
				s.log.Warn("instance: could not prune session ends", "err", err)
			}
		}
	}
}

// applySessionEnds ends the local sessions that other instances asked to
// end since the session end numbered last, and returns the newest number.
func (s *Service) applySessionEnds(ctx context.Context, last uint64) uint64 {
	for {
		ends, err := s.store.SessionEndsAfter(ctx, last, 100)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("instance: could not read session ends", "err", err)
			}
			return last
		}
		for _, e := range ends {
			last = e.ID
			if e.Origin == s.instance {
				continue // ended here when it was recorded
			}
			if n := s.sessions.EndBefore(e.ClientID, e.ExceptSession, e.At); n > 0 {
				s.log.Info("sessions ended by another instance", "client_id", e.ClientID, "ended", n, "by", e.Origin)
			}
		}
		if len(ends) < 100 {
			return last
		}
	}
}

func (s *Service) sweepGoneInstances(ctx context.Context) {
	now := s.clock()
	n, err := s.store.SweepGoneInstances(ctx, now.Add(-instanceGoneAfter), now.Add(-instancesKept))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Warn("instance: could not clear up after gone instances", "err", err)
	case n > 0:
		s.log.Info("mail left by a gone instance handed back", "messages", n)
		s.wakeMail()
	}
}

// liveSessions counts the client's live sessions on every instance.
func (s *Service) liveSessions(ctx context.Context, clientID uint64) (int, error) {
	return s.store.CountLiveSessions(ctx, clientID, s.clock().Add(-instanceGoneAfter))
}

// sessionRecorder keeps the database's list of live sessions for the
// Sessions of one Service. A failure is logged: the session goes on, and
// the count other instances see may be off until the session ends.
type sessionRecorder struct{ s *Service }

// recordTimeout bounds one write of the list, which must not hold up a
// log in or a log out for long.
const recordTimeout = 5 * time.Second

func (r sessionRecorder) SessionBound(id string, clientID uint64, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	err := r.s.store.AddLiveSession(ctx, &store.LiveSession{ID: id, ClientID: clientID, Instance: r.s.instance, StartedAt: at})
	if err != nil {
		r.s.log.Warn("could not record a live session", "client_id", clientID, "err", err)
	}
}

func (r sessionRecorder) SessionGone(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	if err := r.s.store.RemoveLiveSession(ctx, id); err != nil {
		r.s.log.Warn("could not forget a live session", "err", err)
	}
}
