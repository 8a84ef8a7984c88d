package mandarin

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplayGuardIsBounded(t *testing.T) {
	g := newReplayGuard(3)
	for i := range 3 {
		assert.True(t, g.use(strconv.Itoa(i)))
	}
	assert.False(t, g.use("0"))
	assert.False(t, g.use("2"))
	assert.True(t, g.use("3"), "evicts 0")
	assert.Len(t, g.seen, 3)
	assert.True(t, g.use("0"), "0 was forgotten")
	assert.False(t, g.use("3"))
}

func TestStoredReplayGuardForgetsTheOldest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(Config{MerchantID: "m", Secret: "s", StatePath: path})
	require.NoError(t, err)
	s.mu.Lock()
	s.replay = newReplayGuard(3)
	for i := range 5 {
		ok, err := s.useRequestID(strconv.Itoa(i))
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, err := s.useRequestID("4")
	s.mu.Unlock()
	require.NoError(t, err)
	require.False(t, ok)
	s.Close()

	s, err = Open(Config{MerchantID: "m", Secret: "s", StatePath: path})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	assert.Equal(t, map[string]struct{}{"2": {}, "3": {}, "4": {}}, s.replay.seen, "only the ids still remembered were kept")
	assert.Equal(t, int64(5), s.replaySeq)
	assert.Equal(t, []string{"2", "3", "4"}, s.replay.order[:3], "oldest first")
}
