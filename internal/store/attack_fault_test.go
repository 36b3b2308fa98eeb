package store

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// codedErr is an error with a result code, as the SQLite driver's.
type codedErr int

func (c codedErr) Error() string { return fmt.Sprintf("sqlite error (%d)", int(c)) }
func (c codedErr) Code() int     { return int(c) }

// TestFaultIsStorageFull: a full disk is told apart from every other
// failure, however it is wrapped, on both databases and for files, so the
// person is told to free space rather than to try again in a moment.
func TestFaultIsStorageFull(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"sqlite full", fmt.Errorf("add client: %w", codedErr(13)), true},
		{"sqlite full extended", codedErr(13 | 1<<8), true},
		{"sqlite busy", codedErr(5), false},
		{"sqlite ioerr", codedErr(10), false},
		{"postgres disk full", fmt.Errorf("tx: %w", &pgconn.PgError{Code: "53100"}), true},
		{"postgres out of memory", &pgconn.PgError{Code: "53200"}, false},
		{"file write", fmt.Errorf("write message 4: %w", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), true},
		{"permission", &fs.PathError{Op: "write", Path: "x", Err: syscall.EACCES}, false},
		{"plain", errors.New("database or disk is full"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := IsStorageFull(c.err); got != c.want {
			t.Errorf("%s: IsStorageFull = %v, want %v", c.name, got, c.want)
		}
	}
}
