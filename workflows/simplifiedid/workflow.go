package simplifiedid

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// SimplifiedIdentification runs one Mandarin simplified identification.
func SimplifiedIdentification(ctx workflow.Context, in Input) (Status, error) {
	s := &identification{in: withDefaults(in), raw: in}
	s.status = Status{Billable: true, Phone: PhoneCheck{AttemptsLeft: MaxSMSCodeAttempts}}
	s.status.Stage = StageOpeningSession
	s.track = process.NewTracker(WorkflowType, &s.status.Status, nil)
	s.track.SetProofing(func(id string) proofing.Status { return s.status.ProofingStatus(id) })
	return s.run(ctx)
}

type identification struct {
	in, raw Input
	status  Status
	track   *process.Tracker
	// codeMutex lets one SMS code at a time reach the provider.
	codeMutex workflow.Mutex
	// sessionOpened or sessionFailed ends an update handler's wait for the session.
	sessionOpened, sessionFailed bool
	// failure is the error a check ended the process with, for run to return.
	failure error
}

func withDefaults(in Input) Input {
	in.SMSCodeTimeout = process.DurationOr(in.SMSCodeTimeout, DefaultSMSCodeTimeout)
	in.PersonCheckLimit = process.DurationOr(in.PersonCheckLimit, PersonCheckLimit)
	in.PersonCheckPollInitial = process.DurationOr(in.PersonCheckPollInitial, DefaultPersonCheckPollInitial)
	in.PersonCheckPollMax = process.DurationOr(in.PersonCheckPollMax, DefaultPersonCheckPollMax)
	return in
}

func (s *identification) run(ctx workflow.Context) (Status, error) {
	if err := s.setUpHandlers(ctx); err != nil {
		return s.status, err
	}
	s.track.Publish(ctx)
	if err := s.validateInput(); err != nil {
		s.sessionFailed = true
		return s.status, s.track.Fail(ctx, err)
	}
	if err := s.openSession(ctx); err != nil {
		s.sessionFailed = true
		return s.status, s.track.Fail(ctx, err)
	}

	checksCtx, stopChecks := workflow.WithCancel(ctx)
	workflow.Go(checksCtx, s.checkPerson)
	workflow.Go(checksCtx, s.watchSLA)
	err := s.awaitDecision(ctx)
	stopChecks()

	if temporal.IsCanceledError(err) {
		return s.status, s.track.Fail(ctx, err)
	}
	// Let an SMS-code update in flight answer its caller before the workflow closes.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	if err == nil {
		err = s.failure
	}
	return s.status, err
}

// setUpHandlers registers the status query and the SMS-code update.
func (s *identification) setUpHandlers(ctx workflow.Context) error {
	s.codeMutex = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) {
		return s.status, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, SubmitSMSCodeUpdate, s.submitSMSCode,
		workflow.UpdateHandlerOptions{Validator: s.validateSMSCode})
}

// validateInput refuses, before any provider call, inline person data that
// cannot pass and tuning values out of their bounds; data passed by document
// id is checked by the activity.
func (s *identification) validateInput() error {
	var errs validate.FieldErrors
	if s.in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if (s.in.Person == nil) == (s.in.PersonDocumentID == "") {
		errs.Add("person", "give either the person or personDocumentId")
	}
	if s.in.Person != nil {
		errs.Merge(s.in.Person.Normalized().Validate("person"))
	}
	s.checkTuning(&errs)
	if len(errs) == 0 {
		return nil
	}
	return process.InvalidInput(errs)
}

// checkTuning bounds the durations only SDK callers can set: a poll faster
// than MinPersonCheckPoll floods the provider, one slower than the limit
// never looks.
func (s *identification) checkTuning(errs *validate.FieldErrors) {
	process.CheckDuration(errs, "smsCodeTimeout", s.raw.SMSCodeTimeout, MinSMSCodeTimeout, MaxSMSCodeTimeout)
	process.CheckDuration(errs, "personCheckLimit", s.raw.PersonCheckLimit, MinPersonCheckLimit, PersonCheckLimit)
	process.CheckDuration(errs, "personCheckPollInitial", s.raw.PersonCheckPollInitial, MinPersonCheckPoll, PersonCheckLimit)
	process.CheckDuration(errs, "personCheckPollMax", s.raw.PersonCheckPollMax, MinPersonCheckPoll, PersonCheckLimit)
	if s.in.PersonCheckPollInitial > s.in.PersonCheckPollMax {
		errs.Add("personCheckPollInitial", "must not exceed personCheckPollMax")
	}
	if s.in.PersonCheckPollInitial > s.in.PersonCheckLimit {
		errs.Add("personCheckPollInitial", "must not exceed personCheckLimit")
	}
}

// openSession asks Mandarin to start both checks; it sends the SMS.
func (s *identification) openSession(ctx workflow.Context) error {
	in := InitIdentificationInput{Person: s.in.Person, PersonDocumentID: s.in.PersonDocumentID}
	var out InitIdentificationResult
	actx := process.WithSummary(initSessionOptions(ctx), "Mandarin: open the session (sends the SMS code)")
	if err := workflow.ExecuteActivity(actx, InitIdentificationActivity, in).Get(ctx, &out); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	s.sessionOpened = true
	s.status.SessionID, s.status.UncertainSessions = out.SessionID, out.UncertainSessions
	s.status.Phone.Deadline = now.Add(s.in.SMSCodeTimeout)
	s.status.PersonCheck.StartedAt = now
	s.status.PersonCheck.ExpectedBy = now.Add(PersonCheckSLA)
	s.track.SetProviderRef(out.SessionID)
	s.updateWaits(ctx)
	s.track.SetStage(ctx, StageChecking)
	workflow.GetLogger(ctx).Info("identification session opened", "SessionID", out.SessionID)
	return nil
}

// awaitDecision waits until both checks pass, one fails, or a deadline passes.
func (s *identification) awaitDecision(ctx workflow.Context) error {
	phoneSettled := func() bool { return s.status.Phone.Verified || s.status.Phone.AttemptsLeft == 0 }
	inTime, err := process.AwaitWithTimeout(ctx, s.in.SMSCodeTimeout, s.smsCodeWait(), func() bool {
		return s.track.Finished() || phoneSettled()
	})
	if err != nil {
		return err
	}
	switch {
	case s.track.Finished():
	case !inTime && !s.status.Phone.Verified:
		s.finish(ctx, process.OutcomeExpired, ReasonSMSCodeTimeout)
	case !s.status.Phone.Verified:
		s.finish(ctx, process.OutcomeRejected, ReasonPhoneNotVerified)
	default:
		// The phone passed; SMEV's wait is bounded by its own activity limit.
		err = workflow.Await(ctx, s.track.Finished)
	}
	return err
}

func (s *identification) smsCodeWait() process.Wait {
	return process.Wait{For: "SMS code (submit-sms-code update)", From: process.FromPerson, Until: s.status.Phone.Deadline}
}

func (s *identification) smevWait() process.Wait {
	return process.Wait{For: "SMEV person check", From: process.FromProvider, Until: s.personCheckLimit()}
}

func (s *identification) personCheckLimit() time.Time {
	return s.status.PersonCheck.StartedAt.Add(s.in.PersonCheckLimit)
}

// updateWaits shows what is still awaited: the SMS code, SMEV, or both.
func (s *identification) updateWaits(ctx workflow.Context) {
	var waits []process.Wait
	if !s.status.Phone.Verified {
		waits = append(waits, s.smsCodeWait())
	}
	if !s.status.PersonCheck.Finished {
		waits = append(waits, s.smevWait())
	}
	s.track.Await(ctx, waits...)
}

// checkPerson polls SMEV through one activity whose retry policy is the
// backoff; however many polls it take, history records only the activity's
// scheduled, started and closing events. A last look at the limit catches
// an answer that came after the last poll.
func (s *identification) checkPerson(ctx workflow.Context) {
	limit := s.personCheckLimit()
	var result PersonCheckResult
	in := CheckPersonInput{SessionID: s.status.SessionID, UntilFinished: true}
	actx := process.WithSummary(s.pollOptions(ctx, limit), "Mandarin: poll the SMEV check until "+limit.UTC().Format(time.TimeOnly)+" UTC")
	err := workflow.ExecuteActivity(actx, CheckPersonActivity, in).Get(ctx, &result)
	if pollGaveUp(err) {
		err = s.lastLook(ctx, limit, &result)
	}
	switch {
	case ctx.Err() != nil || s.track.Finished():
		return
	case err != nil:
		s.failure = s.track.Fail(ctx, err)
		return
	case !result.Finished:
		s.status.Billable = false
		s.finish(ctx, process.OutcomeExpired, ReasonPersonCheckTimeout)
		return
	}
	s.recordPersonCheck(ctx, result)
}

// lastLook checks SMEV once more exactly at the limit: the retry scheduler
// stops polling when the next poll would come after the limit, and an
// answer in those last minutes still counts.
func (s *identification) lastLook(ctx workflow.Context, limit time.Time, result *PersonCheckResult) error {
	if wait := limit.Sub(workflow.Now(ctx)); wait > 0 {
		if err := process.Sleep(ctx, wait, "last look at SMEV at the limit ("+process.Duration(s.in.PersonCheckLimit)+")"); err != nil {
			return err
		}
	}
	in := CheckPersonInput{SessionID: s.status.SessionID}
	actx := process.WithSummary(singleCheckOptions(ctx), "Mandarin: last look at the SMEV check")
	return workflow.ExecuteActivity(actx, CheckPersonActivity, in).Get(ctx, result)
}

// pollGaveUp reports whether the poll ended at its limit with SMEV still
// pending: the server ends it with a timeout, or with the last "pending"
// failure when the next retry would come after the limit.
func pollGaveUp(err error) bool {
	var timeout *temporal.TimeoutError
	var appErr *temporal.ApplicationError
	return errors.As(err, &timeout) || (errors.As(err, &appErr) && appErr.Type() == process.ErrTypeCheckPending)
}

func (s *identification) recordPersonCheck(ctx workflow.Context, result PersonCheckResult) {
	pc := &s.status.PersonCheck
	pc.Finished, pc.Verified, pc.Error, pc.FinishedAt = true, result.Verified, result.Error, workflow.Now(ctx)
	switch {
	case !result.Verified:
		s.finish(ctx, process.OutcomeRejected, ReasonPersonNotVerified)
	case s.status.Phone.Verified:
		s.finish(ctx, process.OutcomeAccepted, "")
	default:
		s.status.Outcome, s.status.Reason = process.OutcomePending, ""
		s.updateWaits(ctx)
		s.track.SetStage(ctx, StageAwaitingSMSCode)
	}
}

// watchSLA marks the process challenged (additional time required) when
// SMEV has not answered within its usual 10 minutes.
func (s *identification) watchSLA(ctx workflow.Context) {
	err := process.Sleep(ctx, PersonCheckSLA, "SMEV's usual answer time (10 min); later the outcome is challenged")
	if err != nil || s.track.Finished() || s.status.PersonCheck.Finished {
		return
	}
	s.status.PersonCheck.ExpectedBy = s.personCheckLimit()
	s.track.SetOutcome(ctx, process.OutcomeChallenged, ReasonAdditionalTimeNeeded)
}

// validateSMSCode refuses, before anything enters history, a malformed code
// or one that can no longer count.
func (s *identification) validateSMSCode(_ workflow.Context, req SMSCodeRequest) error {
	if err := validate.SMSCode(req.Code); err != nil {
		return errors.New("malformed " + err.Error())
	}
	return s.codeRefusal()
}

func (s *identification) codeRefusal() error {
	switch {
	case s.track.Finished():
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
func (s *identification) submitSMSCode(ctx workflow.Context, req SMSCodeRequest) (SMSCodeResult, error) {
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

func (s *identification) checkCode(ctx workflow.Context, code string) (bool, error) {
	in := SubmitSMSCodeInput{SessionID: s.status.SessionID, Code: code}
	actx := process.WithSummary(smsCodeOptions(ctx), fmt.Sprintf("Mandarin: submit SMS code (attempt %d of %d)",
		s.status.Phone.AttemptsUsed, MaxSMSCodeAttempts))
	if err := workflow.ExecuteActivity(actx, SubmitSMSCodeActivity, in).Get(ctx, nil); err != nil {
		return false, err
	}
	var check PhoneCheckResult
	actx = process.WithSummary(phoneCheckOptions(ctx), "Mandarin: read the verdict on the SMS code")
	err := workflow.ExecuteActivity(actx, PhoneCheckActivity, s.status.SessionID).Get(ctx, &check)
	return check.Verified, err
}

func (s *identification) recordPhoneCheck(ctx workflow.Context, verified bool) {
	if s.track.Finished() {
		return
	}
	s.status.Phone.Verified = verified
	switch {
	case verified && s.status.PersonCheck.Finished:
		s.finish(ctx, process.OutcomeAccepted, "")
	case verified:
		s.updateWaits(ctx)
		s.track.SetStage(ctx, StageAwaitingSMEV)
	case s.status.Phone.AttemptsLeft == 0:
		s.finish(ctx, process.OutcomeRejected, ReasonPhoneNotVerified)
	}
}

// finish records the final outcome once.
func (s *identification) finish(ctx workflow.Context, outcome process.Outcome, reason string) {
	if s.track.Finished() {
		return
	}
	s.status.Stage = StageFinished
	s.track.Finish(ctx, outcome, reason)
}

// initSessionOptions: opening a session sends an SMS and may be billed, and
// the provider has no idempotency key, so retries are few and only for
// errors that may pass (network, 5xx, 429).
func initSessionOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 4,
			NonRetryableErrorTypes: process.FinalErrorTypes,
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
			NonRetryableErrorTypes: process.FinalErrorTypes,
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
			NonRetryableErrorTypes: process.FinalErrorTypes,
		},
	})
}

// pollOptions: one activity polls SMEV until it answers or the limit passes.
// The attempt bound is explicit (no poll comes sooner than the initial
// interval, so there are never more than limit/initial polls); the limit
// itself is what ends the poll.
func (s *identification) pollOptions(ctx workflow.Context, limit time.Time) workflow.Context {
	remaining := limit.Sub(workflow.Now(ctx))
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: remaining,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: s.in.PersonCheckPollInitial, BackoffCoefficient: 2, MaximumInterval: s.in.PersonCheckPollMax,
			MaximumAttempts:        int32(remaining/s.in.PersonCheckPollInitial) + 2,
			NonRetryableErrorTypes: process.FinalErrorTypes,
		},
	})
}

// singleCheckOptions: the last look at SMEV, at the limit.
func singleCheckOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{NonRetryableErrorTypes: process.FinalErrorTypes},
	})
}
