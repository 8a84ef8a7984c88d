package fnsscenarios

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/process"
)

// FNSPause shows the person «Ожидайте поступления документов» (scenario
// 134) until the next scenario starts for them, which completes the pause
// at FNS; a pause nobody follows up expires and is removed.
func FNSPause(ctx workflow.Context, in PauseInput) (Status, error) {
	s := newScenario(ctx, PauseWorkflowType, in.ConsumerID, process.DurationOr(in.Timeout, DefaultPauseTimeout), in.PollInitial, in.PollMax)
	if err := s.setUpQuery(ctx); err != nil {
		return s.status, err
	}
	return s.run(ctx, func(ctx workflow.Context) error {
		var errs validate.FieldErrors
		checkCommon(&errs, in.RequestID, in.ConsumerID, in.Timeout, in.PollInitial, in.PollMax, 365*24*time.Hour)
		if err := invalidOrNil(errs); err != nil {
			return err
		}
		create := CreatePauseInput{ConsumerID: in.ConsumerID, ExternalID: process.RunKey(ctx, "fns-pause"),
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID}
		if ok, err := s.create(ctx, CreatePauseActivity, "FNS: start the pause (scenario 134)", create); !ok {
			return err
		}
		return s.follow(ctx, func(state string) (process.Wait, string) {
			return process.Wait{For: "the next scenario for this consumer (FNS: blank " + state + ")", From: process.FromOperator}, StagePaused
		}, ReasonPauseTimeout)
	})
}
