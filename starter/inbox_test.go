package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInboxListPages: a full page ends with the --before of the next one,
// which lists the older events.
func TestInboxListPages(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	for i := range 3 {
		_, _, err := gw.store.AddInboxEvent(context.Background(), "idngo", fmt.Sprint("key-", i), "applicantReviewed", []byte("{}"))
		require.NoError(t, err)
	}
	first := run(t, "inbox", "list", "--limit", "2")
	require.Equal(t, 0, first.code, first.stderr)
	assert.Contains(t, first.stdout, "key-2")
	assert.Contains(t, first.stdout, "key-1")
	assert.NotContains(t, first.stdout, "key-0")
	_, next, ok := strings.Cut(first.stdout, "more: --before ")
	require.True(t, ok, first.stdout)

	second := run(t, "inbox", "list", "--limit", "2", "--before", strings.TrimSpace(next))
	require.Equal(t, 0, second.code, second.stderr)
	assert.Contains(t, second.stdout, "key-0")
	assert.NotContains(t, second.stdout, "key-1")
	assert.NotContains(t, second.stdout, "more:", "the last page")
}
