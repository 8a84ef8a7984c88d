package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubjectsErase(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	invalid(t, []string{"SUBJECT: want 1 to 128 letters, digits, '.', '_', ':' or '-'",
		"--actor: required: who asks for the erasure (no personal data), for the audit"}, "subjects", "erase", "bad subject!")

	r := run(t, "subjects", "erase", "person-1", "--actor", "ops")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "erased: subject person-1, 0 document(s) deleted, its key destroyed (audit er_")
	var n int
	require.NoError(t, gw.store.DB().GetContext(context.Background(), &n, "SELECT COUNT(*) FROM erasures WHERE subject = 'person-1' AND actor = 'ops'"))
	assert.Equal(t, 1, n, "audited")
}
