package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"idflow/internal/store"
)

// kycArgs is a kyc start for user with three documents in dir.
func kycArgs(t *testing.T, dir, user string, extra ...string) []string {
	t.Helper()
	return append([]string{"kyc", "start", "--external-user-id", user, "--level", "basic-kyc-level",
		"--doc", "ID_CARD:RUS:FRONT_SIDE=" + filepath.Join(dir, "front.jpg"),
		"--doc", "ID_CARD:RUS:BACK_SIDE=" + filepath.Join(dir, "back.jpg"),
		"--doc", "SELFIE:RUS=" + filepath.Join(dir, "selfie.jpg")}, extra...)
}

func kycFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "front.jpg", []byte("front"))
	writeFile(t, dir, "back.jpg", []byte("back"))
	writeFile(t, dir, "selfie.jpg", []byte("me"))
	return dir
}

func identifyArgs(requestID string, extra ...string) []string {
	return append([]string{"identify", "--request-id", requestID, "--last-name", "Шариков", "--first-name", "Полиграф",
		"--patronymic", "Полиграфович", "--passport", "1111-111111", "--snils", "112-233-445 95",
		"--phone", "+79001234567"}, extra...)
}

func documents(t *testing.T, gw *testGateway, owner string) []store.Document {
	t.Helper()
	docs, err := gw.store.ListDocuments(context.Background(), owner)
	require.NoError(t, err)
	return docs
}

// TestKYCStartOncePerUser: the same kyc start twice runs one workflow; the
// second says it is already running, uploads nothing new (identical files
// get the same document ids) and exits 0; another input for the running
// workflow is refused, naming the fields, and uploads nothing.
func TestKYCStartOncePerUser(t *testing.T) {
	c, _ := useTemporal(t) // no worker: the workflow stays running
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	user := "u-" + testID(t)
	workflowID := "kyc-" + user
	dir := kycFiles(t)

	first := run(t, kycArgs(t, dir, user)...)
	require.Equal(t, 0, first.code, first.stderr)
	assert.Equal(t, "started: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+
		"\nnext: go run ./starter status "+workflowID+"\n", first.stdout)
	stored := documents(t, gw, workflowID)
	require.Len(t, stored, 3)

	desc, err := c.DescribeWorkflow(context.Background(), workflowID, "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	assert.Equal(t, "KYC of external user "+user+", level basic-kyc-level", summary)
	details, err := desc.GetStaticDetails()
	require.NoError(t, err)
	assert.Contains(t, details, "ID_CARD RUS FRONT_SIDE, ID_CARD RUS BACK_SIDE, SELFIE RUS")

	again := run(t, kycArgs(t, dir, user)...)
	require.Equal(t, 0, again.code, again.stderr)
	assert.Equal(t, "already running: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+
		"\nnext: go run ./starter status "+workflowID+"\n", again.stdout)
	assert.Equal(t, stored, documents(t, gw, workflowID), "nothing new stored")

	other := filepath.Join(t.TempDir(), "front.jpg")
	writeFile(t, filepath.Dir(other), "front.jpg", []byte("another front"))
	args := kycArgs(t, dir, user, "--level", "custom-level")
	args[7] = "ID_CARD:RUS:FRONT_SIDE=" + other
	different := run(t, args...)
	assert.Equal(t, 1, different.code)
	assert.Empty(t, different.stdout)
	assert.Equal(t, "starter: "+workflowID+" is already running with a different input (documents, levelName); "+
		"one workflow per id runs at a time: follow it with 'go run ./starter status "+workflowID+"'\n", different.stderr)

	withData := run(t, kycArgs(t, dir, user, "--dob", "1990-01-31")...)
	assert.Equal(t, 1, withData.code)
	assert.Contains(t, withData.stderr, "already running with a different input (applicant);")
	assert.Equal(t, stored, documents(t, gw, workflowID), "a refused start uploads nothing")
}

// TestKYCStartAfterTheWorkflowRan: an id that already ran is refused with
// its status and outcome, before anything is uploaded; --new starts it again.
func TestKYCStartAfterTheWorkflowRan(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue) // finishes as accepted at once
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	user := "u-" + testID(t)
	workflowID := "kyc-" + user
	dir := kycFiles(t)

	first := run(t, kycArgs(t, dir, user, "--dob", "1990-01-31")...)
	require.Equal(t, 0, first.code, first.stderr)
	waitClosed(t, c, workflowID)
	firstRun := runID(t, c, workflowID)
	stored := documents(t, gw, workflowID)
	require.Len(t, stored, 4, "three images and the declared data")

	writeFile(t, dir, "front.jpg", []byte("a new front"))
	refused := run(t, kycArgs(t, dir, user)...)
	assert.Equal(t, 1, refused.code)
	assert.Empty(t, refused.stdout)
	assert.Equal(t, "starter: "+workflowID+" already ran (COMPLETED, outcome accepted); a new start would open a new "+
		"billable session: pass --new to start again\n", refused.stderr)
	assert.Equal(t, stored, documents(t, gw, workflowID), "a refused start uploads nothing")

	again := run(t, kycArgs(t, dir, user, "--new")...)
	require.Equal(t, 0, again.code, again.stderr)
	assert.True(t, strings.HasPrefix(again.stdout, "started: "+workflowID+"\n"), again.stdout)
	waitClosed(t, c, workflowID)
	assert.Len(t, documents(t, gw, workflowID), 5, "the new front")
	assert.NotEqual(t, firstRun, runID(t, c, workflowID), "a second run")
}

// TestIdentifyOncePerRequest: the same identify twice runs one workflow and
// stores the person once (under the fixed title person.json); other data
// for the running request is refused, naming the fields.
func TestIdentifyOncePerRequest(t *testing.T) {
	c, _ := useTemporal(t)
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	requestID := "r-" + testID(t)
	workflowID := "simplified-identification-" + requestID
	next := "next: go run ./starter sms-code " + workflowID + " CODE\n      go run ./starter status " + workflowID + "\n"

	first := run(t, identifyArgs(requestID)...)
	require.Equal(t, 0, first.code, first.stderr)
	assert.Equal(t, "started: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+"\n"+next, first.stdout)
	stored := documents(t, gw, workflowID)
	require.Len(t, stored, 1)
	assert.Equal(t, "person.json", stored[0].Title)
	desc, err := c.DescribeWorkflow(context.Background(), workflowID, "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	assert.Equal(t, "Simplified identification, request "+requestID, summary)
	details, err := desc.GetStaticDetails()
	require.NoError(t, err)
	assert.NotContains(t, details, "Шариков")

	// The phone in another spelling is the same person.
	args := identifyArgs(requestID)
	args[len(args)-1] = "8 (900) 123-45-67"
	again := run(t, args...)
	require.Equal(t, 0, again.code, again.stderr)
	assert.Equal(t, "already running: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+"\n"+next, again.stdout)
	assert.Equal(t, stored, documents(t, gw, workflowID))

	args[len(args)-1] = "+79007654321"
	different := run(t, append(args, "--sms-timeout", "20m")...)
	assert.Equal(t, 1, different.code)
	assert.Contains(t, different.stderr, "starter: "+workflowID+" is already running with a different input (personDocumentId, smsCodeTimeout); ")
	assert.NotContains(t, different.stderr, "9007654321")
	assert.Equal(t, stored, documents(t, gw, workflowID), "a refused start stores nothing")
}

// TestIdentifyAfterTheWorkflowRan: a finished identification is not started
// again by accident (a new session is billed); --new starts it.
func TestIdentifyAfterTheWorkflowRan(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	requestID := "r-" + testID(t)
	workflowID := "simplified-identification-" + requestID

	require.Equal(t, 0, run(t, identifyArgs(requestID)...).code)
	waitClosed(t, c, workflowID)
	refused := run(t, identifyArgs(requestID)...)
	assert.Equal(t, 1, refused.code)
	assert.Equal(t, "starter: "+workflowID+" already ran (COMPLETED, outcome accepted); a new start would open a new "+
		"billable session: pass --new to start again\n", refused.stderr)
	again := run(t, identifyArgs(requestID, "--new")...)
	require.Equal(t, 0, again.code, again.stderr)
	assert.True(t, strings.HasPrefix(again.stdout, "started: "+workflowID+"\n"), again.stdout)
}

// TestAlreadyRanWithoutOutcome: a run that ended without a final outcome
// (terminated early, its outcome still the pending it started with) is
// named by its status alone.
func TestAlreadyRanWithoutOutcome(t *testing.T) {
	c, _ := useTemporal(t)
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	requestID := "r-" + testID(t)
	workflowID := "simplified-identification-" + requestID
	require.Equal(t, 0, run(t, identifyArgs(requestID)...).code)
	require.NoError(t, c.TerminateWorkflow(context.Background(), workflowID, "", "test"))
	refused := run(t, identifyArgs(requestID)...)
	assert.Equal(t, 1, refused.code)
	assert.Contains(t, refused.stderr, workflowID+" already ran (TERMINATED); ")
}

func runID(t *testing.T, c client.Client, workflowID string) string {
	t.Helper()
	resp, err := c.DescribeWorkflowExecution(context.Background(), workflowID, "")
	require.NoError(t, err)
	return resp.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}
