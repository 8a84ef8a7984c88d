package sandboxstate_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/sandbox/sandboxstate"
)

func TestApplyLoadAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "state.db")
	a, err := sandboxstate.Open(ctx, path, "a")
	require.NoError(t, err)
	b, err := sandboxstate.Open(ctx, path, "b")
	require.NoError(t, err)

	require.NoError(t, a.Apply(ctx,
		sandboxstate.Put("thing", "2", map[string]int{"n": 2}),
		sandboxstate.Put("thing", "1", map[string]int{"n": 1}),
		sandboxstate.Put("other", "x", "x"),
	))
	require.NoError(t, a.Apply(ctx, sandboxstate.Put("thing", "1", map[string]int{"n": 10}), sandboxstate.Delete("other", "x"),
		sandboxstate.Delete("other", "missing")))
	require.NoError(t, b.Apply(ctx, sandboxstate.Put("thing", "1", "b's")))
	assert.Error(t, a.Apply(ctx, sandboxstate.Put("thing", "3", func() {})), "unencodable value")
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())

	a, err = sandboxstate.Open(ctx, path, "a")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	got, err := a.Load(ctx, "thing")
	require.NoError(t, err)
	assert.Equal(t, []sandboxstate.Record{{ID: "1", Body: []byte(`{"n":10}`)}, {ID: "2", Body: []byte(`{"n":2}`)}}, got)
	got, err = a.Load(ctx, "other")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestOpenRejectsBadArguments(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ path, sandbox string }{{"", "a"}, {filepath.Join(t.TempDir(), "x.db?mode=ro"), "a"}, {filepath.Join(t.TempDir(), "x.db"), ""}} {
		_, err := sandboxstate.Open(ctx, tt.path, tt.sandbox)
		assert.Error(t, err, "%q %q", tt.path, tt.sandbox)
	}
}
