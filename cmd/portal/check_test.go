package main

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// dbArgs are the flags that name ps's database for an offline command.
func (ps *portalServer) dbArgs(t *testing.T) []string {
	t.Helper()
	if ps.db != "" {
		return []string{"--db", ps.db}
	}
	return []string{"--data", ps.dataDir}
}

// TestCheckTellsAHealthyPortalFromAnUnhealthyOne runs `portal check` as an
// operator or a load balancer would: against a running portal's database
// and SSH port (healthy, exit 0, the instance listed), against a missing
// database and a closed port (exit 1, saying what is wrong), in text and
// JSON.
func TestCheckTellsAHealthyPortalFromAnUnhealthyOne(t *testing.T) {
	ps := startPortal(t)
	args := append([]string{"check", "--ssh", ps.addr}, ps.dbArgs(t)...)
	out, errOut, code := runCLI(t, nil, args...)
	if code != 0 || !strings.Contains(out, "database   ok") || !strings.Contains(out, "schema     ok") ||
		!strings.Contains(out, "ssh        ok") || !strings.Contains(out, "SSH-2.0-") || !strings.Contains(out, "instances       1 running") {
		t.Fatalf("healthy portal: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, nil, append(args, "--json")...)
	var r checkReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || !r.OK || len(r.Instances) != 1 || r.SSH == nil || !r.SSH.OK {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no database", []string{"check", "--data", filepath.Join(t.TempDir(), "none")}, "database   FAIL no SQLite database at"},
		{"unreachable PostgreSQL", []string{"check", "--db", "postgres://portal:secret@" + closed + "/portal", "--timeout", "2s"}, "database   FAIL"},
		{"password as a parameter", []string{"check", "--db", "postgres://portal@" + closed + "/portal?password=secret&sslpassword=secret", "--timeout", "2s"}, "database   FAIL"},
		{"bad pool setting", []string{"check", "--db", "postgres://portal:secret@" + closed + "/portal?pool_max_conns=many"}, "pool_max_conns"},
		{"closed SSH port", append([]string{"check", "--ssh", closed}, ps.dbArgs(t)...), "ssh        FAIL"},
		{"bad timeout", []string{"check", "--timeout", "0s"}, "--timeout: must be more than 0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, nil, tt.args...)
			if code != 1 || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d, want 1 and %q:\n%s%s", code, tt.want, out, errOut)
			}
			if strings.Contains(out+errOut, "secret") {
				t.Errorf("the password of the URL was shown:\n%s%s", out, errOut)
			}
			out, errOut, _ = runCLI(t, nil, append(tt.args, "--json")...)
			if strings.Contains(out+errOut, "secret") {
				t.Errorf("the password of the URL was shown:\n%s%s", out, errOut)
			}
		})
	}
}
