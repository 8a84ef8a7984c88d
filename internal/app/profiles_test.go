package app

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// TestProfilesServedApart: IDFLOW_DEBUG_ADDR serves the heap profile and
// the profile index on a listener of its own, closed with the rest.
func TestProfilesServedApart(t *testing.T) {
	var stack cleanupStack
	url, err := serveProfiles("127.0.0.1:0", zap.NewNop(), &stack)
	require.NoError(t, err)
	require.Len(t, stack.steps, 1)
	for _, path := range []string{"", "heap?debug=1"} {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.NotEmpty(t, body, path)
	}
	require.NoError(t, stack.run(zap.NewNop()))
	_, err = http.Get(url)
	require.Error(t, err, "closed with the rest")
}
