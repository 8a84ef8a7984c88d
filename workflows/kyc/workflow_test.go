package kyc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	idngoacts "idflow/activities/idngo"
	"idflow/internal/logging"
	"idflow/internal/pii"
	"idflow/internal/validate"
	. "idflow/workflows/kyc" // an external test package: the activities import the contract
	"idflow/workflows/process"
	"idflow/workflows/process/processtest"
)

const (
	// missingDocument is a document id the fake document store does not hold.
	missingDocument = "doc_missing"
	reviewDelay     = 5 * time.Minute
	applicantID     = "65a1b2c3d4e5f60718293a4b"
)

var (
	green       = ReviewState{Status: "completed", Answer: "GREEN"}
	retryPhotos = ReviewState{Status: "completed", Answer: "RED", RejectType: "RETRY",
		RejectLabels: []string{"UNSATISFACTORY_PHOTOS"}, ModerationComment: "Фото документа нечёткое."}
	finalForgery = ReviewState{Status: "completed", Answer: "RED", RejectType: "FINAL",
		RejectLabels: []string{"FORGERY"}}
	blacklisted = ReviewState{ReviewID: "later", Status: "completed", Answer: "RED", RejectType: "FINAL",
		RejectLabels: []string{"BLACKLIST"}}
	rejectedIdentity = RejectedStepsResult{Steps: []RejectedStep{{
		Step: "IDENTITY", IDDocType: "ID_CARD", Country: "RUS", RejectedImageIDs: []int64{2},
		RejectLabels: []string{"UNSATISFACTORY_PHOTOS"}, ModerationComment: "Фото документа нечёткое.",
	}}}
)

// kycSuite runs KYCVerification against a fake IDnGO whose review of each
// attempt comes reviewDelay after the applicant was sent to review.
type kycSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	answers   []ReviewState // the review of attempt 1, 2, ...
	attempt   int
	pendingAt time.Time
	override  *ReviewState // a later review set by hand (blacklisting)
	uploads   []Document
	reads     int
	ensures   int
	uploadErr error // UploadDocument's error, when set
	logs      *observer.ObservedLogs
	decidedAt time.Duration
	startedAt time.Time
}

func TestKYCVerification(t *testing.T) {
	suite.Run(t, new(kycSuite))
}

func (s *kycSuite) SetupTest() {
	s.answers, s.attempt, s.override, s.uploads, s.reads, s.decidedAt, s.ensures, s.uploadErr = nil, 0, nil, nil, 0, 0, 0, nil
	core, logs := observer.New(zap.DebugLevel)
	s.SetLogger(logging.SDK(zap.New(core)))
	s.logs = logs
	s.newEnv()
	s.startedAt = s.env.Now()
}

// newEnv makes a test environment whose IDnGO activities talk to the fake.
func (s *kycSuite) newEnv() {
	s.env = s.NewTestWorkflowEnvironment()
	// The SDK's 1 s deadlock detector trips on a loaded machine (CI on 2
	// cores) though the workflow never blocks; real deadlocks still fail.
	s.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 15 * time.Second})
	s.env.RegisterWorkflow(KYCVerification)
	idngoacts.Register(s.env, &idngoacts.Activities{})

	s.env.OnActivity(EnsureApplicantActivity, mock.Anything, mock.Anything).Return(
		func(context.Context, EnsureApplicantInput) (EnsureApplicantResult, error) {
			s.ensures++
			return EnsureApplicantResult{ApplicantID: applicantID}, nil
		}).Maybe()
	s.env.OnActivity(UploadDocumentActivity, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in UploadDocumentInput) (UploadDocumentResult, error) {
			if s.uploadErr != nil {
				return UploadDocumentResult{}, s.uploadErr
			}
			s.uploads = append(s.uploads, in.Document)
			return UploadDocumentResult{ImageID: int64(len(s.uploads))}, nil
		}).Maybe()
	s.env.OnActivity(SetFixedInfoActivity, mock.Anything, mock.Anything).Return(nil).Maybe()
	s.env.OnActivity(CheckDocumentsActivity, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in CheckDocumentsInput) error {
			for i, doc := range in.Documents {
				if doc.DocumentID == missingDocument {
					return process.InvalidInput(validate.FieldErrors{{Field: fmt.Sprintf("documents[%d].documentId", i), Message: "not found"}})
				}
			}
			return nil
		}).Maybe()
	s.env.OnActivity(RequestReviewActivity, mock.Anything, mock.Anything).Return(
		func(context.Context, string) error {
			s.attempt++
			s.pendingAt = s.env.Now()
			return nil
		}).Maybe()
	s.env.OnActivity(ReadReviewActivity, mock.Anything, mock.Anything).Return(
		func(context.Context, string) (ReviewState, error) {
			s.reads++
			return s.currentReview(), nil
		}).Maybe()
	s.env.OnActivity(RejectedStepsActivity, mock.Anything, mock.Anything).Return(rejectedIdentity, nil).Maybe()
}

func (s *kycSuite) currentReview() ReviewState {
	if s.override != nil {
		return *s.override
	}
	if s.attempt == 0 || s.env.Now().Before(s.pendingAt.Add(reviewDelay)) {
		return ReviewState{Status: "pending", AttemptCount: s.attempt}
	}
	r := s.answers[min(s.attempt, len(s.answers))-1]
	r.ReviewID, r.AttemptCount = "review-"+string(rune('0'+s.attempt)), s.attempt
	return r
}

func kycInput() Input {
	return Input{
		ExternalUserID: "user-1", LevelName: "basic-kyc-level",
		Applicant: ApplicantRef{Info: &pii.ApplicantInfo{FirstName: "Иван", LastName: "Иванов"}},
		Documents: []Document{
			{IDDocType: "ID_CARD", IDDocSubType: "FRONT_SIDE", Country: "RUS", DocumentID: "doc_front"},
			{IDDocType: "ID_CARD", IDDocSubType: "BACK_SIDE", Country: "RUS", DocumentID: "doc_back"},
			{IDDocType: "SELFIE", Country: "RUS", DocumentID: "doc_selfie"},
		},
		MonitoringPeriod: 24 * time.Hour,
	}
}

// webhook delivers an applicantReviewed event after delay.
func (s *kycSuite) webhook(delay time.Duration, correlationID string) {
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(EventSignal, Event{CorrelationID: correlationID, Type: "applicantReviewed"})
	}, delay)
}

// updateResult records what one update came to.
type updateResult struct {
	rejected  error
	failed    error
	completed bool
}

// resubmit sends the resubmit-documents update after delay.
func (s *kycSuite) resubmit(delay time.Duration, docs ...Document) *updateResult {
	r := &updateResult{}
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(ResubmitDocumentsUpdate, "resubmit-"+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { r.rejected = err },
			OnComplete: func(_ any, err error) {
				r.completed, r.failed = true, err
			},
		}, ResubmitDocumentsRequest{Documents: docs})
	}, delay)
	return r
}

// decisionTime records when the outcome left pending, via the status query.
func (s *kycSuite) watchDecision(every time.Duration, until time.Duration) {
	for at := every; at <= until; at += every {
		s.env.RegisterDelayedCallback(func() {
			v, err := s.env.QueryWorkflow(process.StatusQuery)
			s.Require().NoError(err)
			var st Status
			s.Require().NoError(v.Get(&st))
			if s.decidedAt == 0 && !st.DecidedAt.IsZero() {
				s.decidedAt = st.DecidedAt.Sub(s.startedAt)
			}
		}, at)
	}
}

func (s *kycSuite) kycResult() Status {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var out Status
	s.Require().NoError(s.env.GetWorkflowResult(&out))
	return out
}

func (s *kycSuite) kycQuery() Status {
	v, err := s.env.QueryWorkflow(process.StatusQuery)
	s.Require().NoError(err)
	var st Status
	s.Require().NoError(v.Get(&st))
	return st
}

func (s *kycSuite) TestGreen() {
	s.answers = []ReviewState{green}
	s.webhook(reviewDelay+time.Second, "c1")
	s.webhook(reviewDelay+2*time.Second, "c1") // IDnGO delivers duplicates
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	out := s.kycResult()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	s.Equal(applicantID, out.ApplicantID)
	s.Equal(1, out.Attempt)
	s.Equal("GREEN", out.Review.Answer)
	s.Len(s.uploads, 3)
	s.Less(out.DecidedAt.Sub(s.startedAt), reviewDelay+time.Minute, "decided on the webhook, not on the poll")
	s.Equal(2, s.reads, "the duplicate webhook is not read twice; one more read ends monitoring")
}

// TestOnlyVerdictWebhooksAreRead: applicantCreated and applicantPending
// announce no verdict, so they cost no read (a KYC made three reads where
// one does); applicantReviewed is read at once.
func (s *kycSuite) TestOnlyVerdictWebhooksAreRead() {
	s.answers = []ReviewState{green}
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(EventSignal, Event{CorrelationID: "created", Type: "applicantCreated"})
		s.env.SignalWorkflow(EventSignal, Event{CorrelationID: "pending", Type: "applicantPending"})
	}, time.Second)
	s.webhook(reviewDelay+time.Second, "reviewed")
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	out := s.kycResult()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	s.Less(out.DecidedAt.Sub(s.startedAt), reviewDelay+time.Minute, "decided on the reviewed webhook")
	s.Equal(2, s.reads, "one read for the verdict, one at the end of monitoring; none for created or pending")
}

func (s *kycSuite) TestRetryOnceThenGreen() {
	s.answers = []ReviewState{retryPhotos, green}
	s.webhook(reviewDelay+time.Second, "c1")
	s.env.RegisterDelayedCallback(func() {
		st := s.kycQuery()
		s.Equal(StageAwaitingResubmit, st.Stage)
		s.Equal(process.OutcomePending, st.Outcome)
		s.Equal(rejectedIdentity.Steps, st.RejectedSteps)
		s.Equal("Фото документа нечёткое.", st.ModerationComment)
		s.Len(st.Waiting, 1)
	}, 30*time.Minute)
	newFront := Document{IDDocType: "ID_CARD", IDDocSubType: "FRONT_SIDE", Country: "RUS", DocumentID: "doc_front2"}
	resubmitted := s.resubmit(time.Hour, newFront)
	s.webhook(time.Hour+reviewDelay+time.Second, "c2")
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	out := s.kycResult()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	s.Equal(2, out.Attempt)
	s.NoError(resubmitted.rejected)
	s.Len(s.uploads, 4, "only the rejected side is uploaded again")
	s.Equal(newFront, s.uploads[3])
}

func (s *kycSuite) TestResubmissionForAStepNotRejectedIsRefused() {
	s.answers = []ReviewState{retryPhotos, green}
	selfie := Document{IDDocType: "SELFIE", Country: "RUS", DocumentID: "doc_selfie2"}
	refused := s.resubmit(time.Hour, selfie)
	early := s.resubmit(time.Minute, selfie)
	s.resubmit(2*time.Hour, Document{IDDocType: "ID_CARD", IDDocSubType: "FRONT_SIDE", Country: "RUS", DocumentID: "doc_front2"})
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	s.Require().Error(refused.rejected)
	s.Contains(refused.rejected.Error(), "step SELFIE was not rejected")
	s.Require().Error(early.rejected, "nothing to resubmit before a RED:RETRY")
	s.Equal(process.OutcomeAccepted, s.kycResult().Outcome)
	s.Len(s.uploads, 4)
}

func (s *kycSuite) TestRetryUntilTheCap() {
	s.answers = []ReviewState{retryPhotos}
	in := kycInput()
	in.MaxAttempts = 2
	front := Document{IDDocType: "ID_CARD", IDDocSubType: "FRONT_SIDE", Country: "RUS", DocumentID: "doc_front2"}
	s.resubmit(time.Hour, front)
	s.env.ExecuteWorkflow(KYCVerification, in)

	out := s.kycResult()
	s.Equal(process.OutcomeRejected, out.Outcome)
	s.Equal(ReasonRetryCapReached, out.Reason)
	s.Equal(2, out.Attempt)
}

func (s *kycSuite) TestRetryWithoutResubmissionExpires() {
	s.answers = []ReviewState{retryPhotos}
	in := kycInput()
	in.ResubmitTimeout = 48 * time.Hour
	s.watchDecision(time.Hour, 60*time.Hour)
	s.env.ExecuteWorkflow(KYCVerification, in)

	out := s.kycResult()
	s.Equal(process.OutcomeExpired, out.Outcome)
	s.Equal(ReasonResubmitTimeout, out.Reason)
	s.InDelta(float64(48*time.Hour+reviewDelay), float64(s.decidedAt), float64(2*time.Hour))
}

func (s *kycSuite) TestFinalReject() {
	s.answers = []ReviewState{finalForgery}
	s.webhook(reviewDelay+time.Second, "c1")
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	out := s.kycResult()
	s.Equal(process.OutcomeRejected, out.Outcome)
	s.Equal(ReasonReviewFinalReject, out.Reason)
	s.Equal([]string{"FORGERY"}, out.Review.RejectLabels)
	s.Equal("FINAL", out.Review.RejectType)
}

func (s *kycSuite) TestLostWebhookIsReconciledByThePoll() {
	s.answers = []ReviewState{green}
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	out := s.kycResult()
	s.Equal(process.OutcomeAccepted, out.Outcome)
	decided := out.DecidedAt.Sub(s.startedAt)
	s.GreaterOrEqual(decided, DefaultReconcileAfter)
	s.Less(decided, DefaultReconcileAfter+time.Minute)
}

// TestStalledReviewBacksOff: a review that never comes is read at 30 min,
// then 1 h, 2 h, ... up to every 6 h, and expires at the review deadline.
func (s *kycSuite) TestStalledReviewBacksOff() {
	s.answers = []ReviewState{green}
	s.override = &ReviewState{Status: "onHold", AttemptCount: 1}
	in := kycInput()
	in.ReviewDeadline = 14 * 24 * time.Hour
	in.MonitoringPeriod = time.Hour
	s.env.ExecuteWorkflow(KYCVerification, in)

	out := s.kycResult()
	s.Equal(process.OutcomeExpired, out.Outcome)
	s.Equal(ReasonReviewTimeout, out.Reason)
	s.Less(s.reads, 70, "14 days of waiting cost a few dozen reads")
	s.Greater(s.reads, 50)
}

func (s *kycSuite) TestRedAfterGreenRevokes() {
	s.answers = []ReviewState{green}
	s.webhook(reviewDelay+time.Second, "c1")
	s.env.RegisterDelayedCallback(func() {
		s.Equal(process.OutcomeAccepted, s.kycQuery().Outcome)
		s.override = &blacklisted
	}, 3*time.Hour)
	s.webhook(3*time.Hour+time.Second, "c2")
	s.env.RegisterDelayedCallback(func() {
		st := s.kycQuery()
		s.Equal(process.OutcomeRevoked, st.Outcome)
		s.Equal(ReasonLaterRedAfterGreen, st.Reason)
		s.Equal([]string{"BLACKLIST"}, st.Review.RejectLabels)
		s.Equal(StageMonitoring, st.Stage)
	}, 3*time.Hour+time.Minute)
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	s.Equal(process.OutcomeRevoked, s.kycResult().Outcome)
}

func (s *kycSuite) TestLongMonitoringContinuesAsNew() {
	s.answers = []ReviewState{green}
	in := kycInput()
	in.MonitoringPeriod = 90 * 24 * time.Hour
	s.webhook(reviewDelay+time.Second, "c1")
	// Ten days of daily reads later, pretend the history has grown long.
	s.env.RegisterDelayedCallback(func() { s.env.SetCurrentHistoryLength(DefaultContinueAsNewAfter) }, 10*24*time.Hour)
	s.env.ExecuteWorkflow(KYCVerification, in)

	s.True(s.env.IsWorkflowCompleted())
	var canErr *workflow.ContinueAsNewError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &canErr), "got %v", s.env.GetWorkflowError())
	s.Equal(WorkflowType, canErr.WorkflowType.Name)
	var next Input
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(canErr.Input, &next))
	s.Require().NotNil(next.Resume)
	s.Equal(process.OutcomeAccepted, next.Resume.Status.Outcome)
	s.Equal([]string{"c1"}, next.Resume.SeenEvents)
	s.Less(s.env.Now().Sub(s.startedAt), in.MonitoringPeriod, "continued as new well before the period ended")

	// The next run resumes monitoring where the last one stopped, without a new review.
	attempts := s.attempt
	s.newEnv()
	s.env.ExecuteWorkflow(KYCVerification, next)
	s.True(s.env.IsWorkflowCompleted())
	if err := s.env.GetWorkflowError(); err != nil {
		s.Require().True(errors.As(err, &canErr), "only another continue-as-new may end a run: %v", err)
	}
	s.Equal(attempts, s.attempt, "no new review requested after continue-as-new")
}

// TestMonitoringContinuesAsNewWeekly: a monitoring run ends after a week
// of daily reads, long before ContinueAsNewAfter events, so that a wake-up
// that misses the worker's cache replays a week, not months.
func (s *kycSuite) TestMonitoringContinuesAsNewWeekly() {
	s.answers = []ReviewState{green}
	in := kycInput()
	in.MonitoringPeriod = 365 * 24 * time.Hour
	s.webhook(reviewDelay+time.Second, "c1")
	s.env.ExecuteWorkflow(KYCVerification, in)

	var canErr *workflow.ContinueAsNewError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &canErr), "got %v", s.env.GetWorkflowError())
	monitored := s.env.Now().Sub(s.startedAt)
	s.GreaterOrEqual(monitored, MonitorReadsPerRun*DefaultMonitorReconcileEvery)
	s.Less(monitored, (MonitorReadsPerRun+1)*DefaultMonitorReconcileEvery)
	s.LessOrEqual(s.reads, MonitorReadsPerRun+2, "a week of daily reads in this run")
}

func (s *kycSuite) TestInvalidInputIsRefusedBeforeAnyCall() {
	in := kycInput()
	in.Documents[0].Country = "RU"
	in.ExternalUserID = ""
	s.env.ExecuteWorkflow(KYCVerification, in)

	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "externalUserId")
	s.Contains(err.Error(), "documents[0].country")
	s.Zero(s.ensures, "no applicant is created for invalid input")
}

// TestProviderRefusalEndsFailedNotRejected: IDnGO refusing an upload (its
// 409, not a review) is a technical failure with IDnGO's text, not a
// rejected applicant.
func (s *kycSuite) TestProviderRefusalEndsFailedNotRejected() {
	text := "idngo: HTTP 409: Document type PASSPORT is not required at level basic-kyc-level"
	s.uploadErr = process.FinalError(process.ErrTypeProviderRejected, errors.New(text))
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	s.True(s.env.IsWorkflowCompleted())
	s.Require().Error(s.env.GetWorkflowError())
	st := s.kycQuery()
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Equal(process.ErrTypeProviderRejected, st.Reason)
	s.Equal(text, st.Error)
	s.Equal(StageUploading, st.Stage)
	s.Empty(st.Waiting)
}

// TestEventsArrivingAsItEndsAreDrained: webhooks that come with the
// cancellation need no answer, and the SDK must not warn about them.
func (s *kycSuite) TestEventsArrivingAsItEndsAreDrained() {
	s.answers = []ReviewState{green}
	s.webhook(reviewDelay+time.Second, "c1")
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(EventSignal, Event{CorrelationID: "late-1", Type: "applicantReviewed"})
		s.env.SignalWorkflow(EventSignal, Event{CorrelationID: "late-2", Type: "applicantReviewed"})
		s.env.CancelWorkflow()
	}, time.Hour)
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	s.True(s.env.IsWorkflowCompleted())
	s.Equal(process.OutcomeAccepted, s.kycQuery().Outcome, "a cancelled monitoring keeps the decision")
	s.Zero(s.logs.FilterMessage("Workflow has unhandled signals").Len())
}

// TestMissingDocumentCreatesNothing: a document id that is not in the store
// fails the verification before an applicant exists at IDnGO.
func (s *kycSuite) TestMissingDocumentCreatesNothing() {
	in := kycInput()
	in.Documents[2].DocumentID = missingDocument
	s.env.ExecuteWorkflow(KYCVerification, in)

	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "documents[2].documentId")
	s.Zero(s.ensures, "no orphan applicant")
	st := s.kycQuery()
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Equal(process.ErrTypeInvalidInput, st.Reason)
}

// TestResubmissionWithAMissingDocumentIsRefused: the update fails naming
// the document and the verification keeps waiting for a good one.
func (s *kycSuite) TestResubmissionWithAMissingDocumentIsRefused() {
	s.answers = []ReviewState{retryPhotos, green}
	missing := s.resubmit(time.Hour, Document{IDDocType: "ID_CARD", IDDocSubType: "FRONT_SIDE", Country: "RUS", DocumentID: missingDocument})
	good := s.resubmit(2*time.Hour, Document{IDDocType: "ID_CARD", IDDocSubType: "FRONT_SIDE", Country: "RUS", DocumentID: "doc_front2"})
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	s.Require().Error(missing.failed)
	s.Contains(missing.failed.Error(), "documents[0].documentId")
	s.NoError(good.rejected)
	s.NoError(good.failed)
	s.Equal(process.OutcomeAccepted, s.kycResult().Outcome)
	s.Len(s.uploads, 4, "only the good document was uploaded again")
}

// TestStartSearchAttributesAreTheFirstPublication: started with them, the
// verification does not upsert its first stage again.
func (s *kycSuite) TestStartSearchAttributesAreTheFirstPublication() {
	stages := processtest.UpsertedStages(s.env)
	s.Require().NoError(s.env.SetTypedSearchAttributesOnStart(StartSearchAttributes()))
	s.answers = []ReviewState{green}
	s.webhook(reviewDelay+time.Second, "c1")
	s.env.ExecuteWorkflow(KYCVerification, kycInput())

	s.Equal(process.OutcomeAccepted, s.kycResult().Outcome)
	s.NotEmpty(*stages)
	s.NotContains(*stages, StageCreatingApplicant)
}
