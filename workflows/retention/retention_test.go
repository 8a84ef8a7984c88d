package retention

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
)

func TestRetentionErasesBeforeNowMinusThePeriod(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var asked time.Time
	env.RegisterActivityWithOptions(func(_ context.Context, in EraseExpiredInput) (Result, error) {
		asked = in.Before
		return Result{Checked: 2, Erased: []string{"p-1"}}, nil
	}, activity.RegisterOptions{Name: EraseExpiredActivity})
	start := env.Now()
	env.ExecuteWorkflow(SubjectRetention, Input{Retention: 24 * time.Hour})
	require.NoError(t, env.GetWorkflowError())
	var out Result
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, []string{"p-1"}, out.Erased)
	assert.WithinDuration(t, start.Add(-24*time.Hour), asked, time.Minute)
}

func TestRetentionUnderAnHourIsRefused(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.ExecuteWorkflow(SubjectRetention, Input{Retention: time.Minute})
	require.Error(t, env.GetWorkflowError())
	assert.Contains(t, env.GetWorkflowError().Error(), "at least 1h")
}
