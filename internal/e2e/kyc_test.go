package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdk "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"idflow/internal/config"
	"idflow/internal/pii"
	"idflow/internal/providers/idngo"
	sandbox "idflow/internal/sandbox/idngo"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
)

// kycSystem runs the worker with a fast IDnGO sandbox that duplicates its
// review webhooks on purpose.
func kycSystem(t *testing.T) *system {
	return startSystem(t, func(c *config.Worker) {
		c.DevIDnGOReviewDelay, c.DevIDnGODuplicateWebhooks = 300*time.Millisecond, true
	})
}

// document stores an image under a file name the sandbox reacts to.
func (s *system) document(t *testing.T, docType, subType, fileName string) kyc.Document {
	return kyc.Document{IDDocType: docType, IDDocSubType: subType, Country: "RUS",
		DocumentID: s.putDocument(t, fileName, "image/jpeg", []byte("\xff\xd8\xff\xe0 fake jpeg of "+fileName))}
}

// startKYC starts a verification whose reconciliation polls come only after
// an hour: decisions in these tests travel by webhook.
func (s *system) startKYC(t *testing.T, externalUserID string, docs ...kyc.Document) client.WorkflowRun {
	t.Helper()
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: kyc.WorkflowID(externalUserID), TaskQueue: "idflow-e2e", TypedSearchAttributes: kyc.StartSearchAttributes(),
	}, kyc.WorkflowType, kyc.Input{
		ExternalUserID: externalUserID, LevelName: "basic-kyc-level", Documents: docs,
		Applicant:      kyc.ApplicantRef{Info: &pii.ApplicantInfo{FirstName: "Иван", LastName: "Иванов"}},
		ReconcileAfter: time.Hour, MonitorReconcileEvery: time.Hour, MonitoringPeriod: 20 * time.Second,
	})
	require.NoError(t, err)
	return run
}

func (s *system) kycStatus(t require.TestingT, workflowID string) kyc.Status {
	helper(t)
	v, err := s.client.QueryWorkflow(context.Background(), workflowID, "", process.StatusQuery)
	require.NoError(t, err)
	var st kyc.Status
	require.NoError(t, v.Get(&st))
	return st
}

// awaitKYC polls the status query until cond holds.
func (s *system) awaitKYC(t *testing.T, workflowID string, cond func(kyc.Status) bool) kyc.Status {
	t.Helper()
	var st kyc.Status
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st = s.kycStatus(c, workflowID)
		assert.True(c, cond(st), "last status: %+v", st)
	}, 60*time.Second, 100*time.Millisecond)
	return st
}

// TestKYCRetryThenGreenEndToEnd: the sandbox rejects the front side
// (RED:RETRY), the moderation comment shows in the status and the search
// attributes, only a new front side is uploaded, and the next review is GREEN.
// Every review webhook arrives twice; each is stored and delivered once.
func TestKYCRetryThenGreenEndToEnd(t *testing.T) {
	sys := kycSystem(t)
	run := sys.startKYC(t, "e2e-retry",
		sys.document(t, "ID_CARD", "FRONT_SIDE", "front-retry.jpg"),
		sys.document(t, "ID_CARD", "BACK_SIDE", "back.jpg"),
		sys.document(t, "SELFIE", "", "selfie.jpg"))

	st := sys.awaitKYC(t, run.GetID(), func(st kyc.Status) bool { return st.Stage == kyc.StageAwaitingResubmit })
	require.Len(t, st.RejectedSteps, 1)
	assert.Equal(t, "IDENTITY", st.RejectedSteps[0].Step)
	assert.Len(t, st.RejectedSteps[0].RejectedImageIDs, 1, "only the front side")
	assert.Equal(t, sandbox.ModerationCommentRetry, st.ModerationComment)
	assert.Equal(t, "RETRY", st.Review.RejectType)
	statusJSON, err := json.Marshal(st)
	require.NoError(t, err)
	assert.NotContains(t, string(statusJSON), sandbox.ClientCommentRetry, "the clientComment never reaches the workflow")
	sa := searchAttributes(t, sys, run.GetID())
	assert.Contains(t, sa, "IdflowRejectedSteps")
	assert.Contains(t, sa, "IdflowModerationComment")
	// The UI's overview shows the current wait without running the status query.
	v, err := sys.client.QueryWorkflow(context.Background(), run.GetID(), "", "__temporal_workflow_metadata") // the SDK's built-in query (no exported name in the client package)
	require.NoError(t, err)
	var meta sdk.WorkflowMetadata
	require.NoError(t, v.Get(&meta))
	assert.Contains(t, meta.GetCurrentDetails(), "documents for IDENTITY (resubmit-documents update) from person until")
	assert.Contains(t, meta.GetCurrentDetails(), "stage `awaiting-resubmission`")

	_, err = sys.resubmit(run.GetID(), sys.document(t, "SELFIE", "", "selfie-again.jpg"))
	require.ErrorContains(t, err, "step SELFIE was not rejected")
	res, err := sys.resubmit(run.GetID(), sys.document(t, "ID_CARD", "FRONT_SIDE", "front.jpg"))
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempt)

	st = sys.awaitKYC(t, run.GetID(), func(st kyc.Status) bool { return st.Outcome == process.OutcomeAccepted })
	assert.Equal(t, 2, st.Attempt)
	assert.Equal(t, "GREEN", st.Review.Answer)
	assertInboxDeliveredOnce(t, sys)
	h := sys.history(t, run.GetID())
	sys.requireSummaries(t, h)
	requireStartedAtFirstStage(t, h, kyc.StageCreatingApplicant)
	for _, ev := range h.Events {
		if attrs := ev.GetActivityTaskScheduledEventAttributes(); attrs.GetActivityType().GetName() == kyc.UploadDocumentActivity {
			assert.Equal(t, 30*time.Second, attrs.GetHeartbeatTimeout().AsDuration(), "a crashed upload is retried after 30 s")
		}
	}
	recordHistory(t, h, "kyc-retry-then-green")
}

// TestKYCLaterRedAfterGreenRevokes: GREEN, then the sandbox blacklists the
// applicant and sends a new RED review, which revokes the acceptance.
func TestKYCLaterRedAfterGreenRevokes(t *testing.T) {
	sys := kycSystem(t)
	run := sys.startKYC(t, "e2e-blacklist",
		sys.document(t, "PASSPORT", "", "passport-blacklist.jpg"),
		sys.document(t, "SELFIE", "", "selfie.jpg"))

	sys.awaitKYC(t, run.GetID(), func(st kyc.Status) bool { return st.Outcome == process.OutcomeAccepted })
	st := sys.awaitKYC(t, run.GetID(), func(st kyc.Status) bool { return st.Outcome == process.OutcomeRevoked })
	assert.Equal(t, kyc.ReasonLaterRedAfterGreen, st.Reason)
	assert.Equal(t, []string{"BLACKLIST"}, st.Review.RejectLabels)
	assert.Equal(t, kyc.StageMonitoring, st.Stage)
}

// TestKYCFinalRejectAndTechnicalFailure: a forged document ends in
// RED:FINAL, a verdict: rejected. A level IDnGO does not know is IDnGO's
// 400, not a verdict: the process ends failed, and the status and the
// search attributes say why in IDnGO's words.
func TestKYCFinalRejectAndTechnicalFailure(t *testing.T) {
	sys := kycSystem(t)
	run := sys.startKYC(t, "e2e-forgery",
		sys.document(t, "PASSPORT", "", "passport-forgery.jpg"),
		sys.document(t, "SELFIE", "", "selfie.jpg"))
	st := sys.awaitKYC(t, run.GetID(), func(st kyc.Status) bool { return st.Outcome == process.OutcomeRejected })
	assert.Equal(t, kyc.ReasonReviewFinalReject, st.Reason)
	assert.Equal(t, []string{"FORGERY"}, st.Review.RejectLabels)

	failing, err := sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: kyc.WorkflowID("e2e-unknown-level"), TaskQueue: "idflow-e2e",
	}, kyc.WorkflowType, kyc.Input{ExternalUserID: "e2e-unknown-level", LevelName: "no-such-level",
		Documents: []kyc.Document{sys.document(t, "PASSPORT", "", "passport.jpg")}})
	require.NoError(t, err)
	require.Error(t, failing.Get(context.Background(), nil), "the workflow fails: a technical stop, visible as Failed in the UI")
	st = sys.kycStatus(t, failing.GetID())
	assert.Equal(t, process.OutcomeFailed, st.Outcome)
	assert.Equal(t, process.ErrTypeProviderRejected, st.Reason)
	assert.Contains(t, st.Error, "Level 'no-such-level' not found")
	desc, err := sys.client.DescribeWorkflowExecution(context.Background(), failing.GetID(), "")
	require.NoError(t, err)
	fields := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	var outcome, reason, text string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields["IdflowOutcome"], &outcome))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields["IdflowReason"], &reason))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields["IdflowError"], &text))
	assert.Equal(t, "failed", outcome)
	assert.Equal(t, process.ErrTypeProviderRejected, reason)
	assert.Contains(t, text, "Level 'no-such-level' not found")
}

// TestWebhookWithoutWorkflowIsKept: an event for an applicant no workflow
// follows is stored, answered 200, not delivered, and listed for operators;
// one with a bad digest is refused and not stored.
func TestWebhookWithoutWorkflowIsKept(t *testing.T) {
	sys := kycSystem(t)
	body := []byte(`{"applicantId":"0123456789abcdef01234567","correlationId":"orphan-1","externalUserId":"nobody",` +
		`"type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"}}`)
	digest, err := idngo.PayloadDigest("idflow-dev-webhook-secret", idngo.DigestSHA256, body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, postWebhook(t, sys, body, "0000"+digest[4:]))
	assert.Equal(t, http.StatusOK, postWebhook(t, sys, body, digest))

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ev, ok := inboxEvent(c, sys, "orphan-1")
		assert.True(c, ok && ev.Status != "delivered" && ev.LastError != "", "last: %+v", ev)
	}, 30*time.Second, 100*time.Millisecond)
	for _, ev := range inboxEvents(t, sys) {
		assert.NotEqual(t, "0000"+digest[4:], ev.DedupeKey)
	}

	// An event type this project does not know is accepted and recorded too.
	unknown := []byte(`{"applicantId":"0123456789abcdef01234567","correlationId":"new-kind-1","externalUserId":"nobody",` +
		`"type":"applicantPersonalInfoChanged"}`)
	digest, err = idngo.PayloadDigest("idflow-dev-webhook-secret", idngo.DigestSHA256, unknown)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, postWebhook(t, sys, unknown, digest))
	ev, ok := inboxEvent(t, sys, "new-kind-1")
	require.True(t, ok, "stored")
	assert.Equal(t, "applicantPersonalInfoChanged", ev.EventType)

	// A webhook for a workflow that has closed is kept at the first answer.
	closedID := kyc.WorkflowID("closed-1")
	_, err = sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: closedID, TaskQueue: "nobody"}, "Closed")
	require.NoError(t, err)
	require.NoError(t, sys.client.TerminateWorkflow(context.Background(), closedID, "", "closed before its last webhook"))
	late := []byte(`{"applicantId":"0123456789abcdef01234567","correlationId":"late-1","externalUserId":"closed-1",` +
		`"type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"}}`)
	digest, err = idngo.PayloadDigest("idflow-dev-webhook-secret", idngo.DigestSHA256, late)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, postWebhook(t, sys, late, digest))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ev, ok := inboxEvent(c, sys, "late-1")
		assert.True(c, ok && ev.Status == "unmatched" && ev.Attempts == 1 && ev.NextAttemptAt == "", "last: %+v", ev)
		assert.Contains(c, ev.LastError, "workflow closed")
	}, 30*time.Second, 100*time.Millisecond)
}

func (s *system) resubmit(workflowID string, docs ...kyc.Document) (kyc.ResubmitDocumentsResult, error) {
	var res kyc.ResubmitDocumentsResult
	handle, err := s.client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: kyc.ResubmitDocumentsUpdate,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{kyc.ResubmitDocumentsRequest{Documents: docs}},
	})
	if err == nil {
		err = handle.Get(context.Background(), &res)
	}
	return res, err
}

func searchAttributes(t *testing.T, sys *system, workflowID string) map[string]any {
	t.Helper()
	desc, err := sys.client.DescribeWorkflowExecution(context.Background(), workflowID, "")
	require.NoError(t, err)
	out := map[string]any{}
	for k := range desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
		out[k] = true
	}
	return out
}

func postWebhook(t *testing.T, sys *system, body []byte, digest string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, sys.info.GatewayURL+"/webhooks/idngo", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(idngo.HeaderPayloadDigest, digest)
	req.Header.Set(idngo.HeaderPayloadDigestAlg, idngo.DigestSHA256)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// inboxRow is what GET /v1/inbox lists for one event.
type inboxRow struct {
	Provider   string `json:"provider"`
	DedupeKey  string `json:"dedupeKey"`
	WorkflowID string `json:"workflowId"`
	EventType  string `json:"eventType"`
	Status     string `json:"status"`
	LastError  string `json:"lastError"`
	Attempts   int    `json:"attempts"`
	// NextAttemptAt is "" once the event is delivered or given up.
	NextAttemptAt string `json:"nextAttemptAt"`
	// ReceivedAt and DeliveredAt are when the gateway stored the event and
	// when the dispatcher recorded its signal.
	ReceivedAt  string `json:"receivedAt"`
	DeliveredAt string `json:"deliveredAt"`
}

func inboxEvents(t require.TestingT, sys *system) []inboxRow {
	helper(t)
	req, err := http.NewRequest(http.MethodGet, sys.info.GatewayURL+"/v1/inbox?limit="+strconv.Itoa(1000), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+sys.info.APIToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct{ Events []inboxRow }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out.Events
}

func inboxEvent(t require.TestingT, sys *system, dedupeKey string) (inboxRow, bool) {
	for _, ev := range inboxEvents(t, sys) {
		if ev.DedupeKey == dedupeKey {
			return ev, true
		}
	}
	return inboxRow{}, false
}

// assertInboxDeliveredOnce: every event is stored once (the sandbox sent the
// reviews twice) and delivered.
func assertInboxDeliveredOnce(t *testing.T, sys *system) {
	t.Helper()
	var reviewed []string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		reviewed = reviewed[:0]
		for _, ev := range inboxEvents(c, sys) {
			assert.Equal(c, "delivered", ev.Status, ev.DedupeKey)
			if ev.EventType == idngo.TypeApplicantReviewed {
				reviewed = append(reviewed, ev.DedupeKey)
			}
		}
	}, 30*time.Second, 100*time.Millisecond)
	slices.Sort(reviewed)
	assert.Len(t, slices.Compact(slices.Clone(reviewed)), len(reviewed), "each review stored once")
	assert.Len(t, reviewed, 2, "two reviews, each sent twice by the sandbox, stored once")
}
