package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// How instances sharing a database keep in step (see RunInstance).
const (
	sessionEndPoll    = time.Second      // how soon an end told by another instance is acted on
	heartbeatInterval = 2 * time.Second  // how often an instance says it is alive
	heartbeatTimeout  = 5 * time.Second  // how long one heartbeat may wait for the database
	maintainInterval  = 10 * time.Minute // how often old counters and session ends are forgotten
	sessionEndsKept   = 10 * time.Minute // long past the slowest poll
	instancesKept     = 24 * time.Hour   // how long a gone instance is remembered
)

// InstanceGoneAfter is the silence after which an instance is taken for
// gone: its leased mail is handed to the others (which may then send a
// message it was sending), and its sessions leave the counts. Fifteen
// missed heartbeats: long past a database merely slow for a while, short
// enough that a crash delays a confirmed mail by half a minute at most.
const InstanceGoneAfter = 30 * time.Second

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

// tellSessionEnd asks the other instances, in tx, to end within a second
// the client's live sessions but except and, when keep is set, those
// logged in with that credential (see Sessions.End). The caller ends this
// instance's own once tx commits.
func (s *Service) tellSessionEnd(ctx context.Context, tx *store.Store, clientID uint64, except, keep string) error {
	return tx.AddSessionEnd(ctx, &store.SessionEnd{ClientID: clientID, ExceptSession: except, KeepCredential: keep, Origin: s.instance, At: s.clock()})
}

// BindSession records that the SSH session id is client c's, logged in
// just now; end ends it. See Sessions.Bind.
func (s *Service) BindSession(ctx context.Context, c *Client, id string, end func()) {
	s.sessions.Bind(ctx, c, id, end)
}

// BindStaffSession records that the SSH session id (a console or a
// command) is staff member a's, so that removing a's key or a ends it;
// end ends it. The key is looked up once bound: one removed between the
// server's look and the binding was removed before anyone could end this
// session, so it ends here (a removal that commits later finds it bound).
func (s *Service) BindStaffSession(ctx context.Context, a Actor, id string, end func()) {
	if a.Kind != vocab.ActorStaff || a.Key == "" {
		return
	}
	s.sessions.BindStaff(ctx, a.Key, id, end)
	if _, err := s.currentRole(ctx, a); errors.Is(err, ErrForbidden) {
		s.log.Info("a staff session whose key was removed as it began ended", "staff", text.Sanitize(a.Name))
		s.sessions.EndStaff(a.Key)
	} else if err != nil && ctx.Err() == nil {
		s.log.Warn("could not check a new staff session's key", "staff", text.Sanitize(a.Name), "err", err)
	}
}

// tellStaffSessionEnd asks the other instances, in tx, to end the sessions
// of the staff key with that fingerprint; the caller ends this instance's
// once tx commits.
func (s *Service) tellStaffSessionEnd(ctx context.Context, tx *store.Store, fingerprint string) error {
	return tx.AddSessionEnd(ctx, &store.SessionEnd{StaffKey: fingerprint, Origin: s.instance, At: s.clock()})
}

// StartInstance records this instance among those sharing the database,
// before it serves or sends anything, and hands back the mail of instances
// gone silent. On SQLite, which one process serves, instances recorded
// before this one are gone at once, so the mail a killed server was
// sending goes out now.
func (s *Service) StartInstance(ctx context.Context) error {
	if err := s.store.StartInstance(ctx, s.instance); err != nil {
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
// end; on a loop of its own, so that nothing else delays it, it says every
// two seconds that it is alive and hands back the mail leased by instances
// gone silent; and every few minutes it forgets what is no longer needed
// (Maintain). Call StartInstance first, and StopInstance once it and the
// mail worker have returned.
func (s *Service) RunInstance(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		every(ctx, heartbeatInterval, func() { s.beat(ctx) })
	}()
	go func() {
		defer wg.Done()
		every(ctx, maintainInterval, func() {
			if err := s.Maintain(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("maintenance", "err", err)
			}
		})
	}()
	last := s.sessionEndsRead.Load()
	every(ctx, sessionEndPoll, func() { last = s.applySessionEnds(ctx, last) })
	wg.Wait()
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// beat says that this instance is alive, within heartbeatTimeout, and
// sweeps up after gone instances.
func (s *Service) beat(ctx context.Context) {
	beatCtx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	if err := s.store.Heartbeat(beatCtx, s.instance); err != nil && ctx.Err() == nil {
		s.log.Warn("instance: heartbeat failed", "err", err)
	}
	s.sweepGoneInstances(beatCtx)
}

// StopInstance signs this instance off at a clean shutdown, handing back
// the mail it still holds and forgetting its live sessions. Call it once
// RunInstance and the mail worker have returned: a message the worker was
// still sending must not go to another instance.
func (s *Service) StopInstance(ctx context.Context) {
	// First what the sessions that just ended still have to tell the
	// database, or a late "bound" would outlive the sign-off.
	if err := s.sessions.Close(ctx); err != nil {
		s.log.Warn("instance: live sessions not all recorded at shutdown", "err", err)
	}
	if err := s.store.StopInstance(ctx, s.instance); err != nil {
		s.log.Warn("instance: could not sign off; its mail is handed back when it is seen gone", "err", err)
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
			// Ours too: the origin ends its sessions after the commit,
			// which a crash or a lost reply may have cut short; ending
			// twice ends nothing more.
			if e.StaffKey != "" {
				if n := s.sessions.EndStaff(e.StaffKey); n > 0 {
					s.log.Info("staff sessions ended by another instance", "ended", n, "by", e.Origin)
				}
				continue
			}
			if n := s.sessions.End(e.ClientID, e.ExceptSession, e.KeepCredential); n > 0 {
				s.log.Info("sessions ended by another instance", "client_id", e.ClientID, "ended", n, "by", e.Origin)
			}
		}
		if len(ends) < 100 {
			return last
		}
	}
}

func (s *Service) sweepGoneInstances(ctx context.Context) {
	n, err := s.store.SweepGoneInstances(ctx, InstanceGoneAfter, instancesKept)
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
	return s.store.CountLiveSessions(ctx, clientID, InstanceGoneAfter)
}

// sessionRecorder keeps the database's list of live sessions for the
// Sessions of one Service. A failure is logged: the session goes on, and
// the count other instances see may be off until the session ends.
type sessionRecorder struct{ s *Service }

// recordTimeout bounds one write of the list, which must not hold up a
// log in or a log out for long.
const recordTimeout = 5 * time.Second

func (r sessionRecorder) SessionBound(id string, clientID uint64, credential string, gen int64, at time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	err := r.s.store.AddLiveSession(ctx, &store.LiveSession{ID: id, ClientID: clientID, Instance: r.s.instance, StartedAt: at})
	if err != nil {
		r.s.log.Warn("could not record a live session", "client_id", clientID, "err", err)
	}
	// A disable, a password change or an "end this client's sessions"
	// (which raises SessionsGen) that committed between the log in and
	// now was told to the instances before this session was bound, so
	// none of them ended it: it ends here. One that commits later finds
	// it bound.
	c, err := r.s.store.ClientByID(ctx, clientID)
	if err != nil {
		r.s.log.Warn("could not check a new session's client", "client_id", clientID, "err", err)
		return
	}
	if c.Status != vocab.StatusActive || Credential(c) != credential || c.SessionsGen != gen {
		r.s.log.Info("a session that logged in as its client was disabled, changed password or had its sessions ended, ended", "client_id", clientID)
		r.s.sessions.EndOne(id, credential)
	}
}

func (r sessionRecorder) SessionGone(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	if err := r.s.store.RemoveLiveSession(ctx, id); err != nil {
		r.s.log.Warn("could not forget a live session", "err", err)
	}
}
