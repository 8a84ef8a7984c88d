package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenMigratesAndReopenIsNoop(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s, err := Open(ctx, url)
		require.NoError(t, err)
		require.NoError(t, s.Ping(ctx))
		v1, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Positive(t, v1)
		doc, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Title: "a", Content: []byte("persist me")})
		require.NoError(t, err)
		require.NoError(t, s.Close())

		s = openTestStore(t, url)
		v2, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, v1, v2)
		applied, err := migrate(ctx, s.DB().DB, s.Dialect())
		require.NoError(t, err)
		assert.Empty(t, applied, "no migration should be pending after Open")

		got, content, err := s.GetDocument(ctx, doc.ID)
		require.NoError(t, err)
		assert.Equal(t, doc, got)
		assert.Equal(t, []byte("persist me"), content)
	})
}

// TestConcurrentOpen opens one new database from several goroutines at once,
// as several service instances starting together would.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				s, err := Open(context.Background(), url)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		s := openTestStore(t, url)
		v, err := s.SchemaVersion(context.Background())
		require.NoError(t, err)
		assert.Positive(t, v)
	})
}

func TestDialect(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		s := openTestStore(t, url)
		want := DialectSQLite
		if strings.HasPrefix(url, "postgres") {
			want = DialectPostgres
		}
		assert.Equal(t, want, s.Dialect())
	})
}

func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	s := openTestStore(t, storetest.SQLiteURL(t))
	var mode string
	var fk, timeout int
	require.NoError(t, s.DB().Get(&mode, "PRAGMA journal_mode"))
	require.NoError(t, s.DB().Get(&fk, "PRAGMA foreign_keys"))
	require.NoError(t, s.DB().Get(&timeout, "PRAGMA busy_timeout"))
	assert.Equal(t, "wal", mode)
	assert.Equal(t, 1, fk)
	assert.Equal(t, 10000, timeout)
}

func TestOpenSQLiteCreatesParentDir(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a", "b", "idflow.db")
	openTestStore(t, "sqlite://"+path)
	assert.FileExists(t, path)
}

// TestOpenSQLiteRelativePath changes the working directory, so it is not parallel.
func TestOpenSQLiteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	openTestStore(t, "sqlite://data/rel.db")
	assert.FileExists(t, filepath.Join("data", "rel.db"))
}

func TestOpenSQLiteMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTestStore(t, "sqlite::memory:")
	openTestStore(t, "sqlite://:memory:")
	assert.Equal(t, DialectSQLite, s.Dialect())
	doc, err := s.PutDocument(ctx, NewDocument{Owner: "o", Content: []byte("in memory")})
	require.NoError(t, err)
	_, content, err := s.GetDocument(ctx, doc.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("in memory"), content)
	// One connection serves all goroutines without deadlocking.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.PutDocument(ctx, NewDocument{Owner: "o", Content: []byte{byte(i)}})
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), "memory", "no file may be created for sqlite::memory:")
	}
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	cases := []struct{ url, wantMsg string }{
		{"mysql://user:s3cret@host/db", `scheme "mysql"`},
		{"file:///tmp/x.db", `scheme "file"`},
		{"sqlite3:///tmp/x.db", `scheme "sqlite3"`},
		{"sqlite:/tmp/x.db", `scheme "sqlite"`},
		{"/tmp/x.db", "no scheme"},
		{"", "no scheme"},
		{"sqlite://", "no file path"},
		{"sqlite:///tmp/x.db?mode=ro", "must not contain"},
	}
	for _, c := range cases {
		_, err := Open(context.Background(), c.url)
		require.Error(t, err, c.url)
		assert.Contains(t, err.Error(), c.wantMsg, c.url)
		assert.NotContains(t, err.Error(), "s3cret", "errors must not echo credentials")
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cret")
}

func TestSQLiteStoresContentAsBlob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTestStore(t, storetest.SQLiteURL(t))
	_, err := s.PutDocument(ctx, NewDocument{Owner: "o", Content: []byte("12345")})
	require.NoError(t, err)
	var kind string
	require.NoError(t, s.DB().Get(&kind, "SELECT typeof(content) FROM blobs"))
	assert.Equal(t, "blob", kind, "numeric-looking content must not be converted by column affinity")
}

// TestPostgresKeepsItsConnections: connections opened for concurrent
// requests stay open for the next ones, instead of database/sql's two
// idle ones (the rest were opened and closed per request under load).
func TestPostgresKeepsItsConnections(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), storetest.PostgresURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := s.db.ExecContext(context.Background(), "SELECT pg_sleep(0.05)")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	stats := s.db.Stats()
	assert.Equal(t, postgresMaxConns, stats.MaxOpenConnections)
	assert.GreaterOrEqual(t, stats.Idle, 10, "the ten connections are kept")
	assert.Zero(t, stats.MaxIdleClosed, "none closed for want of an idle slot")
}
