package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clientportal/portal/internal/text"
)

// pageSize is how many rows a listing asks the portal for at a time: big
// enough that walking a million clients is a few thousand queries, small
// enough that a page is a few hundred kilobytes in memory.
const pageSize = 500

// pager is one keyset-paged listing: how to fetch the page after a cursor
// and how to show one item, as a JSON object or as table cells.
type pager[T, C any] struct {
	fetch func(ctx context.Context, cursor C, limit int) ([]T, error)
	next  func(last *T) C
	json  func(*T) any
	row   func(*T) []string
}

// write walks the pages from cursor until total items (0: all) are
// written, writing each page before asking for the next: a script that
// wants every row gets them without the server holding them all. An error
// from fetch is returned as it is, for the caller to word.
func (p pager[T, C]) write(ctx context.Context, out io.Writer, cursor C, total int, asJSON bool) error {
	var (
		arr *jsonArray
		tab *table
	)
	if asJSON {
		arr = newJSONArray(out)
	} else {
		tab = newTable(out)
	}
	for left := total; ; {
		limit := pageSize
		if total > 0 && left < limit {
			limit = left
		}
		page, err := p.fetch(ctx, cursor, limit)
		if err != nil {
			return err
		}
		for i := range page {
			if asJSON {
				err = arr.add(p.json(&page[i]))
			} else {
				err = tab.row(p.row(&page[i])...)
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
		left -= len(page)
		if len(page) < limit || (total > 0 && left <= 0) {
			break
		}
		cursor = p.next(&page[len(page)-1])
	}
	if asJSON {
		return arr.close()
	}
	return nil
}

// jsonArray writes a JSON array one element at a time, so a listing of a
// million rows never holds more than a page. The opening bracket is written
// with the first element (or by close), so a refusal before any row leaves
// stdout empty. When a listing fails half way the array is left unclosed on
// purpose: a script's parser then fails too, instead of taking a truncated
// list for the whole one.
type jsonArray struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
}

// writeJSONObject writes v as one indented JSON object, for the `show`
// commands' --json.
func writeJSONObject(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // as in jsonArray: "<" stays "<"
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newJSONArray(w io.Writer) *jsonArray {
	a := &jsonArray{w: w}
	a.enc = json.NewEncoder(&a.buf)
	// Emails and names are shown to people: "<" stays "<".
	a.enc.SetEscapeHTML(false)
	return a
}

func (a *jsonArray) add(v any) error {
	a.buf.Reset()
	if a.n == 0 {
		a.buf.WriteString("[\n")
	} else {
		a.buf.WriteString(",\n")
	}
	if err := a.enc.Encode(v); err != nil {
		return err
	}
	a.buf.Truncate(a.buf.Len() - 1) // Encode's newline; the separator brings its own
	a.n++
	_, err := a.w.Write(a.buf.Bytes())
	return err
}

func (a *jsonArray) close() error {
	end := "\n]\n"
	if a.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(a.w, end)
	return err
}

// table aligns plain rows in columns. It is flushed after each page, so a
// long listing streams; the price is that column widths are per page.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

// row writes one line; every cell is cleaned, since tabwriter would take a
// tab in a name for a column break and a terminal would run an escape.
func (t *table) row(cells ...string) error {
	for i, c := range cells {
		c = text.Sanitize(c)
		if c == "" {
			c = "-"
		}
		cells[i] = c
	}
	_, err := io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
	return err
}

func (t *table) flush() error { return t.tw.Flush() }

// stamp is how times are written, in plain and JSON alike: UTC, to the
// second, RFC 3339, so scripts parse it and people read it.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// stampPtr is stamp for a time that may not have happened: JSON null.
func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}
