package commands_test

import (
	"testing"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// TestMain runs the command suite on SQLite and on PostgreSQL.
func TestMain(m *testing.M) { dbtest.Main(m) }
