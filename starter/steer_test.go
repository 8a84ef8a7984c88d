package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"idflow/workflows/kyc"
	"idflow/workflows/simplifiedid"
)

// startStub starts a stand-in workflow that keeps running (see runStubWorker).
func startStub(t *testing.T, c client.Client, queue, workflowID, workflowType string, input any) {
	t.Helper()
	_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: workflowID, TaskQueue: queue},
		workflowType, input)
	require.NoError(t, err)
}

// TestRefusedUpdatesSayItOnce: a code or documents the workflow's validator
// refuses are reported with one prefix, in the workflow's words.
func TestRefusedUpdatesSayItOnce(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	id := testID(t)

	identification := "simplified-identification-wait-" + id
	startStub(t, c, queue, identification, simplifiedid.WorkflowType, simplifiedid.Input{RequestID: "wait-" + id})
	r := run(t, "sms-code", identification, "123456")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: code not taken: identification already finished (rejected)\n", r.stderr)

	verification := "kyc-wait-" + id
	startStub(t, c, queue, verification, kyc.WorkflowType, kyc.Input{ExternalUserID: "wait-" + id})
	r = run(t, "kyc", "resubmit", verification, "--doc", "SELFIE:RUS="+writeFile(t, t.TempDir(), "me.jpg", []byte("me")))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: documents not taken: no resubmission awaited (stage awaiting-review)\n", r.stderr)

	r = run(t, "kyc", "resubmit", "kyc-missing-"+id, "--doc", "SELFIE:RUS="+writeFile(t, t.TempDir(), "me.jpg", []byte("me")))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: documents not taken: no workflow kyc-missing-"+id+
		" in namespace default (see 'go run ./starter workflows list --all')\n", r.stderr)
	assert.Empty(t, documents(t, gw, "kyc-missing-"+id), "nothing uploaded")

	done := "kyc-done-" + id
	startStub(t, c, queue, done, kyc.WorkflowType, kyc.Input{ExternalUserID: "done-" + id})
	waitClosed(t, c, done)
	r = run(t, "kyc", "resubmit", done, "--doc", "SELFIE:RUS="+writeFile(t, t.TempDir(), "me.jpg", []byte("me")))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: documents not taken: "+done+" already ended (COMPLETED, outcome accepted)\n", r.stderr)
	assert.Empty(t, documents(t, gw, done), "nothing uploaded")

	r = run(t, "sms-code", "simplified-identification-missing-"+id, "123456")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: code not taken: no workflow simplified-identification-missing-"+id+
		" in namespace default (see 'go run ./starter workflows list --all')\n", r.stderr)

	r = run(t, "status", "kyc-missing-"+id)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no status: no workflow kyc-missing-"+id+
		" in namespace default (see 'go run ./starter workflows list --all')\n", r.stderr)
}

// TestDocumentsPutNamesTheFileOnce: a missing file is named once.
func TestDocumentsPutNamesTheFileOnce(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	missing := t.TempDir() + "/missing.txt"
	r := run(t, "documents", "put", missing)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: open "+missing+": no such file or directory\n", r.stderr)
}

// TestStatusOfARunningIdentification reads the status query of a running
// (stand-in) identification: the wait as a sentence with its countdown.
func TestStatusOfARunningIdentification(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	useGateway(t, startGateway(t).url, testToken) // the status is sealed: the gateway's codec opens it
	workflowID := "simplified-identification-wait-" + testID(t)
	startStub(t, c, queue, workflowID, simplifiedid.WorkflowType, simplifiedid.Input{RequestID: "wait-" + testID(t)})

	r := run(t, "status", workflowID)
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "workflow: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+
		workflowID+"\nprocess: SimplifiedIdentification\nstage: awaiting-sms-code-and-smev\noutcome: pending\n"), r.stdout)
	assert.Regexp(t, `\nwaiting: SMS code \(submit-sms-code update\) from person, until (\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d) \(in 1[12]m\)\n`, r.stdout)
	assert.Regexp(t, `\n  deadline: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \(in 1[12]m\)\n`, r.stdout)
	assert.NotContains(t, r.stdout, "[0]")

	j := run(t, "status", workflowID, "--json")
	require.Equal(t, 0, j.code, j.stderr)
	assert.Contains(t, j.stdout, `"waiting": [`)
}
