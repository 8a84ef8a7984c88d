package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"idflow/internal/config"
	sandbox "idflow/internal/sandbox/mandarin"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/onboarding"
	"idflow/workflows/process"
	"idflow/workflows/simplifiedid"
)

const e2eVDCSecret = "e2e-issuer-api-shared-secret-0123456789"

// vdc calls one issuer API method as the wallet does and returns the
// status and the decoded answer.
func (s *system) vdc(t require.TestingT, method string, body map[string]any) (int, map[string]any) {
	helper(t)
	body["requestMetadata"] = map[string]any{"requestId": uuid.NewString(), "version": map[string]int{"major": 1, "minor": 0}}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.info.GatewayURL+"/api/v1/vdc/"+method, bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e2eVDCSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var answer map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
	meta, _ := answer["responseMetadata"].(map[string]any)
	assert.Equal(t, body["requestMetadata"].(map[string]any)["requestId"], meta["requestId"], "the request id is echoed")
	return resp.StatusCode, answer
}

// proofingStatus is getProofingStatus's proofingStatus, as JSON.
func (s *system) proofingStatus(t require.TestingT, proofingID, deviceRef string) string {
	helper(t)
	status, answer := s.vdc(t, "getProofingStatus", map[string]any{"proofingId": proofingID, "deviceReferenceId": deviceRef})
	require.Equal(t, http.StatusOK, status, "%v", answer)
	b, err := json.Marshal(answer["proofingStatus"])
	require.NoError(t, err)
	return string(b)
}

// onboardingEvidence stores the sandbox person for the simplified
// identification and the FNS registration, with fast polls.
func (s *system) onboardingEvidence(t *testing.T) onboarding.Evidence {
	t.Helper()
	person, err := json.Marshal(sandboxPerson(sandbox.TestLastName))
	require.NoError(t, err)
	reg, err := json.Marshal(fnsPerson())
	require.NoError(t, err)
	return onboarding.Evidence{
		SimplifiedIdentification: &onboarding.SimplifiedIDEvidence{PollInitial: 200 * time.Millisecond, PollMax: 200 * time.Millisecond,
			PersonDocumentID: s.putDocument(t, "person.json", simplifiedid.PersonMediaType, person)},
		FNSRegistration: &onboarding.FNSEvidence{PollInitial: time.Second, PollMax: 2 * time.Second,
			RegistrationDocumentID: s.putDocument(t, "registration.json", fnsregistration.RegistrationMediaType, reg)},
	}
}

// TestOnboardingEndToEnd: a wallet's proofUser over HTTP starts an
// onboarding that runs against all three sandboxes — the simplified
// identification (SMEV and an SMS code), FNS registration with the agent's
// in-person identification and the certificate, the signing — while the
// wallet polls getProofingStatus and sees pending, then challenged with a
// physical location visit, then accepted.
func TestOnboardingEndToEnd(t *testing.T) {
	sys := startSystem(t, func(c *config.Worker) { c.VDCSecret = e2eVDCSecret })
	const proofingID, deviceRef = "prf-e2e-1", "dev-e2e-1"
	evidence := sys.onboardingEvidence(t)
	evidence.Signing = &onboarding.SigningEvidence{PollInitial: time.Second, PollMax: 2 * time.Second,
		DocumentIDs: []string{sys.putDocument(t, "contract.pdf", "application/pdf", []byte("%PDF-1.7 onboarding contract"))}}
	proofUser := map[string]any{"proofingId": proofingID, "deviceReferenceId": deviceRef, "evidence": evidence}
	status, answer := sys.vdc(t, "proofUser", proofUser)
	require.Equal(t, http.StatusOK, status, "%v", answer)
	assert.Equal(t, proofingID, answer["proofingId"])

	seen := map[string]bool{}
	poll := func(until string) {
		t.Helper()
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st := sys.proofingStatus(c, proofingID, deviceRef)
			seen[st] = true
			assert.Contains(c, st, until)
		}, 120*time.Second, 100*time.Millisecond)
	}
	poll(`{"pending":{}}`)

	// A retried proofUser (a new requestId) starts nothing new; another device learns nothing.
	status, answer = sys.vdc(t, "proofUser", proofUser)
	require.Equal(t, http.StatusOK, status, "%v", answer)
	unknown, unknownAnswer := sys.vdc(t, "getProofingStatus", map[string]any{"proofingId": "prf-none", "deviceReferenceId": deviceRef})
	other, otherAnswer := sys.vdc(t, "getProofingStatus", map[string]any{"proofingId": proofingID, "deviceReferenceId": "dev-other"})
	assert.Equal(t, unknown, other)
	assert.Contains(t, unknownAnswer, "invalidIdentifier")
	assert.Equal(t, unknownAnswer["errorDescription"], otherAnswer["errorDescription"], "a known proofing asked by another device looks unknown")

	// The person types the SMS code into the simplified identification.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		res, err := sys.sendCode(simplifiedid.WorkflowID(proofingID), sandbox.DefaultAcceptedCode)
		if assert.NoError(c, err) {
			assert.True(c, res.Accepted)
		}
	}, 60*time.Second, 200*time.Millisecond)

	// FNS waits for the agent: the wallet is told to visit a place.
	poll(`"physicalLocationVisit":{}`)
	registration := fnsregistration.WorkflowID(proofingID)
	st := sys.awaitFNSStage(t, registration, fnsregistration.StageAwaitingAgent)
	require.Len(t, st.Waiting, 1)
	agentID := sys.newFNSAgent(t)
	passport := sys.putDocument(t, "паспорт.jpg", "image/jpeg", []byte("\xff\xd8 passport scan"))
	sys.fnsUpdate(t, registration, fnsregistration.AgentIdentifyUpdate,
		fnsregistration.AgentIdentifyRequest{AgentID: agentID, PassportScanDocumentIDs: []string{passport}})
	sys.uploadFNSScans(t, registration)

	poll(`{"accepted":{}}`)
	assert.True(t, seen[`{"pending":{}}`], "seen: %v", seen)

	v, err := sys.client.QueryWorkflow(context.Background(), onboarding.WorkflowID(proofingID), "", process.StatusQuery)
	require.NoError(t, err)
	var ob onboarding.Status
	require.NoError(t, v.Get(&ob))
	assert.Equal(t, process.OutcomeAccepted, ob.Outcome)
	assert.Equal(t, onboarding.StageMonitoring, ob.Stage)
	require.Len(t, ob.Steps, 3)
	for _, step := range ob.Steps {
		assert.Equal(t, process.OutcomeAccepted, step.Outcome, step.Name)
	}
	assert.NotEmpty(t, ob.CertificateSerial)
	desc, err := sys.client.DescribeWorkflow(context.Background(), onboarding.WorkflowID(proofingID), "")
	require.NoError(t, err)
	key, _ := desc.TypedSearchAttributes.GetKeyword(process.ProofingStatusKey)
	assert.Equal(t, "accepted", key, "operators filter on IdflowProofingStatus")

	sys.requireSummaries(t, sys.history(t, onboarding.WorkflowID(proofingID)))
	sys.requireSummaries(t, sys.history(t, registration))

	// An accepted proofing cannot be cancelled.
	status, answer = sys.vdc(t, "cancelProofing", map[string]any{"proofingId": proofingID, "deviceReferenceId": deviceRef})
	assert.NotEqual(t, http.StatusOK, status)
	assert.Contains(t, answer, "invalidState")
}

// TestCancelProofingEndToEnd: cancelProofing while FNS waits for the agent
// cancels the onboarding, which removes the open FNS registration; the
// status turns canceled and stays so for a repeated cancel.
func TestCancelProofingEndToEnd(t *testing.T) {
	sys := startSystem(t, func(c *config.Worker) { c.VDCSecret = e2eVDCSecret })
	const proofingID, deviceRef = "prf-e2e-cancel", "dev-e2e-2"
	evidence := sys.onboardingEvidence(t)
	// Started through Temporal, as the starter does, not by proofUser: the
	// onboarding makes its projection row itself. (Without a subject its
	// payloads are sealed with the master key, so the recorded histories
	// replay without the subject's key.)
	_, err := sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: onboarding.WorkflowID(proofingID), TaskQueue: "idflow-e2e",
	}, onboarding.WorkflowType, onboarding.Input{ProofingID: proofingID, DeviceReferenceID: deviceRef, Evidence: evidence})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		res, err := sys.sendCode(simplifiedid.WorkflowID(proofingID), sandbox.DefaultAcceptedCode)
		if assert.NoError(c, err) {
			assert.True(c, res.Accepted)
		}
	}, 60*time.Second, 200*time.Millisecond)
	sys.awaitFNSStage(t, fnsregistration.WorkflowID(proofingID), fnsregistration.StageAwaitingAgent)

	for range 2 {
		status, answer := sys.vdc(t, "cancelProofing", map[string]any{"proofingId": proofingID, "deviceReferenceId": deviceRef})
		require.Equal(t, http.StatusOK, status, "%v", answer)
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			assert.Equal(c, `{"canceled":{}}`, sys.proofingStatus(c, proofingID, deviceRef))
		}, 60*time.Second, 100*time.Millisecond)
	}
	reg2 := sys.fnsStatus(t, fnsregistration.WorkflowID(proofingID))
	assert.Equal(t, process.OutcomeCanceled, reg2.Outcome)

	for name, id := range map[string]string{"onboarding-canceled": onboarding.WorkflowID(proofingID),
		"onboarding-child-simplified-identification": simplifiedid.WorkflowID(proofingID),
		"onboarding-child-fns-registration-canceled": fnsregistration.WorkflowID(proofingID)} {
		h := sys.history(t, id)
		sys.requireSummaries(t, h)
		recordHistory(t, h, name)
	}
}
