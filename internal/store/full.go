package store

import (
	"errors"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// sqliteFull is SQLITE_FULL, the primary result code of a write that found
// no room: the disk (or the file system's quota) is full.
const sqliteFull = 13

// IsStorageFull reports whether err says the database or a file could not
// be written because the disk is full: SQLite's SQLITE_FULL, PostgreSQL's
// disk_full (53100), or ENOSPC from a file write. Nothing was saved; trying
// again helps only once someone frees space.
func IsStorageFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53100"
	}
	// The SQLite driver's error has Code() with the extended result code,
	// whose low byte is the primary one.
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code()&0xff == sqliteFull
	}
	return false
}
