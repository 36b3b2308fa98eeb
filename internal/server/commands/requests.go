package commands

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/text"
)

// maxNoteInput is the most `requests note ID` reads from standard input.
// The portal's own limit on a note is far lower (portal.MaxNoteLen
// characters) and says so; this one only keeps a runaway pipe from being
// read whole into memory.
const maxNoteInput = 64 * 1024

// requestJSON is a request as `requests list --json` prints it, and the
// head of `requests show --json`. Every string is cleaned, as in every
// listing.
type requestJSON struct {
	ID          uint64 `json:"id"`
	Status      string `json:"status"`
	TypeID      uint64 `json:"type_id"`
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	ClientName  string `json:"client_name"`
	Assignee    string `json:"assignee"`
	Summary     string `json:"summary"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func toRequestJSON(q *portal.Request, email, name string) requestJSON {
	return requestJSON{
		ID:          q.ID,
		Status:      text.Sanitize(q.Status),
		TypeID:      q.TypeID,
		Type:        text.Sanitize(q.TypeName),
		ClientEmail: text.Sanitize(email),
		ClientName:  text.Sanitize(name),
		Assignee:    text.Sanitize(q.Assignee),
		Summary:     text.Sanitize(q.Summary),
		CreatedAt:   stamp(q.CreatedAt),
		UpdatedAt:   stamp(q.UpdatedAt),
	}
}

// requestDetailJSON is `requests show --json`: the request, the statuses
// it may move to, its fields as submitted and its whole history, oldest
// first, internal events included.
type requestDetailJSON struct {
	requestJSON
	Next   []string           `json:"next"`
	Fields []fieldValueJSON   `json:"fields"`
	Events []requestEventJSON `json:"events"`
}

// fieldValueJSON is one field of a request; a multi-line value keeps its
// line breaks.
type fieldValueJSON struct {
	Label string `json:"label"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type requestEventJSON struct {
	ID         uint64 `json:"id"`
	At         string `json:"at"`
	Kind       string `json:"kind"`
	AuthorKind string `json:"author_kind"`
	Author     string `json:"author"`
	Status     string `json:"status"`
	Body       string `json:"body"`
	Internal   bool   `json:"internal"`
}

func toRequestDetailJSON(v *portal.RequestView) requestDetailJSON {
	j := requestDetailJSON{
		requestJSON: toRequestJSON(&v.Request, v.ClientEmail, v.ClientName),
		Next:        []string{},
		Fields:      []fieldValueJSON{},
		Events:      []requestEventJSON{},
	}
	for _, s := range v.Next {
		j.Next = append(j.Next, text.Sanitize(s))
	}
	for _, f := range v.Fields {
		j.Fields = append(j.Fields, fieldValueJSON{
			Label: text.Sanitize(f.Label), Kind: text.Sanitize(f.Kind), Value: text.SanitizeMultiline(f.Value),
		})
	}
	for _, e := range v.Events {
		j.Events = append(j.Events, requestEventJSON{
			ID: e.ID, At: stamp(e.At), Kind: text.Sanitize(e.Kind), AuthorKind: text.Sanitize(e.AuthorKind),
			Author: text.Sanitize(e.Author), Status: text.Sanitize(e.Status), Body: text.SanitizeMultiline(e.Body),
			Internal: e.Internal,
		})
	}
	return j
}

func (r *runner) requestsCmd() *cobra.Command {
	return r.group("requests", "cmd.requests.short",
		r.requestsListCmd(), r.requestsShowCmd(), r.requestsStatusCmd(), r.requestsNoteCmd(), r.requestsAssignCmd())
}

// requestID reads the ID argument of a requests command.
func (r *runner) requestID(s string) (uint64, error) {
	return r.parseID("cmd.error.request_id", "ID", s)
}

// requestLeaf is a requests command whose first argument is the request's
// ID.
func (r *runner) requestLeaf(use, shortKey string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return r.idFirst(r.leaf(use, shortKey, args, run), "cmd.error.request_id")
}

func (r *runner) requestsListCmd() *cobra.Command {
	var (
		asJSON                           bool
		status, typeID, client, assignee string
		limit                            int
	)
	cmd := r.leaf("list [--status S] [--type ID] [--client EMAIL] [--assignee NAME|-] [--limit N] [--json]",
		"cmd.requests.list.short", r.noArgs(), func(cmd *cobra.Command, _ []string) error {
			total, err := r.limitFlag(cmd, limit)
			if err != nil {
				return err
			}
			if err := r.nonEmpty(cmd, "status", "type", "client", "assignee"); err != nil {
				return err
			}
			f := portal.QueueFilter{Status: status, Client: client, Assignee: strings.TrimSpace(assignee)}
			if cmd.Flags().Changed("type") {
				if f.TypeID, err = r.parseID("cmd.error.type_id", "--type", typeID); err != nil {
					return err
				}
			}
			return r.listRequests(cmd, f, total, asJSON)
		})
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "", r.p.T("cmd.flag.request_status"))
	fl.StringVar(&typeID, "type", "", r.p.T("cmd.flag.type_id"))
	fl.StringVar(&client, "client", "", r.p.T("cmd.flag.client"))
	fl.StringVar(&assignee, "assignee", "", r.p.T("cmd.flag.assignee"))
	fl.IntVar(&limit, "limit", 0, r.p.T("cmd.flag.limit"))
	fl.BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json"))
	return cmd
}

// listRequests writes the queue f selects, newest first, page by page: ID,
// status, type, client, assignee, last update, and the summary last since
// it is the one of any length.
func (r *runner) listRequests(cmd *cobra.Command, f portal.QueueFilter, total int, asJSON bool) error {
	err := pager[portal.QueueRow, uint64]{
		fetch: func(ctx context.Context, before uint64, limit int) ([]portal.QueueRow, error) {
			f.BeforeID, f.Limit = before, limit
			return r.svc.RequestQueue(ctx, r.actor, f)
		},
		next: func(last *portal.QueueRow) uint64 { return last.ID },
		json: func(q *portal.QueueRow) any { return toRequestJSON(&q.Request, q.ClientEmail, q.ClientName) },
		row: func(q *portal.QueueRow) []string {
			return []string{strconv.FormatUint(q.ID, 10), q.Status, q.TypeName, q.ClientEmail, q.Assignee,
				stamp(q.UpdatedAt), q.Summary}
		},
	}.write(cmd.Context(), r.out, 0, total, asJSON)
	return r.failed(err, map[string]string{portal.FieldStatus: "status", portal.FieldEmail: "client"})
}

func (r *runner) requestsShowCmd() *cobra.Command {
	var asJSON bool
	cmd := r.requestLeaf("show ID [--json]", "cmd.requests.show.short", r.exactArgs("ID"),
		func(cmd *cobra.Command, args []string) error {
			id, err := r.requestID(args[0])
			if err != nil {
				return err
			}
			v, err := r.svc.RequestPage(cmd.Context(), r.actor, id)
			if err != nil {
				return r.failed(err, nil)
			}
			if asJSON {
				return writeJSONObject(r.out, toRequestDetailJSON(v))
			}
			return r.writeRequest(r.out, v)
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, r.p.T("cmd.flag.json_object"))
	return cmd
}

// indent is how far the lines of a multi-line value or note stand in.
const indent = "    "

// writeRequest writes a request as "label  value" lines, then its fields
// ("Label: value", a multi-line value on the lines below, indented), then
// its history oldest first, a line per event, a note's text below it.
func (r *runner) writeRequest(w io.Writer, v *portal.RequestView) error {
	tab := newTable(w)
	client := r.p.T("cmd.requests.show.client_value", text.Sanitize(v.ClientName), text.Sanitize(v.ClientEmail))
	next := strings.Join(v.Next, ", ")
	for _, kv := range [][2]string{
		{r.p.T("cmd.requests.show.id"), strconv.FormatUint(v.ID, 10)},
		{r.p.T("cmd.requests.show.type"), v.TypeName},
		{r.p.T("cmd.requests.show.client"), client},
		{r.p.T("cmd.requests.show.status"), v.Status},
		{r.p.T("cmd.requests.show.next"), next},
		{r.p.T("cmd.requests.show.assignee"), v.Assignee},
		{r.p.T("cmd.requests.show.created"), stamp(v.CreatedAt)},
		{r.p.T("cmd.requests.show.updated"), stamp(v.UpdatedAt)},
	} {
		if err := tab.row(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := tab.flush(); err != nil {
		return err
	}

	var b strings.Builder
	b.WriteString("\n" + r.p.T("cmd.requests.show.fields") + "\n")
	for _, f := range v.Fields {
		writeLabelled(&b, "  ", text.Sanitize(f.Label)+":", f.Value)
	}

	key := "cmd.requests.show.history"
	if len(v.Events) == 0 {
		key = "cmd.requests.show.no_history"
	}
	b.WriteString("\n" + r.p.T(key) + "\n")
	width := 0
	for _, e := range v.Events {
		width = max(width, utf8.RuneCountInString(text.Sanitize(e.Author)))
	}
	for _, e := range v.Events {
		head := fmt.Sprintf("%s  %-*s  %s", stamp(e.At), width, text.Sanitize(e.Author), r.eventWhat(&e))
		if e.Kind == vocab.EventNote {
			writeLabelled(&b, "  ", head+":", e.Body)
		} else {
			b.WriteString("  " + head + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLabelled writes "label value" on one line when value is one line,
// else the label alone and value's lines below it, indented; "-" when it
// is empty. The value is cleaned line by line.
func writeLabelled(b *strings.Builder, pad, label, value string) {
	value = text.SanitizeMultiline(value)
	switch {
	case strings.TrimSpace(value) == "":
		b.WriteString(pad + label + " -\n")
	case !strings.Contains(value, "\n"):
		b.WriteString(pad + label + " " + value + "\n")
	default:
		b.WriteString(pad + label + "\n")
		for _, l := range strings.Split(value, "\n") {
			b.WriteString(strings.TrimRight(pad+indent+l, " ") + "\n")
		}
	}
}

// eventWhat says what an event of a request's history did.
func (r *runner) eventWhat(e *portal.RequestEvent) string {
	switch e.Kind {
	case vocab.EventSubmitted:
		return r.p.T("cmd.requests.event.submitted")
	case vocab.EventStatus:
		if e.AuthorKind == vocab.ActorClient {
			return r.p.T("cmd.requests.event.answered", text.Sanitize(e.Status))
		}
		return r.p.T("cmd.requests.event.status", text.Sanitize(e.Status))
	case vocab.EventAssign:
		if e.Body == "" {
			return r.p.T("cmd.requests.event.unassigned")
		}
		return r.p.T("cmd.requests.event.assigned", text.Sanitize(e.Body))
	case vocab.EventNote:
		if e.Internal {
			return r.p.T("cmd.requests.event.note_internal")
		}
		return r.p.T("cmd.requests.event.note")
	}
	return text.Sanitize(e.Kind)
}

func (r *runner) requestsStatusCmd() *cobra.Command {
	return r.requestLeaf("status ID STATUS", "cmd.requests.status.short", r.exactArgs("ID", "STATUS"),
		func(cmd *cobra.Command, args []string) error {
			id, err := r.requestID(args[0])
			if err != nil {
				return err
			}
			if err := r.svc.SetRequestStatus(cmd.Context(), r.actor, id, args[1]); err != nil {
				return r.failed(err, nil)
			}
			_, err = fmt.Fprintln(r.out, r.p.T("cmd.requests.status_set", id, echo(args[1])))
			return err
		})
}

func (r *runner) requestsNoteCmd() *cobra.Command {
	var internal, visible bool
	cmd := r.requestLeaf("note ID --internal|--visible [TEXT...]", "cmd.requests.note.short", r.minArgs("ID"),
		func(cmd *cobra.Command, args []string) error {
			// Who reads the note is never a default: a remark meant for
			// colleagues must not reach the client by a forgotten flag.
			if internal == visible {
				return r.usage("cmd.requests.note_audience")
			}
			id, err := r.requestID(args[0])
			if err != nil {
				return err
			}
			// The words, joined as ssh joins a command's words; without
			// any, the note is what standard input holds.
			body := strings.Join(args[1:], " ")
			if len(args) == 1 {
				if body, err = r.readNote(); err != nil {
					return err
				}
			}
			if err := r.svc.AddNote(cmd.Context(), r.actor, id, body, internal); err != nil {
				return r.failedAs(err, map[string]string{portal.FieldNote: r.p.T("cmd.requests.note_label")})
			}
			key := "cmd.requests.noted"
			if internal {
				key = "cmd.requests.noted_internal"
			}
			_, err = fmt.Fprintln(r.out, r.p.T(key, id))
			return err
		})
	cmd.Flags().BoolVar(&internal, "internal", false, r.p.T("cmd.flag.internal"))
	cmd.Flags().BoolVar(&visible, "visible", false, r.p.T("cmd.flag.visible"))
	return cmd
}

// readNote reads a note from standard input, refusing more than
// maxNoteInput bytes without reading the rest.
func (r *runner) readNote() (string, error) {
	b, err := io.ReadAll(io.LimitReader(r.in, maxNoteInput+1))
	if err != nil {
		return "", &exitError{msg: r.p.T("cmd.error.note_stdin"), code: ExitFailed}
	}
	if len(b) > maxNoteInput {
		return "", &exitError{msg: r.p.T("cmd.error.note_too_big", maxNoteInput/1024), code: ExitFailed}
	}
	return string(b), nil
}

func (r *runner) requestsAssignCmd() *cobra.Command {
	return r.requestLeaf("assign ID NAME|-", "cmd.requests.assign.short", r.exactArgs("ID", "NAME"),
		func(cmd *cobra.Command, args []string) error {
			id, err := r.requestID(args[0])
			if err != nil {
				return err
			}
			// "-" unassigns; an empty name is a mistake, not a way to
			// unassign by accident.
			name := strings.TrimSpace(args[1])
			if name == "" {
				return r.usage("cmd.error.assignee_empty", cmd.UseLine())
			}
			if name == portal.Unassigned {
				name = ""
			}
			if err := r.svc.AssignRequest(cmd.Context(), r.actor, id, name); err != nil {
				return r.failed(err, nil)
			}
			msg := r.p.T("cmd.requests.unassigned", id)
			if name != "" {
				msg = r.p.T("cmd.requests.assigned", id, echo(name))
			}
			_, err = fmt.Fprintln(r.out, msg)
			return err
		})
}
