package heartbeat

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
)

func TestEveryHeartbeatsUntilStopped(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
	var afterStop int32
	slowCall := func(ctx context.Context) error {
		stop := Every(ctx, 10*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		stop()
		afterStop = beats.Load()
		time.Sleep(50 * time.Millisecond)
		return nil
	}
	env.RegisterActivity(slowCall)
	_, err := env.ExecuteActivity(slowCall)
	require.NoError(t, err)
	// The SDK throttles what reaches the server; at least the first beat does.
	assert.GreaterOrEqual(t, afterStop, int32(1), "beats while the call runs")
	assert.Equal(t, afterStop, beats.Load(), "none after stop")
}
