package fnsregistration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"idflow/workflows/process"
	"idflow/workflows/process/processtest"
)

// fakeFNS is FNS as the activities would see it: an identification that
// waits for the app, then for the agent, then issues the TLS certificate
// and starts its certificate-issuing child, which waits for the app, then
// for the scans.
type fakeFNS struct {
	now func() time.Time

	consumerState string
	signConfirmed bool
	rejectWith    string // an SMEV text: the identification is rejected a minute after creation

	appAfter    time.Duration // after creation, the person installs the app; < 0 never
	created     time.Time
	identified  time.Time
	scansIn     time.Time
	creates     map[string]int64 // external id → FNS workflow
	createCalls int
	failCreate  bool // the first create reaches FNS but its answer is lost
	reads       int
	removed     []int64
}

const (
	fnsIdentification = int64(10909)
	fnsCertificate    = int64(10910)
	issueTime         = 5 * time.Minute
	childAppTime      = 10 * time.Minute
)

func (f *fakeFNS) identification() FNSWorkflow {
	now := f.now()
	wf := FNSWorkflow{ID: fnsIdentification, Type: typeIdentification}
	switch {
	case f.rejectWith != "" && !now.Before(f.created.Add(time.Minute)):
		wf.State, wf.ErrorMessage = stateRejected, f.rejectWith
	case f.appAfter < 0 || now.Before(f.created.Add(f.appAfter)):
		wf.State = stateWaitPKCS10
	case f.identified.IsZero():
		wf.State = stateWaitIdentification
	case now.Before(f.identified.Add(issueTime)):
		wf.State = stateCertificateIssue
	default:
		wf.State, wf.Children = stateComplete, []int64{fnsCertificate}
	}
	return wf
}

func (f *fakeFNS) certificate() FNSWorkflow {
	start := f.identified.Add(issueTime)
	wf := FNSWorkflow{ID: fnsCertificate, Type: typeCertificateIssuing}
	switch now := f.now(); {
	case now.Before(start.Add(childAppTime)):
		wf.State = stateWaitSecretKey
	case f.scansIn.IsZero():
		wf.State = stateWaitScanUpload
	default:
		wf.State = stateComplete
	}
	return wf
}

type fnsSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	fns *fakeFNS
}

func TestFNSRegistration(t *testing.T) {
	suite.Run(t, new(fnsSuite))
}

func (s *fnsSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 15 * time.Second})
	s.fns = &fakeFNS{now: s.env.Now, appAfter: 10 * time.Minute, creates: map[string]int64{}}
	f := s.fns
	s.register(CheckConsumerActivity, func(context.Context, CheckConsumerInput) (CheckConsumerResult, error) {
		return CheckConsumerResult{ConsumerID: "5ccb259b-a804-4207-9dc7-b7ebc7a7e05e", State: f.consumerState, SignConfirmed: f.signConfirmed}, nil
	})
	s.register(CreateRegistrationActivity, func(_ context.Context, in CreateRegistrationInput) (CreateRegistrationResult, error) {
		f.createCalls++
		if _, ok := f.creates[in.ExternalID]; !ok {
			f.creates[in.ExternalID], f.created = fnsIdentification, f.now()
		}
		if f.failCreate && f.createCalls == 1 {
			return CreateRegistrationResult{}, errors.New("connection reset by peer")
		}
		return CreateRegistrationResult{FNSWorkflowID: f.creates[in.ExternalID]}, nil
	})
	s.register(ReadWorkflowActivity, func(_ context.Context, in ReadWorkflowInput) (FNSWorkflow, error) {
		f.reads++
		if in.FNSWorkflowID == fnsCertificate {
			return f.certificate(), nil
		}
		return f.identification(), nil
	})
	s.register(AgentIdentifyActivity, func(_ context.Context, in AgentIdentifyInput) (StepResult, error) {
		if f.identification().State != stateWaitIdentification {
			return StepResult{}, temporal.NewNonRetryableApplicationError("not awaiting identification", process.ErrTypeProviderRejected, nil)
		}
		f.identified = f.now()
		return StepResult{State: stateCertificateIssue}, nil
	})
	s.register(UploadScansActivity, func(_ context.Context, in UploadScansInput) (StepResult, error) {
		f.scansIn = f.now()
		return StepResult{State: stateComplete}, nil
	})
	s.register(RecordCertificateActivity, func(_ context.Context, in RecordCertificateInput) (Certificate, error) {
		return Certificate{Serial: "7c0f", Issuer: "idflow FNS sandbox CA", NotBefore: f.now(), NotAfter: f.now().Add(365 * 24 * time.Hour),
			DocumentID: "doc_cert"}, nil
	})
	s.register(RemoveWorkflowsActivity, func(_ context.Context, in RemoveWorkflowsInput) error {
		f.removed = append(f.removed, in.FNSWorkflowIDs...)
		return nil
	})
}

func (s *fnsSuite) register(name string, fn any) {
	s.env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
}

func input() Input {
	return Input{RequestID: "r1", RegistrationDocumentID: "doc_registration"}
}

// agentIdentifies sends the agent's update at delay and records its answer.
func (s *fnsSuite) update(delay time.Duration, name string, arg any) *error {
	var result error = errors.New("update not completed")
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(name, name+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { result = err },
			OnComplete: func(_ any, err error) { result = err },
		}, arg)
	}, delay)
	return &result
}

func (s *fnsSuite) agentIdentifies(delay time.Duration) *error {
	return s.update(delay, AgentIdentifyUpdate, AgentIdentifyRequest{AgentID: "agent-19", PassportScanDocumentIDs: []string{"doc_passport"}})
}

func (s *fnsSuite) scansArrive(delay time.Duration) *error {
	return s.update(delay, UploadScansUpdate, UploadScansRequest{ScanDocumentIDs: []string{"doc_form", "doc_photo"}})
}

func (s *fnsSuite) callback(delay time.Duration, state string) {
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(CallbackSignal, Callback{FNSWorkflowID: fnsIdentification, Type: typeIdentification, State: state})
	}, delay)
}

func (s *fnsSuite) query() Status {
	v, err := s.env.QueryWorkflow(process.StatusQuery)
	s.Require().NoError(err)
	var st Status
	s.Require().NoError(v.Get(&st))
	return st
}

func (s *fnsSuite) queryAt(delay time.Duration, check func(Status)) {
	s.env.RegisterDelayedCallback(func() { check(s.query()) }, delay)
}

func (s *fnsSuite) result() Status {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var st Status
	s.Require().NoError(s.env.GetWorkflowResult(&st))
	return st
}

// TestWholePath: app, agent, TLS certificate, child, app, scans, КЭП —
// with no callback at all: the poll finds every change.
func (s *fnsSuite) TestWholePath() {
	s.queryAt(5*time.Minute, func(st Status) {
		s.Equal(StageAwaitingApp, st.Stage)
		s.Require().Len(st.Waiting, 1)
		s.Equal(process.FromPerson, st.Waiting[0].From)
	})
	s.queryAt(30*time.Minute, func(st Status) {
		s.Equal(StageAwaitingAgent, st.Stage)
		s.Equal(process.FromAgent, st.Waiting[0].From)
	})
	identified := s.agentIdentifies(31 * time.Minute)
	s.queryAt(3*time.Hour, func(st Status) { s.Equal(StageAwaitingScans, st.Stage) })
	scans := s.scansArrive(3*time.Hour + time.Minute)
	s.env.ExecuteWorkflow(FNSRegistration, input())

	st := s.result()
	s.NoError(*identified)
	s.NoError(*scans)
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal(StageFinished, st.Stage)
	s.Equal(fnsIdentification, st.FNSWorkflowID)
	s.Equal(fnsCertificate, st.CertificateWorkflowID)
	s.Require().NotNil(st.Certificate)
	s.Equal("7c0f", st.Certificate.Serial)
	s.Len(s.fns.creates, 1)
	s.Empty(st.Waiting)
}

func (s *fnsSuite) TestAlreadyIdentifiedConsumerNeedsNoRegistration() {
	s.fns.consumerState, s.fns.signConfirmed = consumerIdentified, true
	s.env.ExecuteWorkflow(FNSRegistration, input())

	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal(ReasonAlreadyIdentified, st.Reason)
	s.Zero(s.fns.createCalls)
}

func (s *fnsSuite) TestBlockedConsumerIsRejectedWithoutARegistration() {
	s.fns.consumerState = consumerBlocked
	s.env.ExecuteWorkflow(FNSRegistration, input())

	st := s.result()
	s.Equal(process.OutcomeRejected, st.Outcome)
	s.Equal(ReasonConsumerBlocked, st.Reason)
	s.Zero(s.fns.createCalls)
}

func (s *fnsSuite) TestSMEVRejectionsHaveTheirReasons() {
	for text, reason := range map[string]string{
		"Не пройдены проверки: Валидация ФИО-СНИЛС":                ReasonNameSNILS,
		"Не пройдены проверки: Валидация ФИО-ИНН ФЛ":               ReasonNameINN,
		"Не пройдены проверки: Проверка действительности паспорта": ReasonPassportInvalid,
		"Что-то другое": ReasonRejectedByFNS,
	} {
		s.Run(reason, func() {
			s.SetupTest()
			s.fns.rejectWith = text
			s.env.ExecuteWorkflow(FNSRegistration, input())
			st := s.result()
			s.Equal(process.OutcomeRejected, st.Outcome)
			s.Equal(reason, st.Reason)
			s.Equal(text, st.FNSMessage)
		})
	}
}

// TestCallbackIsAHintThatSpeedsTheRead: after hours of nothing the poll has
// backed off; a callback makes the workflow read /full at once.
func (s *fnsSuite) TestCallbackIsAHintThatSpeedsTheRead() {
	s.fns.appAfter = 10 * time.Hour
	s.callback(10*time.Hour+time.Second, "installed")
	s.queryAt(10*time.Hour+time.Minute, func(st Status) {
		s.Equal(StageAwaitingAgent, st.Stage, "read on the callback, not at the next poll")
		s.Equal(1, st.Callbacks)
	})
	s.agentIdentifies(10*time.Hour + 2*time.Minute)
	s.scansArrive(13 * time.Hour)
	s.env.ExecuteWorkflow(FNSRegistration, input())
	s.Equal(process.OutcomeAccepted, s.result().Outcome)
}

// TestForgedOrRepeatedCallbacksChangeNothing: callbacks claiming a state
// FNS does not confirm are read back and ignored; repeats are harmless.
func (s *fnsSuite) TestForgedOrRepeatedCallbacksChangeNothing() {
	s.fns.appAfter = 2 * time.Hour
	s.callback(20*time.Minute, stateComplete)
	s.callback(21*time.Minute, stateComplete)
	s.callback(22*time.Minute, stateRejected)
	s.queryAt(30*time.Minute, func(st Status) {
		s.Equal(StageAwaitingApp, st.Stage, "FNS says the app is not installed yet")
		s.Equal(process.OutcomePending, st.Outcome)
		s.Equal(3, st.Callbacks)
	})
	s.agentIdentifies(3 * time.Hour)
	s.scansArrive(6 * time.Hour)
	s.env.ExecuteWorkflow(FNSRegistration, input())
	s.Equal(process.OutcomeAccepted, s.result().Outcome)
}

func (s *fnsSuite) TestEachWaitExpires() {
	s.Run("app", func() {
		s.SetupTest()
		s.fns.appAfter = -1
		s.env.ExecuteWorkflow(FNSRegistration, input())
		st := s.result()
		s.Equal(process.OutcomeExpired, st.Outcome)
		s.Equal(ReasonAppTimeout, st.Reason)
		s.GreaterOrEqual(s.env.Now().Sub(s.fns.created), DefaultAppTimeout)
	})
	s.Run("agent", func() {
		s.SetupTest()
		in := input()
		in.AgentTimeout = 48 * time.Hour
		s.env.ExecuteWorkflow(FNSRegistration, in)
		st := s.result()
		s.Equal(process.OutcomeExpired, st.Outcome)
		s.Equal(ReasonAgentTimeout, st.Reason)
		s.Less(s.env.Now().Sub(s.fns.created), 49*time.Hour)
	})
	s.Run("scans", func() {
		s.SetupTest()
		s.agentIdentifies(time.Hour)
		in := input()
		in.ScanTimeout = 24 * time.Hour
		s.env.ExecuteWorkflow(FNSRegistration, in)
		st := s.result()
		s.Equal(process.OutcomeExpired, st.Outcome)
		s.Equal(ReasonScanTimeout, st.Reason)
	})
}

func (s *fnsSuite) TestCancellationRemovesTheFNSWorkflow() {
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, time.Hour)
	s.env.ExecuteWorkflow(FNSRegistration, input())

	s.True(temporal.IsCanceledError(s.env.GetWorkflowError()))
	s.Equal([]int64{fnsIdentification}, s.fns.removed)
	s.Equal(process.OutcomeCanceled, s.query().Outcome)
}

// TestRetriedCreateMakesOneRegistration: the first create reaches FNS but
// its answer is lost; the retry carries the same external id and gets the
// same FNS workflow.
func (s *fnsSuite) TestRetriedCreateMakesOneRegistration() {
	s.fns.failCreate, s.fns.appAfter = true, -1
	in := input()
	in.AppTimeout = time.Hour
	s.env.ExecuteWorkflow(FNSRegistration, in)

	s.result()
	s.Equal(2, s.fns.createCalls)
	s.Len(s.fns.creates, 1, "one external id, one FNS workflow")
	s.Equal(fnsIdentification, s.query().FNSWorkflowID)
}

// TestUpdatesAreValidated: an identification nobody waits for, or one
// without an agent or scans, is refused before it enters history.
func (s *fnsSuite) TestUpdatesAreValidated() {
	early := s.agentIdentifies(time.Minute)
	noAgent := s.update(20*time.Minute, AgentIdentifyUpdate, AgentIdentifyRequest{PassportScanDocumentIDs: []string{"doc"}})
	noScans := s.update(21*time.Minute, AgentIdentifyUpdate, AgentIdentifyRequest{AgentID: "agent-19"})
	earlyScans := s.scansArrive(22 * time.Minute)
	s.agentIdentifies(30 * time.Minute)
	s.scansArrive(3 * time.Hour)
	s.env.ExecuteWorkflow(FNSRegistration, input())

	s.ErrorContains(*early, "no identification awaited")
	s.ErrorContains(*noAgent, "agentId: required")
	s.ErrorContains(*noScans, "passportScanDocumentIds")
	s.ErrorContains(*earlyScans, "no scans awaited")
	s.Equal(process.OutcomeAccepted, s.result().Outcome)
}

func (s *fnsSuite) TestInvalidInputFails() {
	in := input()
	in.RegistrationDocumentID, in.PollInitial, in.PollMax = "", time.Hour, time.Minute
	s.env.ExecuteWorkflow(FNSRegistration, in)

	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "registrationDocumentId: required")
	s.Contains(err.Error(), "pollInitial: must not exceed pollMax")
	s.Equal(process.OutcomeFailed, s.query().Outcome)
	s.Zero(s.fns.createCalls)
}

// TestAgentStepRetriesStaySoon: an agent's identification that FNS keeps
// failing is retried at most InteractiveStepRetryMax apart (not doubling to
// minutes), so the agent has the answer soon after FNS recovers.
func (s *fnsSuite) TestAgentStepRetriesStaySoon() {
	f := s.fns
	var attempts []time.Time
	s.env.OnActivity(AgentIdentifyActivity, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in AgentIdentifyInput) (StepResult, error) {
			attempts = append(attempts, f.now())
			if len(attempts) < 9 {
				return StepResult{}, errors.New("HTTP 502: Bad Gateway")
			}
			f.identified = f.now()
			return StepResult{State: stateCertificateIssue}, nil
		})
	identified := s.agentIdentifies(31 * time.Minute)
	scans := s.scansArrive(4 * time.Hour)
	s.env.ExecuteWorkflow(FNSRegistration, input())

	s.Equal(process.OutcomeAccepted, s.result().Outcome)
	s.NoError(*identified)
	s.NoError(*scans)
	s.Require().Len(attempts, 9)
	for i := 1; i < len(attempts); i++ {
		s.LessOrEqual(attempts[i].Sub(attempts[i-1]), process.InteractiveStepRetryMax+time.Second, "attempt %d", i+1)
	}
	s.Greater(attempts[8].Sub(attempts[7]), 5*time.Second, "still backing off")
}

// TestHintsBeforeAReadAskForNoOtherRead: callbacks that came before a read
// of /full are covered by it: they are counted, and the next read waits
// for the poll (or a later callback), not at once.
func (s *fnsSuite) TestHintsBeforeAReadAskForNoOtherRead() {
	s.callback(0, "installed")
	s.callback(0, "installed")
	var readsAtFirstPoll int
	s.env.RegisterDelayedCallback(func() { readsAtFirstPoll = s.fns.reads }, DefaultPollInitial/2)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, time.Minute)
	s.env.ExecuteWorkflow(FNSRegistration, input())

	s.Require().True(s.env.IsWorkflowCompleted())
	s.Equal(1, readsAtFirstPoll, "one read for the two callbacks before it")
	s.Equal(2, s.query().Callbacks)
}

// TestAWakeUpCancelsThePollTimer: a callback that ends a wait cancels the
// wait's poll timer (version 2); before, the timer fired later into a
// workflow task with nothing to do.
func (s *fnsSuite) TestAWakeUpCancelsThePollTimer() {
	s.Equal(1, s.timersCanceledByAWakeUp(), "version 2")
}

func (s *fnsSuite) TestAWakeUpLeftThePollTimerBeforeVersion2() {
	s.env.OnGetVersion(readCoversEarlierHints, workflow.DefaultVersion, cancelPollTimer).Return(takeHintsBeforeRead)
	s.Zero(s.timersCanceledByAWakeUp(), "version 1")
}

// timersCanceledByAWakeUp runs a registration woken by one callback while
// it waits for its first poll, and counts the timers canceled before the
// test cancels the workflow (which cancels those left).
func (s *fnsSuite) timersCanceledByAWakeUp() int {
	canceled, canceledBeforeTheEnd := 0, -1
	s.env.SetOnTimerCanceledListener(func(string) { canceled++ })
	s.callback(DefaultPollInitial/2, "installed")
	s.env.RegisterDelayedCallback(func() { canceledBeforeTheEnd = canceled }, time.Minute-time.Second)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, time.Minute)
	s.env.ExecuteWorkflow(FNSRegistration, input())
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Equal(1, s.query().Callbacks)
	return canceledBeforeTheEnd
}

// TestStartSearchAttributesAreTheFirstPublication: started with them, the
// registration does not upsert its first stage again.
func (s *fnsSuite) TestStartSearchAttributesAreTheFirstPublication() {
	stages := processtest.UpsertedStages(s.env)
	s.Require().NoError(s.env.SetTypedSearchAttributesOnStart(StartSearchAttributes()))
	s.fns.consumerState, s.fns.signConfirmed = consumerIdentified, true
	s.env.ExecuteWorkflow(FNSRegistration, input())

	s.Equal(process.OutcomeAccepted, s.result().Outcome)
	s.Equal([]string{StageFinished}, *stages)
}
