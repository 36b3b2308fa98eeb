package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/clientportal/portal/internal/portal/vocab"
	"gorm.io/gorm"
)

// maxSearchWords caps the words of a search: each is one more posting list
// to intersect. maxShortWords caps the one-letter words among them, whose
// posting lists are the longest.
const (
	maxSearchWords = 8
	maxShortWords  = 2
)

// searchWords splits a search into the words the index holds: runs of
// letters, digits and combining marks, lower-cased, each used once.
func searchWords(search string) []string {
	fields := strings.FieldsFunc(strings.ToLower(search), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	out := fields[:0]
	short := 0
	for _, f := range fields {
		if slices.Contains(out, f) {
			continue
		}
		if len([]rune(f)) == 1 {
			if short == maxShortWords {
				continue
			}
			short++
		}
		out = append(out, f)
		if len(out) == maxSearchWords {
			break
		}
	}
	return out
}

// ftsMatch is the FTS5 query for a search: every word a prefix, all
// required, looked for in name, company and email only. Words are quoted
// (they hold no quote: searchWords keeps letters and digits), so nothing
// typed is read as query syntax. A status, when given, is one more term,
// on the status column.
func ftsMatch(words []string, status string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`{name_norm company_norm email_norm} : "`)
		b.WriteString(w)
		b.WriteString(`"*`)
	}
	if status != "" {
		b.WriteString(` status : "`)
		b.WriteString(strings.ReplaceAll(status, `"`, `""`))
		b.WriteString(`"`)
	}
	return b.String()
}

// searchClients is ListClients with a search: the full-text index is walked
// in rowid (client ID) order from the cursor, each hit joined to its client
// by primary key, and the walk stops after limit rows. The status filter is
// a term of the same index, so a rare status with a common word is an
// intersection of posting lists, not a scan.
func (s *Store) searchClients(ctx context.Context, q vocab.ClientQuery, limit int) ([]Client, error) {
	words := searchWords(q.Search)
	if len(words) == 0 {
		return nil, nil // only punctuation: no word to look for
	}
	after := q.AfterID
	if after == 0 && q.After != "" {
		// The email cursor of an earlier page: the page went on after that
		// client, wherever it stands in ID order.
		var ids []uint64
		if err := s.with(ctx).Model(&Client{}).Where("email_norm = ?", q.After).Limit(1).Pluck("id", &ids).Error; err != nil {
			return nil, fmt.Errorf("list clients: %w", err)
		}
		if len(ids) == 0 {
			return nil, nil
		}
		after = ids[0]
	}
	var out []Client
	var err error
	if s.dialect == "postgres" {
		db := s.with(ctx).Where("search @@ public.portal_search_query(?)", textArray(words)).Where("id > ?", after)
		if q.Status != "" {
			db = db.Where("status = ?", q.Status)
		}
		err = db.Order("id").Limit(limit).Find(&out).Error
	} else {
		err = s.with(ctx).Raw(`SELECT clients.* FROM client_search CROSS JOIN clients ON clients.id = client_search.rowid
		WHERE client_search MATCH ? AND client_search.rowid > ?
		ORDER BY client_search.rowid LIMIT ?`, ftsMatch(words, q.Status), after, limit).Scan(&out).Error
	}
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return out, nil
}

// clientCols are the columns CreateClients writes, in order.
const clientCols = "email, email_norm, name, name_norm, company, company_norm, phone, lang, status, password_hash, failed_logins, locked_until, last_login_at, created_at, updated_at"

// clientsPerInsert is the rows of one INSERT of CreateClients.
const clientsPerInsert = 5000

// insertClientsSQL inserts the rows of one JSON array of arrays, the
// values in clientCols' order. jsonb_each parses the text once and hands
// each row over as a JSONB blob, which ->> reads without parsing again. One statement for thousands of rows
// matters twice over: FTS5 flushes its pending index at the start of every
// statement that writes it inside a transaction (a statement savepoint),
// so the search index gets one segment per statement, not one per few
// rows; and the driver (glebarez/go-sqlite) finds each bound parameter by
// a linear scan of the arguments, so one parameter beats thousands.
var insertClientsSQL, insertNewClientsSQL = func() (string, string) {
	var sel []string
	for i := range strings.Split(clientCols, ",") {
		sel = append(sel, fmt.Sprintf("value->>%d", i))
	}
	// "WHERE true" keeps the upsert clause from being read as a join
	// constraint, as SQLite's documentation asks.
	q := "INSERT INTO clients (" + clientCols + ") SELECT " + strings.Join(sel, ", ") + " FROM jsonb_each(?) WHERE true ORDER BY key"
	return q + " RETURNING id, email_norm",
		q + " ON CONFLICT (email_norm) DO NOTHING RETURNING id, email_norm"
}()

// insertClientsPostgres is insertClientsSQL for PostgreSQL, which needs
// the JSON's text cast to each column's type. Each row ends with its
// search document, or null for the trigger to compute it (see
// searchHelper).
var insertClientsPostgres, insertNewClientsPostgres = func() (string, string) {
	cols := clientCols + ", search"
	var sel []string
	for i, col := range strings.Split(cols, ",") {
		cast := ""
		switch col = strings.TrimSpace(col); {
		case col == "failed_logins":
			cast = "::bigint"
		case strings.HasSuffix(col, "_at") || strings.HasSuffix(col, "_until"):
			cast = "::timestamptz"
		case col == "search":
			cast = "::tsvector"
		}
		sel = append(sel, fmt.Sprintf("(value->>%d)%s", i, cast))
	}
	q := "INSERT INTO clients (" + cols + ") SELECT " + strings.Join(sel, ", ") +
		" FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS rows(value, key) ORDER BY key"
	return q + " RETURNING id, email_norm",
		q + " ON CONFLICT (email_norm) DO NOTHING RETURNING id, email_norm"
}()

// sqliteTime is how the driver writes a time.Time (go-sqlite's default
// write format): CreateClients must store exactly what gorm would.
const sqliteTime = "2006-01-02 15:04:05.999999999-07:00"

// CreateClients inserts many clients at once, filling their normalized
// columns, defaults and IDs. The rows go to the driver as one JSON
// parameter per few thousand (see insertClientsSQL), not through gorm's
// per-row reflection, all in one transaction: its own, or the caller's when
// called through a Store made by Tx. A known email gives ErrDuplicate: on
// its own nothing is inserted; inside the caller's transaction, that
// transaction must be rolled back (Tx does so when fn returns the error).
func (s *Store) CreateClients(ctx context.Context, cs []Client) error {
	if _, err := s.createClients(ctx, cs, false); err != nil {
		return fmt.Errorf("create clients: %w", err)
	}
	return nil
}

// CreateNewClients is CreateClients for the clients whose email is not
// known yet (in any case); the others are skipped and keep ID 0. It
// returns how many were inserted. Two clients of cs with the same email
// are the caller's to avoid (the second is skipped).
func (s *Store) CreateNewClients(ctx context.Context, cs []Client) (int, error) {
	n, err := s.createClients(ctx, cs, true)
	if err != nil {
		return 0, fmt.Errorf("create new clients: %w", err)
	}
	return n, nil
}

func (s *Store) createClients(ctx context.Context, cs []Client, skipKnown bool) (int, error) {
	if len(cs) == 0 {
		return 0, nil
	}
	query := insertClientsSQL
	switch {
	case s.dialect == "postgres" && skipKnown:
		query = insertNewClientsPostgres
	case s.dialect == "postgres":
		query = insertClientsPostgres
	case skipKnown:
		query = insertNewClientsSQL
	}
	added := 0
	now := s.db.NowFunc()
	for i := range cs {
		c := &cs[i]
		c.EmailNorm = NormalizeEmail(c.Email)
		c.NameNorm = NormalizeSearch(c.Name)
		c.CompanyNorm = NormalizeSearch(c.Company)
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = c.CreatedAt
		}
	}
	insert := func(tx *Store) error {
		added = 0 // a retried transaction counts again
		stmt, err := tx.db.Statement.ConnPool.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer stmt.Close()
		// Rows go in email order: each new email lands next to the last
		// one in the email indexes, so the B-tree pages a batch touches
		// are each read and written once rather than over and over (IDs
		// follow that order within one call).
		order := make([]int, len(cs))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(cs[a].EmailNorm, cs[b].EmailNorm) })
		pg := tx.dialect == "postgres"
		withHelper := pg && len(cs) >= searchHelperMin
		chunks := insertChunks(order, clientsPerInsert, withHelper)
		var helper *searchHelper
		if withHelper {
			pool, _ := tx.db.Config.ConnPool.(*sql.DB) // the pool, not the transaction
			helper = startSearchHelper(ctx, pool, cs, chunks)
			defer helper.close()
			if helper.cleans {
				// The helper cleans the GIN pending list: this
				// transaction lets the list grow rather than clean it
				// itself at every 4 MB.
				if _, err := tx.db.Statement.ConnPool.ExecContext(ctx, "SELECT set_config('gin_pending_list_limit', $1, true)", searchPendingLimit); err != nil {
					return err
				}
			}
		}
		jsons, stop := buildChunksJSON(cs, chunks, tx.timeResolution(), pg, helper)
		defer stop()
		ids := make(map[string]uint64, min(len(cs), clientsPerInsert))
		for _, chunk := range chunks {
			clear(ids)
			if err := queryIDs(ctx, stmt, <-jsons, ids); err != nil {
				return tx.translate(err)
			}
			for _, i := range chunk {
				id, ok := ids[cs[i].EmailNorm]
				if !ok && !skipKnown {
					return fmt.Errorf("no id returned for row %d of the batch", i)
				}
				if ok {
					delete(ids, cs[i].EmailNorm) // a second one with this email was skipped
					added++
				}
				cs[i].ID = id
			}
		}
		return nil
	}
	var err error
	if s.inTx() {
		// No savepoint of our own: SQLite would journal every page the
		// inserts touch, and FTS5 flush its pending index. A failure here
		// fails the caller's transaction, which rolls it all back.
		err = insert(s)
	} else {
		err = s.Tx(ctx, insert)
	}
	if err != nil {
		return 0, duplicate(err)
	}
	return added, nil
}

// buildChunksJSON writes each chunk's rows as appendClientsJSON does, in a
// goroutine one chunk ahead of the inserts, so that this work (and the
// wait for a chunk's search documents) hides behind the database's work on
// the chunk before. stop ends the goroutine and waits for it.
func buildChunksJSON(cs []Client, chunks [][]int, resolution time.Duration, search bool, helper *searchHelper) (<-chan string, func()) {
	out := make(chan string, 1)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf []byte
		for k, chunk := range chunks {
			docs, ok := helper.chunkDocs(k, quit)
			if !ok {
				return
			}
			buf = appendClientsJSON(buf[:0], cs, chunk, resolution, search, docs)
			select {
			case out <- string(buf):
			case <-quit:
				return
			}
		}
	}()
	return out, func() {
		close(quit)
		<-done
	}
}

// queryIDs runs the insert and collects the (email_norm, id) pairs it
// returns.
func queryIDs(ctx context.Context, stmt *sql.Stmt, rowsJSON string, ids map[string]uint64) error {
	rows, err := stmt.QueryContext(ctx, rowsJSON)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id uint64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			return err
		}
		ids[email] = id
	}
	return rows.Err()
}

// appendClientsJSON writes the clients cs[i] for i in which as a JSON
// array of arrays in clientCols' order, times cut to resolution as the
// driver would. With search, each row ends with its search document:
// docs[n] for which[n], or null when docs is nil.
func appendClientsJSON(b []byte, cs []Client, which []int, resolution time.Duration, search bool, docs []string) []byte {
	b = append(b, '[')
	for n, i := range which {
		c := &cs[i]
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for _, v := range [...]string{c.Email, c.EmailNorm, c.Name, c.NameNorm, c.Company, c.CompanyNorm, c.Phone, c.Lang, c.Status, c.PasswordHash} {
			b = appendJSONString(b, v)
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(c.FailedLogins), 10)
		for _, t := range [...]*time.Time{c.LockedUntil, c.LastLoginAt, &c.CreatedAt, &c.UpdatedAt} {
			b = append(b, ',')
			if t == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, '"')
			b = t.Truncate(resolution).AppendFormat(b, sqliteTime)
			b = append(b, '"')
		}
		if search {
			b = append(b, ',')
			if docs == nil {
				b = append(b, "null"...)
			} else {
				b = appendJSONString(b, docs[n])
			}
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendJSONString writes s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// translate maps a driver error to gorm's (a unique violation to
// gorm.ErrDuplicatedKey), as gorm does for its own statements.
func (s *Store) translate(err error) error {
	t, ok := s.db.Dialector.(gorm.ErrorTranslator)
	if !ok {
		return err
	}
	// PostgreSQL's translation wraps the driver's error too, so asking
	// whether it is err says nothing: ask whether it is one of gorm's.
	te := t.Translate(err)
	for _, known := range []error{gorm.ErrDuplicatedKey, gorm.ErrForeignKeyViolated, gorm.ErrCheckConstraintViolated} {
		if errors.Is(te, known) {
			return te
		}
	}
	return err
}

// inTx reports whether s runs inside a transaction (a Store made by Tx).
func (s *Store) inTx() bool {
	_, ok := s.db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}
