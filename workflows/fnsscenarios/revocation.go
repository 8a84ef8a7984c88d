package fnsscenarios

import (
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// FNSRevocation sends a certificate's revocation application (an XML file
// in the document store) to FNS, retried until FNS takes it; the
// certificate then shows as revoked in consumer search.
func FNSRevocation(ctx workflow.Context, in RevocationInput) (Status, error) {
	var status Status
	status.Stage = StageSending
	track := process.NewTracker(RevocationWorkflowType, &status.Status, nil)
	track.SetProofing(func(id string) proofing.Status { return status.ProofingStatus(id) })
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) { return status, nil }); err != nil {
		return status, err
	}
	track.Publish(ctx)
	var errs validate.FieldErrors
	if in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if in.ApplicationDocumentID == "" {
		errs.Add("applicationDocumentId", "required")
	}
	err := invalidOrNil(errs)
	if err == nil {
		actx := process.WithSummary(fnsregistration.CallOptions(ctx), "FNS: send the revocation application")
		err = workflow.ExecuteActivity(actx, RevokeCertificateActivity, RevokeCertificateInput{ApplicationDocumentID: in.ApplicationDocumentID}).Get(ctx, nil)
	}
	if err != nil {
		return status, track.Fail(ctx, err)
	}
	status.Stage = StageFinished
	track.Finish(ctx, process.OutcomeAccepted, "")
	return status, nil
}
