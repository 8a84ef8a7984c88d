package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"idflow/internal/clocktest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"idflow/internal/store"
)

// testProvider's bodies are JSON {"workflowId": ...}; its events are
// signalled as "webhook" with a testPayload.
const (
	testProvider = "acme"
	testSignal   = "webhook"
)

type testPayload struct {
	EventID   string // the dedupe key, for the workflow to ignore repeats
	EventType string
}

// testRoute routes testProvider's events.
func testRoute(ev store.InboxEvent) (Delivery, error) {
	var body struct {
		WorkflowID string `json:"workflowId"`
	}
	if err := json.Unmarshal(ev.Body, &body); err != nil {
		return Delivery{}, errors.New("body is not JSON")
	}
	if body.WorkflowID == "" {
		return Delivery{}, errors.New("body names no workflow")
	}
	return Delivery{WorkflowID: body.WorkflowID, SignalName: testSignal,
		Payload: testPayload{EventID: ev.DedupeKey, EventType: ev.EventType}}, nil
}

// sent is one signal the fake signaler accepted.
type sent struct {
	WorkflowID, RequestID, Name string
	Payload                     any
}

// fakeSignaler records signals; fail, if set, decides each call's error
// (n counts calls from 1).
type fakeSignaler struct {
	mu    sync.Mutex
	calls int
	sent  []sent
	fail  func(n int, s sent) error
}

func (f *fakeSignaler) SignalOnce(_ context.Context, workflowID, requestID, signalName string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	s := sent{WorkflowID: workflowID, RequestID: requestID, Name: signalName, Payload: arg}
	if f.fail != nil {
		if err := f.fail(f.calls, s); err != nil {
			return err
		}
	}
	f.sent = append(f.sent, s)
	return nil
}

func (f *fakeSignaler) setFail(fail func(n int, s sent) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

// failFor makes every signal to workflowID fail with err.
func (f *fakeSignaler) failFor(workflowID string, err error) {
	f.setFail(func(_ int, s sent) error {
		if s.WorkflowID == workflowID {
			return err
		}
		return nil
	})
}

// workflows lists the workflow ids of the accepted signals, in order.
func (f *fakeSignaler) workflows() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []string{}
	for _, s := range f.sent {
		out = append(out, s.WorkflowID)
	}
	return out
}

// all returns the accepted signals.
func (f *fakeSignaler) all() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

func (f *fakeSignaler) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// newFakeClock starts a minute ahead of the real clock, so that events
// stored from now on are due at once.
func newFakeClock() *clocktest.Clock {
	return clocktest.New(time.Now().UTC().Add(time.Minute).Truncate(time.Microsecond))
}

// fixture is a store, a fake signaler, a fake clock and a metrics registry.
type fixture struct {
	t     *testing.T
	url   string
	st    *store.Store
	sig   *fakeSignaler
	clock *clocktest.Clock
	reg   *prometheus.Registry
}

func newFixture(t *testing.T, dbURL string) *fixture {
	t.Helper()
	return &fixture{t: t, url: dbURL, st: openStore(t, dbURL), sig: &fakeSignaler{}, clock: newFakeClock(),
		reg: prometheus.NewRegistry()}
}

func openStore(t *testing.T, dbURL string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// options are fast test options on the fixture's clock; a real dispatcher
// polls every second.
func (f *fixture) options() Options {
	return Options{PollInterval: 5 * time.Millisecond, Lease: 30 * time.Second, MinBackoff: time.Second,
		MaxBackoff: 8 * time.Second, UnmatchedAttempts: 3, BatchSize: 10, Clock: f.clock.Now}
}

func (f *fixture) dispatcher(sig Signaler, opts Options) *Dispatcher {
	routes := map[string]Route{testProvider: testRoute}
	log := zaptest.NewLogger(f.t, zaptest.Level(zapcore.WarnLevel))
	return NewDispatcher(f.st, sig, routes, log, f.reg, opts)
}

// run runs d until the returned stop is called (or the test ends); stop
// waits for Run to return and checks it returned nil.
func (f *fixture) run(d *Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := runUntil(ctx, d)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(f.t, <-done)
		})
	}
	f.t.Cleanup(stop)
	return stop
}

// runUntil runs d in a goroutine; the channel yields Run's result.
func runUntil(ctx context.Context, d *Dispatcher) <-chan error {
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return done
}

// add stores a new testProvider event for workflowID.
func (f *fixture) add(key, workflowID string) store.InboxEvent {
	f.t.Helper()
	return f.addRaw(testProvider, key, []byte(`{"workflowId":"`+workflowID+`"}`))
}

func (f *fixture) addRaw(provider, key string, body []byte) store.InboxEvent {
	f.t.Helper()
	ev, inserted, err := f.st.AddInboxEvent(context.Background(), provider, key, "test.event", body)
	require.NoError(f.t, err)
	require.True(f.t, inserted)
	return ev
}

func (f *fixture) event(id string) store.InboxEvent {
	f.t.Helper()
	ev, err := f.st.GetInboxEvent(context.Background(), id)
	require.NoError(f.t, err)
	return ev
}

// waitFor waits until cond holds for the event.
func (f *fixture) waitFor(id, what string, cond func(ev store.InboxEvent) bool) store.InboxEvent {
	f.t.Helper()
	var last store.InboxEvent
	require.Eventually(f.t, func() bool {
		ev, err := f.st.GetInboxEvent(context.Background(), id)
		last = ev
		return err == nil && cond(ev)
	}, 10*time.Second, 2*time.Millisecond, "event %s: %s; last state: status %s, attempts %d",
		id, what, last.Status, last.Attempts)
	return f.event(id)
}

func (f *fixture) waitDelivered(id string) store.InboxEvent {
	f.t.Helper()
	return f.waitFor(id, "delivered", func(ev store.InboxEvent) bool { return ev.Status == store.InboxDelivered })
}

// waitCalls waits until the signaler was called at least n times.
func (f *fixture) waitCalls(n int) {
	f.t.Helper()
	require.Eventually(f.t, func() bool { return f.sig.callCount() >= n }, 10*time.Second, 2*time.Millisecond,
		"want %d signal calls", n)
}

func (f *fixture) waitAttempts(id string, n int) store.InboxEvent {
	f.t.Helper()
	return f.waitFor(id, "attempted", func(ev store.InboxEvent) bool { return ev.Attempts >= n })
}

// counter reads a counter of the fixture's registry; 0 when absent.
func (f *fixture) counter(name string, labels map[string]string) float64 {
	f.t.Helper()
	mfs, err := f.reg.Gather()
	require.NoError(f.t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// histogram reads the count and sum of a histogram of the fixture's
// registry for testProvider; zeros when absent.
func (f *fixture) histogram(name string) (count uint64, sum float64) {
	f.t.Helper()
	mfs, err := f.reg.Gather()
	require.NoError(f.t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == name && len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == testProvider {
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

func byProvider(reason string) map[string]string {
	m := map[string]string{"provider": testProvider}
	if reason != "" {
		m["reason"] = reason
	}
	return m
}
