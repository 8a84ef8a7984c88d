package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postgresEnv names the admin URL of a PostgreSQL server for the tests.
const postgresEnv = "IDFLOW_TEST_POSTGRES_URL"

// forEachDB runs fn as parallel "sqlite" and "postgres" subtests, each given
// the URL of a fresh, empty database of its own.
func forEachDB(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, sqliteTestURL(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, postgresTestURL(t))
	})
}

// sqliteTestURL returns the URL of a not yet existing SQLite file in a temp dir.
func sqliteTestURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "idflow.db")
}

// postgresTestURL creates a uniquely named database, dropped at cleanup, and returns its URL.
func postgresTestURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(postgresEnv)
	if admin == "" {
		t.Skip(postgresEnv + " is not set; skipping PostgreSQL " +
			"(e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)")
	}
	name := "idflow_test_" + randomHex(t, 8)
	adminExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { adminExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin)
	require.NoError(t, err, "parse "+postgresEnv)
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on the PostgreSQL admin database.
func adminExec(t testing.TB, adminURL, stmt string) {
	t.Helper()
	db, err := sql.Open("pgx", adminURL)
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	require.NoError(t, err, stmt)
}

// randomHex returns n random bytes, hex encoded.
func randomHex(t testing.TB, n int) string {
	return hex.EncodeToString(randomBytes(t, n))
}

// openTestStore opens url and closes the store at cleanup.
func openTestStore(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// countRows returns the number of rows in table.
func countRows(t testing.TB, s *Store, table string) int {
	t.Helper()
	var n int
	require.NoError(t, s.DB().Get(&n, "SELECT COUNT(*) FROM "+table))
	return n
}

// randomBytes returns n random bytes.
func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}
