package commands

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/store"
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

func toOutboxJSON(m *store.OutboxMessage) outboxJSON {
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
	if m.State == store.MailQueued {
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
			states := []string{store.MailQueued, store.MailSent, store.MailFailed}
			if state != "" && !contains(states, state) {
				return r.usage("cmd.error.state", strings.Join(states, ", "))
			}
			return r.listOutbox(cmd, store.OutboxQuery{State: state}, total, asJSON)
		})
	f := list.Flags()
	f.BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	f.StringVar(&state, "state", "", r.p.T("cmd.flag.state"))
	f.IntVar(&limit, "limit", 0, r.p.T("cmd.flag.limit"))
	return r.group("outbox", "cmd.outbox.short", list)
}

// listOutbox pages newest first by id, writing each page as it comes, like
// listClients.
func (r *runner) listOutbox(cmd *cobra.Command, q store.OutboxQuery, total int, asJSON bool) error {
	var (
		arr *jsonArray
		tab *table
	)
	if asJSON {
		arr = newJSONArray(r.out)
	} else {
		tab = newTable(r.out)
	}
	for left := total; ; {
		q.Limit = pageSize
		if total > 0 && left < q.Limit {
			q.Limit = left
		}
		page, err := r.svc.ListOutbox(cmd.Context(), r.actor, q)
		if err != nil {
			return r.failed(err, nil)
		}
		for i := range page {
			m := &page[i]
			if asJSON {
				err = arr.add(toOutboxJSON(m))
			} else {
				err = tab.row(r.outboxRow(m)...)
			}
			if err != nil {
				return err
			}
		}
		if !asJSON {
			if err := tab.flush(); err != nil {
				return err
			}
		}
		if total > 0 {
			left -= len(page)
		}
		if len(page) < q.Limit || (total > 0 && left <= 0) {
			break
		}
		q.Before = page[len(page)-1].ID
	}
	if asJSON {
		return arr.close()
	}
	return nil
}

// outboxRow is one plain line: id, to, kind, state, tries, when, last
// error. The "when" cell says which time it is, so no header is needed.
func (r *runner) outboxRow(m *store.OutboxMessage) []string {
	var when string
	switch {
	case m.State == store.MailQueued:
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
