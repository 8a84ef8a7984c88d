package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/activities"
	"idflow/internal/validate"
	"idflow/workflows/identity"
)

// Mandarin simplified identification: an SMEV check of name, passport and
// SNILS/INN runs in parallel with an SMS-code check of the phone; it passes
// only when both pass (provider document:
// mandarin-simplified-identification.ru.txt).
const (
	// SimplifiedIdentificationWorkflow is the workflow type name.
	SimplifiedIdentificationWorkflow = "SimplifiedIdentification"
	// SubmitSMSCodeUpdate carries one SMS code typed by the person.
	SubmitSMSCodeUpdate = "submit-sms-code"

	// MaxSMSCodeAttempts: "up to 5 (inclusive) attempts"; then a new session is needed.
	MaxSMSCodeAttempts = 5
	// PersonCheckLimit: an SMEV check over 300 minutes is not billed, and we stop waiting.
	PersonCheckLimit = 300 * time.Minute
	// PersonCheckSLA: "SMEV usually answers within 10 minutes"; past it the
	// status is challenged/additionalTimeRequired.
	PersonCheckSLA = 10 * time.Minute
	// DefaultSMSCodeTimeout bounds the wait for a correct SMS code.
	DefaultSMSCodeTimeout = 15 * time.Minute
	// DefaultPersonCheckPollInitial and DefaultPersonCheckPollMax shape the SMEV
	// polling backoff: 30 s, doubling, up to 10 min between polls.
	DefaultPersonCheckPollInitial = 30 * time.Second
	DefaultPersonCheckPollMax     = 10 * time.Minute
)

// Reasons given with a simplified-identification outcome (no personal data).
const (
	ReasonPersonNotVerified     = "person-not-verified"
	ReasonPhoneNotVerified      = "sms-attempts-exhausted"
	ReasonSMSCodeTimeout        = "sms-code-timeout"
	ReasonPersonCheckTimeout    = "person-check-over-300-minutes"
	ReasonAdditionalTimeNeeded  = "additionalTimeRequired"
	ReasonIdentificationAborted = "aborted"
)

// Stages of simplified identification, as the status query and the
// IdflowStage search attribute show them.
const (
	StageOpeningSession  = "opening-session"
	StageChecking        = "awaiting-sms-code-and-smev"
	StageAwaitingSMEV    = "awaiting-smev"
	StageAwaitingSMSCode = "awaiting-sms-code"
	StageFinished        = "finished"
)

// SimplifiedIdentificationWorkflowID is the workflow id for a caller's request
// id; it carries no personal data.
func SimplifiedIdentificationWorkflowID(requestID string) string {
	return "simplified-identification-" + requestID
}

// SimplifiedIdentificationInput starts a simplified identification. Give the
// person inline or, to keep the data out of workflow history, as the id of a
// document-store entry of media type activities.PersonMediaType.
type SimplifiedIdentificationInput struct {
	RequestID        string           `json:"requestId"`
	Person           *identity.Person `json:"person,omitempty"`
	PersonDocumentID string           `json:"personDocumentId,omitempty"`
	// SMSCodeTimeout bounds the wait for a correct code; 0 means DefaultSMSCodeTimeout.
	SMSCodeTimeout time.Duration `json:"smsCodeTimeout,omitempty"`
	// PersonCheckLimit bounds the SMEV wait; 0 means PersonCheckLimit (300 min).
	PersonCheckLimit time.Duration `json:"personCheckLimit,omitempty"`
	// PersonCheckPollInitial and PersonCheckPollMax shape the polling backoff; 0 means the defaults.
	PersonCheckPollInitial time.Duration `json:"personCheckPollInitial,omitempty"`
	PersonCheckPollMax     time.Duration `json:"personCheckPollMax,omitempty"`
}

// SMSCodeRequest is the argument of the submit-sms-code update.
type SMSCodeRequest struct {
	Code string `json:"code"`
}

// SMSCodeResult answers a submitted code.
type SMSCodeResult struct {
	Accepted     bool `json:"accepted"`
	AttemptsUsed int  `json:"attemptsUsed"`
	AttemptsLeft int  `json:"attemptsLeft"`
}

// PhoneCheck is the state of the SMS-code check.
type PhoneCheck struct {
	Verified     bool      `json:"verified"`
	AttemptsUsed int       `json:"attemptsUsed"`
	AttemptsLeft int       `json:"attemptsLeft"`
	Deadline     time.Time `json:"deadline,omitzero"`
}

// PersonCheck is the state of the SMEV check.
type PersonCheck struct {
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// ExpectedBy is the usual answer time (10 min), then the 300-minute limit.
	ExpectedBy time.Time `json:"expectedBy,omitzero"`
	Finished   bool      `json:"finished"`
	Verified   bool      `json:"verified"`
	// Error is SMEV's own error text, kept as given.
	Error string `json:"error,omitempty"`
}

// SimplifiedIdentificationStatus is the answer of the status query and, once
// finished, the workflow's result.
type SimplifiedIdentificationStatus struct {
	Process   string  `json:"process"`
	Stage     string  `json:"stage"`
	Outcome   Outcome `json:"outcome"`
	Reason    string  `json:"reason,omitempty"`
	SessionID string  `json:"sessionId,omitempty"`
	// Billable is false when SMEV took over 300 minutes (the provider does not bill it).
	Billable    bool        `json:"billable"`
	Phone       PhoneCheck  `json:"phone"`
	PersonCheck PersonCheck `json:"personCheck"`
	Waiting     []Wait      `json:"waiting,omitempty"`
}

// SimplifiedIdentification runs one Mandarin simplified identification.
func SimplifiedIdentification(ctx workflow.Context, in SimplifiedIdentificationInput) (SimplifiedIdentificationStatus, error) {
	s := &simplifiedIdentification{in: withDefaults(in)}
	s.status = SimplifiedIdentificationStatus{
		Process: SimplifiedIdentificationWorkflow, Stage: StageOpeningSession, Outcome: OutcomePending,
		Billable: true, Phone: PhoneCheck{AttemptsLeft: MaxSMSCodeAttempts},
	}
	return s.run(ctx)
}

type simplifiedIdentification struct {
	in     SimplifiedIdentificationInput
	status SimplifiedIdentificationStatus
	// codeMutex lets one SMS code at a time reach the provider.
	codeMutex workflow.Mutex
	// sessionOpened or sessionFailed ends an update handler's wait for the session.
	sessionOpened, sessionFailed bool
}

func withDefaults(in SimplifiedIdentificationInput) SimplifiedIdentificationInput {
	in.SMSCodeTimeout = durationOr(in.SMSCodeTimeout, DefaultSMSCodeTimeout)
	in.PersonCheckLimit = durationOr(in.PersonCheckLimit, PersonCheckLimit)
	in.PersonCheckPollInitial = durationOr(in.PersonCheckPollInitial, DefaultPersonCheckPollInitial)
	in.PersonCheckPollMax = durationOr(in.PersonCheckPollMax, DefaultPersonCheckPollMax)
	return in
}

func (s *simplifiedIdentification) run(ctx workflow.Context) (SimplifiedIdentificationStatus, error) {
	if err := s.setUpHandlers(ctx); err != nil {
		return s.status, err
	}
	s.publish(ctx)
	if err := s.validateInput(); err != nil {
		s.sessionFailed = true
		return s.status, err
	}
	if err := s.openSession(ctx); err != nil {
		s.sessionFailed = true
		return s.status, err
	}

	checksCtx, stopChecks := workflow.WithCancel(ctx)
	workflow.Go(checksCtx, s.checkPerson)
	workflow.Go(checksCtx, s.watchSLA)
	err := s.awaitDecision(ctx)
	stopChecks()

	if temporal.IsCanceledError(err) {
		s.finish(ctx, OutcomeCanceled, ReasonIdentificationAborted)
		return s.status, err
	}
	// Let an SMS-code update in flight answer its caller before the workflow closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return s.status, err
}

// setUpHandlers registers the status query and the SMS-code update.
func (s *simplifiedIdentification) setUpHandlers(ctx workflow.Context) error {
	s.codeMutex = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, StatusQuery, func() (SimplifiedIdentificationStatus, error) {
		return s.snapshot(), nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, SubmitSMSCodeUpdate, s.submitSMSCode,
		workflow.UpdateHandlerOptions{Validator: s.validateSMSCode})
}

// validateInput refuses inline person data that cannot pass, before any
// provider call; data passed by document id is checked by the activity.
func (s *simplifiedIdentification) validateInput() error {
	var errs validate.FieldErrors
	if s.in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if (s.in.Person == nil) == (s.in.PersonDocumentID == "") {
		errs.Add("person", "give either the person or personDocumentId")
	}
	if s.in.Person != nil {
		if err := s.in.Person.Normalized().Validate("person"); err != nil {
			var fields validate.FieldErrors
			errors.As(err, &fields)
			errs = append(errs, fields...)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return temporal.NewNonRetryableApplicationError("invalid input: "+errs.Error(), activities.ErrTypeInvalidInput, nil, errs)
}

// openSession asks Mandarin to start both checks; it sends the SMS.
func (s *simplifiedIdentification) openSession(ctx workflow.Context) error {
	in := activities.InitIdentificationInput{Person: s.in.Person, PersonDocumentID: s.in.PersonDocumentID}
	var out activities.InitIdentificationResult
	if err := workflow.ExecuteActivity(initSessionOptions(ctx), mandarinActivities.InitIdentification, in).Get(ctx, &out); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	s.sessionOpened = true
	s.status.SessionID = out.SessionID
	s.status.Stage = StageChecking
	s.status.Phone.Deadline = now.Add(s.in.SMSCodeTimeout)
	s.status.PersonCheck.StartedAt = now
	s.status.PersonCheck.ExpectedBy = now.Add(PersonCheckSLA)
	s.publish(ctx)
	workflow.GetLogger(ctx).Info("identification session opened", "SessionID", out.SessionID)
	return nil
}

// awaitDecision waits until both checks pass, one fails, or a deadline passes.
func (s *simplifiedIdentification) awaitDecision(ctx workflow.Context) error {
	phoneSettled := func() bool { return s.status.Phone.Verified || s.status.Phone.AttemptsLeft == 0 }
	inTime, err := workflow.AwaitWithTimeout(ctx, s.in.SMSCodeTimeout, func() bool {
		return s.decided() || phoneSettled()
	})
	if err != nil {
		return err
	}
	switch {
	case s.decided():
	case !inTime && !s.status.Phone.Verified:
		s.finish(ctx, OutcomeExpired, ReasonSMSCodeTimeout)
	case !s.status.Phone.Verified:
		s.finish(ctx, OutcomeRejected, ReasonPhoneNotVerified)
	default:
		// The phone passed; SMEV's wait is bounded by its own activity limit.
		err = workflow.Await(ctx, s.decided)
	}
	return err
}

// decided reports whether the outcome is known.
func (s *simplifiedIdentification) decided() bool {
	return s.status.Stage == StageFinished
}

// checkPerson polls SMEV through one activity whose retry policy is the
// backoff; however many polls it take, history records only the activity's
// scheduled, started and closing events. A last look at the limit catches
// an answer that came after the last poll.
func (s *simplifiedIdentification) checkPerson(ctx workflow.Context) {
	limit := s.status.PersonCheck.StartedAt.Add(s.in.PersonCheckLimit)
	var result activities.PersonCheckResult
	in := activities.CheckPersonInput{SessionID: s.status.SessionID, UntilFinished: true}
	err := workflow.ExecuteActivity(s.pollOptions(ctx, limit), mandarinActivities.CheckPerson, in).Get(ctx, &result)
	if pollGaveUp(err) {
		err = s.lastLook(ctx, limit, &result)
	}
	switch {
	case ctx.Err() != nil || s.decided():
		return
	case err != nil:
		s.finish(ctx, OutcomeRejected, fmt.Sprintf("person check failed: %v", err))
		return
	case !result.Finished:
		s.status.Billable = false
		s.finish(ctx, OutcomeExpired, ReasonPersonCheckTimeout)
		return
	}
	s.recordPersonCheck(ctx, result)
}

// lastLook checks SMEV once more exactly at the limit: the retry scheduler
// stops polling when the next poll would come after the limit, and an
// answer in those last minutes still counts.
func (s *simplifiedIdentification) lastLook(ctx workflow.Context, limit time.Time, result *activities.PersonCheckResult) error {
	if wait := limit.Sub(workflow.Now(ctx)); wait > 0 {
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	in := activities.CheckPersonInput{SessionID: s.status.SessionID}
	return workflow.ExecuteActivity(singleCheckOptions(ctx), mandarinActivities.CheckPerson, in).Get(ctx, result)
}

// pollGaveUp reports whether the poll ended at its limit with SMEV still
// pending: the server ends it with a timeout, or with the last "pending"
// failure when the next retry would come after the limit.
func pollGaveUp(err error) bool {
	var timeout *temporal.TimeoutError
	var appErr *temporal.ApplicationError
	return errors.As(err, &timeout) || (errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeCheckPending)
}

func (s *simplifiedIdentification) recordPersonCheck(ctx workflow.Context, result activities.PersonCheckResult) {
	pc := &s.status.PersonCheck
	pc.Finished, pc.Verified, pc.Error, pc.FinishedAt = true, result.Verified, result.Error, workflow.Now(ctx)
	switch {
	case !result.Verified:
		s.finish(ctx, OutcomeRejected, ReasonPersonNotVerified)
	case s.status.Phone.Verified:
		s.finish(ctx, OutcomeAccepted, "")
	default:
		s.status.Stage, s.status.Outcome, s.status.Reason = StageAwaitingSMSCode, OutcomePending, ""
		s.publish(ctx)
	}
}

// watchSLA marks the process challenged (additional time required) when
// SMEV has not answered within its usual 10 minutes.
func (s *simplifiedIdentification) watchSLA(ctx workflow.Context) {
	if err := workflow.Sleep(ctx, PersonCheckSLA); err != nil || s.decided() || s.status.PersonCheck.Finished {
		return
	}
	s.status.PersonCheck.ExpectedBy = s.status.PersonCheck.StartedAt.Add(s.in.PersonCheckLimit)
	s.status.Outcome, s.status.Reason = OutcomeChallenged, ReasonAdditionalTimeNeeded
	s.publish(ctx)
}

// validateSMSCode refuses, before anything enters history, a malformed code
// or one that can no longer count.
func (s *simplifiedIdentification) validateSMSCode(_ workflow.Context, req SMSCodeRequest) error {
	if err := validate.SMSCode(req.Code); err != nil {
		return errors.New("malformed " + err.Error())
	}
	return s.codeRefusal()
}

func (s *simplifiedIdentification) codeRefusal() error {
	switch {
	case s.decided():
		return fmt.Errorf("identification already finished (%s)", s.status.Outcome)
	case s.status.Phone.Verified:
		return errors.New("phone already verified")
	case s.status.Phone.AttemptsLeft == 0:
		return fmt.Errorf("all %d SMS-code attempts used", MaxSMSCodeAttempts)
	}
	return nil
}

// submitSMSCode sends one code and answers whether it was accepted. Codes are
// sent one at a time, after the session is open.
func (s *simplifiedIdentification) submitSMSCode(ctx workflow.Context, req SMSCodeRequest) (SMSCodeResult, error) {
	if err := workflow.Await(ctx, func() bool { return s.sessionOpened || s.sessionFailed }); err != nil {
		return SMSCodeResult{}, err
	}
	if err := s.codeMutex.Lock(ctx); err != nil {
		return SMSCodeResult{}, err
	}
	defer s.codeMutex.Unlock()
	if s.sessionFailed {
		return SMSCodeResult{}, errors.New("no identification session could be opened")
	}
	if err := s.codeRefusal(); err != nil {
		return SMSCodeResult{}, err
	}
	s.status.Phone.AttemptsUsed++
	s.status.Phone.AttemptsLeft--
	verified, err := s.checkCode(ctx, req.Code)
	if err != nil {
		return SMSCodeResult{}, err
	}
	s.recordPhoneCheck(ctx, verified)
	return SMSCodeResult{Accepted: verified, AttemptsUsed: s.status.Phone.AttemptsUsed, AttemptsLeft: s.status.Phone.AttemptsLeft}, nil
}

func (s *simplifiedIdentification) checkCode(ctx workflow.Context, code string) (bool, error) {
	in := activities.SubmitSMSCodeInput{SessionID: s.status.SessionID, Code: code}
	if err := workflow.ExecuteActivity(smsCodeOptions(ctx), mandarinActivities.SubmitSMSCode, in).Get(ctx, nil); err != nil {
		return false, err
	}
	var check activities.PhoneCheckResult
	err := workflow.ExecuteActivity(phoneCheckOptions(ctx), mandarinActivities.PhoneCheck, s.status.SessionID).Get(ctx, &check)
	return check.Verified, err
}

func (s *simplifiedIdentification) recordPhoneCheck(ctx workflow.Context, verified bool) {
	if s.decided() {
		return
	}
	s.status.Phone.Verified = verified
	switch {
	case verified && s.status.PersonCheck.Finished:
		s.finish(ctx, OutcomeAccepted, "")
	case verified:
		s.status.Stage = StageAwaitingSMEV
		s.publish(ctx)
	case s.status.Phone.AttemptsLeft == 0:
		s.finish(ctx, OutcomeRejected, ReasonPhoneNotVerified)
	}
}

// finish records the final outcome once.
func (s *simplifiedIdentification) finish(ctx workflow.Context, outcome Outcome, reason string) {
	if s.decided() {
		return
	}
	s.status.Stage, s.status.Outcome, s.status.Reason = StageFinished, outcome, reason
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	s.publish(ctx)
	workflow.GetLogger(ctx).Info("identification finished", "Outcome", outcome, "Reason", reason)
}

// publish mirrors the state into search attributes (no personal data).
func (s *simplifiedIdentification) publish(ctx workflow.Context) {
	updates := []temporal.SearchAttributeUpdate{
		ProcessTypeKey.ValueSet(SimplifiedIdentificationWorkflow),
		StageKey.ValueSet(s.status.Stage),
		OutcomeKey.ValueSet(string(s.status.Outcome)),
	}
	if s.status.SessionID != "" {
		updates = append(updates, ProviderRefKey.ValueSet(s.status.SessionID))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("search attributes not updated", "Error", err)
	}
}

// snapshot is the status with what is awaited. (How long SMEV has been
// running follows from personCheck.startedAt; a query cannot know the time
// now, only that of the last event.)
func (s *simplifiedIdentification) snapshot() SimplifiedIdentificationStatus {
	st := s.status
	st.Waiting = nil
	if s.decided() {
		return st
	}
	if s.sessionOpened && !st.Phone.Verified {
		st.Waiting = append(st.Waiting, Wait{For: "SMS code (submit-sms-code update)", From: "person", Until: st.Phone.Deadline})
	}
	if s.sessionOpened && !st.PersonCheck.Finished {
		st.Waiting = append(st.Waiting, Wait{For: "SMEV person check", From: "provider",
			Until: st.PersonCheck.StartedAt.Add(s.in.PersonCheckLimit)})
	}
	return st
}

// mandarinActivities is the typed reference to the Mandarin activities.
var mandarinActivities *activities.Mandarin

// initSessionOptions: opening a session sends an SMS and may be billed, and
// the provider has no idempotency key, so retries are few and only for
// errors that may pass (network, 5xx, 429).
func initSessionOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 4,
			NonRetryableErrorTypes: finalErrorTypes,
		},
	})
}

// smsCodeOptions: each delivered code uses one of five attempts, so a code
// is resent only for a short while.
func smsCodeOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 3,
			NonRetryableErrorTypes: finalErrorTypes,
		},
	})
}

// phoneCheckOptions: the verdict on a code comes within seconds.
func phoneCheckOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 1.5, MaximumInterval: 10 * time.Second,
			NonRetryableErrorTypes: finalErrorTypes,
		},
	})
}

// pollOptions: one activity polls SMEV until it answers or the limit passes.
// The attempt bound is explicit (no poll comes sooner than the initial
// interval, so there are never more than limit/initial polls); the limit
// itself is what ends the poll.
func (s *simplifiedIdentification) pollOptions(ctx workflow.Context, limit time.Time) workflow.Context {
	remaining := limit.Sub(workflow.Now(ctx))
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: remaining,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: s.in.PersonCheckPollInitial, BackoffCoefficient: 2, MaximumInterval: s.in.PersonCheckPollMax,
			MaximumAttempts:        int32(remaining/s.in.PersonCheckPollInitial) + 2,
			NonRetryableErrorTypes: finalErrorTypes,
		},
	})
}

// singleCheckOptions: the last look at SMEV, at the limit.
func singleCheckOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{NonRetryableErrorTypes: finalErrorTypes},
	})
}

// finalErrorTypes are activity errors no retry can fix.
var finalErrorTypes = []string{
	activities.ErrTypeInvalidInput, activities.ErrTypeProviderRejected, activities.ErrTypeProviderNotConfigured,
}
