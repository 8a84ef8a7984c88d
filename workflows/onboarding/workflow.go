package onboarding

import (
	"cmp"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnssigning"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
	"idflow/workflows/simplifiedid"
)

// Onboarding runs one person's proofing: the identification checks side by
// side, then FNS registration, then the signing, each a child workflow
// whose changes the child reports (process.ChildStatusSignal). Every change
// of the proofing status as a whole is recorded in the projection, with a
// version that only grows.
func Onboarding(ctx workflow.Context, in Input) (Status, error) {
	o := &onboarding{in: in}
	o.status.ProofingID = in.ProofingID
	o.status.Stage = StageIdentifying
	o.track = process.NewTracker(WorkflowType, &o.status.Status, nil)
	o.track.SetProofing(func(string) proofing.Status { return o.current })
	o.current = proofing.Pending()
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) { return o.status, nil }); err != nil {
		return o.status, err
	}
	if err := o.checkInput(); err != nil {
		return o.status, o.track.Fail(ctx, err)
	}
	o.reports = workflow.GetSignalChannel(ctx, process.ChildStatusSignal)
	o.revokes = workflow.GetSignalChannel(ctx, RevokeSignal)
	o.record(ctx)
	return o.run(ctx)
}

type onboarding struct {
	in      Input
	status  Status
	track   *process.Tracker
	current proofing.Status // the proofing status as last recorded
	// children, by the index of their Step in status.Steps.
	futures []workflow.ChildWorkflowFuture
	cancels []workflow.CancelFunc
	closed  []bool
	// revoked is set by RevokeSignal after acceptance.
	revoked bool
	// deadlinePassed: no decision before the deadline.
	deadlinePassed bool
	consumerID     string
	reports        workflow.ReceiveChannel
	revokes        workflow.ReceiveChannel
}

func (o *onboarding) checkInput() error {
	var errs validate.FieldErrors
	if o.in.ProofingID == "" {
		errs.Add("proofingId", "required")
	}
	if o.in.DeviceReferenceID == "" {
		errs.Add("deviceReferenceId", "required")
	}
	errs.Merge(o.in.Evidence.Validate())
	process.CheckDuration(&errs, "deadline", o.in.Deadline, time.Minute, 5*365*24*time.Hour)
	process.CheckDuration(&errs, "monitoringPeriod", o.in.MonitoringPeriod, time.Second, 5*365*24*time.Hour)
	if len(errs) > 0 {
		return process.InvalidInput(errs)
	}
	return nil
}

func (o *onboarding) run(ctx workflow.Context) (Status, error) {
	deadline := process.NewTimer(ctx, process.DurationOr(o.in.Deadline, DefaultDeadline), "deadline: a decision on the proofing")
	phases := []struct {
		stage string
		start func(workflow.Context)
	}{
		{StageIdentifying, o.startIdentification},
		{StageRegistering, o.startRegistration},
		{StageSigning, o.startSigning},
	}
	for _, phase := range phases {
		o.track.SetStage(ctx, phase.stage)
		phase.start(ctx)
		if !o.await(ctx, deadline, o.allAccepted) {
			return o.end(ctx)
		}
	}
	o.status.AcceptedAt = workflow.Now(ctx)
	o.track.SetStage(ctx, StageMonitoring)
	o.refresh(ctx)
	period := process.NewTimer(ctx, process.DurationOr(o.in.MonitoringPeriod, DefaultMonitoringPeriod),
		"monitoring: revocations of an accepted proofing")
	o.await(ctx, period, func() bool { return false })
	return o.end(ctx)
}

func (o *onboarding) startIdentification(ctx workflow.Context) {
	if e := o.in.Evidence.SimplifiedIdentification; e != nil {
		o.startChild(ctx, StepSimplifiedID, simplifiedid.WorkflowType, simplifiedid.WorkflowID(o.in.ProofingID),
			simplifiedid.StartSearchAttributes(),
			simplifiedid.Input{RequestID: o.in.ProofingID, PersonDocumentID: e.PersonDocumentID,
				SMSCodeTimeout: e.SMSCodeTimeout, PersonCheckLimit: e.PersonCheckLimit,
				PersonCheckPollInitial: e.PollInitial, PersonCheckPollMax: e.PollMax})
	}
	if e := o.in.Evidence.KYC; e != nil {
		external := e.ExternalUserID
		if external == "" {
			external = o.in.ProofingID
		}
		o.startChild(ctx, StepKYC, kyc.WorkflowType, kyc.WorkflowID(external), kyc.StartSearchAttributes(), kyc.Input{
			ExternalUserID: external, LevelName: e.LevelName,
			Applicant: kyc.ApplicantRef{InfoDocumentID: e.ApplicantInfoDocumentID}, Documents: e.Documents,
			ReviewDeadline: e.ReviewDeadline, ResubmitTimeout: e.ResubmitTimeout, MaxAttempts: e.MaxAttempts,
			MonitoringPeriod: o.in.MonitoringPeriod})
	}
}

func (o *onboarding) startRegistration(ctx workflow.Context) {
	e := o.in.Evidence.FNSRegistration
	o.startChild(ctx, StepFNSRegistration, fnsregistration.WorkflowType, fnsregistration.WorkflowID(o.in.ProofingID),
		fnsregistration.StartSearchAttributes(),
		fnsregistration.Input{RequestID: o.in.ProofingID, RegistrationDocumentID: e.RegistrationDocumentID,
			AppTimeout: e.AppTimeout, AgentTimeout: e.AgentTimeout, ScanTimeout: e.ScanTimeout,
			PollInitial: e.PollInitial, PollMax: e.PollMax})
}

func (o *onboarding) startSigning(ctx workflow.Context) {
	e := o.in.Evidence.Signing
	if e == nil {
		return
	}
	o.startChild(ctx, StepSigning, fnssigning.WorkflowType, fnssigning.WorkflowID(o.in.ProofingID),
		fnssigning.StartSearchAttributes(),
		fnssigning.Input{RequestID: o.in.ProofingID, ConsumerID: o.consumerID, DocumentIDs: e.DocumentIDs,
			SignTimeout: e.SignTimeout, PollInitial: e.PollInitial, PollMax: e.PollMax})
}

// startChild starts one step. Its context is its own, so that the
// onboarding can cancel one child (a rejection elsewhere) and wait for its
// compensation; a cancelled onboarding cancels them all. attrs are the
// child's search attributes at start (its StartSearchAttributes).
func (o *onboarding) startChild(ctx workflow.Context, name, workflowType, workflowID string, attrs temporal.SearchAttributes, input any) {
	cctx, cancel := workflow.WithCancel(ctx)
	cctx = workflow.WithChildOptions(cctx, workflow.ChildWorkflowOptions{
		WorkflowID:            workflowID,
		WaitForCancellation:   true,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		StaticSummary:         name + " of proofing " + o.in.ProofingID,
		TypedSearchAttributes: attrs,
	})
	o.status.Steps = append(o.status.Steps, Step{Name: name, WorkflowID: workflowID,
		Outcome: process.OutcomePending, Proofing: proofing.Pending()})
	o.futures = append(o.futures, workflow.ExecuteChildWorkflow(cctx, workflowType, input))
	o.cancels = append(o.cancels, cancel)
	o.closed = append(o.closed, false)
}

// await handles child reports and closes, revocations, the timer and a
// cancellation until done holds (true) or the proofing reaches a final
// status (false). The timer firing ends the wait: before acceptance the
// proofing then expires; after it, monitoring is over.
func (o *onboarding) await(ctx workflow.Context, timer workflow.Future, done func() bool) bool {
	timerFired := false
	for {
		if ctx.Err() != nil {
			return false
		}
		if timerFired && o.status.AcceptedAt.IsZero() {
			o.deadlinePassed = true
		}
		o.refresh(ctx)
		if !o.current.Open() && o.current.Key() != proofing.KeyAccepted || timerFired {
			return false
		}
		if done() {
			return true
		}
		sel := workflow.NewSelector(ctx)
		for i, f := range o.futures {
			if !o.closed[i] {
				sel.AddFuture(f, func(workflow.Future) { o.childClosed(ctx, i) })
			}
		}
		sel.AddReceive(o.reports, func(c workflow.ReceiveChannel, _ bool) {
			var r process.ChildReport
			c.Receive(ctx, &r)
			o.applyReport(r)
		})
		sel.AddReceive(o.revokes, func(c workflow.ReceiveChannel, _ bool) {
			var r RevokeRequest
			c.Receive(ctx, &r)
			o.applyRevoke(ctx, r)
		})
		sel.AddFuture(timer, func(workflow.Future) { timerFired = true })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
	}
}

// childClosed takes a child's result: the status it ended with, or its
// failure. A result is the truth, whatever reports came before it.
func (o *onboarding) childClosed(ctx workflow.Context, i int) {
	o.closed[i] = true
	step := &o.status.Steps[i]
	var result fnsregistration.Status // holds every process's core, and the registration's consumer and certificate
	err := o.futures[i].Get(ctx, &result)
	switch {
	case temporal.IsCanceledError(err):
		step.Outcome, step.Reason, step.Proofing = process.OutcomeCanceled, "canceled", proofing.Canceled()
	case err != nil:
		step.Outcome, step.Reason, step.Proofing = process.OutcomeFailed, process.ErrorType(err), proofing.Expired()
	default:
		o.applyStatus(step, result.Status)
		if step.Name == StepFNSRegistration {
			o.consumerID = result.ConsumerID
			if result.Certificate != nil {
				o.status.CertificateSerial = result.Certificate.Serial
			}
		}
	}
}

func (o *onboarding) applyReport(r process.ChildReport) {
	for i := range o.status.Steps {
		if o.status.Steps[i].WorkflowID == r.WorkflowID && !o.closed[i] {
			o.applyStatus(&o.status.Steps[i], r.Status)
		}
	}
}

func (o *onboarding) applyStatus(step *Step, s process.Status) {
	step.Outcome, step.Reason, step.Stage = s.Outcome, s.Reason, s.Stage
	step.Proofing = s.Proofing
	if step.Proofing.IsZero() {
		step.Proofing = process.ProofingOf(s, step.WorkflowID)
	}
}

// applyRevoke takes a revocation from outside (a certificate revoked at
// FNS); it counts only once the proofing was accepted, and only for the
// onboarding's own certificate when a serial is named.
func (o *onboarding) applyRevoke(ctx workflow.Context, r RevokeRequest) {
	if o.status.AcceptedAt.IsZero() ||
		r.CertificateSerial != "" && r.CertificateSerial != o.status.CertificateSerial {
		workflow.GetLogger(ctx).Warn("revocation ignored", "Reason", r.Reason, "Accepted", !o.status.AcceptedAt.IsZero())
		return
	}
	o.revoked = true
	if r.Reason != "" {
		o.status.Reason = r.Reason
	}
}

// allAccepted reports whether every step started so far has passed.
func (o *onboarding) allAccepted() bool {
	for _, s := range o.status.Steps {
		if s.Proofing.Key() != proofing.KeyAccepted {
			return false
		}
	}
	return true
}

// refresh recomputes the proofing status as a whole and, when it changed,
// records it under the next version.
func (o *onboarding) refresh(ctx workflow.Context) {
	next := o.whole()
	if next.Equal(o.current) {
		return
	}
	o.current = next
	o.status.Outcome, o.status.Reason = outcomeOf(next), o.reasonOf(next)
	o.record(ctx)
}

// whole is the proofing status of the onboarding as a whole: a final
// status of any step decides (a rejection carries every rejected step's
// reasons); a revocation after acceptance revokes; otherwise accepted once
// every step passed in the last phase, the first step's challenge while one
// waits for the person, or pending.
func (o *onboarding) whole() proofing.Status {
	var rejections []proofing.Rejection
	for _, s := range o.status.Steps {
		if r := s.Proofing.Rejected; r != nil {
			rejections = append(rejections, r.PrimaryRejection)
			rejections = append(rejections, r.AdditionalRejections...)
		}
	}
	accepted := !o.status.AcceptedAt.IsZero()
	switch {
	case accepted && (o.revoked || o.stepWith(proofing.KeyRevoked) != nil):
		return proofing.Revoked()
	case accepted:
		return proofing.Accepted()
	case len(rejections) > 0:
		return proofing.Reject(rejections[0], rejections[1:]...)
	case o.stepWith(proofing.KeyCanceled) != nil:
		return proofing.Canceled()
	case o.deadlinePassed || o.stepWith(proofing.KeyExpired) != nil:
		return proofing.Expired()
	case o.stepWith(proofing.KeyRevoked) != nil: // a revocation before the whole passed is a rejection of the step
		return proofing.Reject(proofing.RecordInvalidBecause("a step's approval was revoked").
			Described("revoked before the onboarding completed", process.RejectionID(o.in.ProofingID, "revoked")))
	case o.stepWith(proofing.KeyChallenged) != nil:
		return o.stepWith(proofing.KeyChallenged).Proofing
	}
	return proofing.Pending()
}

func (o *onboarding) stepWith(key string) *Step {
	for i := range o.status.Steps {
		if o.status.Steps[i].Proofing.Key() == key {
			return &o.status.Steps[i]
		}
	}
	return nil
}

// reasonOf names the step that decided a final status.
func (o *onboarding) reasonOf(s proofing.Status) string {
	switch s.Key() {
	case proofing.KeyPending, proofing.KeyAccepted:
		return ""
	case proofing.KeyExpired:
		if o.deadlinePassed {
			return ReasonDeadline
		}
	case proofing.KeyRevoked:
		if o.revoked {
			return o.status.Reason
		}
	}
	if step := o.stepWith(s.Key()); step != nil {
		return step.Name + ": " + cmp.Or(step.Reason, step.Stage)
	}
	return o.status.Reason
}

func outcomeOf(s proofing.Status) process.Outcome { return process.Outcome(s.Key()) }

// record writes the current proofing status to the projection under the
// next version and publishes it. It runs on a cancelled context too.
func (o *onboarding) record(ctx workflow.Context) {
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	o.status.Version++
	o.track.Publish(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
		Summary:             "projection: " + o.current.Key(),
	})
	err := workflow.ExecuteActivity(actx, RecordProofingActivity, RecordProofingInput{
		ProofingID: o.in.ProofingID, DeviceReferenceID: o.in.DeviceReferenceID,
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Version: o.status.Version, Status: o.current,
	}).Get(ctx, nil)
	if err != nil { // retried without limit: only a cancellation of the activity ends it
		workflow.GetLogger(ctx).Error("proofing status not recorded", "Version", o.status.Version, "Error", err)
	}
}

// end stops what still runs (a rejection elsewhere, a cancellation, the
// end of monitoring), waits for each child's compensation, records the
// final status and returns it.
func (o *onboarding) end(ctx workflow.Context) (Status, error) {
	canceled := ctx.Err() != nil
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	for i := range o.futures {
		if !o.closed[i] {
			o.cancels[i]()
			o.childClosed(dctx, i)
			o.compensated(i)
		}
	}
	o.status.Stage = StageFinished
	switch {
	case canceled && o.status.AcceptedAt.IsZero():
		o.noteCompletedSigning()
		o.current = proofing.Canceled()
		o.record(dctx)
		o.track.Finish(dctx, process.OutcomeCanceled, "canceled")
		return o.status, ctx.Err()
	case canceled: // monitoring stopped: the decision stands
		o.track.Publish(dctx)
		return o.status, ctx.Err()
	case o.current.Open(): // a step ended without a final status of its own
		o.current = proofing.Expired()
		o.record(dctx)
	}
	o.track.Finish(dctx, outcomeOf(o.current), o.status.Reason)
	return o.status, nil
}

// noteCompletedSigning reports a signing FNS completed before the
// cancellation reached it: it cannot be removed, so it is not hidden.
func (o *onboarding) noteCompletedSigning() {
	for _, s := range o.status.Steps {
		if s.Name == StepSigning && s.Outcome == process.OutcomeAccepted {
			o.status.Compensation = append(o.status.Compensation,
				"signing: the documents were signed before the cancellation and stay signed (FNS cannot remove a completed signing)")
		}
	}
}

// compensated notes what cancelling step i undid.
func (o *onboarding) compensated(i int) {
	step := o.status.Steps[i]
	if step.Outcome != process.OutcomeCanceled {
		return // it ended by itself before the cancellation reached it
	}
	note := step.Name + ": cancelled (" + string(step.Outcome) + ")"
	if step.Name == StepFNSRegistration || step.Name == StepSigning {
		note += "; its open FNS workflows removed at FNS"
	}
	o.status.Compensation = append(o.status.Compensation, note)
}
