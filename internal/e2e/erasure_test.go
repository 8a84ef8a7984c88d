package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/codec"
	"idflow/internal/pii"
	"idflow/internal/subject"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
)

// TestEraseOnePerson: two persons' KYCs, each started for its subject,
// seal their histories and documents with their own keys. Erasing one
// makes its history payloads and documents unreadable; the other's stay.
func TestEraseOnePerson(t *testing.T) {
	sys := kycSystem(t)
	c, err := client.NewClientFromExisting(sys.client, client.Options{ContextPropagators: []workflow.ContextPropagator{subject.Propagator()},
		DataConverter: sys.dc, FailureConverter: codec.FailureConverter(sys.dc)})
	require.NoError(t, err)
	start := func(person string) (client.WorkflowRun, string) {
		ctx := subject.With(context.Background(), person)
		doc := sys.putSubjectDocument(t, person, "front.jpg")
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: kyc.WorkflowID(person), TaskQueue: "idflow-e2e"}, kyc.WorkflowType,
			kyc.Input{ExternalUserID: person, LevelName: "id-only-level",
				Documents:      []kyc.Document{{IDDocType: "PASSPORT", Country: "RUS", DocumentID: doc}},
				Applicant:      kyc.ApplicantRef{Info: &pii.ApplicantInfo{FirstName: "Иван", LastName: "Иванов"}},
				ReconcileAfter: time.Hour, MonitorReconcileEvery: time.Hour, MonitoringPeriod: 10 * time.Second})
		require.NoError(t, err)
		return run, doc
	}
	runA, docA := start("person-a")
	runB, docB := start("person-b")
	for _, run := range []client.WorkflowRun{runA, runB} {
		var st kyc.Status
		require.NoError(t, run.Get(context.Background(), &st))
		require.Equal(t, process.OutcomeAccepted, st.Outcome, "%+v", st)
	}
	keyOf := func(id string) string {
		for _, ev := range sys.history(t, id).Events {
			if in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput(); in != nil {
				return string(in.GetPayloads()[0].GetMetadata()["encryption-key-id"])
			}
		}
		return ""
	}
	require.NotEqual(t, keyOf(runA.GetID()), keyOf(runB.GetID()), "each person's history is sealed with its own key")

	var erased map[string]any
	sys.gatewayJSON(t, http.MethodPost, "/v1/subjects/person-a/erase", map[string]any{"actor": "e2e"}, &erased)
	assert.EqualValues(t, 1, erased["documents"])

	var input kyc.Input
	startedInput := func(id string) error {
		for _, ev := range sys.history(t, id).Events {
			if in := ev.GetWorkflowExecutionStartedEventAttributes().GetInput(); in != nil {
				return sys.dc.FromPayloads(in, &input)
			}
		}
		return nil
	}
	assert.Error(t, startedInput(runA.GetID()), "the erased person's history no longer opens")
	require.NoError(t, startedInput(runB.GetID()))
	assert.Equal(t, "person-b", input.ExternalUserID, "the other person's still does")
	assert.Equal(t, http.StatusNotFound, sys.getStatus(t, docA))
	assert.Equal(t, http.StatusOK, sys.getStatus(t, docB))
}

// putSubjectDocument stores an image for a subject, as the starter does with --subject.
func (s *system) putSubjectDocument(t *testing.T, subj, title string) string {
	t.Helper()
	status, body := s.api(t, http.MethodPost, "/v1/documents?title="+title+"&owner=kyc-"+subj+"&subject="+subj, "image/jpeg",
		[]byte("\xff\xd8 scan of "+subj))
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var doc struct{ ID, Subject string }
	require.NoError(t, json.Unmarshal(body, &doc))
	require.Equal(t, subj, doc.Subject)
	return doc.ID
}

// getStatus is the status of reading a document through the gateway.
func (s *system) getStatus(t *testing.T, id string) int {
	t.Helper()
	status, _ := s.api(t, http.MethodGet, "/v1/documents/"+id, "", nil)
	return status
}
