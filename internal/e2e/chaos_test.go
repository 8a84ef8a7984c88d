package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"idflow/internal/pii"
	"idflow/internal/providers/idngo"
	sandboxfns "idflow/internal/sandbox/fns"
	sandboxidngo "idflow/internal/sandbox/idngo"
	sandboxmandarin "idflow/internal/sandbox/mandarin"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/simplifiedid"
)

// TestTwoWorkersOnPostgres: two worker processes (not -dev) share one
// Temporal server and one PostgreSQL store, each with its gateway behind
// the load balancer; one is killed with SIGKILL mid-flight and not
// restarted. Every flow finishes on the other; no webhook is lost or
// delivered twice, and no provider side effect happens twice.
func TestTwoWorkersOnPostgres(t *testing.T) {
	c := startCluster(t, clusterOptions{workers: 2})
	run := c.drive(t, flowMix{identifications: 10, kycs: 10, registrations: 5, concurrency: 25}, func(ctx context.Context) {
		select {
		case <-time.After(2 * time.Second):
			c.kill(c.workers[0])
			t.Log("worker 0 killed with SIGKILL")
		case <-ctx.Done():
		}
	})
	c.verify(t, run)
}

// TestChaos: flows of every kind while the sandboxes fail a share of
// requests (IDFLOW_CHAOS_FAULTS, default 30 %: errors, timeouts, resets,
// lost answers; webhooks dropped, duplicated, delayed) and a worker is
// killed with SIGKILL at random moments (IDFLOW_CHAOS_KILLS, default 5)
// and restarted. Afterwards every flow has its outcome, no provider side
// effect happened twice, every stored webhook was signalled exactly once
// and nothing is left running. IDFLOW_CHAOS_FLOWS (default 24) sets the
// size; `make chaos` runs a few hundred.
func TestChaos(t *testing.T) {
	flows := envInt(t, "IDFLOW_CHAOS_FLOWS", 24)
	kills := envInt(t, "IDFLOW_CHAOS_KILLS", 5)
	seed := envInt(t, "IDFLOW_CHAOS_SEED", 1)
	spec := cmp.Or(os.Getenv("IDFLOW_CHAOS_FAULTS"), "all=0.3,hang=2s,maxdelay=1s")
	spec = "seed=" + strconv.Itoa(seed) + "," + spec
	c := startCluster(t, clusterOptions{workers: 2, faults: spec})
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	mix := flowMix{identifications: flows / 3, kycs: flows / 3, registrations: flows - 2*(flows/3), concurrency: 50}
	run := c.drive(t, mix, func(ctx context.Context) {
		for i := range kills {
			select {
			case <-time.After(time.Duration(1000+rng.IntN(3000)) * time.Millisecond):
			case <-ctx.Done():
				return
			}
			w := c.workers[i%len(c.workers)] // each in turn, at random moments
			c.kill(w)
			if err := c.launch(w); err != nil {
				t.Errorf("restart after kill %d: %v", i+1, err)
				return
			}
			t.Logf("kill %d: worker %s killed with SIGKILL and restarted", i+1, w.addr)
		}
	})
	c.verify(t, run)
}

// flowMix is how many flows of each kind drive starts, and how many at once.
type flowMix struct {
	identifications, kycs, registrations, concurrency int
}

// drive is one run's record.
type driveRun struct {
	mix       flowMix
	kycIDs    []string
	fnsIDs    []string
	elapsed   time.Duration
	durations []time.Duration
}

// drive runs the flows concurrently while disturb runs beside them; a
// flow that does not end with its expected outcome fails the test.
func (c *cluster) drive(t *testing.T, mix flowMix, disturb func(ctx context.Context)) driveRun {
	t.Helper()
	// Under 30 % faults an activity of several provider calls (the FNS
	// agent's identification makes four) needs many attempts, and its
	// backoff reaches minutes: a bigger run gets more time.
	total := mix.identifications + mix.kycs + mix.registrations
	ctx, cancel := context.WithTimeout(context.Background(), max(4*time.Minute, time.Duration(total)*6*time.Second))
	defer cancel()
	disturbCtx, stopDisturbing := context.WithCancel(ctx)
	disturbed := make(chan struct{})
	go func() { defer close(disturbed); disturb(disturbCtx) }()

	run := driveRun{mix: mix}
	var mu sync.Mutex
	var errs []error
	var failed []string // failed are the workflow ids of the flows in errs.
	var wg sync.WaitGroup
	slots := make(chan struct{}, mix.concurrency)
	start := time.Now()
	launch := func(name, workflowID string, flow func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			began := time.Now()
			err := flow(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				failed = append(failed, workflowID)
			}
			run.durations = append(run.durations, time.Since(began))
		}()
	}
	for i := range mix.identifications {
		launch(fmt.Sprintf("identification %d", i), simplifiedid.WorkflowID(fmt.Sprintf("chaos-%d", i)),
			func(ctx context.Context) error { return c.identify(ctx, i) })
	}
	for i := range mix.kycs {
		id := fmt.Sprintf("chaos-user-%d", i)
		run.kycIDs = append(run.kycIDs, kyc.WorkflowID(id))
		launch("kyc "+id, kyc.WorkflowID(id), func(ctx context.Context) error { return c.verifyKYC(ctx, id, i) })
	}
	if mix.registrations > 0 {
		agentID, err := c.createFNSAgent(ctx)
		require.NoError(t, err, "the FNS agent")
		for i := range mix.registrations {
			id := fnsregistration.WorkflowID(fmt.Sprintf("chaos-fns-%d", i))
			run.fnsIDs = append(run.fnsIDs, id)
			launch(fmt.Sprintf("FNS registration %d", i), id, func(ctx context.Context) error { return c.registerFNS(ctx, i, agentID) })
		}
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	stopDisturbing()
	<-disturbed
	for _, id := range failed {
		c.explain(t, id)
	}
	require.Empty(t, errs, "flows that did not end as expected:\n%s", joinErrors(errs))
	return run
}

// explain logs what an operator would look at for a flow that did not
// finish: its status, pending activities and updates, its last events
// and the workers' log lines about it.
func (c *cluster) explain(t *testing.T, workflowID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if d, err := c.client.DescribeWorkflowExecution(ctx, workflowID, ""); err == nil {
		t.Logf("%s: %s, pending activities %v, pending workflow task %v", workflowID,
			d.GetWorkflowExecutionInfo().GetStatus(), d.GetPendingActivities(), d.GetPendingWorkflowTask())
	}
	iter := c.client.GetWorkflowHistory(ctx, workflowID, "", false, 0)
	var events []string
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			break
		}
		events = append(events, ev.GetEventType().String())
	}
	t.Logf("%s: %d events, the last: %v", workflowID, len(events), events[max(0, len(events)-15):])
	for i, w := range c.workers {
		for _, line := range strings.Split(w.out.String(), "\n") {
			if strings.Contains(line, workflowID) {
				t.Logf("worker %d: %s", i, line)
			}
		}
	}
}

// identify runs one simplified identification to acceptance: the person is
// stored, the workflow started, the right SMS code sent.
func (c *cluster) identify(ctx context.Context, n int) error {
	p := pii.Person{LastName: sandboxmandarin.TestLastName, FirstName: sandboxmandarin.TestFirstName,
		Patronymic: sandboxmandarin.TestPatronymic, PassportSeries: sandboxmandarin.TestPassportSeries,
		PassportNumber: fmt.Sprintf("%06d", n), SNILS: sandboxmandarin.TestSNILS, Phone: sandboxmandarin.TestPhone}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	doc, err := c.putDocument(ctx, "person.json", simplifiedid.PersonMediaType, body)
	if err != nil {
		return err
	}
	in := simplifiedid.Input{RequestID: fmt.Sprintf("chaos-%d", n), PersonDocumentID: doc,
		PersonCheckPollInitial: 500 * time.Millisecond, PersonCheckPollMax: time.Second}
	wfRun, err := c.startWorkflow(ctx, simplifiedid.WorkflowID(in.RequestID), simplifiedid.WorkflowType, in)
	if err != nil {
		return err
	}
	res, err := c.sendSMSCode(ctx, wfRun.GetID())
	if err != nil {
		return fmt.Errorf("send the SMS code: %w", err)
	}
	if !res.Accepted {
		return fmt.Errorf("SMS code: %+v, want accepted", res)
	}
	var out simplifiedid.Status
	if err := c.result(ctx, wfRun, &out); err != nil {
		return err
	}
	if out.Outcome != process.OutcomeAccepted {
		return fmt.Errorf("outcome %s (%s), want accepted", out.Outcome, out.Reason)
	}
	return nil
}

// sendSMSCode sends the right code as a service does (see screenUpdate):
// a failed attempt is followed by a new one, as the person would type the
// code again.
func (c *cluster) sendSMSCode(ctx context.Context, workflowID string) (simplifiedid.SMSCodeResult, error) {
	var res simplifiedid.SMSCodeResult
	err := c.screenUpdate(ctx, workflowID, simplifiedid.SubmitSMSCodeUpdate,
		simplifiedid.SMSCodeRequest{Code: sandboxmandarin.DefaultAcceptedCode}, &res)
	return res, err
}

// verifyKYC runs one IDnGO verification to GREEN and the end of a short
// monitoring. A lost webhook is made up for by the read after a minute.
func (c *cluster) verifyKYC(ctx context.Context, externalUserID string, n int) error {
	var docs []kyc.Document
	for _, d := range []struct{ typ, side, name string }{{"ID_CARD", "FRONT_SIDE", "front.jpg"}, {"ID_CARD", "BACK_SIDE", "back.jpg"}, {"SELFIE", "", "selfie.jpg"}} {
		id, err := c.putDocument(ctx, d.name, "image/jpeg", fmt.Appendf(nil, "\xff\xd8\xff\xe0 %s of %d", d.name, n))
		if err != nil {
			return err
		}
		docs = append(docs, kyc.Document{IDDocType: d.typ, IDDocSubType: d.side, Country: "RUS", DocumentID: id})
	}
	in := kyc.Input{ExternalUserID: externalUserID, LevelName: "basic-kyc-level", Documents: docs,
		Applicant:      kyc.ApplicantRef{Info: &pii.ApplicantInfo{FirstName: "Иван", LastName: "Иванов"}},
		ReconcileAfter: time.Minute, MonitorReconcileEvery: time.Hour, MonitoringPeriod: 10 * time.Second}
	wfRun, err := c.startWorkflow(ctx, kyc.WorkflowID(externalUserID), kyc.WorkflowType, in)
	if err != nil {
		return err
	}
	var out kyc.Status
	if err := c.result(ctx, wfRun, &out); err != nil {
		return err
	}
	if out.Outcome != process.OutcomeAccepted {
		return fmt.Errorf("outcome %s (%s), want accepted", out.Outcome, out.Reason)
	}
	return nil
}

// startWorkflow starts a workflow, retrying while Temporal or the codec
// (a gateway) cannot be reached; a start whose answer was lost returns the
// running workflow on the retry.
func (c *cluster) startWorkflow(ctx context.Context, id, workflowType string, in any) (client.WorkflowRun, error) {
	return retry(ctx, func() (client.WorkflowRun, error) {
		return c.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "idflow-e2e"}, workflowType, in)
	})
}

// result waits for a workflow's result, retrying while the codec's
// gateway restarts; a workflow that failed is reported at once.
func (c *cluster) result(ctx context.Context, run client.WorkflowRun, out any) error {
	var failed error
	_, err := retry(ctx, func() (struct{}, error) {
		err := run.Get(ctx, out)
		var wfErr *temporal.WorkflowExecutionError
		if errors.As(err, &wfErr) {
			failed = err
			return struct{}{}, nil
		}
		return struct{}{}, err
	})
	return cmp.Or(failed, err)
}

// verify checks what the run left behind and prints the figures.
func (c *cluster) verify(t *testing.T, run driveRun) {
	t.Helper()
	report := c.counts()
	for _, kind := range []string{sandboxidngo.CountApplicant, sandboxidngo.CountUpload, sandboxidngo.CountReview, sandboxfns.CountWorkflow} {
		assert.Empty(t, report.Duplicates[kind], "%s done twice", kind)
	}
	assert.Equal(t, run.mix.kycs, report.Totals[sandboxidngo.CountApplicant], "one applicant per verification")
	assert.Equal(t, 3*run.mix.kycs, report.Totals[sandboxidngo.CountUpload], "three images per verification")
	assert.Equal(t, run.mix.kycs, report.Totals[sandboxidngo.CountReview], "one review per verification")
	assert.GreaterOrEqual(t, report.Totals[sandboxfns.CountWorkflow], run.mix.registrations, "an FNS workflow per registration (and its certificate's)")
	// Mandarin has no idempotency key: only a lost answer to a session's
	// creation makes a second session (the workflow keeps the one it got).
	sessions := report.Totals[sandboxmandarin.CountSession]
	assert.LessOrEqual(t, sessions-run.mix.identifications, report.Faults["lost"], "extra Mandarin sessions come from lost answers only")

	// Every stored webhook and callback was delivered, and signalled exactly
	// once; only one that came after its workflow had ended (FNS's last
	// callback, when a poll saw the end first) cannot be, and is kept.
	var undelivered, rows []inboxRow
	late := map[string]int{}
	assert.EventuallyWithT(t, func(ct *assert.CollectT) {
		rows, undelivered = c.inbox(), nil
		clear(late)
		for _, ev := range rows {
			switch {
			case ev.Status == "delivered":
			case ev.Status == "unmatched" && strings.Contains(ev.LastError, "already completed") && c.ended(ev.WorkflowID):
				late[ev.Provider]++
			default:
				undelivered = append(undelivered, ev)
			}
		}
		assert.Empty(ct, undelivered, "undelivered inbox events")
	}, 2*time.Minute, 500*time.Millisecond, "undelivered: %+v", undelivered)
	stored := map[string]int{}
	keys := map[string]int{}
	for _, ev := range rows {
		if ev.Provider == "idngo" && !slices.Contains([]string{idngo.TypeApplicantCreated, idngo.TypeApplicantPending, idngo.TypeApplicantReviewed}, ev.EventType) {
			continue // not signalled: the workflow has no use for it
		}
		stored[ev.Provider]++
		keys[ev.Provider+"/"+ev.DedupeKey]++
	}
	for key, n := range keys {
		assert.Equal(t, 1, n, "webhook %s stored once", key)
	}
	signals := map[string]int{
		"idngo": c.signalsIn(t, run.kycIDs, kyc.EventSignal),
		"fns":   c.signalsIn(t, run.fnsIDs, fnsregistration.CallbackSignal),
	}
	assert.Equal(t, stored["idngo"]-late["idngo"], signals["idngo"], "each stored IDnGO webhook signalled exactly once")
	assert.Equal(t, stored["fns"]-late["fns"], signals["fns"], "each stored FNS callback signalled exactly once")

	// Nothing is left running.
	open, err := c.client.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
		Query: "ExecutionStatus = 'Running'"})
	require.NoError(t, err)
	assert.Zero(t, open.GetCount(), "workflows still running")

	slices.Sort(run.durations)
	pct := func(p float64) time.Duration { return percentileOf(run.durations, p) }
	t.Logf("chaos summary: %d flows (%d identifications, %d KYC, %d FNS registrations) in %s; start→outcome p50 %s p95 %s max %s",
		len(run.durations), run.mix.identifications, run.mix.kycs, run.mix.registrations, run.elapsed.Round(time.Millisecond), pct(0.5), pct(0.95), pct(1))
	t.Logf("chaos summary: faults injected %v; requests moved to another gateway %d", report.Faults, c.lb.failover.Load())
	t.Logf("chaos summary: provider side effects %v, duplicates %v", report.Totals, report.Duplicates)
	t.Logf("chaos summary: IDnGO webhooks %d stored, %d signalled, %d after their workflow ended; FNS callbacks %d stored, %d signalled, %d after the end; %d workflows left running",
		stored["idngo"], signals["idngo"], late["idngo"], stored["fns"], signals["fns"], late["fns"], open.GetCount())
	lat := deliveryLatencies(rows)
	t.Logf("chaos summary: webhook stored → signalled and recorded: p50 %s p99 %s max %s", percentileOf(lat, 0.5), percentileOf(lat, 0.99), percentileOf(lat, 1))
}

// ended reports whether the workflow has closed.
func (c *cluster) ended(workflowID string) bool {
	d, err := c.client.DescribeWorkflowExecution(context.Background(), workflowID, "")
	return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// signalsIn counts the signals named name in the workflows' histories.
func (c *cluster) signalsIn(t *testing.T, workflowIDs []string, name string) int {
	sys := &system{client: c.client}
	n := 0
	for _, id := range workflowIDs {
		for _, ev := range sys.history(t, id).Events {
			if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED &&
				ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == name {
				n++
			}
		}
	}
	return n
}

// envInt reads a positive integer setting of the chaos test.
func envInt(t *testing.T, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, key)
	return n
}

// deliveryLatencies are the delivered events' stored → delivered times, sorted.
func deliveryLatencies(rows []inboxRow) []time.Duration {
	const layout = "2006-01-02T15:04:05.000000Z"
	var out []time.Duration
	for _, r := range rows {
		received, err1 := time.Parse(layout, r.ReceivedAt)
		delivered, err2 := time.Parse(layout, r.DeliveredAt)
		if err1 == nil && err2 == nil {
			out = append(out, delivered.Sub(received))
		}
	}
	slices.Sort(out)
	return out
}

func percentileOf(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))].Round(time.Millisecond)
}
