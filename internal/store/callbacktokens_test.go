package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store/storetest"
)

func TestCallbackTokens(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		first, err := s.NewCallbackToken(ctx, "fns", "fns-registration-a")
		require.NoError(t, err)
		second, err := s.NewCallbackToken(ctx, "fns", "fns-registration-a")
		require.NoError(t, err)
		assert.NotEqual(t, first, second, "a retried activity gets a new token; both stay valid")
		assert.GreaterOrEqual(t, len(first), 43, "256 bits, URL-safe")

		for _, token := range []string{first, second} {
			wf, err := s.CallbackWorkflow(ctx, "fns", token)
			require.NoError(t, err)
			assert.Equal(t, "fns-registration-a", wf)
		}
		_, err = s.CallbackWorkflow(ctx, "idngo", first)
		assert.ErrorIs(t, err, ErrNotFound, "a token is good for its provider only")
		_, err = s.CallbackWorkflow(ctx, "fns", "guessed")
		assert.ErrorIs(t, err, ErrNotFound)
		var stored int
		require.NoError(t, s.db.GetContext(ctx, &stored, s.db.Rebind("SELECT COUNT(*) FROM callback_tokens WHERE token_sha256 = ?"), first))
		assert.Zero(t, stored, "the token itself is not stored, only its hash")

		_, err = s.NewCallbackToken(ctx, "fns", "")
		assert.ErrorIs(t, err, ErrInvalid)
	})
}
