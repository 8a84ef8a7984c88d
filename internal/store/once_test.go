package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store/storetest"
)

func TestOnceRecordsTheFirstAnswerAndCountsAttempts(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		const key = "mandarin-session/wf/run"
		first, err := s.BeginOnce(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, Once{Key: key, Attempts: 1}, first)
		second, err := s.BeginOnce(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, 2, second.Attempts, "a retry after a crash before the answer was recorded")

		require.NoError(t, s.CompleteOnce(ctx, key, "session-1"))
		require.NoError(t, s.CompleteOnce(ctx, key, "session-2"), "a later answer is not an error")
		again, err := s.BeginOnce(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, Once{Key: key, Attempts: 2, Value: "session-1"}, again, "the first answer wins; no attempt counted once known")

		_, err = s.LookupOnce(ctx, "missing")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.CompleteOnce(ctx, "missing", "x"), ErrNotFound)
		_, err = s.BeginOnce(ctx, "")
		assert.ErrorIs(t, err, ErrInvalid)
	})
}
