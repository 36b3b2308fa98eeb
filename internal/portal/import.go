package portal

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/clientportal/portal/internal/portal/vocab"
	"github.com/clientportal/portal/internal/store"
)

// Import limits.
const (
	// MaxImportLine caps one CSV record: a longer one is reported and
	// skipped, so a 10 MB line costs no more than a short one.
	MaxImportLine = 64 * 1024
	// maxImportErrors caps the errors a report keeps; the rest are counted.
	maxImportErrors = 1000
	// importBatch is the rows inserted in one transaction. A commit writes
	// every page the batch changed to the WAL, and new emails land all
	// over the email indexes, so a batch dirties about a page per row
	// until it covers the whole index: fewer, larger batches write far
	// less. It also flushes the search index once per batch.
	importBatch = 20_000
	// importInviteBatch is the batch with invitations: each row then also
	// writes an invitation and a mail, and a transaction holds SQLite's
	// one write lock, which log ins and staff actions wait for.
	importInviteBatch = 2_000
	// importProgressEvery is how often (in lines) progress is reported
	// while a batch fills; it is also reported after each batch.
	importProgressEvery = 5000
)

// ImportOptions tune ImportClients.
type ImportOptions struct {
	// Invite queues an invitation for every client added.
	Invite bool
	// Progress, when set, is told how far the import is every few
	// thousand lines and after each batch is committed (Added counts
	// committed clients only).
	Progress func(ImportProgress)
}

// ImportProgress is how far an import is.
type ImportProgress struct {
	Lines     int   // CSV lines read so far
	Added     int   // clients added so far
	BytesRead int64 // input consumed so far
}

// ImportError is one line the import could not take.
type ImportError struct {
	Line int
	Err  error // a refusal (*Error): show it with Message
}

// ImportReport is what an import did.
type ImportReport struct {
	Lines      int // records read, the header not counted
	Added      int
	Duplicates int // emails already known, or twice in the file
	Failed     int // lines refused, duplicates excluded
	Errors     []ImportError
	MoreErrors int // errors not kept in Errors
}

// ImportClients adds the clients of a CSV (email,name,company,phone; a
// header line is optional; quoted fields allowed) in batches, each batch in
// one transaction. A bad line is reported with its number and skipped; a
// known email is counted as a duplicate, not an error. Admins only. The
// import stops at ctx's end with what was added so far committed.
func (s *Service) ImportClients(ctx context.Context, a Actor, r io.Reader, opts ImportOptions) (rep *ImportReport, err error) {
	if err := s.authorize(ctx, a, ActImportClients); err != nil {
		return nil, err
	}
	rep = &ImportReport{}
	// Recorded however the import ends: what was committed stays, so the
	// audit log must say so even when it was cancelled or failed.
	defer func() {
		detail := fmt.Sprintf("%d lines, %d added, %d duplicates, %d refused", rep.Lines, rep.Added, rep.Duplicates, rep.Failed)
		if err != nil {
			detail += "; stopped: " + err.Error()
		}
		if aerr := s.auditNow(context.WithoutCancel(ctx), a, vocab.AuditClientImport, "", detail); aerr != nil && err == nil {
			err = aerr
		}
	}()
	batchSize := importBatch
	if opts.Invite {
		batchSize = importInviteBatch
	}
	return rep, s.importClients(ctx, a, r, opts, rep, batchSize)
}

func (s *Service) importClients(ctx context.Context, a Actor, r io.Reader, opts ImportOptions, rep *ImportReport, batchSize int) error {
	counted := &countingReader{r: r}
	records := newRecordReader(counted, MaxImportLine)
	seen := map[string]bool{}
	var batch []importRow
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		added, dups, err := s.importBatch(ctx, a, batch, opts.Invite)
		if errors.Is(err, ErrForbidden) {
			return refuse("", "error.import.revoked", rep.Added)
		}
		if err != nil {
			return err
		}
		rep.Added += added
		rep.Duplicates += dups
		batch = batch[:0]
		if opts.Progress != nil {
			opts.Progress(ImportProgress{Lines: rep.Lines, Added: rep.Added, BytesRead: counted.n})
		}
		return nil
	}
	fail := func(line int, err error) {
		rep.Failed++
		if len(rep.Errors) < maxImportErrors {
			rep.Errors = append(rep.Errors, ImportError{Line: line, Err: err})
		} else {
			rep.MoreErrors++
		}
	}
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, line, err := records.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if pe := AsError(err); pe != nil {
				rep.Lines++
				fail(line, err)
				continue
			}
			return fmt.Errorf("import clients: read: %w", err)
		}
		if first && isHeader(rec) {
			continue // the header is not a client: not counted
		}
		rep.Lines++
		row, err := parseImportRow(rec)
		if err != nil {
			fail(line, err)
			continue
		}
		norm := row.Email // validProfile gave it in the normalized form
		if seen[norm] {
			rep.Duplicates++
			continue
		}
		seen[norm] = true
		batch = append(batch, importRow{Profile: row, line: line})
		if opts.Progress != nil && len(batch)%importProgressEvery == 0 && len(batch) < batchSize {
			opts.Progress(ImportProgress{Lines: rep.Lines, Added: rep.Added, BytesRead: counted.n})
		}
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

type importRow struct {
	Profile
	line int
}

func isHeader(rec []string) bool {
	return len(rec) > 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), "email")
}

// parseImportRow checks one record as the add-client form would.
func parseImportRow(rec []string) (Profile, error) {
	if len(rec) < 2 || len(rec) > 4 {
		return Profile{}, refuse("", "error.import.columns", len(rec))
	}
	p := Profile{Email: strings.TrimPrefix(rec[0], "\ufeff"), Name: rec[1]}
	if len(rec) > 2 {
		p.Company = rec[2]
	}
	if len(rec) > 3 {
		p.Phone = rec[3]
	}
	return validProfile(p, true)
}

// importBatch adds the batch's new clients in one transaction and returns
// how many were added and how many were already known. Known emails are
// skipped by the insert itself (one statement per few thousand rows, see
// store.CreateNewClients), not looked up first.
func (s *Service) importBatch(ctx context.Context, a Actor, batch []importRow, invite bool) (int, int, error) {
	added := 0
	now := s.clock()
	rows := make([]store.Client, len(batch))
	for i, r := range batch {
		rows[i] = store.Client{
			Email: r.Email, Name: r.Name, Company: r.Company, Phone: r.Phone,
			Status: vocab.StatusInvited, CreatedAt: now, UpdatedAt: now,
		}
	}
	err := s.tx(ctx, func(tx *store.Store) error {
		// An import runs for minutes: a key removed (or made support)
		// meanwhile commits no further batch. Checked in the batch's
		// transaction, so no batch commits after the removal did.
		if role, err := s.currentRoleIn(ctx, tx, a); err != nil {
			return err
		} else if !allowed(role, ActImportClients) {
			return ErrForbidden
		}
		n, err := tx.CreateNewClients(ctx, rows)
		if err != nil {
			return err
		}
		added = n
		if !invite {
			return nil
		}
		for i := range rows {
			if rows[i].ID == 0 {
				continue // known already
			}
			if _, err := s.newInvitation(ctx, tx, &rows[i], a.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("import clients: %w", err)
	}
	return added, len(batch) - added, nil
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recordReader splits CSV input into records itself, physical line by
// physical line, so that it can cap a record's size (a longer one is
// skipped without being held in memory) and know each record's line
// number; each record is then parsed by encoding/csv alone.
type recordReader struct {
	r    *bufio.Reader
	max  int
	line int // physical lines consumed
}

func newRecordReader(r io.Reader, max int) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64*1024), max: max}
}

// next returns the next record and the line it starts on. A refusal
// (*Error) reports a bad record, which is skipped; io.EOF ends the input.
func (rr *recordReader) next() ([]string, int, error) {
	var buf []byte
	start := rr.line + 1
	tooLong := false
	for {
		part, err := rr.r.ReadSlice('\n')
		if len(part) > 0 || err == nil {
			if !tooLong && len(buf)+len(part) <= rr.max {
				buf = append(buf, part...)
			} else {
				tooLong, buf = true, buf[:0]
			}
		}
		if err == bufio.ErrBufferFull {
			continue // the same physical line goes on
		}
		if err != nil && err != io.EOF {
			return nil, start, err
		}
		atEOF := err == io.EOF
		if len(part) > 0 || !atEOF {
			rr.line++
		}
		// A record goes on past a newline inside a quoted field. Only a
		// quote that opens a field counts: a stray one inside a field
		// (5" Smith) must not swallow the lines after it.
		if !tooLong && !atEOF && quoteOpen(buf) {
			continue
		}
		if tooLong {
			if atEOF && rr.line < start {
				return nil, start, io.EOF
			}
			return nil, start, refuse("", "error.import.line_too_long", rr.max)
		}
		text := strings.TrimRight(string(buf), "\r\n")
		if atEOF && len(buf) == 0 {
			return nil, start, io.EOF
		}
		if strings.TrimSpace(text) == "" {
			if atEOF {
				return nil, start, io.EOF
			}
			buf, start = buf[:0], rr.line+1
			continue // blank lines are not records
		}
		if !strings.Contains(text, `"`) {
			// No quotes: the fields are exactly what encoding/csv would
			// read, without its per-record reader.
			return strings.Split(text, ","), start, nil
		}
		if quoteOpen([]byte(text)) {
			return nil, start, refuse("", "error.import.bad_csv") // a quoted field never closed
		}
		cr := csv.NewReader(strings.NewReader(text))
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true // a stray quote inside a field is part of it
		rec, perr := cr.Read()
		if perr != nil {
			return nil, start, refuse("", "error.import.bad_csv")
		}
		return rec, start, nil
	}
}

// quoteOpen reports whether a CSV record is inside a quoted field at the
// end of buf: a quote opens one only at the start of a field, and "" inside
// one is an escaped quote.
func quoteOpen(buf []byte) bool {
	in, fieldStart := false, true
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		switch {
		case in && c == '"':
			if i+1 < len(buf) && buf[i+1] == '"' {
				i++
				continue
			}
			in = false
		case !in && c == '"' && fieldStart:
			in = true
		}
		fieldStart = !in && (c == ',' || c == '\n')
	}
	return in
}

// MaxImportFile caps a CSV file imported from the server's disk.
const MaxImportFile = 200 << 20

// ImportFile is a CSV file on the server, opened for ImportClients.
type ImportFile struct {
	io.ReadCloser
	Name string // the file's base name
	Size int64
}

// ImportDir is the folder the console's import reads files from.
func (s *Service) ImportDir() string { return s.cfg.ImportDir }

// OpenImportFile opens a CSV file of the import folder (Config.ImportDir)
// for an import. Admins only, checked before the path is even looked at
// (so the console is no way for others to learn which files exist). The
// path is a name in that folder, or a path into it; anything that leads
// elsewhere (.., an absolute path outside, a symbolic link pointing out) is
// refused, so the console cannot read whatever the server's user can.
// Only a regular file of at most MaxImportFile bytes is opened, and
// without blocking: a FIFO or a device could otherwise hang the import for
// good.
func (s *Service) OpenImportFile(ctx context.Context, a Actor, path string) (*ImportFile, error) {
	if err := s.authorize(ctx, a, ActImportClients); err != nil {
		return nil, err
	}
	path = strings.TrimSpace(path)
	if path == "" {
		return nil, refuse("path", "error.field.required")
	}
	dir := s.cfg.ImportDir
	if dir == "" {
		return nil, refuse("path", "error.import.no_dir", "--import-dir")
	}
	outside := refuse("path", "error.import.outside_dir", dir)
	rel := path
	if filepath.IsAbs(path) {
		r, err := filepath.Rel(dir, path)
		if err != nil {
			return nil, outside
		}
		rel = r
	}
	if !filepath.IsLocal(rel) {
		return nil, outside
	}
	rel = filepath.Clean(rel) // lexically, staying inside: a/../b is b
	// os.Root resolves every step inside dir: a symbolic link (or a
	// folder swapped for one meanwhile) that leads out fails there.
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, refuse("path", "error.import.no_dir", dir)
	}
	if err != nil {
		return nil, refuse("path", "error.import.unreadable")
	}
	defer func() { _ = root.Close() }()
	fi, err := root.Stat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, refuse("path", "error.import.not_found")
	case err != nil && escapes(dir, rel):
		return nil, outside
	case err != nil:
		return nil, refuse("path", "error.import.unreadable")
	case !fi.Mode().IsRegular():
		return nil, refuse("path", "error.import.not_regular")
	case fi.Size() > MaxImportFile:
		return nil, refuse("path", "error.import.too_big", MaxImportFile>>20)
	}
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if escapes(dir, rel) {
			return nil, outside
		}
		return nil, refuse("path", "error.import.unreadable")
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		_ = f.Close() // swapped for something else since the first look
		return nil, refuse("path", "error.import.not_regular")
	}
	full := filepath.Join(dir, rel)
	if err := s.auditNow(ctx, a, vocab.AuditClientImportFile, "", full); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &ImportFile{ReadCloser: f, Name: filepath.Base(full), Size: fi.Size()}, nil
}

// escapes reports whether rel, inside dir, resolves outside it: what
// os.Root refused, told apart from other failures for the message.
func escapes(dir, rel string) bool {
	real, err := filepath.EvalSymlinks(filepath.Join(dir, rel))
	if err != nil {
		return false
	}
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	r, err := filepath.Rel(base, real)
	return err != nil || !filepath.IsLocal(r)
}
