package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"idflow/internal/config"
	"idflow/internal/pii"
	sandbox "idflow/internal/sandbox/mandarin"
	"idflow/workflows/process"
	"idflow/workflows/simplifiedid"
)

func sandboxPerson(lastName string) pii.Person {
	return pii.Person{LastName: lastName, FirstName: sandbox.TestFirstName, Patronymic: sandbox.TestPatronymic,
		PassportSeries: sandbox.TestPassportSeries, PassportNumber: sandbox.TestPassportNumber,
		SNILS: sandbox.TestSNILS, Phone: sandbox.TestPhone}
}

// startIdentification stores the person in the document store (claim check)
// and starts the workflow, as the starter does.
func (s *system) startIdentification(t *testing.T, requestID string, p pii.Person, tune func(*simplifiedid.Input)) client.WorkflowRun {
	t.Helper()
	body, err := json.Marshal(p)
	require.NoError(t, err)
	in := simplifiedid.Input{
		RequestID: requestID, PersonDocumentID: s.putDocument(t, "person.json", simplifiedid.PersonMediaType, body),
		PersonCheckPollInitial: 200 * time.Millisecond, PersonCheckPollMax: 200 * time.Millisecond,
	}
	if tune != nil {
		tune(&in)
	}
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: simplifiedid.WorkflowID(requestID), TaskQueue: "idflow-e2e", TypedSearchAttributes: simplifiedid.StartSearchAttributes(),
	}, simplifiedid.WorkflowType, in)
	require.NoError(t, err)
	return run
}

func (s *system) sendCode(workflowID, code string) (simplifiedid.SMSCodeResult, error) {
	var res simplifiedid.SMSCodeResult
	handle, err := s.client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: simplifiedid.SubmitSMSCodeUpdate,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{simplifiedid.SMSCodeRequest{Code: code}},
	})
	if err == nil {
		err = handle.Get(context.Background(), &res)
	}
	return res, err
}

func result(t *testing.T, run client.WorkflowRun) simplifiedid.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out simplifiedid.Status
	require.NoError(t, run.Get(ctx, &out))
	return out
}

// TestSimplifiedIdentificationEndToEnd runs the real worker registration
// against the Mandarin sandbox over HTTP: a malformed code is refused before
// history, a wrong code counts, the right one passes, SMEV answers.
func TestSimplifiedIdentificationEndToEnd(t *testing.T) {
	sys := startSystem(t, nil)
	run := sys.startIdentification(t, "e2e-accepted", sandboxPerson(sandbox.TestLastName), nil)

	_, err := sys.sendCode(run.GetID(), "12ab")
	require.ErrorContains(t, err, "malformed SMS code")
	res, err := sys.sendCode(run.GetID(), "123456")
	require.NoError(t, err)
	assert.Equal(t, simplifiedid.SMSCodeResult{Accepted: false, AttemptsUsed: 1, AttemptsLeft: 4}, res)
	res, err = sys.sendCode(run.GetID(), sandbox.DefaultAcceptedCode)
	require.NoError(t, err)
	assert.True(t, res.Accepted)

	out := result(t, run)
	assert.Equal(t, process.OutcomeAccepted, out.Outcome)
	assert.True(t, out.PersonCheck.Verified)
	assert.True(t, out.Billable)
	assert.NotEmpty(t, out.SessionID)

	h := sys.history(t, run.GetID())
	assert.Equal(t, 2, eventCount(h, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
		"the malformed code left no trace in history")
	sys.requireSummaries(t, h)
	requireStartedAtFirstStage(t, h, simplifiedid.StageOpeningSession)
	recordHistory(t, h, "simplified-identification-accepted")

	metrics := sys.get(t, "/metrics")
	assert.Contains(t, metrics, "temporal_workflow_completed", "the SDK's metrics reach /metrics")
	assert.Contains(t, metrics, "idflow_http_requests_total")

	desc, err := sys.client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
	require.NoError(t, err)
	sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	for _, key := range []string{"IdflowProcess", "IdflowStage", "IdflowOutcome", "IdflowProviderRef"} {
		assert.Contains(t, sa, key)
	}
}

// TestSimplifiedIdentificationRejectedBySMEV keeps SMEV's own error text.
func TestSimplifiedIdentificationRejectedBySMEV(t *testing.T) {
	sys := startSystem(t, nil)
	run := sys.startIdentification(t, "e2e-not-found", sandboxPerson(sandbox.LastNameNotFound), nil)
	out := result(t, run)
	assert.Equal(t, process.OutcomeRejected, out.Outcome)
	assert.Equal(t, simplifiedid.ReasonPersonNotVerified, out.Reason)
	assert.Equal(t, sandbox.ErrorTextPersonNotFound, out.PersonCheck.Error)
	recordHistory(t, sys.history(t, run.GetID()), "simplified-identification-rejected")
}

// TestPersonCheckPollHistoryIsBounded shows that polling SMEV costs the same
// few history events however many polls it takes: a person SMEV never
// answers for is polled 3 times in one run and 12 in another; the poll is 3
// events in both, and the whole history stays under the bound. (The server
// rounds retry intervals up to seconds.)
func TestPersonCheckPollHistoryIsBounded(t *testing.T) {
	sys := startSystem(t, func(c *config.Worker) { c.DevSMEVDelay = time.Hour })
	const limit = 12 * time.Second
	polls := map[string]int32{}
	for _, run := range []struct {
		name     string
		interval time.Duration
	}{{"slow-polls", 4 * time.Second}, {"fast-polls", time.Second}} {
		wf := sys.startIdentification(t, "e2e-bounded-"+run.name, sandboxPerson(sandbox.LastNameSlow), func(in *simplifiedid.Input) {
			in.PersonCheckLimit, in.PersonCheckPollInitial, in.PersonCheckPollMax = limit, run.interval, run.interval
		})
		out := result(t, wf)
		require.Equal(t, process.OutcomeExpired, out.Outcome)
		require.False(t, out.Billable)
		h := sys.history(t, wf.GetID())
		attempts, pollEvents := pollHistory(h)
		t.Logf("%s: %d SMEV polls, %d events for the poll, %d history events in all", run.name, attempts, pollEvents, len(h.Events))
		polls[run.name] = attempts
		assert.Equal(t, 3, pollEvents, "scheduled, started, closed: whatever the number of polls")
		assert.LessOrEqual(t, len(h.Events), maxExpiredIdentificationEvents)
		recordHistory(t, h, "simplified-identification-expired-"+run.name)
	}
	// A 4 s interval polls about 3 times in 12 s, a 1 s one about 12 times:
	// the events above stayed the same for very different numbers of polls.
	assert.GreaterOrEqual(t, polls["slow-polls"], int32(2), "the slow run polled more than once")
	assert.GreaterOrEqual(t, polls["fast-polls"], 2*polls["slow-polls"], "the fast run polled far more often")
}

// maxExpiredIdentificationEvents bounds the whole history of an
// identification whose SMEV check ran to the limit (34 measured; the
// 10-minute SLA timer of a real 300-minute run adds a few). The poll itself
// is 3 events: scheduled, started (with the last attempt number), closed.
const maxExpiredIdentificationEvents = 40

// pollHistory finds the SMEV poll (the first CheckPerson activity) and
// returns its last attempt number and how many events it put in history.
func pollHistory(h *historypb.History) (attempts int32, events int) {
	var pollID int64
	for _, ev := range h.GetEvents() {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && pollID == 0 && a.GetActivityType().GetName() == "CheckPerson" {
			pollID, events = ev.GetEventId(), 1
			continue
		}
		if pollID == 0 || scheduledEventID(ev) != pollID {
			continue
		}
		events++
		attempts = max(attempts, ev.GetActivityTaskStartedEventAttributes().GetAttempt())
	}
	return attempts, events
}

// scheduledEventID is the activity an activity event belongs to, or 0.
func scheduledEventID(ev *historypb.HistoryEvent) int64 {
	switch {
	case ev.GetActivityTaskStartedEventAttributes() != nil:
		return ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()
	case ev.GetActivityTaskCompletedEventAttributes() != nil:
		return ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
	case ev.GetActivityTaskFailedEventAttributes() != nil:
		return ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
	case ev.GetActivityTaskTimedOutEventAttributes() != nil:
		return ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
	case ev.GetActivityTaskCanceledEventAttributes() != nil:
		return ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()
	}
	return 0
}
