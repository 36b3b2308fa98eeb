package store

import (
	"errors"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLite's primary result codes that the store tells apart.
const (
	// sqliteBusy is SQLITE_BUSY: another connection holds the lock asked for.
	sqliteBusy = 5
	// sqliteFull is SQLITE_FULL: a write found no room, the disk (or the
	// file system's quota) is full.
	sqliteFull = 13
)

// sqliteCode is the primary result code of SQLite's error in err: the
// driver's error has Code() with the extended code, whose low byte is the
// primary one. ok is false when err holds no SQLite error.
func sqliteCode(err error) (code int, ok bool) {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code() & 0xff, true
	}
	return 0, false
}

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
	code, ok := sqliteCode(err)
	return ok && code == sqliteFull
}
