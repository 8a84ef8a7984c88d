// Package storetest gives tests fresh databases: a SQLite file always, and a
// PostgreSQL database of their own when IDFLOW_TEST_POSTGRES_URL names a
// server (CI sets it), created for the test and dropped after it.
package storetest

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

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the admin connection
	"github.com/stretchr/testify/require"
)

// PostgresEnv names the admin URL of a PostgreSQL server for the tests.
const PostgresEnv = "IDFLOW_TEST_POSTGRES_URL"

// ForEachDB runs fn as parallel "sqlite" and "postgres" subtests, each given
// the URL of a fresh, empty database of its own; the postgres subtest is
// skipped when IDFLOW_TEST_POSTGRES_URL is unset.
func ForEachDB(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLiteURL(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, PostgresURL(t))
	})
}

// SQLiteURL returns the URL of a not yet existing SQLite file in a temp dir.
func SQLiteURL(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "idflow.db")
}

// PostgresURL creates a uniquely named database, dropped at cleanup, and
// returns its URL; it skips the test when no PostgreSQL server is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		t.Skip(PostgresEnv + " is not set; skipping PostgreSQL " +
			"(e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)")
	}
	suffix := make([]byte, 8)
	_, err := rand.Read(suffix)
	require.NoError(t, err)
	name := "idflow_test_" + hex.EncodeToString(suffix)
	adminExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { adminExec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin)
	require.NoError(t, err, "parse "+PostgresEnv)
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
