package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// Notice mail kinds, as recorded in the outbox.
const (
	MailRequestUpdate = "request_update" // to the client: a status, a note from the legal team
	MailRequestTeam   = "request_team"   // to the legal team: a new request, a note from the client
)

// NoticeSpacing is the least time between two notice mails about one
// request to one reader: changes that come closer together are told in one
// mail.
const NoticeSpacing = time.Minute

// audience is who a request notice is for.
type audience struct {
	kind   string
	to     string
	client *uint64
	lang   text.Lang
	// last is when the previous notice to them was due.
	last *time.Time
	// record returns the update that remembers when this notice is due.
	record func(due time.Time) store.RequestUpdate
	// tells reports whether an event is news to them.
	tells func(e store.RequestEvent) bool
}

// noticeClient tells the client of a change the legal team made.
func (s *Service) noticeClient(ctx context.Context, tx *store.Store, r *store.Request, c *store.Client, e *store.RequestEvent) error {
	return s.notice(ctx, tx, audience{
		kind: MailRequestUpdate, to: c.Email, client: &c.ID, lang: text.Lang(c.Lang), last: r.ClientNoticeAt,
		record: func(due time.Time) store.RequestUpdate { return store.RequestUpdate{ClientNoticeAt: &due} },
		tells: func(e store.RequestEvent) bool {
			return e.AuthorKind != store.ActorClient && (e.Kind == store.EventStatus || e.Kind == store.EventNote)
		},
	}, r, c, e)
}

// noticeTeam tells the legal team of a new request or a client's note. Its
// mail is in English, like the console.
func (s *Service) noticeTeam(ctx context.Context, tx *store.Store, r *store.Request, c *store.Client, e *store.RequestEvent) error {
	if s.cfg.TeamEmail == "" {
		return nil
	}
	return s.notice(ctx, tx, audience{
		kind: MailRequestTeam, to: s.cfg.TeamEmail, lang: text.English, last: r.TeamNoticeAt,
		record: func(due time.Time) store.RequestUpdate { return store.RequestUpdate{TeamNoticeAt: &due} },
		tells:  func(e store.RequestEvent) bool { return e.AuthorKind == store.ActorClient },
	}, r, c, e)
}

// notice queues the mail that tells to of event e, in the action's
// transaction. While an earlier notice about the same request to the same
// reader still waits in the outbox unclaimed, e is added to it; otherwise a
// new one is queued, due NoticeSpacing after the previous one at the
// soonest. So a reader gets at most one mail per request per minute, and
// every change is in one of them.
func (s *Service) notice(ctx context.Context, tx *store.Store, to audience, r *store.Request, c *store.Client, e *store.RequestEvent) error {
	now := s.clock()
	pending, err := tx.PendingNotice(ctx, r.ID, to.kind, to.to, now)
	if err != nil {
		return err
	}
	if pending != nil && pending.RequestEventID != nil {
		subject, body, err := s.composeNotice(ctx, tx, to, r, c, *pending.RequestEventID)
		if err != nil {
			return err
		}
		if ok, err := tx.RewriteMail(ctx, pending.ID, subject, body, now); err != nil || ok {
			return err
		}
	}
	due := now
	if to.last != nil && to.last.Add(NoticeSpacing).After(now) {
		due = to.last.Add(NoticeSpacing)
	}
	subject, body, err := s.composeNotice(ctx, tx, to, r, c, e.ID)
	if err != nil {
		return err
	}
	m := &store.OutboxMessage{
		Kind: to.kind, ClientID: to.client, ToAddr: to.to, Subject: subject, Body: body,
		CreatedAt: now, NextAttemptAt: due, RequestID: &r.ID, RequestEventID: &e.ID,
	}
	if err := tx.EnqueueMail(ctx, m); err != nil {
		return fmt.Errorf("queue notice of request %d: %w", r.ID, err)
	}
	return tx.UpdateRequest(ctx, r.ID, to.record(due))
}

// composeNotice writes the notice of every change to r since event from
// that is news to its reader.
func (s *Service) composeNotice(ctx context.Context, tx *store.Store, to audience, r *store.Request, c *store.Client, from uint64) (subject, body string, err error) {
	events, err := tx.RequestEvents(ctx, store.EventQuery{RequestID: r.ID, FromID: from})
	if err != nil {
		return "", "", err
	}
	p := s.catalog.Printer(to.lang)
	var items []string
	for _, e := range events {
		if !to.tells(e) {
			continue
		}
		at := e.At.UTC().Format(mailTimeLayout)
		prefix := "mail.request_update."
		if to.kind == MailRequestTeam {
			prefix = "admin.mail.request_team."
		}
		items = append(items, p.T(prefix+e.Kind, at, p.T("request.status."+e.Status)))
	}
	list := strings.Join(items, "\n")
	if to.kind == MailRequestTeam {
		subject = p.T("admin.mail.request_team.subject", r.ID, r.TypeName, c.Name)
		body = p.T("admin.mail.request_team.body", c.Name, c.Email, r.ID, r.TypeName, r.Summary, list,
			s.ConnectCommand(s.cfg.StaffUser)+fmt.Sprintf(" requests show %d", r.ID))
	} else {
		subject = p.T("mail.request_update.subject", r.ID, r.TypeName)
		body = p.T("mail.request_update.body", c.Name, r.ID, r.TypeName, list, s.ConnectCommand(""))
	}
	return subject, body + "\n\n" + p.T("mail.signature", s.PortalURL()), nil
}
