package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migration0005 makes a bulk import of clients cheaper (issue 5's
// "clients import" on PostgreSQL):
//
//   - The indexes on clients(status), (name_norm) and (company_norm) go,
//     again. Migration 0002 dropped them, but 0003's AutoMigrate of
//     requests, whose model refers to v1Client, migrated that frozen
//     model too and made them anew. No query uses them (status lists use
//     (status, email_norm); searches the full-text index), and every
//     insert paid for them: 8 of the 63 s of CPU an import of a million
//     rows took on PostgreSQL.
//   - On PostgreSQL, search stops being a generated column: it becomes a
//     plain column kept by triggers that call the same portal_search_doc,
//     so every write path still gets it right, but a bulk insert may hand
//     in documents computed beforehand on another connection (see
//     searchHelper): computing them was 15 of the remaining 52 s of the
//     inserting connection. An insert that gives none (search NULL) has
//     it computed; an update of a searched column, or of search itself,
//     has it recomputed. Only createClients hands documents in, made by
//     the function itself. DROP EXPRESSION keeps the stored documents (no
//     rewrite), so a database with clients needs nothing recomputed.
func migration0005() *gormigrate.Migration {
	return &gormigrate.Migration{
		ID: "0005_import_speed",
		Migrate: func(tx *gorm.DB) error {
			if err := execAll(tx, dropUnusedClientIndexes); err != nil {
				return err
			}
			if tx.Dialector.Name() == "postgres" {
				return execAll(tx, postgresSearchTriggerUp)
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			if tx.Dialector.Name() == "postgres" {
				if err := execAll(tx, postgresSearchTriggerDown); err != nil {
					return err
				}
			}
			return execAll(tx, recreateUnusedClientIndexes)
		},
	}
}

var postgresSearchTriggerUp = []string{
	`ALTER TABLE clients ALTER COLUMN search DROP EXPRESSION`,
	`CREATE FUNCTION public.portal_search_fill() RETURNS trigger
		LANGUAGE plpgsql
		AS $$
		BEGIN
			NEW.search := public.portal_search_doc(NEW.name_norm, NEW.company_norm, NEW.email_norm);
			RETURN NEW;
		END $$`,
	// The WHEN is evaluated without calling the function: a row that
	// comes with its document costs next to nothing.
	`CREATE TRIGGER clients_search_insert BEFORE INSERT ON clients
		FOR EACH ROW WHEN (NEW.search IS NULL) EXECUTE FUNCTION public.portal_search_fill()`,
	`CREATE TRIGGER clients_search_update BEFORE UPDATE OF name_norm, company_norm, email_norm, search ON clients
		FOR EACH ROW EXECUTE FUNCTION public.portal_search_fill()`,
}

var postgresSearchTriggerDown = []string{
	`DROP TRIGGER IF EXISTS clients_search_update ON clients`,
	`DROP TRIGGER IF EXISTS clients_search_insert ON clients`,
	`DROP FUNCTION IF EXISTS public.portal_search_fill()`,
	// A column cannot be made generated again: it is made anew (a rewrite
	// of the table, and the index built again).
	`DROP INDEX IF EXISTS idx_clients_search`,
	`ALTER TABLE clients DROP COLUMN IF EXISTS search`,
	`ALTER TABLE clients ADD COLUMN search tsvector
		GENERATED ALWAYS AS (public.portal_search_doc(name_norm, company_norm, email_norm)) STORED`,
	`CREATE INDEX idx_clients_search ON clients USING gin (search)`,
}
