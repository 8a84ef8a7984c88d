package fnsscenarios

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// maxPushText bounds a push's title and message (an app notification).
const maxPushText = 1000

// FNSPush sends one push notification to a consumer's app, retried until
// FNS takes it. FNS documents no answer, so taken is all there is to know.
func FNSPush(ctx workflow.Context, in PushInput) (Status, error) {
	var status Status
	status.Stage, status.ConsumerID, status.FNSWorkflowID = StageSending, in.ConsumerID, in.FNSWorkflowID
	track := process.NewTracker(PushWorkflowType, &status.Status, nil)
	track.SetProofing(func(id string) proofing.Status { return status.ProofingStatus(id) })
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) { return status, nil }); err != nil {
		return status, err
	}
	track.Publish(ctx)
	err := validatePush(in)
	if err == nil {
		actx := process.WithSummary(fnsregistration.CallOptions(ctx), "FNS: push notification")
		err = workflow.ExecuteActivity(actx, PushActivity, in).Get(ctx, nil)
	}
	if err != nil {
		return status, track.Fail(ctx, err)
	}
	status.Stage = StageFinished
	track.Finish(ctx, process.OutcomeAccepted, "")
	return status, nil
}

func validatePush(in PushInput) error {
	var errs validate.FieldErrors
	if in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if strings.TrimSpace(in.ConsumerID) == "" {
		errs.Add("consumerId", "required")
	}
	for _, f := range []struct{ field, text string }{{"title", in.Title}, {"message", in.Message}} {
		switch {
		case strings.TrimSpace(f.text) == "":
			errs.Add(f.field, "required")
		case len([]rune(f.text)) > maxPushText:
			errs.Add(f.field, "too long")
		}
	}
	if in.FNSWorkflowID < 0 {
		errs.Add("fnsWorkflowId", "must be positive")
	}
	return invalidOrNil(errs)
}
