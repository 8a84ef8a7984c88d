package process

import (
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ProviderCall sets the activity options of a provider call: each attempt
// bounded by attempt, the whole call by total, retried with backoff (1 s,
// doubling to 5 min) for what may pass (network, 5xx, 429), never for the
// FinalErrorTypes (the provider's own refusals, invalid input, no
// credentials).
func ProviderCall(ctx workflow.Context, attempt, total time.Duration) workflow.Context {
	return providerCall(ctx, attempt, total, 5*time.Minute)
}

// InteractiveStepRetryMax is how far apart InteractiveCall's retries get.
const InteractiveStepRetryMax = 10 * time.Second

// InteractiveCall is ProviderCall for a step someone waits for at a screen
// (an agent's identification, the person's scans: an update): its retries
// stay InteractiveStepRetryMax apart at most, so the answer comes soon after
// the provider recovers, not minutes later.
func InteractiveCall(ctx workflow.Context, attempt, total time.Duration) workflow.Context {
	return providerCall(ctx, attempt, total, InteractiveStepRetryMax)
}

func providerCall(ctx workflow.Context, attempt, total, maxInterval time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: total,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: maxInterval,
			NonRetryableErrorTypes: FinalErrorTypes,
		},
	})
}

// RunKey is a name-based UUID for one workflow run and purpose, the same on
// every replay and every retry: the idempotency key (e.g. FNS external_id)
// that makes a retried create find what the first attempt made.
func RunKey(ctx workflow.Context, purpose string) string {
	run := workflow.GetInfo(ctx).WorkflowExecution
	return RunKeyOf(purpose, run.ID, run.RunID)
}

// RunKeyOf is RunKey for a given workflow and run id.
func RunKeyOf(purpose, workflowID, runID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("idflow:"+purpose+":"+workflowID+"/"+runID)).String()
}
