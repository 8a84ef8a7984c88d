package simplifiedid_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	mandarinacts "idflow/activities/mandarin"
	"idflow/internal/logging"
	"idflow/internal/pii"
	"idflow/workflows/process"
	"idflow/workflows/process/processtest"
	. "idflow/workflows/simplifiedid" // an external test package: the activities import the contract
)

const goodCode = "000000"

type simplifiedIdentificationSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	// fake Mandarin session
	start        time.Time
	smevAfter    time.Duration // SMEV finishes this long after start; <0 never
	smevVerified bool
	smevError    string
	lastCode     string
	codesSent    int
	sessions     int
	initErr      error // InitIdentification's error, when set
	uncertain    int   // InitIdentification's UncertainSessions
	smevErr      error // CheckPerson's error, when set
	logs         *observer.ObservedLogs
}

func TestSimplifiedIdentification(t *testing.T) {
	suite.Run(t, new(simplifiedIdentificationSuite))
}

func (s *simplifiedIdentificationSuite) SetupTest() {
	core, logs := observer.New(zap.DebugLevel)
	s.SetLogger(logging.SDK(zap.New(core)))
	s.logs, s.initErr, s.smevErr, s.uncertain = logs, nil, nil, 0
	s.env = s.NewTestWorkflowEnvironment()
	// The SDK's 1 s deadlock detector trips on a loaded machine (CI on 2
	// cores) though the workflow never blocks; real deadlocks still fail.
	s.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 15 * time.Second})
	s.env.RegisterWorkflow(SimplifiedIdentification)
	mandarinacts.Register(s.env, &mandarinacts.Activities{})
	s.start, s.smevAfter, s.smevVerified, s.smevError, s.lastCode, s.codesSent, s.sessions = s.env.Now(), 5*time.Minute, true, "", "", 0, 0

	s.env.OnActivity(InitIdentificationActivity, mock.Anything, mock.Anything).Return(
		func(context.Context, InitIdentificationInput) (InitIdentificationResult, error) {
			if s.initErr != nil {
				return InitIdentificationResult{}, s.initErr
			}
			s.start = s.env.Now()
			s.sessions++
			return InitIdentificationResult{SessionID: "794d3cc7-a2b4-4579-9173-bafc7d7dc29d", UncertainSessions: s.uncertain}, nil
		}).Maybe()
	s.env.OnActivity(SubmitSMSCodeActivity, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in SubmitSMSCodeInput) error {
			s.lastCode = in.Code
			s.codesSent++
			return nil
		}).Maybe()
	s.env.OnActivity(PhoneCheckActivity, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (PhoneCheckResult, error) {
			return PhoneCheckResult{Verified: s.lastCode == goodCode}, nil
		}).Maybe()
	s.env.OnActivity(CheckPersonActivity, mock.Anything, mock.Anything).Return(s.fakeSMEV).Maybe()
}

// fakeSMEV behaves like CheckPerson against a session whose SMEV answer
// comes smevAfter the session opened.
func (s *simplifiedIdentificationSuite) fakeSMEV(_ context.Context, in CheckPersonInput) (PersonCheckResult, error) {
	finished := s.smevAfter >= 0 && !s.env.Now().Before(s.start.Add(s.smevAfter))
	switch {
	case s.smevErr != nil:
		return PersonCheckResult{}, s.smevErr
	case finished:
		return PersonCheckResult{Finished: true, Verified: s.smevVerified, Error: s.smevError}, nil
	case in.UntilFinished:
		return PersonCheckResult{}, process.PendingError("SMEV person check")
	default:
		return PersonCheckResult{}, nil
	}
}

func testPerson() *pii.Person {
	return &pii.Person{LastName: "Шариков", FirstName: "Полиграф", Patronymic: "Полиграфович",
		PassportSeries: "1111", PassportNumber: "111111", SNILS: "11223344595", Phone: "+79001234567"}
}

func testInput() Input {
	return Input{RequestID: "req-1", Person: testPerson()}
}

// updateResult records what one submit-sms-code update came to.
type updateResult struct {
	rejected  error
	result    SMSCodeResult
	failed    error
	completed bool
}

// sendCode submits code after delay and returns where its result will be.
func (s *simplifiedIdentificationSuite) sendCode(delay time.Duration, code string) *updateResult {
	r := &updateResult{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(SubmitSMSCodeUpdate, code+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.rejected = err },
			OnComplete: func(res any, err error) {
				r.completed, r.failed = true, err
				if res != nil {
					r.result = res.(SMSCodeResult)
				}
			},
		}, SMSCodeRequest{Code: code})
	}, delay)
	return r
}

func (s *simplifiedIdentificationSuite) result() Status {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var out Status
	s.Require().NoError(s.env.GetWorkflowResult(&out))
	return out
}

func (s *simplifiedIdentificationSuite) query() Status {
	v, err := s.env.QueryWorkflow(process.StatusQuery)
	s.Require().NoError(err)
	var st Status
	s.Require().NoError(v.Get(&st))
	return st
}

func (s *simplifiedIdentificationSuite) TestPassesWhenSMEVAnswersAfter4h59m() {
	s.smevAfter = 4*time.Hour + 59*time.Minute
	in := testInput()
	in.SMSCodeTimeout = time.Hour
	code := s.sendCode(2*time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, in)

	out := s.result()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	s.True(out.Billable)
	s.True(out.PersonCheck.Verified)
	s.True(code.result.Accepted)
	s.GreaterOrEqual(s.env.Now().Sub(s.start), 4*time.Hour+59*time.Minute)
}

func (s *simplifiedIdentificationSuite) TestExpiresUnbilledWhenSMEVNeverAnswers() {
	s.smevAfter = -1
	s.sendCode(time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	out := s.result()
	s.Equal(process.OutcomeExpired, out.Outcome)
	s.Equal(ReasonPersonCheckTimeout, out.Reason)
	s.False(out.Billable)
	s.True(out.Phone.Verified)
	elapsed := s.env.Now().Sub(s.start)
	s.GreaterOrEqual(elapsed, PersonCheckLimit)
	s.Less(elapsed, PersonCheckLimit+10*time.Minute)
}

func (s *simplifiedIdentificationSuite) TestWrongThenRightCodePasses() {
	s.uncertain = 1 // a worker crashed inside an earlier attempt to open the session
	wrong := s.sendCode(time.Minute, "123456")
	right := s.sendCode(2*time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	out := s.result()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	s.Equal(SMSCodeResult{Accepted: false, AttemptsUsed: 1, AttemptsLeft: 4}, wrong.result)
	s.Equal(SMSCodeResult{Accepted: true, AttemptsUsed: 2, AttemptsLeft: 3}, right.result)
	s.Equal(2, out.Phone.AttemptsUsed)
	s.Equal(1, out.UncertainSessions, "the status shows a session Mandarin may have opened unrecorded")
}

func (s *simplifiedIdentificationSuite) TestFiveWrongCodesReject() {
	var results []*updateResult
	for i := 1; i <= MaxSMSCodeAttempts; i++ {
		results = append(results, s.sendCode(time.Duration(i)*time.Minute, "11111"+string(rune('0'+i))))
	}
	// A sixth code arriving with the fifth passes validation, waits its turn,
	// and is then refused: all attempts are used.
	results = append(results, s.sendCode(MaxSMSCodeAttempts*time.Minute, "111119"))
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	out := s.result()
	s.Equal(process.OutcomeRejected, out.Outcome)
	s.Equal(ReasonPhoneNotVerified, out.Reason)
	s.Equal(0, out.Phone.AttemptsLeft)
	s.Equal(MaxSMSCodeAttempts, s.codesSent, "no sixth code reaches the provider")
	s.Equal(SMSCodeResult{AttemptsUsed: 5, AttemptsLeft: 0}, results[4].result)
	refusal := results[5].rejected
	if refusal == nil {
		refusal = results[5].failed
	}
	s.Require().Error(refusal, "a sixth code is refused")
	s.Regexp("identification already finished|all 5 SMS-code attempts used", refusal.Error())
}

func (s *simplifiedIdentificationSuite) TestMalformedCodeIsRejectedByTheValidator() {
	malformed := s.sendCode(time.Minute, "12ab")
	s.sendCode(2*time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	s.Require().Error(malformed.rejected)
	s.Contains(malformed.rejected.Error(), "malformed SMS code: invalid format")
	s.False(malformed.completed, "a rejected update never runs its handler")
	out := s.result()
	s.Equal(1, s.codesSent)
	s.Equal(1, out.Phone.AttemptsUsed, "a malformed code uses no attempt")
}

func (s *simplifiedIdentificationSuite) TestSMEVNotVerifiedRejectsWithProviderText() {
	s.smevVerified, s.smevError = false, "Сведения о физическом лице не найдены"
	s.sendCode(time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	out := s.result()
	s.Equal(process.OutcomeRejected, out.Outcome)
	s.Equal(ReasonPersonNotVerified, out.Reason)
	s.Equal("Сведения о физическом лице не найдены", out.PersonCheck.Error)
}

func (s *simplifiedIdentificationSuite) TestNoCodeInTimeExpires() {
	in := testInput()
	in.SMSCodeTimeout = 20 * time.Minute
	s.env.ExecuteWorkflow(SimplifiedIdentification, in)

	out := s.result()
	s.Equal(process.OutcomeExpired, out.Outcome)
	s.Equal(ReasonSMSCodeTimeout, out.Reason)
	s.Equal(20*time.Minute, s.env.Now().Sub(s.start).Round(time.Minute))
}

func (s *simplifiedIdentificationSuite) TestStatusQueryFollowsTheProcess() {
	s.smevAfter = 30 * time.Minute
	s.sendCode(time.Minute, "123456")
	s.env.RegisterDelayedCallback(func() {
		st := s.query()
		s.Equal(StageChecking, st.Stage)
		s.Equal(process.OutcomePending, st.Outcome)
		s.Equal(1, st.Phone.AttemptsUsed)
		s.Equal(4, st.Phone.AttemptsLeft)
		s.Equal(st.PersonCheck.StartedAt.Add(PersonCheckSLA), st.PersonCheck.ExpectedBy)
		s.Len(st.Waiting, 2)
	}, 4*time.Minute)
	s.sendCode(5*time.Minute, goodCode)
	s.env.RegisterDelayedCallback(func() {
		st := s.query()
		s.Equal(StageAwaitingSMEV, st.Stage)
		s.Equal(process.OutcomeChallenged, st.Outcome, "past the 10-minute SLA")
		s.Equal(ReasonAdditionalTimeNeeded, st.Reason)
		s.Equal(st.PersonCheck.StartedAt.Add(PersonCheckLimit), st.PersonCheck.ExpectedBy)
		s.Len(st.Waiting, 1)
	}, 15*time.Minute)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	out := s.result()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	s.Empty(out.Reason)
	s.Equal(StageFinished, s.query().Stage)
}

func (s *simplifiedIdentificationSuite) TestInvalidPersonIsRefusedBeforeAnyProviderCall() {
	in := testInput()
	in.Person.SNILS = "11223344596"
	in.Person.Phone = "+7900123"
	s.env.ExecuteWorkflow(SimplifiedIdentification, in)

	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(err, &appErr))
	s.Equal(process.ErrTypeInvalidInput, appErr.Type())
	s.Contains(appErr.Error(), "person.snils")
	s.Contains(appErr.Error(), "person.phone")
	s.NotContains(appErr.Error(), "+7900123")
	s.Zero(s.sessions, "no session is opened for invalid input")
}

func (s *simplifiedIdentificationSuite) TestCancelEndsCanceled() {
	s.env.RegisterDelayedCallback(s.env.CancelWorkflow, 3*time.Minute)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	s.True(s.env.IsWorkflowCompleted())
	s.True(temporal.IsCanceledError(s.env.GetWorkflowError()))
	s.Equal(process.OutcomeCanceled, s.query().Outcome)
}

func TestWorkflowIDHasNoPersonalData(t *testing.T) {
	id := WorkflowID("req-42")
	require.Equal(t, "simplified-identification-req-42", id)
	assert.NotContains(t, id, testPerson().LastName)
}

// TestPendingPollsLogNoErrors: SMEV answering after 40 minutes means a
// dozen "not yet" polls; they are benign, so nothing is logged as an error
// or a warning (the SDK logs benign activity errors at debug level).
func (s *simplifiedIdentificationSuite) TestPendingPollsLogNoErrors() {
	s.smevAfter = 40 * time.Minute
	s.sendCode(time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	s.Equal(process.OutcomeAccepted, s.result().Outcome)
	pollErrors := s.logs.FilterMessage("Activity error.").FilterField(zap.String("ActivityType", CheckPersonActivity))
	s.NotZero(pollErrors.Len(), "the pending polls are logged, at debug level")
	for _, entry := range s.logs.All() {
		s.Less(entry.Level, zapcore.WarnLevel, "routine waiting logged at %s: %s %v", entry.Level, entry.Message, entry.ContextMap())
	}
}

// TestProviderRefusalEndsFailedNotRejected: a provider 4xx that is not a
// verdict (here a refused session) is a technical failure: the outcome is
// failed, the provider's text is in the status, and the workflow fails.
func (s *simplifiedIdentificationSuite) TestProviderRefusalEndsFailedNotRejected() {
	s.initErr = process.FinalError(process.ErrTypeProviderRejected, errors.New("mandarin: HTTP 400: Invalid request"))
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	s.True(s.env.IsWorkflowCompleted())
	s.Require().Error(s.env.GetWorkflowError())
	st := s.query()
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Equal(process.ErrTypeProviderRejected, st.Reason)
	s.Equal("mandarin: HTTP 400: Invalid request", st.Error)
	s.Empty(st.Waiting)
}

// TestSMEVFailureEndsFailed: the SMEV check failing for good mid-way (not a
// "not verified" answer) ends the identification failed, not rejected.
func (s *simplifiedIdentificationSuite) TestSMEVFailureEndsFailed() {
	s.smevErr = process.FinalError(process.ErrTypeProviderRejected, errors.New("mandarin: HTTP 400: Invalid request"))
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	s.Require().Error(s.env.GetWorkflowError())
	st := s.query()
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Equal(StageChecking, st.Stage, "the stage says where it failed")
	s.Contains(st.Error, "Invalid request")
	s.True(st.Billable, "a session was opened")
}

// TestInvalidTuningIsRefused: bad tuning values are refused
// on entry, each by name.
func (s *simplifiedIdentificationSuite) TestInvalidTuningIsRefused() {
	in := testInput()
	in.PersonCheckPollInitial, in.PersonCheckPollMax, in.SMSCodeTimeout = 20*time.Minute, 10*time.Minute, -time.Minute
	s.env.ExecuteWorkflow(SimplifiedIdentification, in)

	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "smsCodeTimeout")
	s.Contains(err.Error(), "personCheckPollInitial: must not exceed personCheckPollMax")
	s.Zero(s.sessions)
	st := s.query()
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Equal(process.ErrTypeInvalidInput, st.Reason)
}

// TestStartSearchAttributesAreTheFirstPublication: started with them, the
// identification does not upsert its first stage again.
func (s *simplifiedIdentificationSuite) TestStartSearchAttributesAreTheFirstPublication() {
	stages := processtest.UpsertedStages(s.env)
	s.Require().NoError(s.env.SetTypedSearchAttributesOnStart(StartSearchAttributes()))
	s.sendCode(time.Minute, goodCode)
	s.env.ExecuteWorkflow(SimplifiedIdentification, testInput())

	s.Equal(process.OutcomeAccepted, s.result().Outcome)
	s.NotEmpty(*stages)
	s.NotContains(*stages, StageOpeningSession)
}
