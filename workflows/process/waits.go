package process

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// AwaitWithTimeout is workflow.AwaitWithOptions whose timer carries the
// wait's summary, so the UI's timeline says what the timer bounds.
func AwaitWithTimeout(ctx workflow.Context, timeout time.Duration, w Wait, condition func() bool) (bool, error) {
	return workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout: timeout, TimerOptions: workflow.TimerOptions{Summary: w.Summary()},
	}, condition)
}

// AwaitCancelingTimer is AwaitWithTimeout that cancels its timer when the
// condition comes first. AwaitWithTimeout leaves the timer running, and it
// later fires into a workflow task that has nothing to do: a follower woken
// by a callback each poll would pay one such task per wake-up.
func AwaitCancelingTimer(ctx workflow.Context, timeout time.Duration, w Wait, condition func() bool) (bool, error) {
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer() // a fired timer is not cancelled again
	timer := NewTimer(timerCtx, timeout, w.Summary())
	if err := workflow.Await(ctx, func() bool { return condition() || timer.IsReady() }); err != nil {
		return false, err
	}
	return condition(), nil
}

// Sleep is workflow.Sleep with a timer summary.
func Sleep(ctx workflow.Context, d time.Duration, summary string) error {
	return NewTimer(ctx, d, summary).Get(ctx, nil)
}

// NewTimer is workflow.NewTimer with a summary.
func NewTimer(ctx workflow.Context, d time.Duration, summary string) workflow.Future {
	return workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: summary})
}

// WithSummary sets the summary of the activities started from ctx: what the
// call does, at whom, for the UI's timeline.
func WithSummary(ctx workflow.Context, summary string) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	opts.Summary = summary
	return workflow.WithActivityOptions(ctx, opts)
}

// DurationOr is d, or fallback when d is not set (zero).
func DurationOr(d, fallback time.Duration) time.Duration {
	if d == 0 {
		return fallback
	}
	return d
}
