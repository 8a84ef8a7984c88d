package sandboxstate

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// migrationFiles holds the schema.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// sqlitePragmas is appended to the file path, as in internal/store.
// synchronous(NORMAL) is durable across a process exit (Ctrl-C, a crash) in
// WAL mode, which is all a sandbox needs, and keeps each write cheap.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)&_txlock=immediate"

// openAttempts bounds the retries of the schema set-up: two Opens of one new
// file can race (WAL switch busy, a migration applied by the other side);
// each migration is one transaction, so a retry finds the work done.
const openAttempts = 5

// Store is one sandbox's part of a state file; it is safe for concurrent use.
type Store struct {
	db      *sqlx.DB
	sandbox string
}

// Record is one stored object.
type Record struct {
	ID   string
	Body []byte // Body is the object as JSON.
}

// Op is one change applied by [Store.Apply]: see [Put] and [Delete].
type Op struct {
	kind, id string
	value    any
	del      bool
}

// Put stores value, as JSON, as the object kind/id, replacing any earlier one;
// a json.RawMessage is stored as it is.
func Put(kind, id string, value any) Op {
	return Op{kind: kind, id: id, value: value}
}

// Delete removes the object kind/id; deleting a missing object is no error.
func Delete(kind, id string) Op {
	return Op{kind: kind, id: id, del: true}
}

// Open opens (creating it and its directory if needed) the SQLite file at
// path, brings its schema up to date, and returns the part of it that
// belongs to sandbox.
func Open(ctx context.Context, path, sandbox string) (*Store, error) {
	switch {
	case path == "":
		return nil, errors.New("sandboxstate: empty file path")
	case strings.ContainsAny(path, "?#"):
		return nil, errors.New("sandboxstate: file path must not contain '?' or '#'")
	case sandbox == "":
		return nil, errors.New("sandboxstate: empty sandbox name")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sandboxstate: create directory: %w", err)
	}
	db, err := sqlx.Open("sqlite", path+"?"+sqlitePragmas)
	if err != nil {
		return nil, fmt.Errorf("sandboxstate: open %s: %w", path, err)
	}
	err = migrate(ctx, db)
	for i := 1; err != nil && i < openAttempts && ctx.Err() == nil; i++ {
		time.Sleep(time.Duration(i) * 100 * time.Millisecond)
		err = migrate(ctx, db)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sandboxstate: %s: %w", path, err), db.Close())
	}
	return &Store{db: db, sandbox: sandbox}, nil
}

// migrate applies the pending migrations.
func migrate(ctx context.Context, db *sqlx.DB) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.DB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error {
	return s.db.Close()
}

// Load returns every object of kind, ordered by id.
func (s *Store) Load(ctx context.Context, kind string) ([]Record, error) {
	var rows []struct {
		ID   string `db:"id"`
		Body string `db:"body"`
	}
	err := s.db.SelectContext(ctx, &rows,
		`SELECT id, body FROM sandbox_state WHERE sandbox = ? AND kind = ? ORDER BY id`, s.sandbox, kind)
	if err != nil {
		return nil, fmt.Errorf("sandboxstate: load %s %s: %w", s.sandbox, kind, err)
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = Record{ID: r.ID, Body: []byte(r.Body)}
	}
	return out, nil
}

// Apply makes the changes in one transaction: all of them or none.
func (s *Store) Apply(ctx context.Context, ops ...Op) error {
	if len(ops) == 0 {
		return nil
	}
	bodies := make([]string, len(ops))
	for i, op := range ops {
		if op.del {
			continue
		}
		if raw, ok := op.value.(json.RawMessage); ok {
			bodies[i] = string(raw) // already JSON: json.Marshal would compact it again
			continue
		}
		b, err := json.Marshal(op.value)
		if err != nil {
			return fmt.Errorf("sandboxstate: encode %s %s: %w", op.kind, op.id, err)
		}
		bodies[i] = string(b)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandboxstate: begin: %w", err)
	}
	for i, op := range ops {
		if op.del {
			_, err = tx.ExecContext(ctx, `DELETE FROM sandbox_state WHERE sandbox = ? AND kind = ? AND id = ?`,
				s.sandbox, op.kind, op.id)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO sandbox_state (sandbox, kind, id, body, updated_at)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (sandbox, kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
				s.sandbox, op.kind, op.id, bodies[i], now)
		}
		if err != nil {
			return errors.Join(fmt.Errorf("sandboxstate: write %s %s: %w", op.kind, op.id, err), tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sandboxstate: commit: %w", err)
	}
	return nil
}
