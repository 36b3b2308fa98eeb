package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clientportal/portal/internal/config"
	"github.com/clientportal/portal/internal/portal"
	"github.com/clientportal/portal/internal/store"
	"github.com/clientportal/portal/internal/text"
)

// checkReport is what `portal check` found, as --json prints it.
type checkReport struct {
	OK        bool          `json:"ok"`
	Database  checkPart     `json:"database"`
	Schema    checkPart     `json:"schema"`
	SSH       *checkPart    `json:"ssh,omitempty"`
	Instances []string      `json:"instances"`
	Mail      checkMailPart `json:"mail"`
}

type checkPart struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type checkMailPart struct {
	Queued        int64   `json:"queued"`
	Failed        int64   `json:"failed"`
	OldestWaitSec float64 `json:"oldest_wait_seconds"`
}

func newCheckCommand(getenv func(string) string) *cobra.Command {
	var sshAddr string
	var timeout time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the database (and a server's SSH port) without changing anything; exit 1 when unhealthy",
		Long: `Check answers whether this portal can serve: the database answers, its schema is
the one this build expects, and (with --ssh) a server answers SSH on its port. It
also lists the instances sharing the database and the state of the mail outbox.
It changes nothing, so a load balancer or an operator may run it as often as they like.`,
		Args: cobra.NoArgs,
	}
	cfg := config.BindDatabase(cmd.Flags(), getenv)
	cmd.Flags().StringVar(&sshAddr, "ssh", "", "also check that a server answers SSH at this host:port")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up on each check after this long")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if timeout <= 0 {
			return errors.New("--timeout: must be more than 0")
		}
		if err := cfg.ValidateDatabase(); err != nil {
			return err
		}
		r := runCheck(cmd.Context(), cfg.DB, sshAddr, timeout)
		if asJSON {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				return err
			}
		} else {
			writeCheck(cmd.OutOrStdout(), r)
		}
		if !r.OK {
			return errors.New("unhealthy")
		}
		return nil
	}
	return cmd
}

// runCheck checks the database at dsn and, when sshAddr is set, a server's
// SSH port, each within timeout.
func runCheck(ctx context.Context, dsn, sshAddr string, timeout time.Duration) *checkReport {
	r := &checkReport{Instances: []string{}}
	if sshAddr != "" {
		part := checkSSH(ctx, sshAddr, timeout)
		r.SSH = &part
	}
	checkDatabase(ctx, r, dsn, timeout)
	r.OK = r.Database.OK && r.Schema.OK && (r.SSH == nil || r.SSH.OK)
	return r
}

func checkDatabase(ctx context.Context, r *checkReport, dsn string, timeout time.Duration) {
	r.Schema.Detail = "not checked"
	if !store.IsPostgres(dsn) {
		// Opening would create an empty database: a check must not.
		if _, err := os.Stat(dsn); err != nil {
			r.Database.Detail = fmt.Sprintf("no SQLite database at %s (a server creates it at its first start)", dsn)
			return
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		r.Database.Detail = text.Sanitize(err.Error())
		return
	}
	defer st.Close()
	h, err := st.Health(ctx, portal.InstanceGoneAfter)
	if err != nil {
		r.Database.Detail = text.Sanitize(err.Error())
		return
	}
	r.Database = checkPart{OK: true, Detail: fmt.Sprintf("%s answered in %d ms", h.Dialect, time.Since(start).Milliseconds())}
	if len(h.Pending) > 0 {
		r.Schema.Detail = fmt.Sprintf("migrations not applied: %s (start this version's server, or run portal migrate)", strings.Join(h.Pending, ", "))
		return
	}
	r.Schema = checkPart{OK: true, Detail: "up to date"}
	if len(h.Unknown) > 0 {
		r.Schema.Detail = fmt.Sprintf("up to date, and has migrations of a newer build: %s", text.Sanitize(strings.Join(h.Unknown, ", ")))
	}
	for _, in := range h.Instances {
		r.Instances = append(r.Instances, text.Sanitize(in.ID))
	}
	r.Mail = checkMailPart{Queued: h.MailQueued, Failed: h.MailFailed}
	if h.OldestDue != nil {
		r.Mail.OldestWaitSec = max(0, time.Since(*h.OldestDue).Round(time.Second).Seconds())
	}
}

// checkSSH connects to addr and reads the server's SSH version line.
func checkSSH(ctx context.Context, addr string, timeout time.Duration) checkPart {
	d := net.Dialer{Timeout: timeout}
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return checkPart{Detail: text.Sanitize(err.Error())}
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(io.LimitReader(conn, 256)).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SSH-2.0-") {
		return checkPart{Detail: fmt.Sprintf("%s did not answer as an SSH server (%q)", addr, text.Sanitize(strings.TrimSpace(line)))}
	}
	return checkPart{OK: true, Detail: fmt.Sprintf("%s answered %s in %d ms", addr, text.Sanitize(strings.TrimSpace(line)), time.Since(start).Milliseconds())}
}

func writeCheck(w io.Writer, r *checkReport) {
	mark := func(ok bool) string {
		if ok {
			return "ok  "
		}
		return "FAIL"
	}
	fmt.Fprintf(w, "database   %s %s\n", mark(r.Database.OK), r.Database.Detail)
	fmt.Fprintf(w, "schema     %s %s\n", mark(r.Schema.OK), r.Schema.Detail)
	if r.SSH != nil {
		fmt.Fprintf(w, "ssh        %s %s\n", mark(r.SSH.OK), r.SSH.Detail)
	}
	if !r.Schema.OK {
		return
	}
	if len(r.Instances) == 0 {
		fmt.Fprintln(w, "instances       none running")
	} else {
		fmt.Fprintf(w, "instances       %d running: %s\n", len(r.Instances), strings.Join(r.Instances, ", "))
	}
	mail := fmt.Sprintf("%d queued, %d failed", r.Mail.Queued, r.Mail.Failed)
	if r.Mail.Queued > 0 {
		mail += fmt.Sprintf("; the oldest due %s ago", time.Duration(r.Mail.OldestWaitSec*float64(time.Second)))
	}
	fmt.Fprintf(w, "mail            %s\n", mail)
}
