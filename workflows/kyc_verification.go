package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/activities"
	"idflow/internal/validate"
)

// IDnGO KYC verification (provider document: idngo-kyc-api.ru.txt):
// applicant → documents → fixedInfo → pending → review by webhook, GREEN /
// RED:RETRY (re-upload only the rejected images, then pending again) /
// RED:FINAL; after a decision, later reviews (a RED after GREEN) still count.
const (
	// KYCVerificationWorkflow is the workflow type name.
	KYCVerificationWorkflow = "KYCVerification"
	// KYCEventSignal carries one IDnGO webhook event, delivered from the gateway's inbox.
	KYCEventSignal = "idngo-event"
	// ResubmitDocumentsUpdate carries new documents for the steps a RED:RETRY rejected.
	ResubmitDocumentsUpdate = "resubmit-documents"

	// DefaultReconcileAfter: webhooks get lost, so with no event for this
	// long the workflow reads the applicant itself; the interval then doubles
	// up to MaxReconcileInterval, so that a review stuck for days (onHold)
	// costs a few dozen reads, not thousands of history events.
	DefaultReconcileAfter = 30 * time.Minute
	// MaxReconcileInterval caps the reads while waiting for a review.
	MaxReconcileInterval = 6 * time.Hour
	// DefaultReviewDeadline bounds the wait for a review of one attempt.
	DefaultReviewDeadline = 14 * 24 * time.Hour
	// DefaultResubmitTimeout bounds the wait for documents after a RED:RETRY.
	DefaultResubmitTimeout = 7 * 24 * time.Hour
	// DefaultMaxReviewAttempts caps how many times an applicant is sent to review.
	DefaultMaxReviewAttempts = 3
	// DefaultMonitoringPeriod is how long later reviews are listened for after a decision.
	DefaultMonitoringPeriod = 365 * 24 * time.Hour
	// DefaultMonitorReconcileEvery: the slow poll while monitoring, in case a late webhook is lost.
	DefaultMonitorReconcileEvery = 24 * time.Hour
	// DefaultContinueAsNewAfter (history events) keeps a monitoring history
	// short; the server's own suggestion is followed too.
	DefaultContinueAsNewAfter = 2000
	// seenEventsKept bounds the correlation ids remembered for deduplication.
	seenEventsKept = 200
)

// Reasons given with a KYC outcome (no personal data).
const (
	ReasonReviewFinalReject   = "review-final-reject"
	ReasonRetryCapReached     = "retry-cap-reached"
	ReasonResubmitTimeout     = "resubmission-timeout"
	ReasonReviewTimeout       = "review-timeout"
	ReasonLaterRedAfterGreen  = "red-after-green"
	ReasonAwaitingResubmitted = "awaiting-resubmitted-documents"
)

// Stages of KYC verification, as the status query and IdflowStage show them.
const (
	StageCreatingApplicant = "creating-applicant"
	StageUploading         = "uploading-documents"
	StageAwaitingReview    = "awaiting-review"
	StageAwaitingResubmit  = "awaiting-resubmission"
	StageMonitoring        = "monitoring"
)

// KYCWorkflowID is the workflow id for an IDnGO external user id (the
// service's own opaque user key; the gateway finds the workflow by it).
func KYCWorkflowID(externalUserID string) string {
	return "kyc-" + externalUserID
}

// KYCVerificationInput starts a KYC verification.
type KYCVerificationInput struct {
	ExternalUserID string                   `json:"externalUserId"`
	LevelName      string                   `json:"levelName"`
	Applicant      activities.ApplicantRef  `json:"applicant"`
	Documents      []activities.KYCDocument `json:"documents"`

	// Timing and caps; zero means the Default* constants.
	ReconcileAfter        time.Duration `json:"reconcileAfter,omitempty"`
	ReviewDeadline        time.Duration `json:"reviewDeadline,omitempty"`
	ResubmitTimeout       time.Duration `json:"resubmitTimeout,omitempty"`
	MaxAttempts           int           `json:"maxAttempts,omitempty"`
	MonitoringPeriod      time.Duration `json:"monitoringPeriod,omitempty"`
	MonitorReconcileEvery time.Duration `json:"monitorReconcileEvery,omitempty"`
	ContinueAsNewAfter    int           `json:"continueAsNewAfter,omitempty"`

	// Resume is set by the workflow itself when it continues as new while monitoring.
	Resume *KYCResume `json:"resume,omitempty"`
}

// KYCResume is what a monitoring run hands to the next one.
type KYCResume struct {
	Status     KYCStatus         `json:"status"`
	LastReview KYCReviewSnapshot `json:"lastReview"`
	SeenEvents []string          `json:"seenEvents,omitempty"`
}

// KYCEvent is one IDnGO webhook as the workflow receives it (never the clientComment).
type KYCEvent struct {
	CorrelationID string `json:"correlationId"`
	Type          string `json:"type"`
	ReviewStatus  string `json:"reviewStatus,omitempty"`
	ReviewAnswer  string `json:"reviewAnswer,omitempty"`
}

// ResubmitDocumentsRequest carries documents for the rejected steps only.
type ResubmitDocumentsRequest struct {
	Documents []activities.KYCDocument `json:"documents"`
}

// ResubmitDocumentsResult answers a resubmission.
type ResubmitDocumentsResult struct {
	Uploaded int `json:"uploaded"`
	Attempt  int `json:"attempt"`
}

// KYCReviewSnapshot is the review a decision was made on.
type KYCReviewSnapshot struct {
	ReviewID     string   `json:"reviewId,omitempty"`
	Answer       string   `json:"answer,omitempty"`
	RejectType   string   `json:"rejectType,omitempty"`
	RejectLabels []string `json:"rejectLabels,omitempty"`
}

// KYCStatus is the answer of the status query and the workflow's result.
type KYCStatus struct {
	Process     string  `json:"process"`
	Stage       string  `json:"stage"`
	Outcome     Outcome `json:"outcome"`
	Reason      string  `json:"reason,omitempty"`
	ApplicantID string  `json:"applicantId,omitempty"`
	Attempt     int     `json:"attempt"`
	MaxAttempts int     `json:"maxAttempts"`
	// Review is the last review answer: GREEN, or RED with its type and labels.
	Review KYCReviewSnapshot `json:"review"`
	// ModerationComment may be shown to the applicant.
	ModerationComment string                    `json:"moderationComment,omitempty"`
	RejectedSteps     []activities.RejectedStep `json:"rejectedSteps,omitempty"`
	LastEvent         string                    `json:"lastEvent,omitempty"`
	DecidedAt         time.Time                 `json:"decidedAt,omitzero"`
	MonitorUntil      time.Time                 `json:"monitorUntil,omitzero"`
	Waiting           []Wait                    `json:"waiting,omitempty"`
}

// KYCVerification runs one IDnGO KYC verification and then monitors it.
func KYCVerification(ctx workflow.Context, in KYCVerificationInput) (KYCStatus, error) {
	k := &kycVerification{in: kycDefaults(in)}
	k.status = KYCStatus{Process: KYCVerificationWorkflow, Stage: StageCreatingApplicant, Outcome: OutcomePending,
		MaxAttempts: k.in.MaxAttempts}
	if in.Resume != nil {
		k.status, k.lastReview, k.seen = in.Resume.Status, in.Resume.LastReview, in.Resume.SeenEvents
	}
	return k.run(ctx)
}

type kycVerification struct {
	in         KYCVerificationInput
	status     KYCStatus
	lastReview KYCReviewSnapshot
	events     workflow.ReceiveChannel
	seen       []string
	// resubmitted holds documents accepted by the update, not yet uploaded.
	resubmitted []activities.KYCDocument
}

func kycDefaults(in KYCVerificationInput) KYCVerificationInput {
	in.ReconcileAfter = durationOr(in.ReconcileAfter, DefaultReconcileAfter)
	in.ReviewDeadline = durationOr(in.ReviewDeadline, DefaultReviewDeadline)
	in.ResubmitTimeout = durationOr(in.ResubmitTimeout, DefaultResubmitTimeout)
	in.MonitoringPeriod = durationOr(in.MonitoringPeriod, DefaultMonitoringPeriod)
	in.MonitorReconcileEvery = durationOr(in.MonitorReconcileEvery, DefaultMonitorReconcileEvery)
	if in.MaxAttempts <= 0 {
		in.MaxAttempts = DefaultMaxReviewAttempts
	}
	if in.ContinueAsNewAfter <= 0 {
		in.ContinueAsNewAfter = DefaultContinueAsNewAfter
	}
	return in
}

func (k *kycVerification) run(ctx workflow.Context) (KYCStatus, error) {
	if err := k.setUpHandlers(ctx); err != nil {
		return k.status, err
	}
	if k.in.Resume == nil {
		if err := k.verify(ctx); err != nil {
			return k.endOnError(ctx, err)
		}
	}
	err := k.monitor(ctx)
	if temporal.IsCanceledError(err) {
		k.status.Waiting = nil
	}
	return k.status, err
}

// verify takes the applicant from creation to a decision.
func (k *kycVerification) verify(ctx workflow.Context) error {
	k.publish(ctx)
	if err := k.validateInput(); err != nil {
		return err
	}
	if err := k.ensureApplicant(ctx); err != nil {
		return err
	}
	if err := k.upload(ctx, k.in.Documents); err != nil {
		return err
	}
	if err := k.setFixedInfo(ctx); err != nil {
		return err
	}
	for !k.decided() {
		if err := k.reviewAttempt(ctx); err != nil {
			return err
		}
	}
	return nil
}

// endOnError records why the process stopped and returns the error.
func (k *kycVerification) endOnError(ctx workflow.Context, err error) (KYCStatus, error) {
	if temporal.IsCanceledError(err) {
		k.decide(ctx, OutcomeCanceled, "")
	} else if !k.decided() {
		k.decide(ctx, OutcomeRejected, "error: "+errorType(err))
	}
	k.status.Waiting = nil
	return k.status, err
}

func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return appErr.Type()
	}
	return "failure"
}

func (k *kycVerification) setUpHandlers(ctx workflow.Context) error {
	k.events = workflow.GetSignalChannel(ctx, KYCEventSignal)
	if err := workflow.SetQueryHandler(ctx, StatusQuery, func() (KYCStatus, error) {
		return k.status, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, ResubmitDocumentsUpdate, k.acceptResubmission,
		workflow.UpdateHandlerOptions{Validator: k.validateResubmission})
}

func (k *kycVerification) validateInput() error {
	var errs validate.FieldErrors
	if k.in.ExternalUserID == "" {
		errs.Add("externalUserId", "required")
	}
	if k.in.LevelName == "" {
		errs.Add("levelName", "required")
	}
	if len(k.in.Documents) == 0 {
		errs.Add("documents", "at least one document required")
	}
	for i, doc := range k.in.Documents {
		checkDocument(&errs, fmt.Sprintf("documents[%d]", i), doc)
	}
	if len(errs) == 0 {
		return nil
	}
	return temporal.NewNonRetryableApplicationError("invalid input: "+errs.Error(), activities.ErrTypeInvalidInput, nil, errs)
}

func checkDocument(errs *validate.FieldErrors, path string, doc activities.KYCDocument) {
	if doc.IDDocType == "" {
		errs.Add(path+".idDocType", "required")
	}
	if len(doc.Country) != 3 {
		errs.Add(path+".country", "ISO alpha-3 country code required")
	}
	if doc.DocumentID == "" {
		errs.Add(path+".documentId", "required")
	}
}

func (k *kycVerification) ensureApplicant(ctx workflow.Context) error {
	in := activities.EnsureApplicantInput{ExternalUserID: k.in.ExternalUserID, LevelName: k.in.LevelName, Applicant: k.in.Applicant}
	var out activities.EnsureApplicantResult
	if err := workflow.ExecuteActivity(providerCallOptions(ctx), idngoActivities.EnsureApplicant, in).Get(ctx, &out); err != nil {
		return err
	}
	k.status.ApplicantID = out.ApplicantID
	k.status.Stage = StageUploading
	k.publish(ctx)
	return nil
}

// upload sends documents one by one, from the document store.
func (k *kycVerification) upload(ctx workflow.Context, docs []activities.KYCDocument) error {
	for _, doc := range docs {
		in := activities.UploadDocumentInput{ApplicantID: k.status.ApplicantID, Document: doc}
		if err := workflow.ExecuteActivity(uploadOptions(ctx), idngoActivities.UploadDocument, in).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func (k *kycVerification) setFixedInfo(ctx workflow.Context) error {
	if k.in.Applicant.Info == nil && k.in.Applicant.InfoDocumentID == "" {
		return nil
	}
	in := activities.SetFixedInfoInput{ApplicantID: k.status.ApplicantID, Applicant: k.in.Applicant}
	return workflow.ExecuteActivity(providerCallOptions(ctx), idngoActivities.SetFixedInfo, in).Get(ctx, nil)
}

// reviewAttempt sends the applicant to review, waits for the answer and acts on it.
func (k *kycVerification) reviewAttempt(ctx workflow.Context) error {
	if err := workflow.ExecuteActivity(providerCallOptions(ctx), idngoActivities.RequestReview, k.status.ApplicantID).Get(ctx, nil); err != nil {
		return err
	}
	k.status.Attempt++
	k.status.Stage, k.status.RejectedSteps, k.status.ModerationComment = StageAwaitingReview, nil, ""
	k.publish(ctx)
	review, err := k.awaitReview(ctx)
	if err != nil || !review.Completed() {
		return err
	}
	k.record(review)
	switch {
	case review.Answer == "GREEN":
		k.decide(ctx, OutcomeAccepted, "")
	case review.RejectType != "RETRY":
		k.decide(ctx, OutcomeRejected, ReasonReviewFinalReject)
	case k.status.Attempt >= k.in.MaxAttempts:
		k.decide(ctx, OutcomeRejected, ReasonRetryCapReached)
	default:
		return k.awaitResubmission(ctx)
	}
	return nil
}

// awaitReview waits for the review of the current attempt. A webhook only
// announces it: the applicant, read back, is the truth (this also discards
// stale and duplicate events). With no event for ReconcileAfter (then
// twice that, up to MaxReconcileInterval) the workflow reads the applicant
// anyway, in case the webhook was lost.
func (k *kycVerification) awaitReview(ctx workflow.Context) (activities.ReviewState, error) {
	deadline := workflow.Now(ctx).Add(k.in.ReviewDeadline)
	interval := k.in.ReconcileAfter
	for {
		k.waitFor(Wait{For: "IDnGO review (webhook, or a read in " + interval.String() + ")", From: "provider", Until: deadline})
		left := deadline.Sub(workflow.Now(ctx))
		if left <= 0 {
			k.decide(ctx, OutcomeExpired, ReasonReviewTimeout)
			return activities.ReviewState{}, nil
		}
		event, err := k.nextEvent(ctx, min(interval, left))
		if err != nil {
			return activities.ReviewState{}, err
		}
		if !event {
			interval = min(2*interval, max(MaxReconcileInterval, k.in.ReconcileAfter))
		}
		review, err := k.readReview(ctx)
		if err != nil || review.Completed() {
			return review, err
		}
	}
}

// nextEvent waits up to timeout for a new (not yet seen) event; it reports
// whether one came.
func (k *kycVerification) nextEvent(ctx workflow.Context, timeout time.Duration) (bool, error) {
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(timerCtx, timeout)
	for {
		var ev KYCEvent
		var timedOut bool
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(k.events, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &ev) })
		sel.AddFuture(timer, func(workflow.Future) { timedOut = true })
		sel.Select(ctx)
		if err := ctx.Err(); err != nil {
			return false, temporal.NewCanceledError()
		}
		if timedOut {
			return false, nil
		}
		if k.firstSight(ev) {
			return true, nil
		}
	}
}

// firstSight records an event and reports whether it is new (IDnGO
// delivers duplicates; the inbox already drops most of them).
func (k *kycVerification) firstSight(ev KYCEvent) bool {
	if ev.CorrelationID != "" && slices.Contains(k.seen, ev.CorrelationID) {
		return false
	}
	k.seen = append(k.seen, ev.CorrelationID)
	if len(k.seen) > seenEventsKept {
		k.seen = k.seen[len(k.seen)-seenEventsKept:]
	}
	k.status.LastEvent = ev.Type
	return true
}

func (k *kycVerification) readReview(ctx workflow.Context) (activities.ReviewState, error) {
	var review activities.ReviewState
	err := workflow.ExecuteActivity(providerCallOptions(ctx), idngoActivities.ReadReview, k.status.ApplicantID).Get(ctx, &review)
	return review, err
}

func (k *kycVerification) record(review activities.ReviewState) {
	k.lastReview = KYCReviewSnapshot{ReviewID: review.ReviewID, Answer: review.Answer, RejectType: review.RejectType,
		RejectLabels: review.RejectLabels}
	k.status.Review = k.lastReview
	k.status.ModerationComment = review.ModerationComment
}

// awaitResubmission publishes what IDnGO rejected, waits for documents for
// those steps (by the resubmit-documents update) and uploads them.
func (k *kycVerification) awaitResubmission(ctx workflow.Context) error {
	var rejected activities.RejectedStepsResult
	if err := workflow.ExecuteActivity(providerCallOptions(ctx), idngoActivities.RejectedSteps, k.status.ApplicantID).Get(ctx, &rejected); err != nil {
		return err
	}
	k.status.RejectedSteps = rejected.Steps
	k.status.Stage, k.status.Outcome, k.status.Reason = StageAwaitingResubmit, OutcomePending, ReasonAwaitingResubmitted
	deadline := workflow.Now(ctx).Add(k.in.ResubmitTimeout)
	k.waitFor(Wait{For: "documents for " + strings.Join(k.rejectedStepNames(), ", ") + " (resubmit-documents update)",
		From: "applicant", Until: deadline})
	k.publish(ctx)
	ok, err := workflow.AwaitWithTimeout(ctx, k.in.ResubmitTimeout, func() bool { return len(k.resubmitted) > 0 })
	if err != nil {
		return err
	}
	if !ok {
		k.decide(ctx, OutcomeExpired, ReasonResubmitTimeout)
		return nil
	}
	docs := k.resubmitted
	k.resubmitted = nil
	k.status.Stage, k.status.Reason = StageUploading, ""
	k.publish(ctx)
	return k.upload(ctx, docs)
}

func (k *kycVerification) rejectedStepNames() []string {
	names := make([]string, 0, len(k.status.RejectedSteps))
	for _, st := range k.status.RejectedSteps {
		names = append(names, st.Step)
	}
	return names
}

// validateResubmission refuses, before history, documents for steps that
// were not rejected, or a resubmission nobody waits for.
func (k *kycVerification) validateResubmission(_ workflow.Context, req ResubmitDocumentsRequest) error {
	if k.status.Stage != StageAwaitingResubmit || len(k.resubmitted) > 0 {
		return fmt.Errorf("no resubmission awaited (stage %s)", k.status.Stage)
	}
	var errs validate.FieldErrors
	if len(req.Documents) == 0 {
		errs.Add("documents", "at least one document required")
	}
	rejected := k.rejectedStepNames()
	covered := map[string]bool{}
	for i, doc := range req.Documents {
		path := fmt.Sprintf("documents[%d]", i)
		checkDocument(&errs, path, doc)
		step := StepOf(doc.IDDocType)
		if !slices.Contains(rejected, step) {
			errs.Add(path+".idDocType", fmt.Sprintf("step %s was not rejected (rejected: %s)", step, strings.Join(rejected, ", ")))
		}
		covered[step] = true
	}
	for _, step := range rejected {
		if !covered[step] {
			errs.Add("documents", "no document for rejected step "+step)
		}
	}
	return errs.Err()
}

func (k *kycVerification) acceptResubmission(ctx workflow.Context, req ResubmitDocumentsRequest) (ResubmitDocumentsResult, error) {
	k.resubmitted = req.Documents
	return ResubmitDocumentsResult{Uploaded: len(req.Documents), Attempt: k.status.Attempt + 1}, nil
}

// StepOf names the IDnGO verification step a document type belongs to.
func StepOf(idDocType string) string {
	if idDocType == "SELFIE" {
		return "SELFIE"
	}
	return "IDENTITY"
}

// monitor listens for later reviews after a decision: a RED after GREEN
// revokes it. It continues as new to keep history short and ends when the
// monitoring period is over (or the workflow is cancelled).
func (k *kycVerification) monitor(ctx workflow.Context) error {
	if k.status.MonitorUntil.IsZero() {
		k.status.MonitorUntil = workflow.Now(ctx).Add(k.in.MonitoringPeriod)
	}
	k.status.Stage = StageMonitoring
	k.publish(ctx)
	for {
		left := k.status.MonitorUntil.Sub(workflow.Now(ctx))
		if left <= 0 {
			k.status.Waiting = nil
			return nil
		}
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= k.in.ContinueAsNewAfter {
			return k.continueAsNew(ctx)
		}
		k.waitFor(Wait{For: "later IDnGO reviews (webhook, or a read every " + k.in.MonitorReconcileEvery.String() + ")",
			From: "provider", Until: k.status.MonitorUntil})
		if _, err := k.nextEvent(ctx, min(k.in.MonitorReconcileEvery, left)); err != nil {
			return err
		}
		review, err := k.readReview(ctx)
		if err != nil {
			return err
		}
		k.onLaterReview(ctx, review)
	}
}

// onLaterReview acts on a review that differs from the one decided on.
func (k *kycVerification) onLaterReview(ctx workflow.Context, review activities.ReviewState) {
	if !review.Completed() || (review.ReviewID == k.lastReview.ReviewID && review.Answer == k.lastReview.Answer &&
		review.RejectType == k.lastReview.RejectType) {
		return
	}
	wasAccepted := k.status.Outcome == OutcomeAccepted
	k.record(review)
	switch {
	case review.Answer == "GREEN":
		k.setOutcome(ctx, OutcomeAccepted, "")
	case wasAccepted:
		k.setOutcome(ctx, OutcomeRevoked, ReasonLaterRedAfterGreen)
	default:
		k.setOutcome(ctx, OutcomeRejected, ReasonReviewFinalReject)
	}
}

// continueAsNew hands the state to a fresh run, after events that already
// arrived have been taken along.
func (k *kycVerification) continueAsNew(ctx workflow.Context) error {
	for {
		var ev KYCEvent
		if !k.events.ReceiveAsync(&ev) {
			break
		}
		k.firstSight(ev)
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := k.in
	next.Resume = &KYCResume{Status: k.status, LastReview: k.lastReview, SeenEvents: k.seen}
	next.Resume.Status.Waiting = nil
	return workflow.NewContinueAsNewError(ctx, KYCVerificationWorkflow, next)
}

// decide records the decision of the verification.
func (k *kycVerification) decide(ctx workflow.Context, outcome Outcome, reason string) {
	k.status.DecidedAt = workflow.Now(ctx)
	k.setOutcome(ctx, outcome, reason)
}

func (k *kycVerification) decided() bool { return !k.status.DecidedAt.IsZero() }

func (k *kycVerification) setOutcome(ctx workflow.Context, outcome Outcome, reason string) {
	k.status.Outcome, k.status.Reason = outcome, reason
	k.publish(ctx)
	workflow.GetLogger(ctx).Info("KYC outcome", "Outcome", outcome, "Reason", reason, "ApplicantID", k.status.ApplicantID)
}

func (k *kycVerification) waitFor(w Wait) {
	k.status.Waiting = []Wait{w}
}

// publish mirrors the state into search attributes (no personal data; the
// moderation comment is the provider's text meant for the applicant).
func (k *kycVerification) publish(ctx workflow.Context) {
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	updates := []temporal.SearchAttributeUpdate{
		ProcessTypeKey.ValueSet(KYCVerificationWorkflow),
		StageKey.ValueSet(k.status.Stage),
		OutcomeKey.ValueSet(string(k.status.Outcome)),
		RejectedStepsKey.ValueSet(k.rejectedStepNames()),
		ModerationCommentKey.ValueSet(k.status.ModerationComment),
	}
	if k.status.ApplicantID != "" {
		updates = append(updates, ProviderRefKey.ValueSet(k.status.ApplicantID))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "Error", err)
	}
}

// idngoActivities is the typed reference to the IDnGO activities.
var idngoActivities *activities.IDnGO

// providerCallOptions: short IDnGO calls, retried with backoff for errors
// that may pass (network, 5xx, 429), never for IDnGO's own refusals.
func providerCallOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: finalErrorTypes,
		},
	})
}

// uploadOptions: an image can be up to 64 MB.
func uploadOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: finalErrorTypes,
		},
	})
}
