package fns_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// signer drives a registration to a confirmed КЭП and returns the consumer
// id, the sign certificate id and the agent's token.
func (e *env) signer(callback string) (consumerID string, certID int64, agentTok string) {
	t := e.t
	t.Helper()
	id, child, agentTok := e.identified(callback)
	e.advanceTo(step, child, "wait-secret-key")
	e.advanceTo(step, child, "certificate-issue")
	e.advanceTo(step, child, "wait-scan-upload")
	st, body := e.do("GET", path("workflow", child, "document-scan"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	for _, s := range result(t, body)["scans"].([]any) {
		st, body = e.do("PUT", path("document-scan", s.(map[string]any)["id"]), agentTok,
			map[string]any{"title": "scan.jpg", "path": "/9j/4AAQ"})
		require.Equal(t, 200, st, "%v", body)
	}
	st, body = e.do("PUT", path("workflow", child, "state"), agentTok, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 200, st, "%v", body)
	full := e.full(child, e.token)
	cert := full["certificate"].(map[string]any)
	require.Equal(t, "sign", cert["type"])
	require.Equal(t, true, cert["is_confirmed"])
	w, _ := e.sb.Workflow(id)
	return w.ConsumerID, int64(cert["id"].(float64)), agentTok
}

func TestSignKeyKeptWithConsumerAcrossReopen(t *testing.T) {
	p := newPersisted(t, nil)
	e := p.open()
	consumerID, certID, _ := e.signer("")
	require.True(t, sandbox.SignKeyMatches(e.sb, consumerID, certID), "the app keeps the key of its sign certificate")
	p.close(e)
	e = p.open()
	require.True(t, sandbox.SignKeyMatches(e.sb, consumerID, certID), "the signing key survives a reopen")
}
