package fnsscenarios

import (
	"fmt"
	"net/url"
	"time"

	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

// FNS states of an external activity (scenario 102).
const (
	stateProcessing   = "processing-external-activity"
	stateAwaitReview  = "wait-external-review"
	stateCompletingEA = "complete-external-activity"
)

// FNSExternalActivity opens a web page inside the person's app (scenario
// 102) and waits for the external system's word (ActivityDoneUpdate) that
// the person finished, then ends the activity at FNS
// (complete_external_activity) and follows it to complete.
func FNSExternalActivity(ctx workflow.Context, in ExternalActivityInput) (Status, error) {
	s := newScenario(ctx, ExternalActivityWorkflowType, in.ConsumerID, process.DurationOr(in.Timeout, DefaultActivityTimeout), in.PollInitial, in.PollMax)
	ea := &externalActivity{scenario: s}
	if err := s.setUpQuery(ctx); err != nil {
		return s.status, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ActivityDoneUpdate, ea.done,
		workflow.UpdateHandlerOptions{Validator: ea.validateDone}); err != nil {
		return s.status, err
	}
	return s.run(ctx, func(ctx workflow.Context) error {
		if err := validateExternalActivity(in); err != nil {
			return err
		}
		create := CreateExternalActivityInput{ConsumerID: in.ConsumerID, URL: in.URL, Headers: in.Headers,
			ExternalID: process.RunKey(ctx, "fns-external-activity"), WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID}
		if ok, err := s.create(ctx, CreateExternalActivityActivity, "FNS: open the external activity (scenario 102)", create); !ok {
			return err
		}
		return s.follow(ctx, ea.waiting, ReasonActivityTimeout)
	})
}

type externalActivity struct {
	*scenario
	busy, completed bool
}

// waiting tells what each open state waits for.
func (ea *externalActivity) waiting(state string) (process.Wait, string) {
	switch {
	case ea.completed || state == stateCompletingEA:
		return process.Wait{For: "FNS to complete the external activity", From: process.FromProvider}, StageCompleting
	case state == stateAwaitReview:
		return process.Wait{For: "the external system's review, then " + ActivityDoneUpdate, From: process.FromOperator}, StageAwaitingReview
	default:
		return process.Wait{For: "the person to finish on the page (" + ActivityDoneUpdate + " update)", From: process.FromPerson}, StageAwaitingPerson
	}
}

func (ea *externalActivity) validateDone(_ workflow.Context, _ ActivityDoneRequest) error {
	stage := ea.status.Stage
	if ea.busy || ea.completed || (stage != StageAwaitingPerson && stage != StageAwaitingReview) {
		return fmt.Errorf("no external activity awaited (stage %s)", stage)
	}
	return nil
}

func (ea *externalActivity) done(ctx workflow.Context, req ActivityDoneRequest) (fnsregistration.StepResult, error) {
	ea.busy = true
	defer func() { ea.busy = false }()
	workflow.GetLogger(ctx).Info("external activity reported done", "By", req.By)
	var out fnsregistration.StepResult
	actx := process.WithSummary(fnsregistration.CallOptions(ctx), "FNS: complete_external_activity")
	in := CompleteExternalActivityInput{FNSWorkflowID: ea.status.FNSWorkflowID}
	if err := workflow.ExecuteActivity(actx, CompleteExternalActivityActivity, in).Get(ctx, &out); err != nil {
		return out, err
	}
	ea.completed = true
	ea.follower.Changed()
	return out, nil
}

func validateExternalActivity(in ExternalActivityInput) error {
	var errs validate.FieldErrors
	checkCommon(&errs, in.RequestID, in.ConsumerID, in.Timeout, in.PollInitial, in.PollMax, 90*24*time.Hour)
	if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs.Add("url", "must be an absolute http(s) URL")
	}
	// Header names are checked by the client before the create (a map
	// is not ranged over in workflow code).
	return invalidOrNil(errs)
}
