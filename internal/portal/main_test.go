package portal_test

import (
	"testing"

	"github.com/clientportal/portal/internal/store/dbtest"
)

// TestMain runs the domain suite on SQLite and on PostgreSQL.
func TestMain(m *testing.M) { dbtest.Main(m) }
