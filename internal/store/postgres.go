package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Pool is how the portal holds its PostgreSQL connections. Each instance
// has its own pool, so the server's max_connections must cover every
// instance's MaxConns plus what operators and backups use.
type Pool struct {
	// MaxConns caps open connections. Sessions use one only for the few
	// milliseconds of a call; hashing passwords, not the database, bounds
	// how many logins run at once.
	MaxConns int
	// MaxConnIdleTime closes connections unused that long, giving the
	// server back what a quiet night does not need.
	MaxConnIdleTime time.Duration
	// MaxConnLifetime replaces connections after that long, so that a
	// failover or a load balancer in front of PostgreSQL is followed.
	MaxConnLifetime time.Duration
}

// DefaultPool is the pool unless the URL says otherwise.
func DefaultPool() Pool {
	return Pool{MaxConns: 20, MaxConnIdleTime: 5 * time.Minute, MaxConnLifetime: time.Hour}
}

// Server-side limits set on every connection unless the URL sets them: no
// statement may hold a connection and its locks for ever, and a transaction
// left open by a stuck caller is ended by the server.
//
// plan_cache_mode: pgx prepares each statement once per connection, and
// PostgreSQL would switch a prepared statement to a generic plan after
// five runs; the portal's queries want the plan for their values (a
// search's words, which the planner folds into a constant query and
// weighs by their statistics; a rare status against a common one).
// Planning them costs a fraction of a millisecond.
func defaultRuntimeParams() map[string]string {
	return map[string]string{
		"application_name":                    "portal",
		"plan_cache_mode":                     "force_custom_plan",
		"statement_timeout":                   "30s",
		"lock_timeout":                        "10s",
		"idle_in_transaction_session_timeout": "60s",
	}
}

// parsePostgresURL splits the portal's own pool settings (pool_max_conns,
// pool_max_conn_idle_time, pool_max_conn_lifetime; the names pgxpool uses)
// from a postgres:// URL, and gives the rest to pgx.
func parsePostgresURL(dsn string) (*pgx.ConnConfig, Pool, error) {
	pool := DefaultPool()
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, pool, fmt.Errorf("not a URL")
	}
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, pool, fmt.Errorf("pool_max_conns=%q: want a number from 1 to 10000", v)
		}
		pool.MaxConns = n
	}
	for name, d := range map[string]*time.Duration{
		"pool_max_conn_idle_time": &pool.MaxConnIdleTime,
		"pool_max_conn_lifetime":  &pool.MaxConnLifetime,
	} {
		if v := q.Get(name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return nil, pool, fmt.Errorf("%s=%q: want a duration such as 5m", name, v)
			}
			*d = t
		}
		q.Del(name)
	}
	q.Del("pool_max_conns")
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "10")
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, pool, err
	}
	for k, v := range defaultRuntimeParams() {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	return cfg, pool, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, pool, err := parsePostgresURL(dsn)
	if err != nil {
		// pgx's errors quote the URL, password included.
		return nil, fmt.Errorf("open database %s: %v", redactURL(dsn), redactErr(err, dsn))
	}
	open := func(maxConns int) (*gorm.DB, error) {
		sqlDB := stdlib.OpenDB(*cfg)
		sqlDB.SetMaxOpenConns(maxConns)
		sqlDB.SetMaxIdleConns(maxConns)
		sqlDB.SetConnMaxIdleTime(pool.MaxConnIdleTime)
		sqlDB.SetConnMaxLifetime(pool.MaxConnLifetime)
		db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
			TranslateError: true,
			// Columns by name, never "*": clients have a search column
			// (migration 0002) that no model holds.
			QueryFields: true,
			Logger:      logger.Discard,
			NowFunc:     func() time.Time { return time.Now().UTC() },
		})
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open database %s: %w", redactURL(dsn), err)
		}
		if err := sqlDB.PingContext(ctx); err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open database %s: %v", redactURL(dsn), redactErr(err, dsn))
		}
		return db, nil
	}
	db, err := open(pool.MaxConns)
	if err != nil {
		return nil, err
	}
	// One connection of its own for the heartbeat, so that a pool busy
	// for a while does not make a live instance look gone to the others.
	beat, err := open(1)
	if err != nil {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
		return nil, err
	}
	return &Store{db: db, beat: beat, dialect: "postgres", retries: new(atomic.Uint64)}, nil
}

// secretParams are the URL parameters pgx reads secrets from.
var secretParams = []string{"password", "sslpassword"}

// urlSecrets are the secrets a postgres URL holds: its password, in the
// user part or as a parameter.
func urlSecrets(dsn string) []string {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil
	}
	var out []string
	if pw, ok := u.User.Password(); ok && pw != "" {
		out = append(out, pw, url.PathEscape(pw), url.QueryEscape(pw))
	}
	for _, k := range secretParams {
		for _, v := range u.Query()[k] {
			if v != "" {
				out = append(out, v, url.QueryEscape(v))
			}
		}
	}
	return out
}

// redactURL is dsn without its secrets, for messages and logs.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(a postgres URL that does not parse)"
	}
	q := u.Query()
	for _, k := range secretParams {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// redactErr is err's text with the secrets of dsn masked: pgx quotes the
// URL in some of its errors.
func redactErr(err error, dsn string) string {
	msg := err.Error()
	for _, secret := range urlSecrets(dsn) {
		msg = strings.ReplaceAll(msg, secret, "xxxxx")
	}
	return msg
}

// textArray is a []string bound as one PostgreSQL text[] parameter (gorm
// would spread a plain slice into a list of parameters).
type textArray []string

// Value writes the array's text form, every element quoted.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}
