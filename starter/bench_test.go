package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// TestBareFlowHasTheShape: the baseline runs as many activities as the
// shape says, one of them in each update, and ends after the updates.
func TestBareFlowHasTheShape(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(bareFlow, workflow.RegisterOptions{Name: bareWorkflowName})
	var calls atomic.Int32
	env.RegisterActivityWithOptions(func(context.Context) error { calls.Add(1); return nil },
		activity.RegisterOptions{Name: bareActivityName})
	updated := false
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(bareUpdateName, "u1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Error(err) },
			OnComplete: func(_ any, err error) { updated = err == nil },
		})
	}, time.Second)
	env.ExecuteWorkflow(bareWorkflowName, benchShape{Activities: 4, Updates: 1})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.True(t, updated)
	assert.EqualValues(t, 4, calls.Load())
}

func TestPercentileAndFailureKind(t *testing.T) {
	sorted := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	assert.Equal(t, time.Duration(5), percentile(sorted, 0.5))
	assert.Equal(t, time.Duration(10), percentile(sorted, 1))
	assert.Zero(t, percentile(nil, 0.5))
	assert.Equal(t, "SMS code", failureKind(fmt.Errorf("SMS code: %w", assert.AnError)), "the kind, not the detail")
}

func TestProcessMetricsReadsTheWorkersFigures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/metrics", r.URL.Path)
		_, _ = io.WriteString(w, "# HELP go_goroutines x\ngo_goroutines 38\nprocess_resident_memory_bytes 1.35266304e+08\nother 1\n")
	}))
	t.Cleanup(srv.Close)
	g := &gatewayClient{baseURL: srv.URL, http: srv.Client()}
	m, err := g.processMetrics(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"go_goroutines": 38, "process_resident_memory_bytes": 135266304}, m)
}
