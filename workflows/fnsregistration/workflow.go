package fnsregistration

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

// FNS workflow types and states this process follows (document L2698–2770).
const (
	typeIdentification     = "identification"
	typeCertificateIssuing = "certificate-issuing"

	stateWaitPKCS10         = "wait-pkcs10"
	stateWaitSecretKey      = "wait-secret-key"
	stateWaitIdentification = "wait-consumer-identification"
	stateCertificateIssue   = "certificate-issue"
	stateWaitScanUpload     = "wait-scan-upload"
	stateComplete           = "complete"
	stateRejected           = "rejected"
	stateError              = "error"
)

// consumerBlocked and consumerTemporarily are the consumer states that
// refuse a registration (consumer search, document L1597–2218).
const (
	consumerBlocked     = "blocked"
	consumerTemporarily = "temporarily"
	consumerIdentified  = "identified"
)

// smevReasons map FNS's texts for a failed SMEV check to reasons (L2907–2950).
var smevReasons = []struct{ text, reason string }{
	{"Валидация ФИО-СНИЛС", ReasonNameSNILS},
	{"Валидация ФИО-ИНН", ReasonNameINN},
	{"Проверка действительности паспорта", ReasonPassportInvalid},
}

// FNSRegistration registers one person at FNS and follows the registration
// to an issued certificate.
func FNSRegistration(ctx workflow.Context, in Input) (Status, error) {
	r := &registration{in: withDefaults(in), raw: in}
	r.status.Stage = StageChecking
	r.track = process.NewTracker(WorkflowType, &r.status.Status, nil)
	r.track.SetProofing(func(id string) proofing.Status { return r.status.ProofingStatus(id) })
	return r.run(ctx)
}

type registration struct {
	in, raw  Input
	status   Status
	track    *process.Tracker
	follower *Follower
	// busy is set while an update handler runs a step, so a second one waits.
	busy bool
}

func withDefaults(in Input) Input {
	in.AppTimeout = process.DurationOr(in.AppTimeout, DefaultAppTimeout)
	in.AgentTimeout = process.DurationOr(in.AgentTimeout, DefaultAgentTimeout)
	in.ScanTimeout = process.DurationOr(in.ScanTimeout, DefaultScanTimeout)
	in.PollInitial = process.DurationOr(in.PollInitial, DefaultPollInitial)
	in.PollMax = process.DurationOr(in.PollMax, DefaultPollMax)
	return in
}

func (r *registration) run(ctx workflow.Context) (Status, error) {
	if err := r.setUpHandlers(ctx); err != nil {
		return r.status, err
	}
	defer r.follower.Drain()
	r.track.Publish(ctx)
	err := r.register(ctx)
	if temporal.IsCanceledError(err) {
		r.removeAtFNS(ctx)
	}
	if err != nil {
		return r.status, r.track.Fail(ctx, err)
	}
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return r.status, nil
}

// register is the process, top-down as the document describes it.
func (r *registration) register(ctx workflow.Context) error {
	if err := r.validateInput(); err != nil {
		return err
	}
	done, err := r.checkConsumer(ctx)
	if err != nil || done {
		return err
	}
	if err := r.create(ctx); err != nil || r.track.Finished() {
		return err
	}
	identification, err := r.follow(ctx, r.status.FNSWorkflowID, typeIdentification)
	if err != nil || r.track.Finished() {
		return err
	}
	r.status.CertificateWorkflowID = identification.Children[0]
	certificate, err := r.follow(ctx, r.status.CertificateWorkflowID, typeCertificateIssuing)
	if err != nil || r.track.Finished() {
		return err
	}
	return r.recordCertificate(ctx, certificate)
}

func (r *registration) setUpHandlers(ctx workflow.Context) error {
	r.follower = NewFollower(ctx, r.in.PollInitial, r.in.PollMax, &r.status.Callbacks)
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) { return r.status, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, AgentIdentifyUpdate, r.agentIdentify,
		workflow.UpdateHandlerOptions{Validator: r.validateAgentIdentify}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UploadScansUpdate, r.uploadScans,
		workflow.UpdateHandlerOptions{Validator: r.validateUploadScans})
}

func (r *registration) validateInput() error {
	var errs validate.FieldErrors
	if r.in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if r.in.RegistrationDocumentID == "" {
		errs.Add("registrationDocumentId", "required")
	}
	const day = 24 * time.Hour
	process.CheckDuration(&errs, "appTimeout", r.raw.AppTimeout, time.Minute, 90*day)
	process.CheckDuration(&errs, "agentTimeout", r.raw.AgentTimeout, time.Minute, 365*day)
	process.CheckDuration(&errs, "scanTimeout", r.raw.ScanTimeout, time.Minute, 365*day)
	process.CheckDuration(&errs, "pollInitial", r.raw.PollInitial, time.Second, 24*time.Hour)
	process.CheckDuration(&errs, "pollMax", r.raw.PollMax, time.Second, 7*day)
	if r.in.PollInitial > r.in.PollMax {
		errs.Add("pollInitial", "must not exceed pollMax")
	}
	if len(errs) == 0 {
		return nil
	}
	return process.InvalidInput(errs)
}

// checkConsumer looks the person up at FNS first: a blocked consumer cannot
// register, and one who holds a confirmed КЭП needs no registration. It
// reports whether the process is decided.
func (r *registration) checkConsumer(ctx workflow.Context) (bool, error) {
	var out CheckConsumerResult
	actx := process.WithSummary(CallOptions(ctx), "FNS: look the consumer up (consumer search)")
	if err := workflow.ExecuteActivity(actx, CheckConsumerActivity, CheckConsumerInput{RegistrationDocumentID: r.in.RegistrationDocumentID}).Get(ctx, &out); err != nil {
		return false, err
	}
	r.status.ConsumerID = out.ConsumerID
	switch {
	case out.State == consumerBlocked || out.State == consumerTemporarily:
		r.finish(ctx, process.OutcomeRejected, ReasonConsumerBlocked)
		return true, nil
	case out.State == consumerIdentified && out.SignConfirmed:
		r.finish(ctx, process.OutcomeAccepted, ReasonAlreadyIdentified)
		return true, nil
	}
	return false, nil
}

// create makes the scenario-80 workflow at FNS. The external id derives
// from this run, so a retried (or repeated) create finds the workflow FNS
// already made instead of registering the person twice.
func (r *registration) create(ctx workflow.Context) error {
	r.track.SetStage(ctx, StageCreating)
	info := workflow.GetInfo(ctx)
	in := CreateRegistrationInput{RegistrationDocumentID: r.in.RegistrationDocumentID, WorkflowID: info.WorkflowExecution.ID,
		ExternalID: process.RunKey(ctx, "fns-registration")}
	var out CreateRegistrationResult
	actx := process.WithSummary(CallOptions(ctx), "FNS: create the registration (scenario 80)")
	if err := workflow.ExecuteActivity(actx, CreateRegistrationActivity, in).Get(ctx, &out); err != nil {
		return err
	}
	if out.Blocked {
		r.finish(ctx, process.OutcomeRejected, ReasonConsumerBlocked)
		return nil
	}
	r.status.FNSWorkflowID = out.FNSWorkflowID
	r.track.SetProviderRef(fmt.Sprint(out.FNSWorkflowID))
	workflow.GetLogger(ctx).Info("FNS registration created", "FNSWorkflowID", out.FNSWorkflowID)
	return nil
}

// follow follows one FNS workflow of the registration until it is done.
func (r *registration) follow(ctx workflow.Context, fnsID int64, kind string) (FNSWorkflow, error) {
	return r.follower.Follow(ctx, fnsID, func(wf FNSWorkflow) (process.Wait, bool) {
		wait, done := r.onState(ctx, kind, wf)
		return wait, done || r.track.Finished()
	}, func(state string) { r.expire(ctx, state) })
}

// onState shows what a state waits for and reports whether the followed
// workflow is done; a final rejection or error finishes the process.
func (r *registration) onState(ctx workflow.Context, kind string, wf FNSWorkflow) (process.Wait, bool) {
	r.status.FNSState = wf.State
	if wf.ConsumerID != "" {
		r.status.ConsumerID = wf.ConsumerID // who signs with the certificate later (DocumentSigning)
	}
	wait := process.Wait{For: "FNS: " + kind + " " + wf.State, From: process.FromProvider}
	stage := StageFNSChecks
	switch {
	case wf.State == stateRejected:
		r.status.FNSMessage = wf.ErrorMessage
		r.finish(ctx, process.OutcomeRejected, rejectionReason(wf.ErrorMessage))
		return wait, true
	case wf.State == stateError:
		r.status.FNSMessage = wf.ErrorMessage
		r.status.Error = "FNS workflow ended in error: " + wf.ErrorMessage
		r.finish(ctx, process.OutcomeFailed, "FNSError")
		return wait, true
	case wf.State == stateComplete && kind == typeCertificateIssuing:
		return wait, true
	case wf.State == stateComplete && len(wf.Children) > 0:
		return wait, true
	case wf.State == stateComplete:
		wait.For, stage = "FNS: the certificate issuance to start", StageIssuing
	case wf.State == stateWaitPKCS10 || wf.State == stateWaitSecretKey:
		wait = process.Wait{For: "the person to install the app and send the certificate request (" + wf.State + ")",
			From: process.FromPerson, Until: r.follower.StateSince().Add(r.in.AppTimeout)}
		stage = StageAwaitingApp
	case wf.State == stateWaitIdentification:
		wait = process.Wait{For: "in-person identification (agent-identify update)", From: process.FromAgent,
			Until: r.follower.StateSince().Add(r.in.AgentTimeout)}
		stage = StageAwaitingAgent
	case wf.State == stateWaitScanUpload && kind == typeCertificateIssuing:
		wait = process.Wait{For: "the signed certificate form and the photo (upload-certificate-scans update)", From: process.FromAgent,
			Until: r.follower.StateSince().Add(r.in.ScanTimeout)}
		stage = StageAwaitingScans
	case wf.State == stateCertificateIssue || kind == typeCertificateIssuing:
		stage = StageIssuing
	}
	r.track.Await(ctx, wait)
	if r.status.Stage != stage {
		r.track.SetStage(ctx, stage)
	}
	return wait, false
}

// rejectionReason names FNS's rejection: one of the SMEV checks, or FNS's own.
func rejectionReason(message string) string {
	for _, s := range smevReasons {
		if strings.Contains(message, s.text) {
			return s.reason
		}
	}
	if strings.Contains(message, "заблокирован") {
		return ReasonConsumerBlocked
	}
	return ReasonRejectedByFNS
}

// expire ends the process when the person or the agent did not act in time.
func (r *registration) expire(ctx workflow.Context, state string) {
	reason := ReasonAppTimeout
	switch state {
	case stateWaitIdentification:
		reason = ReasonAgentTimeout
	case stateWaitScanUpload:
		reason = ReasonScanTimeout
	}
	r.finish(ctx, process.OutcomeExpired, reason)
}

// validateAgentIdentify refuses, before history, an identification nobody
// waits for or one without an agent or passport scans.
func (r *registration) validateAgentIdentify(_ workflow.Context, req AgentIdentifyRequest) error {
	if r.status.Stage != StageAwaitingAgent || r.busy {
		return fmt.Errorf("no identification awaited (stage %s)", r.status.Stage)
	}
	var errs validate.FieldErrors
	if strings.TrimSpace(req.AgentID) == "" {
		errs.Add("agentId", "required")
	}
	if req.IdentificationPoint < 0 {
		errs.Add("identificationPoint", "must be positive")
	}
	checkDocumentIDs(&errs, "passportScanDocumentIds", req.PassportScanDocumentIDs)
	return errs.Err()
}

func (r *registration) agentIdentify(ctx workflow.Context, req AgentIdentifyRequest) (StepResult, error) {
	r.busy = true
	defer func() { r.busy = false }()
	in := AgentIdentifyInput{FNSWorkflowID: r.status.FNSWorkflowID, RegistrationDocumentID: r.in.RegistrationDocumentID, Request: req}
	var out StepResult
	actx := process.WithSummary(StepCallOptions(ctx), "FNS: identification by agent "+req.AgentID+" (search, passport scans, identify)")
	if err := workflow.ExecuteActivity(actx, AgentIdentifyActivity, in).Get(ctx, &out); err != nil {
		return StepResult{}, err
	}
	r.follower.Changed()
	return out, nil
}

func (r *registration) validateUploadScans(_ workflow.Context, req UploadScansRequest) error {
	if r.status.Stage != StageAwaitingScans || r.busy {
		return fmt.Errorf("no scans awaited (stage %s)", r.status.Stage)
	}
	var errs validate.FieldErrors
	checkDocumentIDs(&errs, "scanDocumentIds", req.ScanDocumentIDs)
	return errs.Err()
}

func (r *registration) uploadScans(ctx workflow.Context, req UploadScansRequest) (StepResult, error) {
	r.busy = true
	defer func() { r.busy = false }()
	in := UploadScansInput{FNSWorkflowID: r.status.CertificateWorkflowID, Request: req}
	var out StepResult
	actx := process.WithSummary(StepCallOptions(ctx), fmt.Sprintf("FNS: upload %d scan(s) and confirm them", len(req.ScanDocumentIDs)))
	if err := workflow.ExecuteActivity(actx, UploadScansActivity, in).Get(ctx, &out); err != nil {
		return StepResult{}, err
	}
	r.follower.Changed()
	return out, nil
}

// maxScans bounds the documents of one step (FNS asks for a few).
const maxScans = 10

func checkDocumentIDs(errs *validate.FieldErrors, field string, ids []string) {
	switch {
	case len(ids) == 0:
		errs.Add(field, "at least one document id required")
	case len(ids) > maxScans:
		errs.Add(field, fmt.Sprintf("at most %d documents", maxScans))
	case slices.Contains(ids, ""):
		errs.Add(field, "empty document id")
	}
}

// recordCertificate keeps the issued КЭП (in the document store) and its
// serial and validity (in the status), then accepts.
func (r *registration) recordCertificate(ctx workflow.Context, wf FNSWorkflow) error {
	r.track.SetStage(ctx, StageRecordingResults)
	var cert Certificate
	actx := process.WithSummary(CallOptions(ctx), "FNS: fetch the issued certificate into the document store")
	in := RecordCertificateInput{FNSWorkflowID: wf.ID, Owner: workflow.GetInfo(ctx).WorkflowExecution.ID}
	if err := workflow.ExecuteActivity(actx, RecordCertificateActivity, in).Get(ctx, &cert); err != nil {
		return err
	}
	r.status.Certificate = &cert
	r.finish(ctx, process.OutcomeAccepted, "")
	return nil
}

// removeAtFNS removes the registration's FNS workflows after a cancellation,
// where FNS allows it.
func (r *registration) removeAtFNS(ctx workflow.Context) {
	if msg := RemoveAtFNS(ctx, "FNS: remove the cancelled registration's workflows", r.status.FNSWorkflowID, r.status.CertificateWorkflowID); msg != "" {
		r.status.FNSMessage = msg
	}
}

func (r *registration) finish(ctx workflow.Context, outcome process.Outcome, reason string) {
	if r.track.Finished() {
		return
	}
	r.status.Stage = StageFinished
	r.track.Finish(ctx, outcome, reason)
}
