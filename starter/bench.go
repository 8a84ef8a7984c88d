package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"idflow/internal/logging"
	"idflow/internal/pii"
	sandboxmandarin "idflow/internal/sandbox/mandarin"
	"idflow/workflows/simplifiedid"
)

// benchOptions are the flags of `starter bench`.
type benchOptions struct {
	kind               string
	flows, concurrency int
	rate               float64 // webhooks a second, for --kind webhooks
	park, rounds       int
	baseline, asJSON   bool
}

func benchCommand(env *environment) *cobra.Command {
	var o benchOptions
	var kinds strings.Builder
	for _, k := range benchKinds {
		fmt.Fprintf(&kinds, "  %-17s %s\n", k.name, k.about)
	}
	fmt.Fprintf(&kinds, "  %-17s %s\n", webhooksKind, "signed IDnGO webhooks posted to the gateway at --rate, for workflows of the bench's own")
	cmd := &cobra.Command{
		Use:   "bench [--kind KIND] [-n FLOWS] [-c CONCURRENCY] [--json]",
		Short: "Drive flows of one kind against a running stack and measure them against a bare Temporal baseline",
		Long: `Runs FLOWS flows of one kind, CONCURRENCY at a time, against the running worker, doing
each interactive step (the SMS code, the agent's identification, the scans), with a
progress bar on stderr. Then it runs as many flows of a bare workflow of the same shape
(as many activities that return at once, updates, signals and timer waits, read from the
real histories), registered by the bench itself on a task queue of its own, and prints
both and idflow's throughput as a share of the bare one (with --rounds, the two alternate
and the median share is printed too). "callbacks" is the inbox's
accepted → signalled time, read from the worker's /metrics. Kinds:
` + kinds.String() + `
Start the stack with the sandboxes' delays at 0 (IDFLOW_DEV_SMEV_DELAY=0
IDFLOW_DEV_IDNGO_REVIEW_DELAY=0 IDFLOW_DEV_FNS_DELAY=0) so that they do not dominate.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, env, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.kind, "kind", "identification", "what to drive: "+strings.Join(append(benchKindNames(), webhooksKind), ", "))
	f.IntVarP(&o.flows, "flows", "n", 50, "how many flows (webhooks) of each")
	f.IntVarP(&o.concurrency, "concurrency", "c", 10, "how many at once")
	f.Float64Var(&o.rate, "rate", 100, "webhooks a second (--kind webhooks)")
	f.BoolVar(&o.baseline, "baseline", true, "also run the bare baseline")
	f.IntVar(&o.rounds, "rounds", 1, "run idflow's flows and the baseline's this many times, alternately, and print the median share (a machine's load drifts)")
	f.BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	f.IntVar(&o.park, "park", 0, "instead: start this many identifications that wait for their SMS code, report the worker's memory (its /metrics), then terminate them")
	return cmd
}

// benchResult is one row of the report.
type benchResult struct {
	Kind           string         `json:"kind"`
	Round          int            `json:"round,omitempty"`
	Flows          int            `json:"flows"`
	Failures       map[string]int `json:"failures"`
	Seconds        float64        `json:"seconds"`
	FlowsPerSecond float64        `json:"flowsPerSecond"`
	LatencyMS      map[string]int `json:"latencyMs"` // p50, p95, p99: start → completion
	// Callbacks the inbox signalled during the run, and their accepted →
	// signalled times (from the worker's /metrics).
	Callbacks     int                `json:"callbacks"`
	CallbackMS    map[string]float64 `json:"callbackLatencyMs,omitempty"`
	EventsMean    float64            `json:"historyEventsMean"`
	EventsMax     int                `json:"historyEventsMax"`
	BytesMean     float64            `json:"historyBytesMean"`
	BytesMax      int                `json:"historyBytesMax"`
	ActivityCalls float64            `json:"activityAttemptsPerFlow"` // provider calls, retries included
	// CPU time per finished flow used by the stack (the worker's process:
	// under -dev also the embedded Temporal server and the sandboxes) and by
	// the bench's own process (its clients; for the baseline, its worker).
	StackCPUMS      float64    `json:"stackCpuMsPerFlow"`
	BenchCPUMS      float64    `json:"benchCpuMsPerFlow"`
	Shape           benchShape `json:"shape"`
	ShareOfBaseline float64    `json:"throughputShareOfBaseline,omitempty"`
}

// benchShape is what a bare flow repeats: activities, updates, signals and
// the time its timers waited.
type benchShape struct {
	Activities int           `json:"activities"`
	Updates    int           `json:"updates"`
	Signals    int           `json:"signals"`
	Wait       time.Duration `json:"wait"`
	// Queries are the status queries the bench's screen made (not in the
	// history: counted as they are made), a mean per flow.
	Queries int `json:"queries"`
}

func runBench(cmd *cobra.Command, env *environment, o benchOptions) error {
	if o.flows < 1 || o.concurrency < 1 || o.rounds < 1 || o.rate <= 0 {
		return usageError{errors.New("--flows, --concurrency and --rounds must be at least 1, --rate above 0")}
	}
	ctx := cmd.Context()
	c, err := env.client(ctx)
	if err != nil {
		return err
	}
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	b := &bench{env: env, c: c, gw: gw, run: uuid.NewString()[:8], queries: new(atomic.Int64)}
	if o.park > 0 {
		return runPark(cmd, b, o)
	}
	var results []*benchResult
	if o.kind == webhooksKind {
		results, err = runWebhooksBench(ctx, cmd.ErrOrStderr(), b, o)
	} else {
		results, err = runFlowsRounds(ctx, cmd.ErrOrStderr(), b, o)
	}
	if err != nil {
		return err
	}
	if o.asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	printBench(cmd.OutOrStdout(), results, o)
	return nil
}

// runFlowsRounds runs o.rounds rounds of runFlowsBench, each with flows
// and people of its own.
func runFlowsRounds(ctx context.Context, progressTo io.Writer, b *bench, o benchOptions) ([]*benchResult, error) {
	i := slices.IndexFunc(benchKinds, func(k benchKind) bool { return k.name == o.kind })
	if i < 0 {
		return nil, usageError{fmt.Errorf("--kind %q: want one of %s", o.kind, strings.Join(append(benchKindNames(), webhooksKind), ", "))}
	}
	if o.rounds == 1 {
		return runFlowsBench(ctx, progressTo, b, o, benchKinds[i])
	}
	var all []*benchResult
	for round := 1; round <= o.rounds; round++ {
		rb := *b
		rb.run = fmt.Sprintf("%s-%d", b.run, round)
		results, err := runFlowsBench(ctx, progressTo, &rb, o, benchKinds[i])
		if err != nil {
			return nil, err
		}
		for _, r := range results {
			r.Round = round
		}
		all = append(all, results...)
	}
	return all, nil
}

// runFlowsBench drives o.flows flows of kind, then their bare baseline.
func runFlowsBench(ctx context.Context, progressTo io.Writer, b *bench, o benchOptions, kind benchKind) ([]*benchResult, error) {
	flow, err := kind.prepare(b, ctx)
	if err != nil {
		return nil, err
	}
	before, err := b.gw.metrics(ctx)
	if err != nil {
		return nil, err
	}
	cpuBefore := readCPU(before)
	b.queries.Store(0)
	real := drive(ctx, progressTo, o.kind, o, flow)
	after, err := b.gw.metrics(ctx)
	if err != nil {
		return nil, err
	}
	real.result.setCallbacks(before, after)
	real.result.setCPU(cpuBefore, readCPU(after))
	if err := real.measure(ctx, b.c); err != nil {
		return nil, err
	}
	if n := len(real.ids); n > 0 {
		real.result.Shape.Queries = int((b.queries.Load() + int64(n)/2) / int64(n))
	}
	results := []*benchResult{real.result}
	if o.baseline {
		bare, err := runBaseline(ctx, progressTo, b, o, real.result.Shape)
		if err != nil {
			return nil, err
		}
		if bare.FlowsPerSecond > 0 {
			real.result.ShareOfBaseline = real.result.FlowsPerSecond / bare.FlowsPerSecond
		}
		results = append(results, bare)
	}
	return results, nil
}

// setCallbacks records what the inbox delivered between two readings.
func (r *benchResult) setCallbacks(before, after workerMetrics) {
	n, p50, p99 := callbackLatency(before, after)
	r.Callbacks = n
	if n > 0 {
		r.CallbackMS = map[string]float64{"p50": p50, "p99": p99}
	}
}

// setCPU records the CPU time per finished flow between two readings.
func (r *benchResult) setCPU(before, after cpuReading) {
	flows := r.Flows
	for _, n := range r.Failures {
		flows -= n
	}
	if flows > 0 {
		r.StackCPUMS = float64((after.stack - before.stack).Milliseconds()) / float64(flows)
		r.BenchCPUMS = float64((after.bench - before.bench).Milliseconds()) / float64(flows)
	}
}

// startBenchIdentification stores the sandbox's test person and starts an identification.
func startBenchIdentification(ctx context.Context, env *environment, c client.Client, gw *gatewayClient, requestID string) (client.WorkflowRun, error) {
	workflowID := simplifiedid.WorkflowID(requestID)
	person := pii.Person{LastName: sandboxmandarin.TestLastName, FirstName: sandboxmandarin.TestFirstName,
		Patronymic: sandboxmandarin.TestPatronymic, PassportSeries: sandboxmandarin.TestPassportSeries,
		PassportNumber: sandboxmandarin.TestPassportNumber, SNILS: sandboxmandarin.TestSNILS, Phone: sandboxmandarin.TestPhone}
	body, err := json.Marshal(person)
	if err != nil {
		return nil, err
	}
	doc, err := gw.putBytes(ctx, body, personTitle, workflowID, simplifiedid.PersonMediaType)
	if err != nil {
		return nil, fmt.Errorf("store the person: %w", err)
	}
	in := simplifiedid.Input{RequestID: requestID, PersonDocumentID: doc.ID,
		PersonCheckPollInitial: 200 * time.Millisecond, PersonCheckPollMax: time.Second}
	wf, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: env.cfg.TaskQueue,
		TypedSearchAttributes: simplifiedid.StartSearchAttributes()}, simplifiedid.WorkflowType, in)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	return wf, nil
}

// benchRun collects one kind's flows as they finish.
type benchRun struct {
	result    *benchResult
	ids       []string
	latencies []time.Duration
}

// drive runs o.flows flows, o.concurrency at a time, with a progress bar on w.
func drive(ctx context.Context, w io.Writer, kind string, o benchOptions, flow func(ctx context.Context, i int) (string, error)) *benchRun {
	r := &benchRun{result: &benchResult{Kind: kind, Flows: o.flows, Failures: map[string]int{}}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, o.concurrency)
	start := time.Now()
	done := 0
	for i := range o.flows {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			began := time.Now()
			id, err := flow(ctx, i)
			took := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.result.Failures[failureKind(err)]++
			} else {
				r.ids = append(r.ids, id)
				r.latencies = append(r.latencies, took)
			}
			done++
			progress(w, kind, done, o.flows)
		})
	}
	wg.Wait()
	fmt.Fprintln(w)
	elapsed := time.Since(start)
	r.result.Seconds = elapsed.Seconds()
	r.result.FlowsPerSecond = float64(len(r.ids)) / elapsed.Seconds()
	r.result.LatencyMS = latencyMS(r.latencies)
	return r
}

// latencyMS sorts latencies and returns their p50, p95 and p99 in ms.
func latencyMS(latencies []time.Duration) map[string]int {
	slices.Sort(latencies)
	ms := func(q float64) int { return int(percentile(latencies, q).Milliseconds()) }
	return map[string]int{"p50": ms(0.50), "p95": ms(0.95), "p99": ms(0.99)}
}

// failureKind names a failure without its details (which may differ per flow).
func failureKind(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() != "" {
		return appErr.Type()
	}
	msg := err.Error()
	if i := strings.Index(msg, ":"); i > 0 {
		return msg[:i]
	}
	return msg
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

// progress draws a bar: [=====     ] 12/50 kind.
func progress(w io.Writer, kind string, done, total int) {
	const width = 30
	n := done * width / total
	fmt.Fprintf(w, "\r[%s%s] %d/%d %s", strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total, kind)
}

// measure reads the finished flows' histories: size, and the shape a bare
// flow repeats (the median counts of activities, updates and signals and
// the median time its timers waited).
func (r *benchRun) measure(ctx context.Context, c client.Client) error {
	var shapes []benchShape
	var events, bytes, attempts int
	for _, id := range r.ids {
		h, err := readHistory(ctx, c, id)
		if err != nil {
			return fmt.Errorf("history of %s: %w", id, err)
		}
		size := proto.Size(h)
		events, bytes = events+len(h.Events), bytes+size
		r.result.EventsMax, r.result.BytesMax = max(r.result.EventsMax, len(h.Events)), max(r.result.BytesMax, size)
		shape, n := shapeOf(h)
		shapes, attempts = append(shapes, shape), attempts+n
	}
	if n := len(r.ids); n > 0 {
		r.result.EventsMean, r.result.BytesMean = float64(events)/float64(n), float64(bytes)/float64(n)
		r.result.ActivityCalls = float64(attempts) / float64(n)
		r.result.Shape = medianShape(shapes)
	}
	return nil
}

// shapeOf counts what a bare flow repeats of one history, and the activity
// attempts it made.
func shapeOf(h *historypb.History) (shape benchShape, attempts int) {
	timers := map[string]time.Duration{}
	for _, ev := range h.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			shape.Activities++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			attempts += int(ev.GetActivityTaskStartedEventAttributes().GetAttempt())
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			shape.Updates++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			shape.Signals++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			a := ev.GetTimerStartedEventAttributes()
			timers[a.GetTimerId()] = a.GetStartToFireTimeout().AsDuration()
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			shape.Wait += timers[ev.GetTimerFiredEventAttributes().GetTimerId()]
		}
	}
	return shape, attempts
}

// medianShape takes each count's median over the flows.
func medianShape(shapes []benchShape) benchShape {
	median := func(of func(benchShape) int) int {
		v := make([]int, 0, len(shapes))
		for _, s := range shapes {
			v = append(v, of(s))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return benchShape{
		Activities: median(func(s benchShape) int { return s.Activities }),
		Updates:    median(func(s benchShape) int { return s.Updates }),
		Signals:    median(func(s benchShape) int { return s.Signals }),
		Wait:       time.Duration(median(func(s benchShape) int { return int(s.Wait) })),
	}
}

func readHistory(ctx context.Context, c client.Client, workflowID string) (*historypb.History, error) {
	iter := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, ev)
	}
	return h, nil
}

// Names of the bare baseline, registered by the bench on its own task queue.
const (
	bareWorkflowName = "BenchBareFlow"
	bareActivityName = "BenchBareActivity"
	bareUpdateName   = "step"
	bareSignalName   = "event"
	bareQueryName    = "status"
)

// bareFlow runs shape.Activities activities that return at once, one after
// the other, the first after shape.Updates updates, each of which runs
// one of them, as the identification's SMS code does; it takes
// shape.Signals signals and, beside all that, waits shape.Wait on a timer.
// It answers a status query (the bench asks it shape.Queries times).
func bareFlow(ctx workflow.Context, shape benchShape) error {
	opts := workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second}
	ctx = workflow.WithActivityOptions(ctx, opts)
	updates, inUpdates, signals, waited := 0, 0, 0, shape.Wait <= 0
	if err := workflow.SetQueryHandler(ctx, bareQueryName, func() (benchShape, error) { return shape, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, bareUpdateName, func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, opts)
		if inUpdates < shape.Activities {
			inUpdates++
			if err := workflow.ExecuteActivity(ctx, bareActivityName).Get(ctx, nil); err != nil {
				return err
			}
		}
		updates++
		return nil
	}); err != nil {
		return err
	}
	events := workflow.GetSignalChannel(ctx, bareSignalName)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for ; signals < shape.Signals; signals++ {
			events.Receive(ctx, nil)
		}
	})
	if !waited {
		workflow.Go(ctx, func(ctx workflow.Context) { _ = workflow.Sleep(ctx, shape.Wait); waited = true })
	}
	if err := workflow.Await(ctx, func() bool { return updates >= shape.Updates && signals >= shape.Signals }); err != nil {
		return err
	}
	for range shape.Activities - inUpdates {
		if err := workflow.ExecuteActivity(ctx, bareActivityName).Get(ctx, nil); err != nil {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return waited })
}

func bareActivity(context.Context) error { return nil }

// runBaseline runs the bare flows on a worker of the bench's own, with
// the default data converter (nothing of a person's to seal).
func runBaseline(ctx context.Context, progressTo io.Writer, b *bench, o benchOptions, shape benchShape) (*benchResult, error) {
	run := b.run
	queue := "idflow-bench-bare-" + run
	bc, stop, err := startBareWorker(b.c, queue, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(bareFlow, workflow.RegisterOptions{Name: bareWorkflowName})
		w.RegisterActivityWithOptions(bareActivity, activity.RegisterOptions{Name: bareActivityName})
	})
	if err != nil {
		return nil, err
	}
	defer stop()
	before, err := b.gw.metrics(ctx)
	if err != nil {
		return nil, err
	}
	cpuBefore := readCPU(before)
	r := drive(ctx, progressTo, "bare baseline", o, func(ctx context.Context, i int) (string, error) {
		id := fmt.Sprintf("bench-bare-%s-%d", run, i)
		wf, err := bc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, bareWorkflowName, shape)
		if err != nil {
			return id, err
		}
		for range shape.Signals {
			if err := bc.SignalWorkflow(ctx, id, "", bareSignalName, nil); err != nil {
				return id, err
			}
		}
		for range shape.Queries { // as the screen asks before its steps
			if _, err := bc.QueryWorkflow(ctx, id, "", bareQueryName); err != nil {
				return id, err
			}
		}
		for range shape.Updates {
			h, err := bc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: bareUpdateName,
				WaitForStage: client.WorkflowUpdateStageCompleted})
			if err == nil {
				err = h.Get(ctx, nil)
			}
			if err != nil {
				return id, err
			}
		}
		return id, wf.Get(ctx, nil)
	})
	after, err := b.gw.metrics(ctx)
	if err != nil {
		return nil, err
	}
	r.result.setCPU(cpuBefore, readCPU(after))
	if err := r.measure(ctx, bc); err != nil {
		return nil, err
	}
	r.result.Shape = shape
	return r.result, nil
}

// startBareWorker starts a worker of the bench's own on queue, with the
// default data converter; stop ends it and its client.
func startBareWorker(c client.Client, queue string, register func(worker.Worker)) (client.Client, func(), error) {
	log, err := logging.New("console", "warn")
	if err != nil {
		return nil, nil, err
	}
	bc, err := client.NewClientFromExisting(c, client.Options{DataConverter: converter.GetDefaultDataConverter(), Logger: logging.SDK(log)})
	if err != nil {
		return nil, nil, err
	}
	w := worker.New(bc, queue, worker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		bc.Close()
		return nil, nil, err
	}
	return bc, func() { w.Stop(); bc.Close() }, nil
}

func printBench(w io.Writer, results []*benchResult, o benchOptions) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if o.kind == webhooksKind {
		fmt.Fprintf(tw, "%d webhooks at %.0f a second; p50…p99: the webhook's HTTP round trip (bare: the SignalWorkflow call)\n", o.flows, o.rate)
	} else {
		fmt.Fprintf(tw, "%d flows each, %d at once; p50…p99: start → completion\n", o.flows, o.concurrency)
	}
	fmt.Fprintln(tw, "kind\tflows/s\tp50\tp95\tp99\tcallbacks\taccepted→signalled p50/p99\tevents mean/max\thistory bytes mean/max\tactivity attempts/flow\tCPU ms/flow stack+bench\tfailures")
	for _, r := range results {
		callbacks := "-"
		if r.Callbacks > 0 {
			callbacks = fmt.Sprintf("%.1fms/%.1fms", r.CallbackMS["p50"], r.CallbackMS["p99"])
		}
		cpu := "-" // not measured (webhooks)
		if r.StackCPUMS > 0 || r.BenchCPUMS > 0 {
			cpu = fmt.Sprintf("%.1f+%.1f", r.StackCPUMS, r.BenchCPUMS)
		}
		kind := r.Kind
		if r.Round > 0 {
			kind = fmt.Sprintf("%s #%d", r.Kind, r.Round)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%dms\t%dms\t%dms\t%d\t%s\t%.0f/%d\t%.0f/%d\t%.1f\t%s\t%s\n", kind, r.FlowsPerSecond,
			r.LatencyMS["p50"], r.LatencyMS["p95"], r.LatencyMS["p99"], r.Callbacks, callbacks, r.EventsMean, r.EventsMax,
			r.BytesMean, r.BytesMax, r.ActivityCalls, cpu, failures(r.Failures))
	}
	_ = tw.Flush()
	var shares []float64
	for _, r := range results {
		if r.ShareOfBaseline > 0 {
			shares = append(shares, r.ShareOfBaseline)
			sh := r.Shape
			fmt.Fprintf(w, "%s throughput: %.0f %% of the bare baseline (per flow %d activities, %d updates, %d signals, %d queries, %s of timers; target ≥ 80 %%)\n",
				r.Kind, 100*r.ShareOfBaseline, sh.Activities, sh.Updates, sh.Signals, sh.Queries, sh.Wait)
		}
		if r.Callbacks > 0 {
			fmt.Fprintf(w, "callback accepted → workflow signalled: p50 %.1f ms, p99 %.1f ms over %d callbacks (target p99 ≤ 50 ms at 100 a second)\n",
				r.CallbackMS["p50"], r.CallbackMS["p99"], r.Callbacks)
		}
	}
	if len(shares) > 1 {
		slices.Sort(shares)
		n := len(shares)
		median := (shares[(n-1)/2] + shares[n/2]) / 2
		fmt.Fprintf(w, "%s throughput over %d rounds: median %.0f %% of the bare baseline (%.0f–%.0f %%)\n",
			results[0].Kind, n, 100*median, 100*shares[0], 100*shares[n-1])
	}
}

func failures(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// runPark starts o.park identifications that then wait for their SMS
// code, waits until all do, and reports the worker's resident memory and
// goroutines (from its gateway's /metrics) before and after; then it
// terminates them.
func runPark(cmd *cobra.Command, b *bench, o benchOptions) error {
	ctx := cmd.Context()
	before, err := b.gw.metrics(ctx)
	if err != nil {
		return err
	}
	o.flows = o.park
	started := drive(ctx, cmd.ErrOrStderr(), "parked identifications", o, func(ctx context.Context, i int) (string, error) {
		id := fmt.Sprintf("bench-park-%s-%d", b.run, i)
		_, err := startBenchIdentification(b.env.subjectContext(ctx, simplifiedid.WorkflowID(id)), b.env, b.c, b.gw, id)
		return simplifiedid.WorkflowID(id), err
	})
	defer terminateAll(context.WithoutCancel(ctx), b.c, started.ids)
	query := fmt.Sprintf("WorkflowId STARTS_WITH 'simplified-identification-bench-park-%s-' AND IdflowStage = '%s'", b.run, simplifiedid.StageAwaitingSMSCode)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		n, err := b.c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return err
		}
		if int(n.GetCount()) >= len(started.ids) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(5 * time.Second) // let the worker settle (caches filled, polls done)
	after, err := b.gw.metrics(ctx)
	if err != nil {
		return err
	}
	const rss, goroutines = "process_resident_memory_bytes", "go_goroutines"
	n := float64(max(1, len(started.ids)))
	fmt.Fprintf(cmd.OutOrStdout(), "%d identifications parked (waiting for the SMS code), %d failed to start\n", len(started.ids), o.park-len(started.ids))
	fmt.Fprintf(cmd.OutOrStdout(), "worker RSS %.0f MiB -> %.0f MiB (%.1f KiB per parked flow), goroutines %.0f -> %.0f (%.1f per flow)\n",
		before.gauge(rss)/(1<<20), after.gauge(rss)/(1<<20), (after.gauge(rss)-before.gauge(rss))/1024/n,
		before.gauge(goroutines), after.gauge(goroutines), (after.gauge(goroutines)-before.gauge(goroutines))/n)
	return nil
}

// terminateAll ends the parked flows.
func terminateAll(ctx context.Context, c client.Client, ids []string) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 20)
	for _, id := range ids {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			_ = c.TerminateWorkflow(ctx, id, "", "starter bench --park: measured")
		})
	}
	wg.Wait()
}
