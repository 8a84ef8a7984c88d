package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"

	"idflow/internal/providers/idngo"
	"idflow/internal/validate"
	"idflow/workflows/kyc"
)

// TestBareFlowHasTheShape: the baseline runs as many activities as the
// shape says, one of them in each update, answers the status query, and
// ends after the updates.
func TestBareFlowHasTheShape(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(bareFlow, workflow.RegisterOptions{Name: bareWorkflowName})
	var calls atomic.Int32
	env.RegisterActivityWithOptions(func(context.Context) error { calls.Add(1); return nil },
		activity.RegisterOptions{Name: bareActivityName})
	updated := false
	var queried benchShape
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(bareQueryName)
		if assert.NoError(t, err) {
			assert.NoError(t, v.Get(&queried))
		}
		env.UpdateWorkflow(bareUpdateName, "u1", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Error(err) },
			OnComplete: func(_ any, err error) { updated = err == nil },
		})
	}, time.Second)
	env.ExecuteWorkflow(bareWorkflowName, benchShape{Activities: 4, Updates: 1, Queries: 3})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.True(t, updated)
	assert.Equal(t, 3, queried.Queries, "it answers the status query the screen asks")
	assert.EqualValues(t, 4, calls.Load())
}

func TestPercentileAndFailureKind(t *testing.T) {
	sorted := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	assert.Equal(t, time.Duration(5), percentile(sorted, 0.5))
	assert.Equal(t, time.Duration(10), percentile(sorted, 1))
	assert.Zero(t, percentile(nil, 0.5))
	assert.Equal(t, "SMS code", failureKind(fmt.Errorf("SMS code: %w", assert.AnError)), "the kind, not the detail")
}

func TestMetricsReadsTheWorkersFigures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/metrics", r.URL.Path)
		_, _ = io.WriteString(w, "# HELP go_goroutines x\n# TYPE go_goroutines gauge\ngo_goroutines 38\n"+
			"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1.35266304e+08\n"+
			"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n"+
			"# TYPE idflow_inbox_delivery_seconds histogram\n"+
			`idflow_inbox_delivery_seconds_bucket{provider="idngo",le="0.01"} 90`+"\n"+
			`idflow_inbox_delivery_seconds_bucket{provider="idngo",le="0.05"} 99`+"\n"+
			`idflow_inbox_delivery_seconds_bucket{provider="idngo",le="+Inf"} 100`+"\n"+
			`idflow_inbox_delivery_seconds_sum{provider="idngo"} 1`+"\n"+
			`idflow_inbox_delivery_seconds_count{provider="idngo"} 100`+"\n"+
			`idflow_inbox_delivery_seconds_bucket{provider="fns",le="0.01"} 10`+"\n"+
			`idflow_inbox_delivery_seconds_bucket{provider="fns",le="0.05"} 10`+"\n"+
			`idflow_inbox_delivery_seconds_bucket{provider="fns",le="+Inf"} 10`+"\n"+
			`idflow_inbox_delivery_seconds_sum{provider="fns"} 0.01`+"\n"+
			`idflow_inbox_delivery_seconds_count{provider="fns"} 10`+"\n")
	}))
	t.Cleanup(srv.Close)
	g := &gatewayClient{baseURL: srv.URL, http: srv.Client()}
	m, err := g.metrics(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 38.0, m.gauge("go_goroutines"))
	assert.Equal(t, 135266304.0, m.gauge("process_resident_memory_bytes"))
	assert.Zero(t, m.gauge("absent"))
	assert.Equal(t, 12.5, m.counter("process_cpu_seconds_total"))
	assert.Equal(t, 12500*time.Millisecond, readCPU(m).stack)
	assert.Positive(t, readCPU(m).bench, "this process's own CPU time")
	n, p50, p99 := callbackLatency(workerMetrics{}, m)
	assert.Equal(t, 110, n, "both providers' series")
	assert.InDelta(t, 1000*0.01*55/100, p50, 1e-9, "within the first bucket: 55 of its 100")
	assert.InDelta(t, 1000*(0.01+0.04*(108.9-100)/9), p99, 1e-9, "within the second bucket")
	n, _, _ = callbackLatency(m, m)
	assert.Zero(t, n, "nothing between two equal readings")
}

func TestHistogramQuantileEdges(t *testing.T) {
	inf := math.Inf(1)
	assert.Zero(t, cumulativeHistogram{}.quantile(0.5), "empty")
	assert.Equal(t, 1.0, cumulativeHistogram{0.5: 0, 1: 0, inf: 4}.quantile(0.99), "past the last finite bound: that bound")
	assert.InDelta(t, 0.75, cumulativeHistogram{0.5: 2, 1: 4, inf: 4}.quantile(0.75), 1e-9)
}

// TestBareFlowTakesSignalsAndWaits: the baseline takes its signals and
// does not end before its timers' wait.
func TestBareFlowTakesSignalsAndWaits(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(bareFlow, workflow.RegisterOptions{Name: bareWorkflowName})
	env.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: bareActivityName})
	for i := range 3 {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(bareSignalName, nil) }, time.Duration(i+1)*time.Second)
	}
	start := env.Now()
	env.ExecuteWorkflow(bareWorkflowName, benchShape{Activities: 2, Signals: 3, Wait: time.Minute})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.GreaterOrEqual(t, env.Now().Sub(start), time.Minute)
}

func TestShapeOfAHistory(t *testing.T) {
	ev := func(typ enumspb.EventType, attrs func(*historypb.HistoryEvent)) *historypb.HistoryEvent {
		e := &historypb.HistoryEvent{EventType: typ}
		if attrs != nil {
			attrs(e)
		}
		return e
	}
	timer := func(id string, d time.Duration) *historypb.HistoryEvent {
		return ev(enumspb.EVENT_TYPE_TIMER_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_TimerStartedEventAttributes{TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{
				TimerId: id, StartToFireTimeout: durationpb.New(d)}}
		})
	}
	fired := func(id string) *historypb.HistoryEvent {
		return ev(enumspb.EVENT_TYPE_TIMER_FIRED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_TimerFiredEventAttributes{TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{TimerId: id}}
		})
	}
	started := func(attempt int32) *historypb.HistoryEvent {
		return ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: attempt}}
		})
	}
	h := &historypb.History{Events: []*historypb.HistoryEvent{
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, nil), started(3),
		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, nil), started(1),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, nil), ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, nil),
		timer("1", time.Minute), timer("2", time.Hour), fired("1"), // timer 2 was cancelled: not waited
	}}
	shape, attempts := shapeOf(h)
	assert.Equal(t, benchShape{Activities: 2, Updates: 1, Signals: 1, Wait: time.Minute}, shape)
	assert.Equal(t, 4, attempts)
	assert.Equal(t, benchShape{Activities: 2, Signals: 3, Wait: time.Second},
		medianShape([]benchShape{{Activities: 1, Signals: 3}, {Activities: 2, Signals: 9, Wait: time.Second}, {Activities: 5, Signals: 3, Wait: time.Hour}}))
}

// TestBenchPeopleAreValidAndDistinct: each FNS flow registers a person of
// its own (the agent finds them by phone and passport) whom validation accepts.
func TestBenchPeopleAreValidAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range 200 {
		p := benchFNSPerson("run1", i).Consumer
		require.NoError(t, validate.SNILS(p.SNILS), p.SNILS)
		require.NoError(t, validate.PersonINN(p.INN), p.INN)
		require.NoError(t, validate.PhoneFNS(p.Phone), p.Phone)
		passport := p.Identities[0].Number
		assert.False(t, seen[p.SNILS] || seen[p.INN] || seen[p.Phone] || seen[passport], "flow %d repeats a number", i)
		seen[p.SNILS], seen[p.INN], seen[p.Phone], seen[passport] = true, true, true, true
	}
	assert.NotEqual(t, benchFNSPerson("run1", 0).Consumer.SNILS, benchFNSPerson("run2", 0).Consumer.SNILS, "runs differ")
}

func TestSinkFlowEndsAfterItsSignals(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(sinkFlow, workflow.RegisterOptions{Name: sinkWorkflowName})
	for i := range 2 {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(kyc.EventSignal, kyc.Event{CorrelationID: "c"}) }, time.Duration(i+1)*time.Second)
	}
	env.ExecuteWorkflow(sinkWorkflowName, 2)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}

// TestPostWebhookIsSignedAsIDnGOSigns: the gateway's own check accepts
// the bench's webhooks, each with a correlation id of its own.
func TestPostWebhookIsSignedAsIDnGOSigns(t *testing.T) {
	const secret = "bench-secret"
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/webhooks/idngo", r.URL.Path)
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.NoError(t, idngo.VerifyAccountDigest(secret, idngo.DigestSHA256, r.Header.Get(idngo.HeaderPayloadDigestAlg),
			r.Header.Get(idngo.HeaderPayloadDigest), body))
		wh, err := idngo.ParseWebhook(body)
		require.NoError(t, err)
		assert.Equal(t, "bench-sink-r-1", wh.ExternalUserID)
		keys = append(keys, wh.CorrelationID)
	}))
	t.Cleanup(srv.Close)
	for i := range 2 {
		require.NoError(t, postWebhook(context.Background(), srv.Client(), srv.URL, secret, idngo.DigestSHA256, sinkUser("r", 1), i))
	}
	require.Len(t, keys, 2)
	assert.NotEqual(t, keys[0], keys[1], "each webhook is stored on its own")

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	t.Cleanup(refusing.Close)
	err := postWebhook(context.Background(), refusing.Client(), refusing.URL, secret, idngo.DigestSHA256, "u", 0)
	assert.ErrorContains(t, err, "401")
}

// TestCPUIsPerFinishedFlow: the CPU between two readings is shared among
// the flows that finished, not those that failed.
func TestCPUIsPerFinishedFlow(t *testing.T) {
	r := &benchResult{Flows: 10, Failures: map[string]int{"start": 2}}
	r.setCPU(cpuReading{stack: time.Second, bench: time.Second}, cpuReading{stack: 1800 * time.Millisecond, bench: 1200 * time.Millisecond})
	assert.Equal(t, 100.0, r.StackCPUMS)
	assert.Equal(t, 25.0, r.BenchCPUMS)
	var out strings.Builder
	printBench(&out, []*benchResult{r}, benchOptions{kind: "identification", flows: 10, concurrency: 2})
	assert.Contains(t, out.String(), "100.0+25.0")

	failed := &benchResult{Flows: 2, Failures: map[string]int{"start": 2}}
	failed.setCPU(cpuReading{}, cpuReading{stack: time.Second})
	assert.Zero(t, failed.StackCPUMS, "no flow to share it")
	out.Reset()
	printBench(&out, []*benchResult{failed}, benchOptions{kind: "identification", flows: 2, concurrency: 2})
	assert.NotContains(t, out.String(), "0.0+0.0", "not measured, not 0")
}

// TestPrintBenchGivesTheMedianShareOfRounds: each round's share is printed,
// and the median of them with their range.
func TestPrintBenchGivesTheMedianShareOfRounds(t *testing.T) {
	var results []*benchResult
	for round, share := range []float64{0.7, 0.9, 0.8} {
		results = append(results,
			&benchResult{Kind: "identification", Round: round + 1, FlowsPerSecond: 10 * share, ShareOfBaseline: share},
			&benchResult{Kind: "bare baseline", Round: round + 1, FlowsPerSecond: 10})
	}
	var out strings.Builder
	printBench(&out, results, benchOptions{kind: "identification", flows: 10, concurrency: 2, rounds: 3})
	assert.Contains(t, out.String(), "identification #2")
	assert.Contains(t, out.String(), "identification throughput: 90 % of the bare baseline")
	assert.Contains(t, out.String(), "identification throughput over 3 rounds: median 80 % of the bare baseline (70–90 %)")

	out.Reset()
	printBench(&out, results[:4], benchOptions{kind: "identification", flows: 10, concurrency: 2, rounds: 2})
	assert.Contains(t, out.String(), "over 2 rounds: median 80 % of the bare baseline (70–90 %)", "the mean of the middle two")
}
