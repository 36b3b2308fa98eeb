package store

import (
	"fmt"
	"slices"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migration0002 makes client search a word-prefix search through an
// index, and lets a status filter page in email order through one:
//
//   - client_search, a full-text index over the clients' name, company,
//     email and status. On SQLite it is an FTS5 table whose content is the
//     clients table itself (external content: nothing is stored twice),
//     with prefix indexes for 1 to 3 characters so the first keystrokes of
//     a search read one posting list instead of merging thousands.
//     Triggers keep it in step with every write to clients (insert, update
//     of a searched column, delete), whatever path the write takes.
//     The tokenizer splits on anything that is not a letter, a digit or a
//     combining mark (marks are part of words in Devanagari, Tamil and many
//     other scripts, and searchWords keeps them too), so
//     "ann.smith@acme-legal.com" is the words ann, smith, acme, legal, com;
//     it folds case and drops diacritics ("Zoë" is found by "zoe").
//     On PostgreSQL it is a stored tsvector column, search, computed from
//     the same columns by portal_search_doc (ASCII punctuation made spaces
//     first, so that the text search parser sees no e-mail addresses, host
//     names or paths, only words; diacritics dropped by unaccent; and each
//     word's first 1 to 3 characters as lexemes of their own, as FTS5's
//     prefix indexes), with a GIN index; queried with portal_search_query
//     and walked in id order from the cursor. The planner chooses between
//     the GIN index (a rare word) and the id order (a common one, whose
//     first page is near the start). The store asks for the model's
//     columns by name on PostgreSQL, so lists never carry this one.
//   - idx_clients_status_email (status, email_norm) replaces the index on
//     status alone: "status = ? AND email_norm > ? ORDER BY email_norm" is
//     then one index range, however rare or common the status.
//   - the indexes on name_norm and company_norm, which served the old
//     whole-field prefix search and nothing else, are dropped: every index
//     costs each insert, and an import of a million clients pays for them.
func migration0002() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0002_client_search",
		Migrate: func(tx *gorm.DB) error {
			if tx.Dialector.Name() == "postgres" {
				return execAll(tx, postgresSearchUp)
			}
			return execAll(tx, sqliteSearchUp)
		},
		Rollback: func(tx *gorm.DB) error {
			if tx.Dialector.Name() == "postgres" {
				return execAll(tx, postgresSearchDown)
			}
			return execAll(tx, sqliteSearchDown)
		},
	}
}

func execAll(tx *gorm.DB, stmts []string) error {
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%.60s…: %w", q, err)
		}
	}
	return nil
}

// The indexes on clients(status), (name_norm) and (company_norm): 0002
// drops them, and 0005 again (see there why they came back).
var dropUnusedClientIndexes = []string{
	`DROP INDEX IF EXISTS idx_clients_status`,
	`DROP INDEX IF EXISTS idx_clients_name_norm`,
	`DROP INDEX IF EXISTS idx_clients_company_norm`,
}

var recreateUnusedClientIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_clients_status ON clients(status)`,
	`CREATE INDEX IF NOT EXISTS idx_clients_name_norm ON clients(name_norm)`,
	`CREATE INDEX IF NOT EXISTS idx_clients_company_norm ON clients(company_norm)`,
}

// The FTS5 row of a client, as the triggers insert and delete it.
const (
	ftsCols   = "rowid, name_norm, company_norm, email_norm, status"
	ftsNew    = "new.id, new.name_norm, new.company_norm, new.email_norm, new.status"
	ftsOld    = "old.id, old.name_norm, old.company_norm, old.email_norm, old.status"
	ftsInsert = "INSERT INTO client_search(" + ftsCols + ") VALUES (" + ftsNew + ");"
	ftsDelete = "INSERT INTO client_search(client_search, " + ftsCols + ") VALUES ('delete', " + ftsOld + ");"
)

var sqliteSearchUp = slices.Concat([]string{
	// detail=column: no word positions (no phrase queries are made), but
	// column filters, so that words typed never match the status column.
	`CREATE VIRTUAL TABLE client_search USING fts5(
		name_norm, company_norm, email_norm, status,
		content='clients', content_rowid='id',
		detail='column', prefix='1 2 3',
		tokenize='unicode61 remove_diacritics 2 categories ''L* N* Co M*''')`,
	`CREATE TRIGGER clients_search_insert AFTER INSERT ON clients BEGIN ` + ftsInsert + ` END`,
	`CREATE TRIGGER clients_search_delete AFTER DELETE ON clients BEGIN ` + ftsDelete + ` END`,
	`CREATE TRIGGER clients_search_update AFTER UPDATE OF name_norm, company_norm, email_norm, status ON clients
		WHEN old.name_norm IS NOT new.name_norm OR old.company_norm IS NOT new.company_norm
		  OR old.email_norm IS NOT new.email_norm OR old.status IS NOT new.status
		BEGIN ` + ftsDelete + ` ` + ftsInsert + ` END`,
	`INSERT INTO client_search(client_search) VALUES ('rebuild')`,
	`CREATE INDEX idx_clients_status_email ON clients(status, email_norm)`,
}, dropUnusedClientIndexes)

var sqliteSearchDown = slices.Concat([]string{
	`DROP TRIGGER IF EXISTS clients_search_update`,
	`DROP TRIGGER IF EXISTS clients_search_delete`,
	`DROP TRIGGER IF EXISTS clients_search_insert`,
	`DROP TABLE IF EXISTS client_search`,
}, recreateUnusedClientIndexes, []string{
	`DROP INDEX IF EXISTS idx_clients_status_email`,
})

// searchPunctuation matches every ASCII punctuation character, and a few
// common others, each made a space before PostgreSQL's parser reads a
// client's words (see migration0002). A regular expression, not
// translate(), which walks its list of characters for each character of
// the text: six times slower, and a third of the cost of a bulk insert.
const searchPunctuation = "[!-/:-@[-`{-~‘’“”«»–—…·]"

var postgresSearchUp = slices.Concat([]string{
	// Everything in the public schema, named with it where used: a schema
	// named after the portal's user, first on the search path, must not
	// catch the functions. unaccent is a trusted extension (PostgreSQL 13
	// on): the database's owner may create it. Its function is only STABLE (it reads a
	// dictionary that could change), so an index needs an IMMUTABLE
	// wrapper naming the dictionary and schema, as its documentation says.
	`CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public`,
	`CREATE FUNCTION public.portal_unaccent(text) RETURNS text
		LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
		RETURN public.unaccent('public.unaccent'::regdictionary, $1)`,
	// The text a client's document and a search's words are both read
	// from: diacritics dropped, then ASCII punctuation (and what unaccent
	// may make of a letter: an apostrophe, say) made spaces, so that the
	// text search parser sees no e-mail addresses, host names or paths,
	// only words.
	`CREATE FUNCTION public.portal_search_text(t text) RETURNS text
		LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
		RETURN regexp_replace(public.portal_unaccent(t), '` + searchPunctuation + `', ' ', 'g')`,
	// A client's words as lexemes, and as FTS5's prefix indexes do, the
	// first 1, 2 and 3 characters of each marked with a "~" (which no
	// word holds: it is punctuation): a search for "sm" is then one
	// posting list, not the union of every word's that starts so.
	`CREATE FUNCTION public.portal_search_doc(name text, company text, email text) RETURNS tsvector
		LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
		AS $$
		DECLARE
			words text[] := tsvector_to_array(to_tsvector('simple'::regconfig,
				public.portal_search_text(coalesce(name, '') || ' ' || coalesce(company, '') || ' ' || coalesce(email, ''))));
			lexemes text[] := words;
			w text;
		BEGIN
			FOREACH w IN ARRAY words LOOP
				FOR k IN 1..least(3, char_length(w)) LOOP
					lexemes := lexemes || (left(w, k) || '~');
				END LOOP;
			END LOOP;
			RETURN array_to_tsvector(lexemes);
		END $$`,
	// The query for searchWords' words, read by the same parser as the
	// documents: a lexeme of up to 3 characters is its prefix lexeme, a
	// longer one a prefix match; all required. No lexeme holds a quote
	// (portal_search_text made them spaces), so quoting is safe.
	// IMMUTABLE: with the words given, the planner computes it once and
	// reads its statistics.
	`CREATE FUNCTION public.portal_search_query(words text[]) RETURNS tsquery
		LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
		RETURN (SELECT string_agg(CASE WHEN char_length(l) <= 3 THEN '''' || l || '~''' ELSE '''' || l || ''':*' END, ' & ')::tsquery
			FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
				public.portal_search_text(array_to_string(words, ' '))))) AS l)`,
	// Stored, not an expression index: a walk of the clients in id order
	// (the best plan for a common word, which fills a page at once) then
	// tests each row's lexemes rather than computing them.
	`ALTER TABLE clients ADD COLUMN search tsvector
		GENERATED ALWAYS AS (public.portal_search_doc(name_norm, company_norm, email_norm)) STORED`,
	`CREATE INDEX idx_clients_search ON clients USING gin (search)`,
	`CREATE INDEX idx_clients_status_email ON clients(status, email_norm)`,
}, dropUnusedClientIndexes)

var postgresSearchDown = slices.Concat([]string{
	`DROP INDEX IF EXISTS idx_clients_search`,
	`ALTER TABLE clients DROP COLUMN IF EXISTS search`,
	`DROP FUNCTION IF EXISTS public.portal_search_query(text[])`,
	`DROP FUNCTION IF EXISTS public.portal_search_doc(text, text, text)`,
	`DROP FUNCTION IF EXISTS public.portal_search_text(text)`,
	`DROP FUNCTION IF EXISTS public.portal_unaccent(text)`,
}, recreateUnusedClientIndexes, []string{
	`DROP INDEX IF EXISTS idx_clients_status_email`,
})
