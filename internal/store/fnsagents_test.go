package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store/storetest"
)

func TestFNSAgents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		require.NoError(t, s.PutFNSAgent(ctx, FNSAgent{ID: "19", Username: "agent", Token: "844cf3a8"}))
		require.NoError(t, s.PutFNSAgent(ctx, FNSAgent{ID: "19", Username: "agent", Token: "renewed"}))
		got, err := s.GetFNSAgent(ctx, "19")
		require.NoError(t, err)
		assert.Equal(t, FNSAgent{ID: "19", Username: "agent", Token: "renewed"}, got)
		assert.NotContains(t, fmt.Sprint(got), "renewed", "the token never prints")
		_, err = s.GetFNSAgent(ctx, "20")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.ErrorIs(t, s.PutFNSAgent(ctx, FNSAgent{ID: "21"}), ErrInvalid)
	})
}
