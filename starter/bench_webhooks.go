package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/config"
	"idflow/internal/providers/idngo"
	"idflow/workflows/kyc"
)

// webhooksKind posts signed IDnGO webhooks at a fixed rate, each for one
// of the bench's own sink workflows, whose ids are KYC ids: the gateway
// verifies and stores each, the inbox signals it, as for a real KYC.
const webhooksKind = "webhooks"

// sinkWorkflowName takes a number of IDnGO event signals, then ends.
const sinkWorkflowName = "BenchWebhookSink"

// webhookSinks is how many workflows the webhooks are spread over: real
// webhooks go to many workflows, a few each.
const webhookSinks = 100

func sinkFlow(ctx workflow.Context, signals int) error {
	events := workflow.GetSignalChannel(ctx, kyc.EventSignal)
	for range signals {
		events.Receive(ctx, nil) // the payload is sealed with the worker's keys: only counted
	}
	return nil
}

// runWebhooksBench posts o.flows webhooks at o.rate a second through the
// gateway, then, as the baseline, signals as many directly at the same rate.
func runWebhooksBench(ctx context.Context, progressTo io.Writer, b *bench, o benchOptions) ([]*benchResult, error) {
	queue := "idflow-bench-sink-" + b.run
	bc, stop, err := startBareWorker(b.c, queue, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(sinkFlow, workflow.RegisterOptions{Name: sinkWorkflowName})
	})
	if err != nil {
		return nil, err
	}
	defer stop()
	secret := cmp.Or(b.env.cfg.IDnGOWebhookSecret, config.DevIDnGOWebhookSecret)
	post := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	via := func(user string, i int) error {
		return postWebhook(ctx, post, b.gw.baseURL, secret, b.env.cfg.IDnGOWebhookDigestAlg, user, i)
	}
	direct := func(user string, _ int) error {
		return bc.SignalWorkflow(ctx, kyc.WorkflowID(user), "", kyc.EventSignal, nil)
	}
	before, err := b.gw.metrics(ctx)
	if err != nil {
		return nil, err
	}
	real, err := burst(ctx, progressTo, bc, queue, "webhooks", b.run+"-gw", o, via)
	if err != nil {
		return nil, err
	}
	after, err := b.gw.metrics(ctx)
	if err != nil {
		return nil, err
	}
	real.setCallbacks(before, after)
	results := []*benchResult{real}
	if o.baseline {
		bare, err := burst(ctx, progressTo, bc, queue, "bare signals", b.run+"-bare", o, direct)
		if err != nil {
			return nil, err
		}
		results = append(results, bare)
	}
	return results, nil
}

// burst starts the sinks, sends o.flows events at o.rate a second with
// send (never waiting for one to be answered before the next is due),
// and waits for the sinks to have them all.
func burst(ctx context.Context, progressTo io.Writer, bc client.Client, queue, kind, run string, o benchOptions,
	send func(user string, i int) error) (*benchResult, error) {
	sinks := min(o.flows, webhookSinks)
	var runs []client.WorkflowRun
	for j := range sinks {
		signals := o.flows / sinks
		if j < o.flows%sinks {
			signals++
		}
		wf, err := bc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: kyc.WorkflowID(sinkUser(run, j)), TaskQueue: queue},
			sinkWorkflowName, signals)
		if err != nil {
			return nil, fmt.Errorf("start a sink: %w", err)
		}
		runs = append(runs, wf)
	}
	r := &benchResult{Kind: kind, Flows: o.flows, Failures: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var latencies []time.Duration
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
	defer tick.Stop()
	start := time.Now()
	for i := range o.flows {
		<-tick.C
		wg.Go(func() {
			began := time.Now()
			err := send(sinkUser(run, i%sinks), i)
			took := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Failures[failureKind(err)]++
			} else {
				latencies = append(latencies, took)
			}
			progress(progressTo, kind, len(latencies)+countFailures(r.Failures), o.flows)
		})
	}
	wg.Wait()
	fmt.Fprintln(progressTo)
	r.Seconds = time.Since(start).Seconds()
	r.FlowsPerSecond = float64(len(latencies)) / r.Seconds
	r.LatencyMS = latencyMS(latencies)
	if countFailures(r.Failures) > 0 {
		return r, nil // the sinks would wait for ever
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, wf := range runs {
		if err := wf.Get(waitCtx, nil); err != nil {
			return nil, fmt.Errorf("a sink did not get its signals: %w", err)
		}
	}
	return r, nil
}

func sinkUser(run string, j int) string { return fmt.Sprintf("bench-sink-%s-%d", run, j) }

func countFailures(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// postWebhook posts one applicantPending webhook for user, signed as IDnGO
// signs it; only a 2xx counts.
func postWebhook(ctx context.Context, hc *http.Client, gatewayURL, secret, alg, user string, i int) error {
	body, err := json.Marshal(idngo.Webhook{ApplicantID: fmt.Sprintf("bench%d", i), CorrelationID: uuid.NewString(),
		ExternalUserID: user, LevelName: "basic-kyc-level", Type: idngo.TypeApplicantPending, ReviewStatus: "pending",
		SandboxMode: true, CreatedAtMs: time.Now().UTC().Format(idngo.CreatedAtMsLayout)})
	if err != nil {
		return err
	}
	digest, err := idngo.PayloadDigest(secret, alg, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gatewayURL+"/webhooks/idngo", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(idngo.HeaderPayloadDigest, digest)
	req.Header.Set(idngo.HeaderPayloadDigestAlg, alg)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST /webhooks/idngo: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST /webhooks/idngo: %s", resp.Status)
	}
	return nil
}
