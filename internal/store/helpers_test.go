package store

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
