package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/portal"
)

// DefaultImportProgress is how often, at most, `clients import` tells
// stderr how far it is, unless the server says otherwise with
// WithImportProgress. The first line comes only once an import has run
// this long, so a small file's import prints nothing but its result.
const DefaultImportProgress = 500 * time.Millisecond

type importProgressKey struct{}

// WithImportProgress returns a context that makes `clients import` report
// its progress at most every d instead of DefaultImportProgress; 0 reports
// after every batch. The server sets it as it sets the logger.
func WithImportProgress(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, importProgressKey{}, d)
}

// importProgressEvery is the interval the call's context asks for.
func importProgressEvery(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(importProgressKey{}).(time.Duration); ok && d >= 0 {
		return d
	}
	return DefaultImportProgress
}

// importColumns names the CSV column behind each field a refused line is
// refused for, so "Required." reads "name: Required.".
func importColumns() map[string]string {
	return map[string]string{
		portal.FieldEmail: "email", portal.FieldName: "name",
		portal.FieldCompany: "company", portal.FieldPhone: "phone",
	}
}

// clientsImportCmd reads CSV on stdin. Output: one line per refused line
// on stderr ("line N: why"), progress lines on stderr while a long import
// runs, and the summary on stdout. Exit status 0 when every line was added
// or was a duplicate (running the same import twice succeeds), 1 when any
// line was refused, so a script notices; the summary is printed either way.
func (r *runner) clientsImportCmd() *cobra.Command {
	var invite bool
	cmd := r.leaf("import [--invite] < FILE.csv", "cmd.clients.import.short", r.noArgs(),
		func(cmd *cobra.Command, _ []string) error {
			// The portal calls progress after each batch, on this
			// goroutine.
			every := importProgressEvery(cmd.Context())
			last := time.Now()
			progress := func(pr portal.ImportProgress) {
				now := time.Now()
				if now.Sub(last) < every {
					return
				}
				last = now
				fmt.Fprintln(r.stderr, r.p.T("cmd.clients.import.progress", pr.Lines, pr.Added))
			}
			rep, err := r.svc.ImportClients(cmd.Context(), r.actor, r.in,
				portal.ImportOptions{Invite: invite, Progress: progress})
			if rep != nil {
				if werr := r.writeImportReport(rep, invite); werr != nil && err == nil {
					err = werr
				}
			}
			if err != nil {
				return r.failed(err, nil)
			}
			if rep.Failed > 0 {
				return &exitError{code: ExitFailed} // the lines above said why
			}
			return nil
		})
	cmd.Flags().BoolVar(&invite, "invite", false, r.p.T("cmd.flag.invite"))
	return cmd
}

// writeImportReport writes the refused lines on stderr and the summary on
// stdout.
func (r *runner) writeImportReport(rep *portal.ImportReport, invite bool) error {
	cols := importColumns()
	for _, e := range rep.Errors {
		msg := r.p.T("common.error.internal")
		if pe := portal.AsError(e.Err); pe != nil {
			msg = r.refusal(pe, nil)
			if col, ok := cols[pe.Field]; ok {
				msg = r.p.T("cmd.clients.import.column", col, msg)
			}
		}
		fmt.Fprintln(r.stderr, r.p.T("cmd.clients.import.line", e.Line, msg))
	}
	if rep.MoreErrors > 0 {
		fmt.Fprintln(r.stderr, r.p.T("cmd.clients.import.more_errors", rep.MoreErrors))
	}
	key := "cmd.clients.import.summary"
	if invite {
		key = "cmd.clients.import.summary_invited"
	}
	if rep.Lines == 1 {
		key += "_one"
	}
	_, err := fmt.Fprintln(r.out, r.p.T(key, rep.Lines, rep.Added, rep.Duplicates, rep.Failed))
	return err
}
