package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	flows, concurrency int
	park               int
	baseline, asJSON   bool
}

func benchCommand(env *environment) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench [-n FLOWS] [-c CONCURRENCY] [--json]",
		Short: "Drive simplified identifications against a running stack and measure them against a bare Temporal baseline",
		Long: `Runs FLOWS simplified identifications, CONCURRENCY at a time, against the running
worker (the Mandarin sandbox's test person, the right SMS code), with a progress bar on
stderr. Then it runs the same number of flows of a bare workflow of the same shape (as many
activities that return at once and updates, read from the real histories), registered by
the bench itself on a task queue of its own, and prints both and idflow's throughput as a
share of the bare one. Start the stack with IDFLOW_DEV_SMEV_DELAY=0 so that the SMEV check
does not dominate.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, env, o) },
	}
	f := cmd.Flags()
	f.IntVarP(&o.flows, "flows", "n", 50, "how many flows of each")
	f.IntVarP(&o.concurrency, "concurrency", "c", 10, "how many at once")
	f.BoolVar(&o.baseline, "baseline", true, "also run the bare baseline")
	f.BoolVar(&o.asJSON, "json", false, "print JSON instead of a table")
	f.IntVar(&o.park, "park", 0, "instead: start this many identifications that wait for their SMS code, report the worker's memory (its /metrics), then terminate them")
	return cmd
}

// benchResult is one row of the report.
type benchResult struct {
	Kind            string         `json:"kind"`
	Flows           int            `json:"flows"`
	Failures        map[string]int `json:"failures"`
	Seconds         float64        `json:"seconds"`
	FlowsPerSecond  float64        `json:"flowsPerSecond"`
	LatencyMS       map[string]int `json:"latencyMs"` // p50, p95, p99: start → completion
	EventsMean      float64        `json:"historyEventsMean"`
	EventsMax       int            `json:"historyEventsMax"`
	BytesMean       float64        `json:"historyBytesMean"`
	BytesMax        int            `json:"historyBytesMax"`
	ActivityCalls   float64        `json:"activityAttemptsPerFlow"` // provider calls, retries included
	Shape           benchShape     `json:"shape"`
	ShareOfBaseline float64        `json:"throughputShareOfBaseline,omitempty"`
}

// benchShape is what a bare flow repeats: activities and updates.
type benchShape struct {
	Activities int `json:"activities"`
	Updates    int `json:"updates"`
}

func runBench(cmd *cobra.Command, env *environment, o benchOptions) error {
	if o.flows < 1 || o.concurrency < 1 {
		return usageError{errors.New("--flows and --concurrency must be at least 1")}
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
	run := uuid.NewString()[:8]
	if o.park > 0 {
		return runPark(cmd, env, c, gw, o, run)
	}
	real := drive(ctx, cmd.ErrOrStderr(), "simplified-identification", o, func(ctx context.Context, i int) (string, error) {
		return benchIdentification(ctx, env, c, gw, fmt.Sprintf("bench-%s-%d", run, i))
	})
	if err := real.measure(ctx, c); err != nil {
		return err
	}
	results := []*benchResult{real.result}
	if o.baseline {
		bare, err := runBaseline(ctx, cmd.ErrOrStderr(), c, o, real.result.Shape, run)
		if err != nil {
			return err
		}
		if bare.FlowsPerSecond > 0 {
			real.result.ShareOfBaseline = real.result.FlowsPerSecond / bare.FlowsPerSecond
		}
		results = append(results, bare)
	}
	if o.asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	printBench(cmd.OutOrStdout(), results, o)
	return nil
}

// benchIdentification runs one identification to its outcome.
func benchIdentification(ctx context.Context, env *environment, c client.Client, gw *gatewayClient, requestID string) (string, error) {
	workflowID := simplifiedid.WorkflowID(requestID)
	ctx = env.subjectContext(ctx, workflowID)
	wf, err := startBenchIdentification(ctx, env, c, gw, requestID)
	if err != nil {
		return workflowID, err
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateName: simplifiedid.SubmitSMSCodeUpdate,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{simplifiedid.SMSCodeRequest{Code: sandboxmandarin.DefaultAcceptedCode}}})
	if err != nil {
		return workflowID, fmt.Errorf("SMS code: %w", err)
	}
	var res simplifiedid.SMSCodeResult
	if err := h.Get(ctx, &res); err != nil {
		return workflowID, fmt.Errorf("SMS code: %w", err)
	}
	var out simplifiedid.Status
	if err := wf.Get(ctx, &out); err != nil {
		return workflowID, err
	}
	if string(out.Outcome) != "accepted" {
		return workflowID, fmt.Errorf("outcome %s", out.Outcome)
	}
	return workflowID, nil
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
	wf, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: env.cfg.TaskQueue},
		simplifiedid.WorkflowType, in)
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
	slices.Sort(r.latencies)
	r.result.LatencyMS = map[string]int{}
	for _, p := range []struct {
		name string
		q    float64
	}{{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}} {
		r.result.LatencyMS[p.name] = int(percentile(r.latencies, p.q).Milliseconds())
	}
	return r
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
// flow repeats (the median counts of activities and updates).
func (r *benchRun) measure(ctx context.Context, c client.Client) error {
	var acts, updates []int
	var events, bytes, attempts int
	for _, id := range r.ids {
		h, err := readHistory(ctx, c, id)
		if err != nil {
			return fmt.Errorf("history of %s: %w", id, err)
		}
		size := proto.Size(h)
		events, bytes = events+len(h.Events), bytes+size
		r.result.EventsMax, r.result.BytesMax = max(r.result.EventsMax, len(h.Events)), max(r.result.BytesMax, size)
		a, u := 0, 0
		for _, ev := range h.Events {
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				a++
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				attempts += int(ev.GetActivityTaskStartedEventAttributes().GetAttempt())
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
				u++
			}
		}
		acts, updates = append(acts, a), append(updates, u)
	}
	if n := len(r.ids); n > 0 {
		r.result.EventsMean, r.result.BytesMean = float64(events)/float64(n), float64(bytes)/float64(n)
		r.result.ActivityCalls = float64(attempts) / float64(n)
		sort.Ints(acts)
		sort.Ints(updates)
		r.result.Shape = benchShape{Activities: acts[n/2], Updates: updates[n/2]}
	}
	return nil
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
)

// bareFlow runs shape.Activities activities that return at once, one after
// the other, the first after shape.Updates updates, each of which runs
// one of them, as the identification's SMS code does.
func bareFlow(ctx workflow.Context, shape benchShape) error {
	opts := workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second}
	ctx = workflow.WithActivityOptions(ctx, opts)
	updates, inUpdates := 0, 0
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
	if err := workflow.Await(ctx, func() bool { return updates >= shape.Updates }); err != nil {
		return err
	}
	for range shape.Activities - inUpdates {
		if err := workflow.ExecuteActivity(ctx, bareActivityName).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func bareActivity(context.Context) error { return nil }

// runBaseline runs the bare flows on a worker of the bench's own, with
// the default data converter (nothing of a person's to seal).
func runBaseline(ctx context.Context, progressTo io.Writer, c client.Client, o benchOptions, shape benchShape, run string) (*benchResult, error) {
	log, err := logging.New("console", "warn")
	if err != nil {
		return nil, err
	}
	bc, err := client.NewClientFromExisting(c, client.Options{DataConverter: converter.GetDefaultDataConverter(), Logger: logging.SDK(log)})
	if err != nil {
		return nil, err
	}
	defer bc.Close()
	queue := "idflow-bench-bare-" + run
	w := worker.New(bc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(bareFlow, workflow.RegisterOptions{Name: bareWorkflowName})
	w.RegisterActivityWithOptions(bareActivity, activity.RegisterOptions{Name: bareActivityName})
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer w.Stop()
	r := drive(ctx, progressTo, "bare baseline", o, func(ctx context.Context, i int) (string, error) {
		id := fmt.Sprintf("bench-bare-%s-%d", run, i)
		wf, err := bc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, bareWorkflowName, shape)
		if err != nil {
			return id, err
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
	if err := r.measure(ctx, bc); err != nil {
		return nil, err
	}
	r.result.Shape = shape
	return r.result, nil
}

func printBench(w io.Writer, results []*benchResult, o benchOptions) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%d flows each, %d at once\n", o.flows, o.concurrency)
	fmt.Fprintln(tw, "kind\tflows/s\tp50\tp95\tp99\tevents mean/max\thistory bytes mean/max\tactivity attempts/flow\tfailures")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.1f\t%dms\t%dms\t%dms\t%.0f/%d\t%.0f/%d\t%.1f\t%s\n", r.Kind, r.FlowsPerSecond,
			r.LatencyMS["p50"], r.LatencyMS["p95"], r.LatencyMS["p99"], r.EventsMean, r.EventsMax, r.BytesMean, r.BytesMax,
			r.ActivityCalls, failures(r.Failures))
	}
	_ = tw.Flush()
	if len(results) > 1 && results[0].ShareOfBaseline > 0 {
		fmt.Fprintf(w, "%s throughput: %.0f %% of the bare baseline (%d activities, %d updates per flow; target ≥ 80 %%)\n",
			results[0].Kind, 100*results[0].ShareOfBaseline, results[0].Shape.Activities, results[0].Shape.Updates)
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
func runPark(cmd *cobra.Command, env *environment, c client.Client, gw *gatewayClient, o benchOptions, run string) error {
	ctx := cmd.Context()
	before, err := gw.processMetrics(ctx)
	if err != nil {
		return err
	}
	o.flows = o.park
	started := drive(ctx, cmd.ErrOrStderr(), "parked identifications", o, func(ctx context.Context, i int) (string, error) {
		id := fmt.Sprintf("bench-park-%s-%d", run, i)
		_, err := startBenchIdentification(env.subjectContext(ctx, simplifiedid.WorkflowID(id)), env, c, gw, id)
		return simplifiedid.WorkflowID(id), err
	})
	defer terminateAll(context.WithoutCancel(ctx), c, started.ids)
	query := fmt.Sprintf("WorkflowId STARTS_WITH 'simplified-identification-bench-park-%s-' AND IdflowStage = '%s'", run, simplifiedid.StageAwaitingSMSCode)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		n, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return err
		}
		if int(n.GetCount()) >= len(started.ids) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(5 * time.Second) // let the worker settle (caches filled, polls done)
	after, err := gw.processMetrics(ctx)
	if err != nil {
		return err
	}
	n := float64(max(1, len(started.ids)))
	fmt.Fprintf(cmd.OutOrStdout(), "%d identifications parked (waiting for the SMS code), %d failed to start\n", len(started.ids), o.park-len(started.ids))
	fmt.Fprintf(cmd.OutOrStdout(), "worker RSS %.0f MiB -> %.0f MiB (%.1f KiB per parked flow), goroutines %.0f -> %.0f (%.1f per flow)\n",
		before["process_resident_memory_bytes"]/(1<<20), after["process_resident_memory_bytes"]/(1<<20),
		(after["process_resident_memory_bytes"]-before["process_resident_memory_bytes"])/1024/n,
		before["go_goroutines"], after["go_goroutines"], (after["go_goroutines"]-before["go_goroutines"])/n)
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

// processMetrics reads the worker's process figures from its gateway's /metrics.
func (g *gatewayClient) processMetrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := g.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if ok && (name == "process_resident_memory_bytes" || name == "go_goroutines") {
			out[name], _ = strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	return out, nil
}
