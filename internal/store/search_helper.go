package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A bulk insert of clients on PostgreSQL spends most of its time on the
// search column: computing each client's document (portal_search_doc) and
// folding it into the GIN index. Both would run on the inserting
// connection, one core, while the others wait. searchHelper moves them to
// a second connection of the pool, working beside the inserts:
//
//   - It computes the documents of every chunk of rows but the first
//     ahead of the insert that needs them, with the very function the
//     trigger would call (migration 0005), and hands them back as text:
//     the insert stores them as they are (tsvector's text form reads back
//     as the same value), so what search finds is the same by
//     construction. The first chunk, small, has its documents computed by
//     the trigger while the helper makes the second's.
//   - Then, until the inserts are done, it moves the GIN index's pending
//     list into the index (gin_clean_pending_list) every searchCleanEvery,
//     while the inserting transaction lets its pending list grow to
//     searchPendingLimit before it would clean it itself. Entries of rows
//     not committed yet move too: an index entry says nothing of a row's
//     visibility, which is why VACUUM may do the same.
//
// Everything the helper does is an optimization: when it cannot have a
// connection, or a statement of its fails, the inserts go on without it
// (documents computed by the trigger, the list cleaned by the inserts).
type searchHelper struct {
	docs   []chan []string // per chunk: its documents, or closed empty
	stop   chan struct{}
	done   chan struct{}
	cleans bool // it cleans the pending list beside the inserts
}

// Tuning of the helper, measured with `clients import` of 1,000,000 rows
// (BENCHMARKS.md, "On PostgreSQL").
const (
	// searchHelperMin is the fewest rows worth a second connection.
	searchHelperMin = 2000
	// searchFirstChunk is the first chunk's rows, whose documents the
	// trigger computes; the chunks after grow by half each time (the
	// helper makes a row's document in about half the time the insert
	// takes for it, so it stays ahead), up to the statement's size.
	searchFirstChunk = 500
	// searchCleanEvery is how often the helper cleans the pending list.
	searchCleanEvery = 250 * time.Millisecond
	// searchPendingLimit is the inserting transaction's
	// gin_pending_list_limit while the helper cleans, as headroom: the
	// helper's cleaning keeps the list far shorter, so searches meanwhile
	// (which read the whole list) stay quick.
	searchPendingLimit = "64MB"
	// searchConnWait bounds the wait for the helper's connection.
	searchConnWait = 500 * time.Millisecond
)

// searchDocsSQL computes the documents of rows given as three arrays, in
// the arrays' order.
const searchDocsSQL = `SELECT public.portal_search_doc(n, c, e)::text
	FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS r(n, c, e, i) ORDER BY i`

// searchIndexOwnedSQL tells whether the connection's user may clean the
// index's pending list (gin_clean_pending_list asks for its owner).
const searchIndexOwnedSQL = `SELECT pg_has_role(relowner, 'USAGE') FROM pg_class
	WHERE oid = to_regclass('public.idx_clients_search')`

// insertChunks splits order into the chunks of one insert statement each,
// of per rows; with ramp, starting at searchFirstChunk and growing by half.
func insertChunks(order []int, per int, ramp bool) [][]int {
	var out [][]int
	size := per
	if ramp {
		size = min(searchFirstChunk, per)
	}
	for lo := 0; lo < len(order); lo += size {
		if lo > 0 && ramp {
			size = min(size+size/2, per)
		}
		out = append(out, order[lo:min(lo+size, len(order))])
	}
	return out
}

// startSearchHelper starts the helper for inserting the chunks of cs (the
// clients' normalized columns set, and left alone until close). pool is
// the pool the helper takes its connection from, not the transaction's.
func startSearchHelper(ctx context.Context, pool *sql.DB, cs []Client, chunks [][]int) *searchHelper {
	h := &searchHelper{docs: make([]chan []string, len(chunks)), stop: make(chan struct{}), done: make(chan struct{})}
	for i := range h.docs {
		h.docs[i] = make(chan []string, 1)
	}
	if len(h.docs) > 0 {
		close(h.docs[0]) // the trigger's
	}
	// The connection is taken here, not in the goroutine, so that the
	// caller knows whether to leave the cleaning to the helper. A pool
	// with none free would make the inserts wait: do without.
	var conn *sql.Conn
	err := errors.New("no pool")
	if pool != nil {
		wait, cancel := context.WithTimeout(ctx, searchConnWait)
		conn, err = pool.Conn(wait)
		cancel()
	}
	if err != nil {
		for i := 1; i < len(h.docs); i++ {
			close(h.docs[i])
		}
		close(h.done)
		return h
	}
	var owned sql.NullBool
	if err := conn.QueryRowContext(ctx, searchIndexOwnedSQL).Scan(&owned); err == nil {
		h.cleans = owned.Bool
	}
	go h.run(ctx, conn, cs, chunks)
	return h
}

func (h *searchHelper) run(ctx context.Context, conn *sql.Conn, cs []Client, chunks [][]int) {
	defer close(h.done)
	defer conn.Close()
	failed := false
	for i := 1; i < len(chunks); i++ {
		select {
		case <-h.stop: // the inserts gave up
			failed = true
		default:
		}
		if !failed {
			docs, err := searchDocs(ctx, conn, cs, chunks[i])
			if err != nil {
				failed = true
			} else {
				h.docs[i] <- docs
			}
		}
		close(h.docs[i])
	}
	if failed || !h.cleans {
		return
	}
	// Clean at once (what earlier inserts left in the list, and what
	// these added while the documents were made), then every
	// searchCleanEvery.
	tick := time.NewTicker(searchCleanEvery)
	defer tick.Stop()
	for {
		if _, err := conn.ExecContext(ctx, "SELECT gin_clean_pending_list('public.idx_clients_search'::regclass)"); err != nil {
			return
		}
		select {
		case <-h.stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// searchDocs computes the documents of the chunk's clients.
func searchDocs(ctx context.Context, conn *sql.Conn, cs []Client, chunk []int) ([]string, error) {
	names := make([]string, len(chunk))
	companies := make([]string, len(chunk))
	emails := make([]string, len(chunk))
	for n, i := range chunk {
		names[n], companies[n], emails[n] = cs[i].NameNorm, cs[i].CompanyNorm, cs[i].EmailNorm
	}
	// Plain slices, which pgx sends as binary arrays (textArray's text
	// form would be parsed by pgx and encoded again).
	rows, err := conn.QueryContext(ctx, searchDocsSQL, names, companies, emails)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	docs := make([]string, 0, len(chunk))
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(docs) != len(chunk) {
		return nil, fmt.Errorf("search documents: %d for %d rows", len(docs), len(chunk))
	}
	return docs, nil
}

// chunkDocs waits for chunk k's documents, or quit: nil when they are not
// computed (the trigger then computes them), false on quit.
func (h *searchHelper) chunkDocs(k int, quit <-chan struct{}) ([]string, bool) {
	if h == nil {
		return nil, true
	}
	select {
	case docs := <-h.docs[k]:
		return docs, true
	case <-quit:
		return nil, false
	}
}

// close stops the helper and waits for it to give its connection back.
func (h *searchHelper) close() {
	if h == nil {
		return
	}
	close(h.stop)
	<-h.done
}
