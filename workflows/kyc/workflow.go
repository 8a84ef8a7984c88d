package kyc

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// seenEventsKept bounds the correlation ids remembered for deduplication.
const seenEventsKept = 200

// checkDocumentsFirst versions the check that every document is in the
// store before an applicant is created (and before resubmitted documents
// are taken): workflows started before it had no such activity.
const checkDocumentsFirst = "check-documents-first"

// KYCVerification runs one IDnGO KYC verification and then monitors it.
func KYCVerification(ctx workflow.Context, in Input) (Status, error) {
	k := &kycVerification{in: kycDefaults(in), raw: in}
	k.status = Status{MaxAttempts: k.in.MaxAttempts}
	k.status.Stage = StageCreatingApplicant
	if in.Resume != nil {
		k.status, k.lastReview, k.seen = in.Resume.Status, in.Resume.LastReview, in.Resume.SeenEvents
	}
	k.track = process.NewTracker(WorkflowType, &k.status.Status, k.searchAttributes)
	k.track.SetProofing(func(id string) proofing.Status { return k.status.ProofingStatus(id) })
	k.track.SetProviderRef(k.status.ApplicantID)
	return k.run(ctx)
}

// StartSearchAttributes are the search attributes to start a KYCVerification
// with: those its first publication sets (see process.StartSearchAttributes).
func StartSearchAttributes() temporal.SearchAttributes {
	return process.StartSearchAttributes(WorkflowType, StageCreatingApplicant, (&kycVerification{}).searchAttributes()...)
}

type kycVerification struct {
	in, raw    Input
	status     Status
	track      *process.Tracker
	lastReview ReviewSnapshot
	events     workflow.ReceiveChannel
	seen       []string
	// resubmitted holds documents accepted by the update, not yet uploaded.
	resubmitted []Document
}

func kycDefaults(in Input) Input {
	in.ReconcileAfter = process.DurationOr(in.ReconcileAfter, DefaultReconcileAfter)
	in.ReviewDeadline = process.DurationOr(in.ReviewDeadline, DefaultReviewDeadline)
	in.ResubmitTimeout = process.DurationOr(in.ResubmitTimeout, DefaultResubmitTimeout)
	in.MonitoringPeriod = process.DurationOr(in.MonitoringPeriod, DefaultMonitoringPeriod)
	in.MonitorReconcileEvery = process.DurationOr(in.MonitorReconcileEvery, DefaultMonitorReconcileEvery)
	if in.MaxAttempts == 0 {
		in.MaxAttempts = DefaultMaxReviewAttempts
	}
	if in.ContinueAsNewAfter == 0 {
		in.ContinueAsNewAfter = DefaultContinueAsNewAfter
	}
	return in
}

func (k *kycVerification) run(ctx workflow.Context) (Status, error) {
	if err := k.setUpHandlers(ctx); err != nil {
		return k.status, err
	}
	defer k.drainEvents()
	if k.in.Resume == nil {
		if err := k.verify(ctx); err != nil {
			return k.status, k.track.Fail(ctx, err)
		}
	}
	err := k.monitor(ctx)
	k.track.Await(ctx) // nothing is awaited any more, whatever ended the monitoring
	return k.status, err
}

// drainEvents takes the events that arrived as the workflow ends: the
// decision is made and they need no answer (and the SDK would warn of
// unhandled signals).
func (k *kycVerification) drainEvents() {
	var ev Event
	for k.events.ReceiveAsync(&ev) {
	}
}

// verify takes the applicant from creation to a decision.
func (k *kycVerification) verify(ctx workflow.Context) error {
	k.track.Publish(ctx)
	if err := k.validateInput(); err != nil {
		return err
	}
	if err := k.checkDocuments(ctx, k.in.Documents); err != nil {
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

func (k *kycVerification) setUpHandlers(ctx workflow.Context) error {
	k.events = workflow.GetSignalChannel(ctx, EventSignal)
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) {
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
	errs = append(errs, CheckDocuments(k.in.LevelName, k.in.Documents, true)...)
	if k.in.Applicant.Info != nil {
		errs.Merge(k.in.Applicant.Info.Normalized().Validate("applicant.info"))
	}
	k.checkTuning(&errs)
	if len(errs) == 0 {
		return nil
	}
	return process.InvalidInput(errs)
}

// checkTuning bounds the timings and caps only SDK callers can set: a
// read every few seconds floods the provider, a history limit of a few
// events continues as new for ever.
func (k *kycVerification) checkTuning(errs *validate.FieldErrors) {
	const day = 24 * time.Hour
	process.CheckDuration(errs, "reconcileAfter", k.raw.ReconcileAfter, time.Minute, MaxReconcileInterval)
	process.CheckDuration(errs, "reviewDeadline", k.raw.ReviewDeadline, time.Hour, 90*day)
	process.CheckDuration(errs, "resubmitTimeout", k.raw.ResubmitTimeout, time.Hour, 90*day)
	process.CheckDuration(errs, "monitoringPeriod", k.raw.MonitoringPeriod, 10*time.Second, 5*365*day)
	process.CheckDuration(errs, "monitorReconcileEvery", k.raw.MonitorReconcileEvery, time.Minute, 30*day)
	if k.raw.MaxAttempts != 0 && (k.raw.MaxAttempts < 1 || k.raw.MaxAttempts > 10) {
		errs.Add("maxAttempts", "want 0 (the default) or 1 to 10")
	}
	if k.raw.ContinueAsNewAfter != 0 && (k.raw.ContinueAsNewAfter < 500 || k.raw.ContinueAsNewAfter > 50000) {
		errs.Add("continueAsNewAfter", "want 0 (the default) or 500 to 50000 history events")
	}
}

// checkDocuments makes sure the documents are in the document store before
// they are needed at IDnGO.
func (k *kycVerification) checkDocuments(ctx workflow.Context, docs []Document) error {
	if workflow.GetVersion(ctx, checkDocumentsFirst, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	actx := process.WithSummary(storeCallOptions(ctx), fmt.Sprintf("check that the %d document(s) are in the document store", len(docs)))
	return workflow.ExecuteActivity(actx, CheckDocumentsActivity, CheckDocumentsInput{Documents: docs}).Get(ctx, nil)
}

func (k *kycVerification) ensureApplicant(ctx workflow.Context) error {
	in := EnsureApplicantInput{ExternalUserID: k.in.ExternalUserID, LevelName: k.in.LevelName, Applicant: k.in.Applicant}
	var out EnsureApplicantResult
	actx := process.WithSummary(providerCallOptions(ctx), "IDnGO: create or find the applicant of the external user")
	if err := workflow.ExecuteActivity(actx, EnsureApplicantActivity, in).Get(ctx, &out); err != nil {
		return err
	}
	k.status.ApplicantID = out.ApplicantID
	k.track.SetProviderRef(out.ApplicantID)
	k.track.SetStage(ctx, StageUploading)
	return nil
}

// upload sends documents one by one, from the document store.
func (k *kycVerification) upload(ctx workflow.Context, docs []Document) error {
	for _, doc := range docs {
		in := UploadDocumentInput{ApplicantID: k.status.ApplicantID, Document: doc}
		summary := strings.TrimSpace("IDnGO: upload " + doc.IDDocType + " " + doc.IDDocSubType + " (document " + doc.DocumentID + ")")
		if err := workflow.ExecuteActivity(process.WithSummary(uploadOptions(ctx), summary), UploadDocumentActivity, in).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func (k *kycVerification) setFixedInfo(ctx workflow.Context) error {
	if k.in.Applicant.Info == nil && k.in.Applicant.InfoDocumentID == "" {
		return nil
	}
	in := SetFixedInfoInput{ApplicantID: k.status.ApplicantID, Applicant: k.in.Applicant}
	actx := process.WithSummary(providerCallOptions(ctx), "IDnGO: set the applicant's declared data (fixedInfo)")
	return workflow.ExecuteActivity(actx, SetFixedInfoActivity, in).Get(ctx, nil)
}

// reviewAttempt sends the applicant to review, waits for the answer and acts on it.
func (k *kycVerification) reviewAttempt(ctx workflow.Context) error {
	summary := fmt.Sprintf("IDnGO: request a review (pending), attempt %d of %d", k.status.Attempt+1, k.in.MaxAttempts)
	if err := workflow.ExecuteActivity(process.WithSummary(providerCallOptions(ctx), summary), RequestReviewActivity, k.status.ApplicantID).Get(ctx, nil); err != nil {
		return err
	}
	k.status.Attempt++
	k.status.RejectedSteps, k.status.ModerationComment = nil, ""
	k.track.SetStage(ctx, StageAwaitingReview)
	review, err := k.awaitReview(ctx)
	if err != nil || !review.Completed() {
		return err
	}
	k.record(review)
	switch {
	case review.Answer == "GREEN":
		k.decide(ctx, process.OutcomeAccepted, "")
	case review.RejectType != "RETRY":
		k.decide(ctx, process.OutcomeRejected, ReasonReviewFinalReject)
	case k.status.Attempt >= k.in.MaxAttempts:
		k.decide(ctx, process.OutcomeRejected, ReasonRetryCapReached)
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
func (k *kycVerification) awaitReview(ctx workflow.Context) (ReviewState, error) {
	// Since version 1 a read follows only a webhook that can carry a
	// verdict: applicantCreated and applicantPending announce none, and
	// reading after each made three reads where one does.
	verdictsOnly := workflow.GetVersion(ctx, readOnVerdictsChange, workflow.DefaultVersion, 1) >= 1
	deadline := workflow.Now(ctx).Add(k.in.ReviewDeadline)
	interval := k.in.ReconcileAfter
	for {
		wait := process.Wait{For: "IDnGO review (webhook, or a read in " + process.Duration(interval) + ")", From: process.FromProvider, Until: deadline}
		k.track.Await(ctx, wait)
		left := deadline.Sub(workflow.Now(ctx))
		if left <= 0 {
			k.decide(ctx, process.OutcomeExpired, ReasonReviewTimeout)
			return ReviewState{}, nil
		}
		event, err := k.nextEvent(ctx, min(interval, left), "read the review if no webhook comes ("+wait.String()+")", verdictsOnly)
		if err != nil {
			return ReviewState{}, err
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

// readOnVerdictsChange versions awaitReview's reads after webhooks.
const readOnVerdictsChange = "kyc-read-on-verdict-webhooks"

// monitorRunsChange versions continuing monitoring as new after
// MonitorReadsPerRun reads.
const monitorRunsChange = "kyc-monitor-continue-weekly"

// nextEvent waits up to timeout for a new (not yet seen) event; it reports
// whether one came. With verdictsOnly, events that announce no verdict
// are recorded but not waited for.
func (k *kycVerification) nextEvent(ctx workflow.Context, timeout time.Duration, summary string, verdictsOnly bool) (bool, error) {
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := process.NewTimer(timerCtx, timeout, summary)
	for {
		var ev Event
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
		if k.firstSight(ev) && (!verdictsOnly || mayCarryVerdict(ev)) {
			return true, nil
		}
	}
}

// mayCarryVerdict reports whether an event can announce a review's
// verdict: all but the applicant's creation and its move to pending.
func mayCarryVerdict(ev Event) bool {
	return ev.Type != eventApplicantCreated && ev.Type != eventApplicantPending
}

// IDnGO webhook types that announce no verdict.
const (
	eventApplicantCreated = "applicantCreated"
	eventApplicantPending = "applicantPending"
)

// firstSight records an event and reports whether it is new (IDnGO
// delivers duplicates; the inbox already drops most of them).
func (k *kycVerification) firstSight(ev Event) bool {
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

func (k *kycVerification) readReview(ctx workflow.Context) (ReviewState, error) {
	var review ReviewState
	actx := process.WithSummary(providerCallOptions(ctx), "IDnGO: read the applicant's review")
	err := workflow.ExecuteActivity(actx, ReadReviewActivity, k.status.ApplicantID).Get(ctx, &review)
	return review, err
}

func (k *kycVerification) record(review ReviewState) {
	k.lastReview = ReviewSnapshot{ReviewID: review.ReviewID, Answer: review.Answer, RejectType: review.RejectType,
		RejectLabels: review.RejectLabels}
	k.status.Review = k.lastReview
	k.status.ModerationComment = review.ModerationComment
}

// awaitResubmission publishes what IDnGO rejected, waits for documents for
// those steps (by the resubmit-documents update) and uploads them.
func (k *kycVerification) awaitResubmission(ctx workflow.Context) error {
	var rejected RejectedStepsResult
	actx := process.WithSummary(providerCallOptions(ctx), "IDnGO: read which steps were rejected (requiredIdDocsStatus)")
	if err := workflow.ExecuteActivity(actx, RejectedStepsActivity, k.status.ApplicantID).Get(ctx, &rejected); err != nil {
		return err
	}
	k.status.RejectedSteps = rejected.Steps
	k.status.Outcome, k.status.Reason = process.OutcomePending, ReasonAwaitingResubmitted
	wait := process.Wait{For: "documents for " + strings.Join(k.rejectedStepNames(), ", ") + " (resubmit-documents update)",
		From: process.FromPerson, Until: workflow.Now(ctx).Add(k.in.ResubmitTimeout)}
	k.track.Await(ctx, wait)
	k.track.SetStage(ctx, StageAwaitingResubmit)
	ok, err := process.AwaitWithTimeout(ctx, k.in.ResubmitTimeout, wait, func() bool { return len(k.resubmitted) > 0 })
	if err != nil {
		return err
	}
	if !ok {
		k.decide(ctx, process.OutcomeExpired, ReasonResubmitTimeout)
		return nil
	}
	docs := k.resubmitted
	k.resubmitted = nil
	k.status.Reason = ""
	k.track.Await(ctx)
	k.track.SetStage(ctx, StageUploading)
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
	errs := CheckDocuments(k.in.LevelName, req.Documents, false)
	rejected := k.rejectedStepNames()
	covered := map[string]bool{}
	for i, doc := range req.Documents {
		path := fmt.Sprintf("documents[%d]", i)
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
	if err := k.checkDocuments(ctx, req.Documents); err != nil {
		return ResubmitDocumentsResult{}, err // the caller learns which are missing; the wait goes on
	}
	k.resubmitted = req.Documents
	return ResubmitDocumentsResult{Uploaded: len(req.Documents), Attempt: k.status.Attempt + 1}, nil
}

// monitor listens for later reviews after a decision: a RED after GREEN
// revokes it. It continues as new to keep history short and ends when the
// monitoring period is over (or the workflow is cancelled).
func (k *kycVerification) monitor(ctx workflow.Context) error {
	if k.status.MonitorUntil.IsZero() {
		k.status.MonitorUntil = workflow.Now(ctx).Add(k.in.MonitoringPeriod)
	}
	k.track.SetStage(ctx, StageMonitoring)
	// Runs that began monitoring before this version continue as new only
	// at ContinueAsNewAfter events (about 200 daily reads).
	weekly := workflow.GetVersion(ctx, monitorRunsChange, workflow.DefaultVersion, 1) >= 1
	for reads := 0; ; reads++ {
		left := k.status.MonitorUntil.Sub(workflow.Now(ctx))
		if left <= 0 {
			return nil
		}
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= k.in.ContinueAsNewAfter ||
			(weekly && reads >= MonitorReadsPerRun) {
			return k.continueAsNew(ctx)
		}
		k.track.Await(ctx, process.Wait{For: "later IDnGO reviews (webhook, or a read every " + process.Duration(k.in.MonitorReconcileEvery) + ")",
			From: process.FromProvider, Until: k.status.MonitorUntil})
		if _, err := k.nextEvent(ctx, min(k.in.MonitorReconcileEvery, left), "read the review in case a later webhook was lost", false); err != nil {
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
func (k *kycVerification) onLaterReview(ctx workflow.Context, review ReviewState) {
	if !review.Completed() || (review.ReviewID == k.lastReview.ReviewID && review.Answer == k.lastReview.Answer &&
		review.RejectType == k.lastReview.RejectType) {
		return
	}
	wasAccepted := k.status.Outcome == process.OutcomeAccepted
	k.record(review)
	switch {
	case review.Answer == "GREEN":
		k.track.SetOutcome(ctx, process.OutcomeAccepted, "")
	case wasAccepted:
		k.track.SetOutcome(ctx, process.OutcomeRevoked, ReasonLaterRedAfterGreen)
	default:
		k.track.SetOutcome(ctx, process.OutcomeRejected, ReasonReviewFinalReject)
	}
}

// continueAsNew hands the state to a fresh run, after events that already
// arrived have been taken along.
func (k *kycVerification) continueAsNew(ctx workflow.Context) error {
	for {
		var ev Event
		if !k.events.ReceiveAsync(&ev) {
			break
		}
		k.firstSight(ev)
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	next := k.in
	next.Resume = &Resume{Status: k.status, LastReview: k.lastReview, SeenEvents: k.seen}
	next.Resume.Status.Waiting = nil
	return workflow.NewContinueAsNewError(ctx, WorkflowType, next)
}

// decide records the decision of the verification.
func (k *kycVerification) decide(ctx workflow.Context, outcome process.Outcome, reason string) {
	k.status.DecidedAt = workflow.Now(ctx)
	k.track.Finish(ctx, outcome, reason)
}

func (k *kycVerification) decided() bool { return !k.status.DecidedAt.IsZero() }

// searchAttributes are KYC's own: the rejected steps and the moderation
// comment (the provider's text meant for the applicant, no personal data).
func (k *kycVerification) searchAttributes() []temporal.SearchAttributeUpdate {
	rejected := process.RejectedStepsKey.ValueUnset() // as a start carries none (an empty list is dropped)
	if names := k.rejectedStepNames(); len(names) > 0 {
		rejected = process.RejectedStepsKey.ValueSet(names)
	}
	return []temporal.SearchAttributeUpdate{
		rejected,
		process.ModerationCommentKey.ValueSet(k.status.ModerationComment),
	}
}

// providerCallOptions: short IDnGO calls, retried with backoff for errors
// that may pass (network, 5xx, 429), never for IDnGO's own refusals.
func providerCallOptions(ctx workflow.Context) workflow.Context {
	return process.ProviderCall(ctx, 30*time.Second, 30*time.Minute)
}

// storeCallOptions: a read of the worker's own database, retried while it
// is unreachable.
func storeCallOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			NonRetryableErrorTypes: process.FinalErrorTypes,
		},
	})
}

// uploadOptions: an image can be up to 64 MB. The upload heartbeats every
// 10 s, so a crashed worker's upload is retried after 30 s, not 5 min.
func uploadOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		HeartbeatTimeout:       30 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: process.FinalErrorTypes,
		},
	})
}
