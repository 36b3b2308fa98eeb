package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

// outboxJSON is a mail as `outbox list --json` prints it. The body is left
// out on purpose: an invitation's body holds its token, and any staff
// member may list the outbox.
type outboxJSON struct {
	ID            uint64  `json:"id"`
	To            string  `json:"to"`
	Kind          string  `json:"kind"`
	Subject       string  `json:"subject"`
	State         string  `json:"state"`
	Attempts      int     `json:"attempts"`
	CreatedAt     string  `json:"created_at"`
	NextAttemptAt *string `json:"next_attempt_at"`
	SentAt        *string `json:"sent_at"`
	LastError     string  `json:"last_error"`
}

func toOutboxJSON(m *portal.Mail) outboxJSON {
	o := outboxJSON{
		ID:        m.ID,
		To:        text.Sanitize(m.ToAddr),
		Kind:      text.Sanitize(m.Kind),
		Subject:   text.Sanitize(m.Subject),
		State:     text.Sanitize(m.State),
		Attempts:  m.Attempts,
		CreatedAt: stamp(m.CreatedAt),
		SentAt:    stampPtr(m.SentAt),
		LastError: text.Sanitize(m.LastError),
	}
	// Only queued mail will be tried again; for the others the column is
	// a stale time that would mislead.
	if m.State == vocab.MailQueued {
		o.NextAttemptAt = stampPtr(&m.NextAttemptAt)
	}
	return o
}

func (r *runner) outboxCmd() *cobra.Command {
	var (
		asJSON bool
		state  string
		limit  int
	)
	list := r.leaf("list [--json] [--state queued|sent|failed] [--limit N]", "cmd.outbox.list.short", r.noArgs(),
		func(cmd *cobra.Command, _ []string) error {
			total, err := r.limitFlag(cmd, limit)
			if err != nil {
				return err
			}
			states := []string{vocab.MailQueued, vocab.MailSent, vocab.MailFailed}
			if state != "" && !contains(states, state) {
				return r.usage("cmd.error.state", strings.Join(states, ", "))
			}
			return r.listOutbox(cmd, vocab.OutboxQuery{State: state}, total, asJSON)
		})
	f := list.Flags()
	f.BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	f.StringVar(&state, "state", "", r.p.T("cmd.flag.state"))
	f.IntVar(&limit, "limit", 0, r.p.T("cmd.flag.limit"))
	retry := r.leaf("retry ID", "cmd.outbox.retry.short", r.exactArgs("ID"),
		func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return r.usage("cmd.error.mail_id", echo(args[0]))
			}
			if err := r.svc.RetryMail(cmd.Context(), r.actor, id); err != nil {
				return r.failed(err, nil)
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.outbox.retried", id))
			return err
		})
	return r.group("outbox", "cmd.outbox.short", list, retry)
}

// listOutbox writes the outbox newest first, page by page.
func (r *runner) listOutbox(cmd *cobra.Command, q vocab.OutboxQuery, total int, asJSON bool) error {
	err := pager[portal.Mail, uint64]{
		fetch: func(ctx context.Context, before uint64, limit int) ([]portal.Mail, error) {
			q.Before, q.Limit = before, limit
			return r.svc.ListOutbox(ctx, r.actor, q)
		},
		next: func(last *portal.Mail) uint64 { return last.ID },
		json: func(m *portal.Mail) any { return toOutboxJSON(m) },
		row:  r.outboxRow,
	}.write(cmd.Context(), r.out, q.Before, total, asJSON)
	return r.failed(err, nil)
}

// outboxRow is one plain line: id, to, kind, state, tries, when, last
// error. The "when" cell says which time it is, so no header is needed.
func (r *runner) outboxRow(m *portal.Mail) []string {
	var when string
	switch {
	case m.State == vocab.MailQueued:
		when = r.p.T("cmd.outbox.next", stamp(m.NextAttemptAt))
	case m.SentAt != nil:
		when = r.p.T("cmd.outbox.sent_at", stamp(*m.SentAt))
	}
	return []string{
		strconv.FormatUint(m.ID, 10), m.ToAddr, m.Kind, m.State,
		r.p.T("cmd.outbox.attempts", m.Attempts), when, m.LastError,
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
