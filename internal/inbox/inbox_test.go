package inbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"idflow/internal/store"
)

func TestDeliversOnceAndMarksDelivered(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		ev := f.add("evt-1", "wf-1")
		f.run(f.dispatcher(f.sig, f.options()))

		got := f.waitDelivered(ev.ID)
		assert.Equal(t, "wf-1", got.WorkflowID)
		assert.Equal(t, 1, got.Attempts)
		assert.Equal(t, f.clock.Now(), got.DeliveredAt)
		assert.True(t, got.NextAttemptAt.IsZero())
		assert.True(t, got.LeaseUntil.IsZero())
		assert.Empty(t, got.LastError)
		require.Equal(t, []sent{{WorkflowID: "wf-1", RequestID: ev.ID, Name: testSignal,
			Payload: testPayload{EventID: "evt-1", EventType: "test.event"}}}, f.sig.all(),
			"the event's id is the signal's request id: Temporal drops a repeat")

		// Later events go out too; the delivered one is never signalled again.
		ev2 := f.add("evt-2", "wf-2")
		f.waitDelivered(ev2.ID)
		f.clock.Advance(time.Hour)
		ev3 := f.add("evt-3", "wf-3")
		f.waitDelivered(ev3.ID)
		assert.Equal(t, []string{"wf-1", "wf-2", "wf-3"}, f.sig.workflows())
		assert.Equal(t, 3.0, f.counter("idflow_inbox_delivered_total", byProvider("")))
	})
}

// TestDeliveryLatencyObserved: the time from an event's acceptance to its
// signal goes into idflow_inbox_delivery_seconds, which the bench and an
// operator read.
func TestDeliveryLatencyObserved(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		ev := f.add("evt-1", "wf-1")
		f.clock.Advance(2 * time.Second)
		f.run(f.dispatcher(f.sig, f.options()))
		f.waitDelivered(ev.ID)
		count, sum := f.histogram(DeliveryLatencyMetric)
		assert.Equal(t, uint64(1), count)
		assert.InDelta(t, f.clock.Now().Sub(ev.ReceivedAt).Seconds(), sum, 1e-6)
	})
}

// TestDuplicateWebhookSignalledOnce: the provider sends one event three
// times, before and after it is delivered.
func TestDuplicateWebhookSignalledOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		ctx := context.Background()
		body := []byte(`{"workflowId":"wf-1"}`)
		ev := f.addRaw(testProvider, "evt-1", body)
		_, inserted, err := f.st.AddInboxEvent(ctx, testProvider, "evt-1", "test.event", body)
		require.NoError(t, err)
		require.False(t, inserted)
		d := f.dispatcher(f.sig, f.options())
		f.run(d)
		f.waitDelivered(ev.ID)

		_, inserted, err = f.st.AddInboxEvent(ctx, testProvider, "evt-1", "test.event", body)
		require.NoError(t, err)
		require.False(t, inserted)
		d.Notify()
		f.waitDelivered(f.add("evt-2", "wf-2").ID) // a full pass after the repeat
		assert.Equal(t, []string{"wf-1", "wf-2"}, f.sig.workflows())
	})
}

// TestTemporalOutage: while Temporal is unreachable the dispatcher pauses
// after each failed call, for a backoff that grows with the outage, and
// claims nothing meanwhile, so an outage costs one call per pause and a
// worker cut off from Temporal leaves the rows to workers that can deliver
// them. The events stay pending; once Temporal is back they are delivered,
// once.
func TestTemporalOutage(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		var down atomic.Bool
		down.Store(true)
		f.sig.setFail(func(int, sent) error {
			if down.Load() {
				return serviceerror.NewUnavailable("connection refused")
			}
			return nil
		})
		a, b := f.add("evt-a", "wf-a"), f.add("evt-b", "wf-b")
		f.run(f.dispatcher(f.sig, f.options()))

		pauses := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
		for i, pause := range pauses {
			f.waitCalls(i + 1)
			time.Sleep(50 * time.Millisecond) // ten polls
			require.Equal(t, i+1, f.sig.callCount(), "no call while paused (%s)", pause)
			f.clock.Advance(pause)
		}
		for _, ev := range []store.InboxEvent{a, b} {
			got := f.event(ev.ID)
			assert.Equal(t, store.InboxPending, got.Status)
			assert.Contains(t, got.LastError, "connection refused")
			assert.True(t, got.LeaseUntil.IsZero(), "released after each attempt")
		}
		assert.Empty(t, f.sig.workflows())

		down.Store(false) // the last pause has passed: the next poll delivers
		for _, ev := range []store.InboxEvent{a, b} {
			got := f.waitDelivered(ev.ID)
			assert.Empty(t, got.LastError)
		}
		assert.ElementsMatch(t, []string{"wf-a", "wf-b"}, f.sig.workflows())
		assert.Equal(t, len(pauses)+2, f.sig.callCount(), "one call per pause, then one per event")
		assert.Equal(t, float64(len(pauses)), f.counter("idflow_inbox_failures_total", byProvider(ReasonUnavailable)))
		assert.Equal(t, 2.0, f.counter("idflow_inbox_delivered_total", byProvider("")))
	})
}

// TestPoisonEventsDoNotStopTheRest: events Temporal refuses for good (an
// invalid argument, a workflow id gRPC cannot send) end "failed" with the
// reason at once; events failing otherwise back off one by one; neither
// kind stops the batch, so an event behind a hundred of them is delivered
// on the first pass.
func TestPoisonEventsDoNotStopTheRest(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		f.sig.setFail(func(_ int, s sent) error {
			switch {
			case strings.HasPrefix(s.WorkflowID, "wf-invalid"):
				return serviceerror.NewInvalidArgument("WorkflowId is not valid")
			case strings.HasPrefix(s.WorkflowID, "wf-header"):
				return status.Error(codes.Internal, `header key "temporal-resource-id" contains value with non-printable ASCII characters`)
			case strings.HasPrefix(s.WorkflowID, "wf-busy"):
				return serviceerror.NewResourceExhausted(enumspb.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT, "busy")
			}
			return nil
		})
		var poison []store.InboxEvent
		for i := range 40 {
			for _, kind := range []string{"invalid", "header", "busy"} {
				poison = append(poison, f.add(fmt.Sprintf("evt-%s-%d", kind, i), fmt.Sprintf("wf-%s-%d", kind, i)))
			}
		}
		good := f.add("evt-good", "wf-good")
		opts := f.options()
		opts.PollInterval = time.Hour // one pass only: the one at start
		f.run(f.dispatcher(f.sig, opts))

		f.waitDelivered(good.ID)
		for _, ev := range poison {
			got := f.waitAttempts(ev.ID, 1)
			if strings.HasPrefix(got.WorkflowID, "wf-busy") {
				assert.Equal(t, store.InboxPending, got.Status, "retried later, on its own")
				assert.Equal(t, f.clock.Now().Add(time.Second), got.NextAttemptAt)
				continue
			}
			assert.Equal(t, store.InboxFailed, got.Status, got.WorkflowID)
			assert.True(t, got.NextAttemptAt.IsZero(), "never retried")
			assert.Contains(t, got.LastError, "refused: ")
		}
		assert.Equal(t, 80.0, f.counter("idflow_inbox_failures_total", byProvider(ReasonRefused)))
		assert.Equal(t, 40.0, f.counter("idflow_inbox_failures_total", byProvider(ReasonRetryable)))
	})
}

// TestRestartDeliversTheRest stops a dispatcher in the middle of its work
// and starts a new one, with a new signaler, on the same database.
func TestRestartDeliversTheRest(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		var evs []store.InboxEvent
		for i := range 5 {
			evs = append(evs, f.add(fmt.Sprint("evt-", i), fmt.Sprint("wf-", i)))
		}
		// The first process is told to stop while it signals the third event.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := &fakeSignaler{fail: func(n int, _ sent) error {
			if n == 3 {
				cancel()
			}
			return nil
		}}
		oneLane := f.options()
		oneLane.Lanes = 1 // one event in flight at a time, so which are done is known
		require.NoError(t, <-runUntil(ctx, f.dispatcher(first, oneLane)))
		assert.Equal(t, []string{"wf-0", "wf-1", "wf-2"}, first.workflows(), "the signal in flight completes")
		for i, ev := range evs {
			got := f.event(ev.ID)
			assert.True(t, got.LeaseUntil.IsZero(), "a graceful stop leaves no lease")
			if i < 3 {
				assert.Equal(t, store.InboxDelivered, got.Status)
			} else {
				assert.Equal(t, store.InboxPending, got.Status)
			}
		}

		// The new process reopens the database and picks up where it stopped.
		f.st = openStore(t, dbURL)
		second := &fakeSignaler{}
		f.run(f.dispatcher(second, f.options()))
		for _, ev := range evs {
			f.waitDelivered(ev.ID)
		}
		assert.Equal(t, []string{"wf-3", "wf-4"}, second.workflows())
	})
}

// TestCrashedHolderLeaseExpires: a process died holding a lease on an
// event; another one delivers it once the lease has passed, not before.
func TestCrashedHolderLeaseExpires(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		orphan := f.add("evt-orphan", "wf-orphan")
		opts := f.options()
		now := f.clock.Now()
		ok, err := f.st.ClaimInboxEvent(context.Background(), orphan.ID, now, now.Add(opts.Lease))
		require.NoError(t, err)
		require.True(t, ok)

		d := f.dispatcher(f.sig, opts)
		f.run(d)
		f.waitDelivered(f.add("evt-1", "wf-1").ID)
		d.Notify()
		f.waitDelivered(f.add("evt-2", "wf-2").ID)
		assert.Equal(t, store.InboxPending, f.event(orphan.ID).Status, "leased elsewhere")
		assert.Equal(t, []string{"wf-1", "wf-2"}, f.sig.workflows())

		f.clock.Advance(opts.Lease + time.Microsecond)
		got := f.waitDelivered(orphan.ID)
		assert.Equal(t, 1, got.Attempts)
		assert.Equal(t, []string{"wf-1", "wf-2", "wf-orphan"}, f.sig.workflows())
	})
}

// TestNotFoundBecomesUnmatched: a signal to a workflow Temporal does not
// know is retried UnmatchedAttempts times, then the event is kept as unmatched.
func TestNotFoundBecomesUnmatched(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		f.sig.failFor("wf-missing", serviceerror.NewNotFound("workflow not found for ID: wf-missing"))
		lost := f.add("evt-lost", "wf-missing")
		opts := f.options()
		f.run(f.dispatcher(f.sig, opts))

		for i := 1; i < opts.UnmatchedAttempts; i++ {
			got := f.waitAttempts(lost.ID, i)
			assert.Equal(t, store.InboxUnmatched, got.Status)
			assert.Equal(t, i, got.UnmatchedAttempts)
			assert.Equal(t, "wf-missing", got.WorkflowID)
			assert.Contains(t, got.LastError, "not found")
			pause := time.Second << (i - 1)
			assert.Equal(t, f.clock.Now().Add(pause), got.NextAttemptAt, "still retried")
			f.clock.Advance(pause)
		}
		got := f.waitFor(lost.ID, "given up", func(ev store.InboxEvent) bool { return ev.NextAttemptAt.IsZero() })
		assert.Equal(t, store.InboxUnmatched, got.Status)
		assert.Equal(t, opts.UnmatchedAttempts, got.Attempts)
		assert.Contains(t, got.LastError, "not found after 3 attempts")

		// Kept and listed for operators, never retried.
		f.clock.Advance(time.Hour)
		f.waitDelivered(f.add("evt-ok", "wf-ok").ID)
		assert.Equal(t, opts.UnmatchedAttempts+1, f.sig.callCount())
		listed, err := f.st.ListInboxEvents(context.Background(), store.InboxFilter{Status: store.InboxUnmatched})
		require.NoError(t, err)
		require.Len(t, listed, 1)
		assert.Equal(t, lost.ID, listed[0].ID)
		assert.Equal(t, 1.0, f.counter("idflow_inbox_unmatched_total", byProvider("")))
		assert.Equal(t, 3.0, f.counter("idflow_inbox_failures_total", byProvider(ReasonNotFound)))
	})
}

// TestClosedWorkflowIsUnmatchedAtOnce: a callback that comes after its
// workflow closed (FNS's last, when a poll saw the end first) is kept as
// unmatched at the first answer, not retried.
func TestClosedWorkflowIsUnmatchedAtOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		f.sig.failFor("wf-closed", serviceerror.NewNotFound("workflow execution already completed"))
		late := f.add("evt-late", "wf-closed")
		f.run(f.dispatcher(f.sig, f.options()))

		got := f.waitFor(late.ID, "given up", func(ev store.InboxEvent) bool { return ev.Attempts == 1 })
		assert.Equal(t, store.InboxUnmatched, got.Status)
		assert.True(t, got.NextAttemptAt.IsZero(), "not retried")
		assert.Contains(t, got.LastError, "workflow closed: workflow execution already completed")
		f.clock.Advance(time.Hour)
		f.waitDelivered(f.add("evt-ok", "wf-ok").ID)
		assert.Equal(t, 2, f.sig.callCount(), "one signal each")
		assert.Equal(t, 1.0, f.counter("idflow_inbox_failures_total", byProvider(ReasonClosed)))
	})
}

// TestNotFoundThenWorkflowStarts: the webhook beat its workflow's start.
func TestNotFoundThenWorkflowStarts(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		var started atomic.Bool
		f.sig.setFail(func(int, sent) error {
			if !started.Load() {
				return serviceerror.NewNotFound("workflow not found")
			}
			return nil
		})
		ev := f.add("evt-early", "wf-1")
		f.run(f.dispatcher(f.sig, f.options()))
		got := f.waitAttempts(ev.ID, 1)
		assert.Equal(t, store.InboxUnmatched, got.Status)

		started.Store(true)
		f.clock.Advance(time.Second)
		got = f.waitDelivered(ev.ID)
		assert.Equal(t, 2, got.Attempts)
		assert.Equal(t, 1, got.UnmatchedAttempts)
		assert.Empty(t, got.LastError)
		assert.Equal(t, []string{"wf-1"}, f.sig.workflows())
	})
}

// TestUnroutableBecomesUnmatchedAtOnce: bodies the route cannot map, and
// providers without a route, are given up at the first attempt.
func TestUnroutableBecomesUnmatchedAtOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		notJSON := f.addRaw(testProvider, "evt-bad", []byte("SECRET not json"))
		noWorkflow := f.addRaw(testProvider, "evt-nowf", []byte(`{"other":"SECRET"}`))
		noRoute := f.addRaw("ghost", "evt-ghost", []byte(`{"workflowId":"wf-ghost"}`))
		panicky := f.addRaw("panicky", "evt-panic", []byte(`{}`))
		emptyDelivery := f.addRaw("empty", "evt-empty", []byte(`{}`))
		routes := map[string]Route{
			testProvider: testRoute,
			"panicky":    func(store.InboxEvent) (Delivery, error) { panic("SECRET") },
			"empty":      func(store.InboxEvent) (Delivery, error) { return Delivery{SignalName: "s"}, nil },
		}
		d := NewDispatcher(f.st, f.sig, routes, nil, f.reg, f.options())
		f.run(d)

		wantErrors := map[string]string{
			notJSON.ID:       "route: body is not JSON",
			noWorkflow.ID:    "route: body names no workflow",
			noRoute.ID:       "no route for this provider",
			panicky.ID:       "route panicked",
			emptyDelivery.ID: "route: no workflow id or signal name",
		}
		for id, want := range wantErrors {
			got := f.waitFor(id, "given up", func(ev store.InboxEvent) bool { return ev.Status == store.InboxUnmatched })
			assert.Equal(t, want, got.LastError)
			assert.Equal(t, 1, got.Attempts)
			assert.True(t, got.NextAttemptAt.IsZero(), "not retried")
			assert.NotContains(t, got.LastError, "SECRET")
		}
		// The dispatcher survived the panic and goes on.
		f.clock.Advance(time.Hour)
		f.waitDelivered(f.add("evt-ok", "wf-ok").ID)
		assert.Equal(t, 1, f.sig.callCount(), "nothing unroutable was signalled")
		assert.Equal(t, 2.0, f.counter("idflow_inbox_unmatched_total", byProvider("")))
		assert.Equal(t, 1.0, f.counter("idflow_inbox_unmatched_total", map[string]string{"provider": "ghost"}))
		assert.Equal(t, 2.0, f.counter("idflow_inbox_failures_total", byProvider(ReasonUnroutable)))
	})
}

// TestTwoDispatchersDeliverEachOnce runs two worker processes, each with
// its own connection pool, over one database.
func TestTwoDispatchersDeliverEachOnce(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		const n = 40
		var ids, want []string
		for i := range n {
			ids = append(ids, f.add(fmt.Sprint("evt-", i), fmt.Sprint("wf-", i)).ID)
			want = append(want, fmt.Sprint("wf-", i))
		}
		opts := f.options()
		opts.BatchSize = 3
		f.run(f.dispatcher(f.sig, opts))
		other := &fixture{t: t, st: openStore(t, dbURL), clock: f.clock, reg: f.reg}
		f.run(other.dispatcher(f.sig, opts))
		for _, id := range ids {
			f.waitDelivered(id)
		}
		got := f.sig.workflows()
		sort.Strings(got)
		sort.Strings(want)
		assert.Equal(t, want, got, "every event signalled exactly once")
	})
}

// TestNotifyWakesDispatcher: with a poll interval of an hour, only Notify
// can have started the delivery.
func TestNotifyWakesDispatcher(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.SQLiteURL(t))
	opts := f.options()
	opts.PollInterval = time.Hour
	d := f.dispatcher(f.sig, opts)
	f.run(d)
	for i := range 3 {
		ev := f.add(fmt.Sprint("evt-", i), fmt.Sprint("wf-", i))
		d.Notify()
		d.Notify() // never blocks
		f.waitDelivered(ev.ID)
	}
}

func TestRunWithoutSignaler(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.SQLiteURL(t))
	err := NewDispatcher(f.st, nil, nil, nil, nil, Options{}).Run(context.Background())
	assert.ErrorContains(t, err, "needs a store and a signaler")
}

// TestMetricsRegisterTwice: a second dispatcher on one registry (a restart
// in process) shares the first one's counters instead of failing.
func TestMetricsRegisterTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.SQLiteURL(t))
	d1 := f.dispatcher(f.sig, f.options())
	d2 := f.dispatcher(f.sig, f.options())
	assert.Same(t, d1.delivered, d2.delivered)
	d2.delivered.WithLabelValues(testProvider).Inc()
	assert.Equal(t, 1.0, f.counter("idflow_inbox_delivered_total", byProvider("")))
}

func TestOptionsDefaultsAndBackoff(t *testing.T) {
	t.Parallel()
	o := Options{}.withDefaults()
	assert.Equal(t, time.Second, o.PollInterval)
	assert.Equal(t, 30*time.Second, o.Lease)
	assert.Equal(t, 10*time.Second, o.SignalTimeout)
	assert.Equal(t, time.Second, o.MinBackoff)
	assert.Equal(t, time.Minute, o.MaxBackoff)
	assert.Equal(t, 10, o.UnmatchedAttempts)
	assert.Equal(t, 100, o.BatchSize)
	assert.NotNil(t, o.Clock)
	assert.Equal(t, time.Second, Options{Lease: 2 * time.Second}.withDefaults().SignalTimeout,
		"a signal must end well within the lease")

	d := &Dispatcher{opts: o}
	var got []time.Duration
	for attempt := 1; attempt <= 9; attempt++ {
		got = append(got, d.backoff(attempt))
	}
	assert.Equal(t, []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}, seconds(got))
	assert.Equal(t, time.Minute, d.backoff(1000), "no overflow")
}

func seconds(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / time.Second
	}
	return out
}

// TestLanesDeliverAtOnceInOrderPerWorkflow: a burst reaches many workflows
// at once (it used to drain one signal at a time, ~60/s), while the events
// of one workflow keep the order they became due in.
func TestLanesDeliverAtOnceInOrderPerWorkflow(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		var inFlight, most atomic.Int32
		sig := &fakeSignaler{}
		slow := &slowSignaler{next: sig, inFlight: &inFlight, most: &most}
		var evs []store.InboxEvent
		for i := range 30 {
			evs = append(evs, f.add(fmt.Sprint("evt-", i), fmt.Sprint("wf-", i%10)))
			f.clock.Advance(time.Millisecond) // due one after the other
		}
		opts := f.options()
		opts.BatchSize = 100
		f.run(f.dispatcher(slow, opts))
		for _, ev := range evs {
			f.waitDelivered(ev.ID)
		}
		assert.Greater(t, most.Load(), int32(1), "signals in flight at once")
		perWorkflow := map[string][]string{}
		for _, s := range sig.all() {
			p := s.Payload.(testPayload)
			perWorkflow[s.WorkflowID] = append(perWorkflow[s.WorkflowID], p.EventID)
		}
		for i := range 10 {
			wf := fmt.Sprint("wf-", i)
			assert.Equal(t, []string{fmt.Sprint("evt-", i), fmt.Sprint("evt-", i+10), fmt.Sprint("evt-", i+20)}, perWorkflow[wf], wf)
		}
	})
}

// slowSignaler holds each signal a moment and records how many overlap.
type slowSignaler struct {
	next           Signaler
	inFlight, most *atomic.Int32
}

func (s *slowSignaler) SignalOnce(ctx context.Context, workflowID, requestID, signalName string, arg any) error {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	return s.next.SignalOnce(ctx, workflowID, requestID, signalName, arg)
}

// TestNewEventsDoNotWaitForSlowDeliveries: an event stored while another
// workflow's signal hangs is delivered at once, not after it (a dispatcher
// that waited for a whole batch made a burst's p99 the slowest signal's).
func TestNewEventsDoNotWaitForSlowDeliveries(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		opts := f.options()
		require.NotEqual(t, laneOf("wf-slow", opts.withDefaults().Lanes), laneOf("wf-fast", opts.withDefaults().Lanes))
		release := make(chan struct{})
		var once sync.Once
		f.run(f.dispatcher(&holdingSignaler{next: f.sig, hold: "wf-slow", release: release}, opts))
		t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the dispatcher stops, if the test fails
		f.waitDelivered(f.add("evt-warm", "wf-warm").ID)         // a first signal has gone through

		slow := f.add("evt-slow", "wf-slow")
		require.Eventually(t, func() bool { return !f.event(slow.ID).LeaseUntil.IsZero() }, 10*time.Second, time.Millisecond,
			"the slow event is claimed and its signal hangs")
		fast := f.add("evt-fast", "wf-fast")
		f.waitDelivered(fast.ID)
		assert.Equal(t, store.InboxPending, f.event(slow.ID).Status, "still hanging")
		once.Do(func() { close(release) })
		f.waitDelivered(slow.ID)
		assert.Equal(t, []string{"wf-warm", "wf-fast", "wf-slow"}, f.sig.workflows())
	})
}

// holdingSignaler holds the signals to workflow hold until release closes.
type holdingSignaler struct {
	next    Signaler
	hold    string
	release chan struct{}
}

func (s *holdingSignaler) SignalOnce(ctx context.Context, workflowID, requestID, signalName string, arg any) error {
	if workflowID == s.hold {
		<-s.release
	}
	return s.next.SignalOnce(ctx, workflowID, requestID, signalName, arg)
}

// TestPrunesWhatIsDoneWith: with a retention, the dispatcher deletes the
// events delivered longer ago (at start, then every PruneEvery); one not
// done with (due again) stays, however old.
func TestPrunesWhatIsDoneWith(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		f.sig.failFor("wf-busy", errors.New("resource exhausted")) // retried later, on its own
		old, busy := f.add("evt-old", "wf-1"), f.add("evt-busy", "wf-busy")
		stop := f.run(f.dispatcher(f.sig, f.options()))
		f.waitDelivered(old.ID)
		f.waitAttempts(busy.ID, 1)
		stop()

		opts := f.options()
		opts.Retention, opts.PruneEvery = time.Minute, time.Millisecond
		f.clock.Advance(2 * time.Minute) // both were received past the retention
		f.run(f.dispatcher(f.sig, opts))
		require.Eventually(t, func() bool {
			_, err := f.st.GetInboxEvent(context.Background(), old.ID)
			return errors.Is(err, store.ErrNotFound)
		}, 10*time.Second, 2*time.Millisecond, "the old delivered event is deleted")
		got := f.event(busy.ID)
		assert.Equal(t, store.InboxPending, got.Status, "the one still due stays")
	})
}
