package fnsscenarios

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// FNS states the scenarios end in (document L2698–2770).
const (
	stateComplete = "complete"
	stateRejected = "rejected"
	stateError    = "error"
)

// scenario is what the pause and the external activity share: one FNS
// workflow created for a consumer and followed to a final state.
type scenario struct {
	status   Status
	track    *process.Tracker
	follower *fnsregistration.Follower
	timeout  time.Duration
}

func newScenario(ctx workflow.Context, workflowType, consumerID string, timeout, pollInitial, pollMax time.Duration) *scenario {
	s := &scenario{timeout: timeout}
	s.status.Stage, s.status.ConsumerID = StageCreating, consumerID
	s.track = process.NewTracker(workflowType, &s.status.Status, nil)
	s.track.SetProofing(func(id string) proofing.Status { return s.status.ProofingStatus(id) })
	s.follower = fnsregistration.NewFollower(ctx, process.DurationOr(pollInitial, DefaultPollInitial),
		process.DurationOr(pollMax, DefaultPollMax), &s.status.Callbacks)
	return s
}

func (s *scenario) setUpQuery(ctx workflow.Context) error {
	return workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) { return s.status, nil })
}

// run publishes the status, runs the process and ends it: a cancellation
// removes the FNS workflow, an error fails the process with its cause.
func (s *scenario) run(ctx workflow.Context, steps func(workflow.Context) error) (Status, error) {
	defer s.follower.Drain()
	s.track.Publish(ctx)
	err := steps(ctx)
	if temporal.IsCanceledError(err) {
		s.removeAtFNS(ctx)
	}
	if err != nil {
		return s.status, s.track.Fail(ctx, err)
	}
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return s.status, nil
}

// create runs a create activity; FNS's refusal rejects the process.
func (s *scenario) create(ctx workflow.Context, activity, summary string, in any) (bool, error) {
	var out CreateResult
	if err := workflow.ExecuteActivity(process.WithSummary(fnsregistration.CallOptions(ctx), summary), activity, in).Get(ctx, &out); err != nil {
		return false, err
	}
	if out.Refusal != "" {
		s.status.FNSMessage = out.Refusal
		s.finish(ctx, process.OutcomeRejected, ReasonRejectedByFNS)
		return false, nil
	}
	s.status.FNSWorkflowID = out.FNSWorkflowID
	s.track.SetProviderRef(fmt.Sprint(out.FNSWorkflowID))
	return true, nil
}

// follow follows the FNS workflow; waiting tells what a non-final state
// waits for, and a wait past the timeout expires the process.
func (s *scenario) follow(ctx workflow.Context, waiting func(state string) (process.Wait, string), expiredReason string) error {
	_, err := s.follower.Follow(ctx, s.status.FNSWorkflowID, func(wf FNSWorkflow) (process.Wait, bool) {
		s.status.FNSState = wf.State
		switch wf.State {
		case stateComplete:
			s.finish(ctx, process.OutcomeAccepted, "")
		case stateRejected:
			s.status.FNSMessage = wf.ErrorMessage
			s.finish(ctx, process.OutcomeRejected, ReasonRejectedByFNS)
		case stateError:
			s.status.FNSMessage = wf.ErrorMessage
			s.status.Error = "FNS workflow ended in error: " + wf.ErrorMessage
			s.finish(ctx, process.OutcomeFailed, "FNSError")
		default:
			wait, stage := waiting(wf.State)
			wait.Until = s.follower.StateSince().Add(s.timeout)
			s.track.Await(ctx, wait)
			if s.status.Stage != stage {
				s.track.SetStage(ctx, stage)
			}
			return wait, false
		}
		return process.Wait{}, true
	}, func(string) {
		s.removeAtFNS(ctx)
		s.finish(ctx, process.OutcomeExpired, expiredReason)
	})
	return err
}

// removeAtFNS removes the FNS workflow nobody will finish (a cancelled or
// expired process).
func (s *scenario) removeAtFNS(ctx workflow.Context) {
	if msg := fnsregistration.RemoveAtFNS(ctx, "FNS: remove the unfinished workflow", s.status.FNSWorkflowID); msg != "" {
		s.status.FNSMessage = msg
	}
}

func (s *scenario) finish(ctx workflow.Context, outcome process.Outcome, reason string) {
	if s.track.Finished() {
		return
	}
	s.status.Stage = StageFinished
	s.track.Finish(ctx, outcome, reason)
}

// checkCommon validates what every scenario's input has.
func checkCommon(errs *validate.FieldErrors, requestID, consumerID string, timeout, pollInitial, pollMax, maxTimeout time.Duration) {
	if requestID == "" {
		errs.Add("requestId", "required")
	}
	if consumerID == "" {
		errs.Add("consumerId", "required")
	}
	process.CheckDuration(errs, "timeout", timeout, time.Minute, maxTimeout)
	process.CheckDuration(errs, "pollInitial", pollInitial, time.Second, 24*time.Hour)
	process.CheckDuration(errs, "pollMax", pollMax, time.Second, 7*24*time.Hour)
}

func invalidOrNil(errs validate.FieldErrors) error {
	if len(errs) == 0 {
		return nil
	}
	return process.InvalidInput(errs)
}
