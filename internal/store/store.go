package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names returned by [Store.Dialect].
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrInvalid is wrapped by errors caused by invalid arguments such as empty content or owner.
var ErrInvalid = errors.New("store: invalid argument")

// postgresMaxConns bounds a worker's PostgreSQL connections, all kept open.
const postgresMaxConns = 32

// sqlitePragmas is the query string appended to every SQLite file DSN.
// busy_timeout is applied first by the driver, whatever its position here.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=foreign_keys(1)&_txlock=immediate"

// Store is the idflow data layer; it is safe for concurrent use.
type Store struct {
	db      *sqlx.DB
	dialect string
	// keys, when set, seal every document with its subject's data key.
	keys MasterKeys
}

// Option configures Open.
type Option func(*Store)

// WithMasterKeys seals documents at rest: each subject's data key is
// wrapped by keys. Without it documents are stored as they come.
func WithMasterKeys(keys MasterKeys) Option { return func(s *Store) { s.keys = keys } }

// target is a parsed database URL: what to hand database/sql and how.
type target struct {
	dialect string // DialectSQLite or DialectPostgres
	driver  string // database/sql driver name
	dsn     string
	path    string // SQLite file path, empty for memory and PostgreSQL
	memory  bool
}

// Open connects to the database named by url, applies pending migrations and returns the store.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	t, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	if t.path != "" {
		if err := os.MkdirAll(filepath.Dir(t.path), 0o750); err != nil {
			return nil, fmt.Errorf("store: create database directory: %w", err)
		}
	}
	db, err := sqlx.Open(t.driver, t.dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s database: %w", t.dialect, err)
	}
	switch {
	case t.memory:
		// Every SQLite connection to ":memory:" is a separate database, so
		// keep exactly one connection, forever.
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	case t.dialect == DialectSQLite:
		// SQLite takes one writer at a time: with a connection each, many
		// writers fight over the file lock (busy waits and retries), and
		// 128 of them stored 4 KiB documents at 466/s; queued on one
		// connection, 1,223/s (BenchmarkConcurrentPutDocument). So nothing
		// may use s.db inside a transaction: it would wait for itself.
		db.SetMaxOpenConns(1)
	default:
		// database/sql keeps only 2 idle connections: under load every
		// further request opened (and closed) one of its own. At 100
		// webhooks a second that made the inbox's accepted → signalled
		// p50 266 ms (981 ms p99); with the connections kept, see the
		// commit. The cap keeps a busy worker within PostgreSQL's
		// max_connections (100 by default) beside a second worker.
		db.SetMaxOpenConns(postgresMaxConns)
		db.SetMaxIdleConns(postgresMaxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, dialect: t.dialect}
	for _, o := range opts {
		o(s)
	}
	if err := s.init(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// init checks the connection and brings the schema up to date.
func (s *Store) init(ctx context.Context) error {
	attempts := 1
	if s.dialect == DialectSQLite {
		attempts = sqliteInitAttempts
	}
	return retry(ctx, attempts, func() error {
		if err := s.Ping(ctx); err != nil {
			return err
		}
		_, err := migrate(ctx, s.db.DB, s.dialect)
		return err
	})
}

// sqliteInitAttempts bounds the retries of init on SQLite. Several processes
// (or Opens) initialising one new file race in ways no lock covers: switching
// to WAL mode can fail with SQLITE_BUSY, and goose reads the applied versions
// outside the migration transaction, so a migration applied by the other side
// makes ours fail. Each migration is one transaction, so nothing is left
// half-applied, and a retry finds the work done.
const sqliteInitAttempts = 5

// retry calls fn up to attempts times, with a growing pause, until it succeeds.
func retry(ctx context.Context, attempts int, fn func() error) error {
	err := fn()
	for i := 1; err != nil && i < attempts; i++ {
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(i) * 100 * time.Millisecond):
		}
		err = fn()
	}
	return err
}

// parseURL maps a database URL to a driver and DSN; errors name only the scheme.
func parseURL(url string) (target, error) {
	switch {
	case url == "sqlite::memory:", url == "sqlite://:memory:":
		return target{dialect: DialectSQLite, driver: "sqlite", memory: true,
			dsn: ":memory:?_pragma=foreign_keys(1)"}, nil
	case strings.HasPrefix(url, "sqlite://"):
		return sqliteFileTarget(strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return target{dialect: DialectPostgres, driver: "pgx", dsn: url}, nil
	}
	scheme, _, ok := strings.Cut(url, ":")
	if !ok || scheme == "" {
		return target{}, errors.New("store: database URL has no scheme " +
			"(want sqlite://PATH, sqlite::memory: or postgres://...)")
	}
	return target{}, fmt.Errorf("store: unsupported database URL scheme %q "+
		"(want sqlite://PATH, sqlite::memory: or postgres://...)", scheme)
}

// sqliteFileTarget builds the target for an SQLite database file.
func sqliteFileTarget(path string) (target, error) {
	if path == "" {
		return target{}, errors.New("store: sqlite URL has no file path")
	}
	if strings.ContainsAny(path, "?#") {
		return target{}, errors.New("store: sqlite URL must not contain '?' or '#' (no parameters are supported)")
	}
	return target{dialect: DialectSQLite, driver: "sqlite", path: path,
		dsn: path + "?" + sqlitePragmas}, nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	return s.db.Close()
}

// Ping checks that the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	return nil
}

// DB returns the underlying sqlx handle; write queries with ? and pass them through DB().Rebind.
func (s *Store) DB() *sqlx.DB {
	return s.db
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string {
	return s.dialect
}

// SchemaVersion returns the version of the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := newProvider(s.db.DB, s.dialect)
	if err != nil {
		return 0, err
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}
