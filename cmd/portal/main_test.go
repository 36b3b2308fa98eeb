package main

import (
	"testing"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// TestMain runs the suite on SQLite, then on PostgreSQL.
func TestMain(m *testing.M) { dbtest.Main(m) }
