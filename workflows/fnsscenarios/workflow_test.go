package fnsscenarios

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

const (
	consumer = "5ccb259b-a804-4207-9dc7-b7ebc7a7e05e"
	fnsID    = int64(20101)
)

// fakeFNS plays one scenario workflow: its state at a time.
type fakeFNS struct {
	now       func() time.Time
	created   time.Time
	creates   map[string]int
	state     func(since time.Duration) string // the state this long after creation
	completed time.Time                        // complete_external_activity came
	removed   []int64
	pushes    []PushInput
	revoked   []string
	pushErr   error
}

type scenarioSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	fns *fakeFNS
}

func TestScenarios(t *testing.T) { suite.Run(t, new(scenarioSuite)) }

func (s *scenarioSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 15 * time.Second})
	f := &fakeFNS{now: s.env.Now, creates: map[string]int{}}
	s.fns = f
	created := func(externalID string) (CreateResult, error) {
		if f.creates[externalID]++; f.created.IsZero() {
			f.created = f.now()
		}
		return CreateResult{FNSWorkflowID: fnsID}, nil
	}
	s.register(CreatePauseActivity, func(_ context.Context, in CreatePauseInput) (CreateResult, error) { return created(in.ExternalID) })
	s.register(CreateExternalActivityActivity, func(_ context.Context, in CreateExternalActivityInput) (CreateResult, error) {
		return created(in.ExternalID)
	})
	s.register(fnsregistration.ReadWorkflowActivity, func(context.Context, fnsregistration.ReadWorkflowInput) (FNSWorkflow, error) {
		wf := FNSWorkflow{ID: fnsID, State: f.state(f.now().Sub(f.created))}
		switch {
		case !f.completed.IsZero() && f.now().After(f.completed):
			wf.State = stateComplete
		case !f.completed.IsZero():
			wf.State = stateCompletingEA
		case wf.State == stateRejected:
			wf.ErrorMessage = "Отклонено внешней системой"
		}
		return wf, nil
	})
	s.register(CompleteExternalActivityActivity, func(context.Context, CompleteExternalActivityInput) (fnsregistration.StepResult, error) {
		f.completed = f.now()
		return fnsregistration.StepResult{State: stateCompletingEA}, nil
	})
	s.register(fnsregistration.RemoveWorkflowsActivity, func(_ context.Context, in fnsregistration.RemoveWorkflowsInput) error {
		f.removed = append(f.removed, in.FNSWorkflowIDs...)
		return nil
	})
	s.register(PushActivity, func(_ context.Context, in PushInput) error {
		f.pushes = append(f.pushes, in)
		return f.pushErr
	})
	s.register(RevokeCertificateActivity, func(_ context.Context, in RevokeCertificateInput) error {
		f.revoked = append(f.revoked, in.ApplicationDocumentID)
		return nil
	})
}

func (s *scenarioSuite) register(name string, fn any) {
	s.env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
}

func (s *scenarioSuite) result() Status {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var st Status
	s.Require().NoError(s.env.GetWorkflowResult(&st))
	return st
}

func (s *scenarioSuite) queryAt(delay time.Duration, check func(Status)) {
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(process.StatusQuery)
		s.Require().NoError(err)
		var st Status
		s.Require().NoError(v.Get(&st))
		check(st)
	}, delay)
}

// activityDone sends the done update at delay and records its answer.
func (s *scenarioSuite) activityDone(delay time.Duration) *error {
	var result error = errors.New("update not completed")
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(ActivityDoneUpdate, "done"+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { result = err }, OnComplete: func(_ any, err error) { result = err },
		}, ActivityDoneRequest{By: "crm"})
	}, delay)
	return &result
}

func after(d time.Duration, before, then string) func(time.Duration) string {
	return func(since time.Duration) string {
		if since < d {
			return before
		}
		return then
	}
}

func pauseInput() PauseInput { return PauseInput{RequestID: "p1", ConsumerID: consumer} }

func eaInput() ExternalActivityInput {
	return ExternalActivityInput{RequestID: "e1", ConsumerID: consumer, URL: "https://crm.example/form?t=short-lived",
		Headers: map[string]string{"X-Token": "t"}}
}

// TestPauseCompletesWhenTheNextScenarioStarts: FNS completes the blank
// when another workflow starts for the consumer; the poll finds it.
func (s *scenarioSuite) TestPauseCompletesWhenTheNextScenarioStarts() {
	s.fns.state = after(3*time.Hour, "active", stateComplete)
	s.queryAt(time.Hour, func(st Status) {
		s.Equal(StagePaused, st.Stage)
		s.Equal(process.OutcomePending, st.Outcome)
		s.Require().Len(st.Waiting, 1)
		s.Equal(process.FromOperator, st.Waiting[0].From)
	})
	s.env.ExecuteWorkflow(FNSPause, pauseInput())
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal(fnsID, st.FNSWorkflowID)
	s.Equal(stateComplete, st.FNSState)
	s.Len(s.fns.creates, 1)
	s.Empty(s.fns.removed)
}

func (s *scenarioSuite) TestPauseCallbackIsAHint() {
	s.fns.state = after(3*time.Hour, "active", stateComplete)
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(CallbackSignal, fnsregistration.Callback{FNSWorkflowID: fnsID, Type: "blank", State: stateComplete})
	}, 3*time.Hour+time.Second)
	start := s.env.Now()
	s.env.ExecuteWorkflow(FNSPause, pauseInput())
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal(1, st.Callbacks)
	s.Less(s.env.Now().Sub(start), 3*time.Hour+time.Minute, "the callback made the read at once, not at the backed-off poll")
}

func (s *scenarioSuite) TestPauseNobodyFollowsUpExpiresAndIsRemoved() {
	s.fns.state = after(time.Hour, "active", "active")
	in := pauseInput()
	in.Timeout = 48 * time.Hour
	s.env.ExecuteWorkflow(FNSPause, in)
	st := s.result()
	s.Equal(process.OutcomeExpired, st.Outcome)
	s.Equal(ReasonPauseTimeout, st.Reason)
	s.Equal([]int64{fnsID}, s.fns.removed)
}

func (s *scenarioSuite) TestCancelledPauseIsRemovedAtFNS() {
	s.fns.state = after(time.Hour, "active", "active")
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, 2*time.Hour)
	s.env.ExecuteWorkflow(FNSPause, pauseInput())
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Error(s.env.GetWorkflowError())
	s.Equal([]int64{fnsID}, s.fns.removed)
}

// TestExternalActivityDoneCompletes: the update ends it at FNS and the
// workflow follows it to complete.
func (s *scenarioSuite) TestExternalActivityDoneCompletes() {
	s.fns.state = after(time.Hour, stateProcessing, stateProcessing)
	s.queryAt(30*time.Minute, func(st Status) {
		s.Equal(StageAwaitingPerson, st.Stage)
		s.Equal(process.FromPerson, st.Waiting[0].From)
	})
	done := s.activityDone(2 * time.Hour)
	s.env.ExecuteWorkflow(FNSExternalActivity, eaInput())
	st := s.result()
	s.NoError(*done)
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.False(s.fns.completed.IsZero())
}

func (s *scenarioSuite) TestExternalActivityUnderReviewWaitsForTheOperator() {
	s.fns.state = after(time.Hour, stateProcessing, stateAwaitReview)
	s.queryAt(3*time.Hour, func(st Status) {
		s.Equal(StageAwaitingReview, st.Stage)
		s.Equal(process.FromOperator, st.Waiting[0].From)
	})
	done := s.activityDone(5 * time.Hour)
	s.env.ExecuteWorkflow(FNSExternalActivity, eaInput())
	st := s.result()
	s.NoError(*done)
	s.Equal(process.OutcomeAccepted, st.Outcome)
}

func (s *scenarioSuite) TestExternalActivityRejectedAtFNS() {
	s.fns.state = after(time.Hour, stateProcessing, stateRejected)
	late := s.activityDone(30 * 24 * time.Hour)
	s.env.ExecuteWorkflow(FNSExternalActivity, eaInput())
	st := s.result()
	s.Equal(process.OutcomeRejected, st.Outcome)
	s.Equal(ReasonRejectedByFNS, st.Reason)
	s.Equal("Отклонено внешней системой", st.FNSMessage)
	s.Error(*late, "nothing to finish once rejected")
	s.True(s.fns.completed.IsZero())
}

func (s *scenarioSuite) TestExternalActivityNotFinishedExpires() {
	s.fns.state = after(time.Hour, stateProcessing, stateProcessing)
	s.env.ExecuteWorkflow(FNSExternalActivity, eaInput())
	st := s.result()
	s.Equal(process.OutcomeExpired, st.Outcome)
	s.Equal(ReasonActivityTimeout, st.Reason)
	s.Equal([]int64{fnsID}, s.fns.removed)
}

func (s *scenarioSuite) TestExternalActivityNeedsAnAbsoluteURL() {
	in := eaInput()
	in.URL = "/relative"
	s.env.ExecuteWorkflow(FNSExternalActivity, in)
	s.Require().Error(s.env.GetWorkflowError())
	s.Contains(s.env.GetWorkflowError().Error(), "url")
	s.Empty(s.fns.creates)
}

func (s *scenarioSuite) TestPushIsSentOnce() {
	s.env.ExecuteWorkflow(FNSPush, PushInput{RequestID: "n1", ConsumerID: consumer, Title: "Документы готовы", Message: "Подпишите в приложении"})
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Require().Len(s.fns.pushes, 1)
	s.Equal("Документы готовы", s.fns.pushes[0].Title)
}

func (s *scenarioSuite) TestPushWithoutMessageIsRefusedBeforeAnyCall() {
	s.env.ExecuteWorkflow(FNSPush, PushInput{RequestID: "n1", ConsumerID: consumer, Title: "t"})
	s.Require().Error(s.env.GetWorkflowError())
	s.Contains(s.env.GetWorkflowError().Error(), "message")
	s.Empty(s.fns.pushes)
}

func (s *scenarioSuite) TestRevocationSendsTheApplication() {
	s.env.ExecuteWorkflow(FNSRevocation, RevocationInput{RequestID: "rv1", ApplicationDocumentID: "doc_app"})
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal([]string{"doc_app"}, s.fns.revoked)
}
