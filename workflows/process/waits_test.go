package process

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

type awaitFunc func(ctx workflow.Context, timeout time.Duration, w Wait, condition func() bool) (bool, error)

// awaitTwice waits for a signal (sent after a minute) with an hour's
// timeout, then for a second one that never comes, with a minute's; then
// sleeps two hours, long enough for a timer left running to fire.
func awaitTwice(await awaitFunc) func(ctx workflow.Context) ([]bool, error) {
	return func(ctx workflow.Context) ([]bool, error) {
		ch := workflow.GetSignalChannel(ctx, "wake")
		var woke []bool
		for _, timeout := range []time.Duration{time.Hour, time.Minute} {
			ok, err := await(ctx, timeout, Wait{For: "a wake-up"}, func() bool { return ch.Len() > 0 })
			if err != nil {
				return nil, err
			}
			ch.ReceiveAsync(nil)
			woke = append(woke, ok)
		}
		return woke, workflow.Sleep(ctx, 2*time.Hour)
	}
}

func runAwaitTwice(t *testing.T, await awaitFunc) (woke []bool, fired, canceled int) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetOnTimerFiredListener(func(string) { fired++ })
	env.SetOnTimerCanceledListener(func(string) { canceled++ })
	env.RegisterDelayedCallback(func() { env.SignalWorkflow("wake", nil) }, time.Minute)
	env.ExecuteWorkflow(awaitTwice(await))
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, env.GetWorkflowResult(&woke))
	return woke, fired, canceled
}

// TestAwaitCancelingTimerLeavesNoTimer: a wait the condition ends cancels
// its timer; one that times out reports it. AwaitWithTimeout's timer fires
// after the condition has ended the wait.
func TestAwaitCancelingTimerLeavesNoTimer(t *testing.T) {
	woke, fired, canceled := runAwaitTwice(t, AwaitCancelingTimer)
	assert.Equal(t, []bool{true, false}, woke)
	assert.Equal(t, 1, canceled, "the hour's timer, once the signal came")
	assert.Equal(t, 2, fired, "the minute's timeout and the sleep")

	woke, fired, canceled = runAwaitTwice(t, AwaitWithTimeout)
	assert.Equal(t, []bool{true, false}, woke)
	assert.Zero(t, canceled)
	assert.Equal(t, 3, fired, "the hour's timer too, long after the signal")
}
