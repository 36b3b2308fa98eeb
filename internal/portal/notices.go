package portal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientportal/portal/internal/portal/vocab"
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
	// tells reports whether an event is news to them.
	tells func(e store.RequestEvent) bool
	// items are the catalog keys of the lines that tell events, by kind.
	items string
	// perClient: one mail tells of every request of the client, not of
	// one request (the legal team's notices).
	perClient bool
}

// maxNoticeItems caps the lines of one notice; the rest are counted.
const maxNoticeItems = 50

// noticeClient tells the client of a change the legal team made.
func (s *Service) noticeClient(ctx context.Context, tx *store.Store, r *store.Request, c *store.Client, e *store.RequestEvent) error {
	return s.notice(ctx, tx, audience{
		kind: MailRequestUpdate, to: mailTo(c), client: &c.ID, lang: text.Lang(c.Lang), items: "mail.request_update.",
		tells: func(e store.RequestEvent) bool {
			return e.AuthorKind != vocab.ActorClient && (e.Kind == vocab.EventStatus || e.Kind == vocab.EventNote)
		},
	}, r, c, e)
}

// noticeTeam tells the legal team of a new request or a client's note. Its
// mail is in English, like the console. It is one mail a client, not a
// request: a client filing forty requests in a minute is one mail that
// lists them, not forty.
func (s *Service) noticeTeam(ctx context.Context, tx *store.Store, r *store.Request, c *store.Client, e *store.RequestEvent) error {
	if s.cfg.TeamEmail == "" {
		return nil
	}
	return s.notice(ctx, tx, audience{
		kind: MailRequestTeam, to: s.cfg.TeamEmail, client: &c.ID, lang: text.English, items: "admin.mail.client_team.",
		tells:     func(e store.RequestEvent) bool { return e.AuthorKind == vocab.ActorClient },
		perClient: true,
	}, r, c, e)
}

// notice queues the mail that tells to of event e, in the action's
// transaction. While the last notice about the same request (or, per
// client, the same client) to the same reader still waits in the outbox
// unclaimed, e is added to it; otherwise a new one is queued, due
// NoticeSpacing after the last one went out (or from now, when it is
// going out at this moment). So a reader gets at most one mail per request
// (per client) per minute, and every change is in one of them.
func (s *Service) notice(ctx context.Context, tx *store.Store, to audience, r *store.Request, c *store.Client, e *store.RequestEvent) error {
	now := s.clock()
	var last *store.OutboxMessage
	var err error
	if to.perClient {
		last, err = tx.LatestClientNotice(ctx, c.ID, to.kind, to.to)
	} else {
		last, err = tx.LatestNotice(ctx, r.ID, to.kind, to.to)
	}
	if err != nil {
		return err
	}
	due := now
	if last != nil {
		leased := last.LeaseUntil != nil && last.LeaseUntil.After(now)
		switch {
		case last.State == vocab.MailQueued && !leased && last.RequestEventID != nil:
			subject, body, err := s.composeNotice(ctx, tx, to, r, c, *last.RequestEventID)
			if err != nil {
				return err
			}
			if ok, err := tx.RewriteMail(ctx, last.ID, subject, body, now); err != nil || ok {
				return err
			}
			due = now.Add(NoticeSpacing) // claimed since: it is going out now
		case last.State == vocab.MailQueued:
			due = now.Add(NoticeSpacing)
		case last.State == vocab.MailSent && last.SentAt != nil && last.SentAt.Add(NoticeSpacing).After(now):
			due = last.SentAt.Add(NoticeSpacing)
		}
	}
	subject, body, err := s.composeNotice(ctx, tx, to, r, c, e.ID)
	if err != nil {
		return err
	}
	// Dated when it is due: changes until then are added to it, so that is
	// the moment it tells of (and its Date header says).
	m := &store.OutboxMessage{
		Kind: to.kind, ClientID: to.client, ToAddr: to.to, Subject: subject, Body: body,
		CreatedAt: due, NextAttemptAt: due, RequestID: &r.ID, RequestEventID: &e.ID,
	}
	if err := tx.EnqueueMail(ctx, m); err != nil {
		return fmt.Errorf("queue notice of request %d: %w", r.ID, err)
	}
	return nil
}

// composeNotice writes the notice of every change to r since event from
// that is news to its reader. It never quotes what anyone wrote (a note,
// a field): mail is not where a client's matters are read.
func (s *Service) composeNotice(ctx context.Context, tx *store.Store, to audience, r *store.Request, c *store.Client, from uint64) (subject, body string, err error) {
	if to.perClient {
		return s.composeClientNotice(ctx, tx, to, c, from)
	}
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
		if e.Kind == vocab.EventStatus {
			items = append(items, p.T(to.items+e.Kind, at, p.T("request.status."+e.Status)))
		} else {
			items = append(items, p.T(to.items+e.Kind, at))
		}
	}
	list := strings.Join(items, "\n")
	subject = p.T("mail.request_update.subject", r.ID, r.TypeName)
	body = p.T("mail.request_update.body", c.Name, r.ID, r.TypeName, list, s.ConnectCommand(""))
	return subject, body + "\n\n" + p.T("mail.signature", s.PortalURL()), nil
}

// composeClientNotice writes the notice of every change to any of c's
// requests since event from that is news to its reader, a line each (at
// most maxNoticeItems, then how many more), quoting nothing anyone wrote.
func (s *Service) composeClientNotice(ctx context.Context, tx *store.Store, to audience, c *store.Client, from uint64) (subject, body string, err error) {
	// Events the reader is not told of are read too: a few more than the
	// cap leave room for them, and the count of the rest is a floor.
	events, err := tx.ClientEvents(ctx, c.ID, from, 4*maxNoticeItems)
	if err != nil {
		return "", "", err
	}
	p := s.catalog.Printer(to.lang)
	var items []string
	var requests []uint64
	var typeName string
	more := 0
	for _, e := range events {
		if !to.tells(e.RequestEvent) {
			continue
		}
		if !slices.Contains(requests, e.RequestID) {
			requests = append(requests, e.RequestID)
			typeName = e.TypeName
		}
		if len(items) == maxNoticeItems {
			more++
			continue
		}
		status := ""
		if e.Kind == vocab.EventStatus {
			status = p.T("request.status." + e.Status)
		}
		items = append(items, p.T(to.items+e.Kind, e.At.UTC().Format(mailTimeLayout), status, e.RequestID, e.TypeName))
	}
	if more > 0 {
		items = append(items, p.T(to.items+"more", more))
	}
	list := strings.Join(items, "\n")
	cmd := s.ConnectCommand(s.cfg.StaffUser)
	if len(requests) == 1 {
		subject = p.T("admin.mail.request_team.subject", requests[0], typeName, c.Name)
		cmd += fmt.Sprintf(" requests show %d", requests[0])
	} else {
		subject = p.T(to.items+"subject", c.Name, len(requests))
		cmd += " requests list --client " + c.EmailNorm
	}
	body = p.T(to.items+"body", c.Name, c.Email, list, cmd)
	return subject, body + "\n\n" + p.T("mail.signature", s.PortalURL()), nil
}
