package e2e

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"idflow/internal/gateway"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnsscenarios"
	"idflow/workflows/process"
)

// TestFNSScenariosEndToEnd: for a registered person, the real worker runs
// a pause that the next scenario completes, an external activity ended by
// the done update, one under review, an entrepreneur's additional
// signature through the same scans as registration, a push and the
// revocation of the registration's КЭП, which consumer search then shows.
func TestFNSScenariosEndToEnd(t *testing.T) {
	sys := startSystem(t, nil)
	_, reg := sys.registerFNSPerson(t, "e2e-scenarios")
	consumer := reg.ConsumerID
	require.NotEmpty(t, consumer)

	pause := sys.start(t, fnsscenarios.PauseWorkflowID("e2e"), fnsscenarios.PauseWorkflowType,
		fnsscenarios.PauseInput{RequestID: "e2e", ConsumerID: consumer, PollInitial: time.Second, PollMax: 2 * time.Second})
	sys.awaitScenarioStage(t, pause.GetID(), fnsscenarios.StagePaused)

	// The next scenario, an external activity, completes the pause at FNS.
	activity := sys.start(t, fnsscenarios.ExternalActivityWorkflowID("e2e"), fnsscenarios.ExternalActivityWorkflowType,
		fnsscenarios.ExternalActivityInput{RequestID: "e2e", ConsumerID: consumer, URL: "https://crm.example/form",
			Headers: map[string]string{"X-Token": "short-lived"}, PollInitial: time.Second, PollMax: 2 * time.Second})
	paused := sys.scenarioResult(t, pause)
	assert.Equal(t, process.OutcomeAccepted, paused.Outcome, "%+v", paused)
	recordHistory(t, sys.history(t, pause.GetID()), "fns-pause-accepted")

	st := sys.awaitScenarioStage(t, activity.GetID(), fnsscenarios.StageAwaitingPerson)
	assert.Equal(t, process.FromPerson, st.Waiting[0].From)
	sys.fnsUpdate(t, activity.GetID(), fnsscenarios.ActivityDoneUpdate, fnsscenarios.ActivityDoneRequest{By: "e2e"})
	done := sys.scenarioResult(t, activity)
	assert.Equal(t, process.OutcomeAccepted, done.Outcome, "%+v", done)
	assert.Equal(t, "complete", done.FNSState)
	recordHistory(t, sys.history(t, activity.GetID()), "fns-external-activity-accepted")

	review := sys.start(t, fnsscenarios.ExternalActivityWorkflowID("e2e-review"), fnsscenarios.ExternalActivityWorkflowType,
		fnsscenarios.ExternalActivityInput{RequestID: "e2e-review", ConsumerID: consumer, URL: "https://crm.example/sandbox-review",
			PollInitial: time.Second, PollMax: 2 * time.Second})
	st = sys.awaitScenarioStage(t, review.GetID(), fnsscenarios.StageAwaitingReview)
	assert.Equal(t, process.FromOperator, st.Waiting[0].From)
	sys.fnsUpdate(t, review.GetID(), fnsscenarios.ActivityDoneUpdate, fnsscenarios.ActivityDoneRequest{By: "reviewer"})
	assert.Equal(t, process.OutcomeAccepted, sys.scenarioResult(t, review).Outcome)

	// An entrepreneur's signature: the app's request, then the scans.
	const ogrnip = "321032700015430"
	extra := sys.start(t, fnsregistration.ExtraSignatureWorkflowID("e2e"), fnsregistration.ExtraSignatureWorkflowType,
		fnsregistration.ExtraSignatureInput{RequestID: "e2e", ConsumerID: consumer, EntrepreneurOGRNIP: ogrnip,
			PollInitial: time.Second, PollMax: 2 * time.Second})
	sys.uploadFNSScans(t, extra.GetID())
	var issued fnsregistration.Status
	sys.result(t, extra, &issued)
	require.Equal(t, process.OutcomeAccepted, issued.Outcome, "%+v", issued)
	require.NotNil(t, issued.Certificate)
	assert.NotEqual(t, reg.Certificate.Serial, issued.Certificate.Serial, "a second certificate")
	block, _ := pem.Decode(sys.getDocument(t, issued.Certificate.DocumentID))
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Contains(t, fmt.Sprint(cert.Subject.Names), ogrnip, "the entrepreneur's КЭП carries the OGRNIP")
	recordHistory(t, sys.history(t, extra.GetID()), "fns-extra-signature-accepted")

	push := sys.start(t, fnsscenarios.PushWorkflowID("e2e"), fnsscenarios.PushWorkflowType,
		fnsscenarios.PushInput{RequestID: "e2e", ConsumerID: consumer, Title: "Документы готовы", Message: "Подпишите в приложении"})
	assert.Equal(t, process.OutcomeAccepted, sys.scenarioResult(t, push).Outcome)

	application := fmt.Sprintf("<?xml version=\"1.0\"?>\n<RevocationApplication><SerialNumber>%s</SerialNumber></RevocationApplication>",
		reg.Certificate.Serial)
	appDoc := sys.putDocument(t, "revocation.xml", "application/xml", []byte(application))
	revoke := sys.start(t, fnsscenarios.RevocationWorkflowID("e2e"), fnsscenarios.RevocationWorkflowType,
		fnsscenarios.RevocationInput{RequestID: "e2e", ApplicationDocumentID: appDoc})
	assert.Equal(t, process.OutcomeAccepted, sys.scenarioResult(t, revoke).Outcome)

	found := sys.consumerSearch(t)
	require.Len(t, found, 1)
	states := map[string]int{}
	for _, c := range found[0].Certificates {
		if c.Type == "sign" {
			states[c.State]++
		}
	}
	assert.Equal(t, map[string]int{"revoked": 1, "issued": 1}, states, "the registration's КЭП revoked, the entrepreneur's not")
	assert.True(t, found[0].Entrepreneur)

	var listed struct{ Workflows []gateway.FNSWorkflowSummary }
	sys.gatewayJSON(t, http.MethodGet, "/v1/fns/workflows?consumer="+consumer, nil, &listed)
	types := map[string]int{}
	for _, w := range listed.Workflows {
		types[w.Type]++
	}
	assert.Equal(t, 1, types["blank"], "%v", types)
	assert.Equal(t, 2, types["external-activity"], "%v", types)
}

func (s *system) start(t *testing.T, id, workflowType string, input any) client.WorkflowRun {
	t.Helper()
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: "idflow-e2e"}, workflowType, input)
	require.NoError(t, err)
	return run
}

func (s *system) result(t *testing.T, run client.WorkflowRun, into any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	require.NoError(t, run.Get(ctx, into))
}

func (s *system) scenarioResult(t *testing.T, run client.WorkflowRun) fnsscenarios.Status {
	t.Helper()
	var st fnsscenarios.Status
	s.result(t, run, &st)
	return st
}

func (s *system) awaitScenarioStage(t *testing.T, workflowID, stage string) fnsscenarios.Status {
	t.Helper()
	var st fnsscenarios.Status
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		v, err := s.client.QueryWorkflow(context.Background(), workflowID, "", process.StatusQuery)
		if !assert.NoError(c, err) {
			return
		}
		assert.NoError(c, v.Get(&st))
		assert.Equal(c, stage, st.Stage, "status: %+v", st)
	}, 60*time.Second, 200*time.Millisecond)
	return st
}

// consumerSearch finds fnsPerson's consumers through the gateway.
func (s *system) consumerSearch(t *testing.T) []gateway.FNSConsumerSummary {
	t.Helper()
	p := fnsPerson().Consumer
	var out struct{ Consumers []gateway.FNSConsumerSummary }
	s.gatewayJSON(t, http.MethodPost, "/v1/fns/consumers/search", map[string]string{"last_name": p.LastName, "first_name": p.FirstName,
		"middle_name": p.MiddleName, "phone": p.Phone, "snils": p.SNILS}, &out)
	return out.Consumers
}

func (s *system) gatewayJSON(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(t, err)
	}
	status, answer := s.api(t, method, path, "application/json", raw)
	require.Equal(t, http.StatusOK, status, "%s", answer)
	require.NoError(t, json.Unmarshal(answer, out))
}
