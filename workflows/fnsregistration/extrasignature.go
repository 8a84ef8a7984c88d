package fnsregistration

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// FNSExtraSignature issues an additional signature (scenario 84) to a
// registered consumer and follows its certificate issuance, the same waits
// as a registration's child, to the recorded certificate.
func FNSExtraSignature(ctx workflow.Context, in ExtraSignatureInput) (Status, error) {
	r := &registration{in: Input{RequestID: in.RequestID, AppTimeout: in.AppTimeout, ScanTimeout: in.ScanTimeout,
		PollInitial: in.PollInitial, PollMax: in.PollMax}}
	r.raw, r.in = r.in, withDefaults(r.in)
	r.status.Stage = StageCreating
	r.status.ConsumerID = in.ConsumerID
	r.track = process.NewTracker(ExtraSignatureWorkflowType, &r.status.Status, nil)
	r.track.SetProofing(func(id string) proofing.Status { return r.status.ProofingStatus(id) })
	if err := r.setUpHandlers(ctx); err != nil {
		return r.status, err
	}
	defer r.follower.Drain()
	r.track.Publish(ctx)
	err := r.issueExtraSignature(ctx, in)
	if temporal.IsCanceledError(err) {
		r.removeAtFNS(ctx)
	}
	if err != nil {
		return r.status, r.track.Fail(ctx, err)
	}
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return r.status, nil
}

func (r *registration) issueExtraSignature(ctx workflow.Context, in ExtraSignatureInput) error {
	if err := validateExtraSignature(in, r.raw); err != nil {
		return err
	}
	info := workflow.GetInfo(ctx)
	create := CreateExtraSignatureInput{ConsumerID: in.ConsumerID, EntrepreneurOGRNIP: in.EntrepreneurOGRNIP, LegalEntity: in.LegalEntity,
		ExternalID: process.RunKey(ctx, "fns-extra-signature"), WorkflowID: info.WorkflowExecution.ID}
	var out CreateResult
	actx := process.WithSummary(CallOptions(ctx), "FNS: create the additional signature (scenario 84)")
	if err := workflow.ExecuteActivity(actx, CreateExtraSignatureActivity, create).Get(ctx, &out); err != nil {
		return err
	}
	if out.Refusal != "" {
		r.status.FNSMessage = out.Refusal
		r.finish(ctx, process.OutcomeRejected, ReasonRejectedByFNS)
		return nil
	}
	// The scenario-84 workflow is itself the certificate issuance.
	r.status.FNSWorkflowID, r.status.CertificateWorkflowID = out.FNSWorkflowID, out.FNSWorkflowID
	r.track.SetProviderRef(fmt.Sprint(out.FNSWorkflowID))
	certificate, err := r.follow(ctx, out.FNSWorkflowID, typeCertificateIssuing)
	if err != nil || r.track.Finished() {
		return err
	}
	return r.recordCertificate(ctx, certificate)
}

func validateExtraSignature(in ExtraSignatureInput, waits Input) error {
	var errs validate.FieldErrors
	if in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if strings.TrimSpace(in.ConsumerID) == "" {
		errs.Add("consumerId", "required")
	}
	switch {
	case (in.EntrepreneurOGRNIP == "") == (in.LegalEntity == nil):
		errs.Add("entrepreneurOgrnip", "exactly one of entrepreneurOgrnip and legalEntity required")
	case in.LegalEntity != nil:
		errs.Check("legalEntity.inn", validate.LegalINN(in.LegalEntity.INN))
	default:
		errs.Check("entrepreneurOgrnip", validate.OGRNIP(in.EntrepreneurOGRNIP))
	}
	const day = 24 * time.Hour
	process.CheckDuration(&errs, "appTimeout", waits.AppTimeout, time.Minute, 90*day)
	process.CheckDuration(&errs, "scanTimeout", waits.ScanTimeout, time.Minute, 365*day)
	process.CheckDuration(&errs, "pollInitial", waits.PollInitial, time.Second, 24*time.Hour)
	process.CheckDuration(&errs, "pollMax", waits.PollMax, time.Second, 7*day)
	if len(errs) == 0 {
		return nil
	}
	return process.InvalidInput(errs)
}
