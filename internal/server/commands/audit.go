package commands

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

// auditJSON is an audit event as `audit list --json` and `clients show
// --json` print it.
type auditJSON struct {
	ID         uint64 `json:"id"`
	At         string `json:"at"`
	ActorKind  string `json:"actor_kind"`
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	Subject    string `json:"subject"`
	Detail     string `json:"detail"`
	RemoteAddr string `json:"remote_addr"`
}

func toAuditJSON(e *portal.AuditEvent) auditJSON {
	return auditJSON{
		ID:         e.ID,
		At:         stamp(e.At),
		ActorKind:  text.Sanitize(e.ActorKind),
		Actor:      text.Sanitize(e.Actor),
		Action:     text.Sanitize(e.Action),
		Subject:    text.Sanitize(e.Subject),
		Detail:     text.Sanitize(e.Detail),
		RemoteAddr: text.Sanitize(e.RemoteAddr),
	}
}

// auditCmd lists the audit log newest first. Support staff see only the
// events of their own actions: the portal narrows the listing, whatever
// --actor says.
func (r *runner) auditCmd() *cobra.Command {
	var (
		asJSON                        bool
		since, actor, action, subject string
		limit                         int
	)
	list := r.leaf("list [--json] [--since D] [--actor NAME] [--action X] [--subject EMAIL] [--limit N]",
		"cmd.audit.list.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
			total, err := r.limitFlag(cmd, limit)
			if err != nil {
				return err
			}
			q := vocab.AuditQuery{Actor: strings.TrimSpace(actor), Action: strings.TrimSpace(action), Subject: strings.TrimSpace(subject)}
			if cmd.Flags().Changed("since") {
				t, ok := parseSince(since, time.Now())
				if !ok {
					return r.usage("cmd.error.since", echo(since))
				}
				q.Since = t
			}
			return r.listAudit(cmd, q, total, asJSON)
		})
	f := list.Flags()
	f.BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	f.StringVar(&since, "since", "", r.p.T("cmd.flag.since"))
	f.StringVar(&actor, "actor", "", r.p.T("cmd.flag.actor"))
	f.StringVar(&action, "action", "", r.p.T("cmd.flag.action"))
	f.StringVar(&subject, "subject", "", r.p.T("cmd.flag.subject"))
	f.IntVar(&limit, "limit", 0, r.p.T("cmd.flag.limit"))
	return r.group("audit", "cmd.audit.short", list)
}

// listAudit writes the events q selects, newest first, page by page: when,
// who, what, about whom, from where, and the detail last since it is the
// one of any length.
func (r *runner) listAudit(cmd *cobra.Command, q vocab.AuditQuery, total int, asJSON bool) error {
	err := pager[portal.AuditEvent, uint64]{
		fetch: func(ctx context.Context, before uint64, limit int) ([]portal.AuditEvent, error) {
			q.Before, q.Limit = before, limit
			return r.svc.ListAudit(ctx, r.actor, q)
		},
		next: func(last *portal.AuditEvent) uint64 { return last.ID },
		json: func(e *portal.AuditEvent) any { return toAuditJSON(e) },
		row: func(e *portal.AuditEvent) []string {
			return []string{stamp(e.At), e.Actor, e.Action, e.Subject, e.RemoteAddr, e.Detail}
		},
	}.write(cmd.Context(), r.out, q.Before, total, asJSON)
	return r.failed(err, nil)
}

// daysPart is a leading count of days, which Go durations lack: "7d",
// "1d12h".
var daysPart = regexp.MustCompile(`^(\d{1,5})d(.*)$`)

// parseSince reads --since: a duration back from now ("90m", "24h", "7d",
// "1d12h"), a date ("2006-01-02", midnight UTC) or a time (RFC 3339). A
// negative duration, which would point to the future, is refused.
func parseSince(s string, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	var d time.Duration
	rest := s
	if m := daysPart.FindStringSubmatch(s); m != nil {
		days, _ := strconv.Atoi(m[1])
		d, rest = time.Duration(days)*24*time.Hour, m[2]
		if rest == "" {
			return now.Add(-d), true
		}
		if rest[0] == '-' || rest[0] == '+' {
			return time.Time{}, false
		}
	}
	more, err := time.ParseDuration(rest)
	if err != nil || more < 0 || d+more < d {
		return time.Time{}, false
	}
	return now.Add(-(d + more)), true
}
