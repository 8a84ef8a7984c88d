// Package inbox delivers stored webhooks to their workflows.
//
// The gateway commits every verified webhook to the store's inbox table
// before it answers the provider (see [store.Store.AddInboxEvent]); the
// [Dispatcher] then reads due rows, maps each to a workflow signal with the
// provider's [Route], signals the workflow and marks the row delivered. All
// state is in the table, so a restarted (or second) worker process picks up
// whatever is not delivered yet; a lease on each row keeps two dispatchers
// from delivering it at the same time.
//
// # Guarantees
//
// Each webhook is stored once per (provider, dedupe key), however often the
// provider sends it, and signalled once. A process that dies after the
// signal went out but before the row was marked delivered signals it again
// once the lease has passed, with the same request id (the event's id),
// which Temporal drops for the run that has it. Only a signal repeated to
// a newer run of the workflow (after continue-as-new) arrives twice:
// routes should put the event's id or dedupe key in the payload so that
// workflows can ignore a repeat.
//
// # Failures
//
//   - The route fails (the body cannot be routed): the event becomes
//     "unmatched" at once, with the route's error, and is not retried.
//   - Temporal answers that the workflow has closed (a provider's last
//     callback after a poll saw the end first): the event is "unmatched" at
//     once, with that reason, and is not retried: nothing the provider
//     sends afterwards reopens a run.
//   - Temporal answers NotFound otherwise (no such workflow): the event is
//     "unmatched" and retried with backoff, since the workflow may be just
//     starting, up to Options.UnmatchedAttempts times; then it is kept,
//     unmatched, for operators (GET /v1/inbox?status=unmatched).
//   - Temporal refuses the signal for good (an invalid argument, such as a
//     workflow id that cannot exist): the event is "failed" at once, with
//     the reason, and never retried.
//   - Temporal is unreachable (unavailable, timeouts, no permission): the
//     event stays "pending" and is retried with exponential backoff, without
//     limit, and the dispatcher pauses, claiming no event, for a backoff of
//     its own that grows while the outage lasts; so an outage costs one
//     failing call per pause rather than one per event, and a worker cut off
//     from Temporal leaves the rows to workers that can deliver them.
//   - Any other error: the event stays "pending" and backs off on its own
//     while the batch goes on. Due events are read in the order they became
//     due, so an event that keeps failing goes behind the others and cannot
//     starve them.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"

	"idflow/internal/store"
)

// Delivery is where one event goes: a signal to a workflow.
type Delivery struct {
	WorkflowID string
	SignalName string
	Payload    any // the signal's argument
}

// Route maps one provider's event to its delivery. It must depend on the
// event alone (it runs again on every retry). An error means the event can
// never be routed, such as a body without the expected fields: the event
// becomes "unmatched" with that error, which is stored and logged, so it
// must not quote the body.
type Route func(ev store.InboxEvent) (Delivery, error)

// Signaler sends workflow signals. The dispatcher gives each delivery the
// event's id as requestID: Temporal drops a signal whose request id the
// run has seen already, so a delivery repeated after a crash (signalled,
// not yet marked) reaches the workflow once. TemporalSignaler is the real one.
type Signaler interface {
	SignalOnce(ctx context.Context, workflowID, requestID, signalName string, arg any) error
}

// Options tune a Dispatcher; zero fields take the defaults shown.
type Options struct {
	PollInterval      time.Duration // 1s: how often to look for due events without a Notify
	Lease             time.Duration // 30s: how long a claimed event is reserved for one dispatcher
	SignalTimeout     time.Duration // 10s, at most Lease/2: the bound of one SignalWorkflow call
	MinBackoff        time.Duration // 1s: the pause after the first failed attempt, doubled on each further one
	MaxBackoff        time.Duration // 1m: the longest pause
	UnmatchedAttempts int           // 10: NotFound answers before an event is given up
	BatchSize         int           // 100: events read per query
	// Lanes (16) deliver at once; the events of one workflow always take
	// the same lane, so they arrive in the order they became due.
	Lanes int
	// Retention (0: none) is how long a delivered or given-up event is kept;
	// older ones are deleted every PruneEvery (1h).
	Retention  time.Duration
	PruneEvery time.Duration
	Clock      func() time.Time // time.Now
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.PollInterval, time.Second)
	def(&o.Lease, 30*time.Second)
	def(&o.SignalTimeout, 10*time.Second)
	o.SignalTimeout = min(o.SignalTimeout, o.Lease/2)
	def(&o.MinBackoff, time.Second)
	def(&o.MaxBackoff, time.Minute)
	def(&o.PruneEvery, time.Hour)
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.UnmatchedAttempts <= 0 {
		o.UnmatchedAttempts = 10
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Lanes <= 0 {
		o.Lanes = 16
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Failure reasons, the "reason" label of idflow_inbox_failures_total.
const (
	ReasonUnavailable = "unavailable" // Temporal unreachable, timeout, no permission
	ReasonRetryable   = "retryable"   // the signal failed otherwise, maybe not for good
	ReasonRefused     = "refused"     // Temporal refused the signal for good (invalid argument)
	ReasonNotFound    = "not_found"   // Temporal knows no such workflow
	ReasonClosed      = "closed"      // the workflow has closed
	ReasonUnroutable  = "unroutable"  // no route for the provider, or the route failed
	ReasonStore       = "store"       // a database call failed
)

// markAttempts and markPause bound the retries of recording a delivery.
const (
	markAttempts = 3
	markPause    = 200 * time.Millisecond
	markTimeout  = 10 * time.Second
)

// Dispatcher delivers due inbox events to their workflows; see the package doc.
type Dispatcher struct {
	st     *store.Store
	sig    Signaler
	routes map[string]Route
	log    *zap.Logger
	opts   Options
	wake   chan struct{}

	// pausedUntil is set while Temporal is unreachable: no event is claimed
	// before it. outages counts the failed attempts of the outage. The
	// lanes share them, under mu.
	mu          sync.Mutex
	pausedUntil time.Time
	outages     int
	proven      bool // a signal went through since the start or the last outage

	delivered *prometheus.CounterVec   // provider
	failures  *prometheus.CounterVec   // provider, reason
	unmatched *prometheus.CounterVec   // provider
	latency   *prometheus.HistogramVec // provider: stored → signalled
}

// DeliveryLatencyMetric is the histogram of the time from a webhook's
// acceptance (its row committed, the provider answered) to its signal.
const DeliveryLatencyMetric = "idflow_inbox_delivery_seconds"

// deliveryBuckets resolve the loopback milliseconds as well as the seconds
// of a backlog or an outage.
var deliveryBuckets = []float64{.001, .002, .005, .01, .02, .03, .05, .075, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// NewDispatcher builds a dispatcher over st; routes are keyed by provider.
// Its metrics are registered with reg unless reg is nil; collectors already
// registered by an earlier dispatcher are reused.
func NewDispatcher(st *store.Store, sig Signaler, routes map[string]Route, log *zap.Logger, reg prometheus.Registerer, opts Options) *Dispatcher {
	if log == nil {
		log = zap.NewNop()
	}
	d := &Dispatcher{
		st: st, sig: sig, routes: routes, log: log.Named("inbox"), opts: opts.withDefaults(),
		wake: make(chan struct{}, 1),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idflow_inbox_delivered_total",
			Help: "Inbox events signalled to their workflow, by provider.",
		}, []string{"provider"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idflow_inbox_failures_total",
			Help: "Failed inbox delivery attempts and store errors, by provider and reason.",
		}, []string{"provider", "reason"}),
		unmatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idflow_inbox_unmatched_total",
			Help: "Inbox events given up as unmatched (kept for operators), by provider.",
		}, []string{"provider"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    DeliveryLatencyMetric,
			Help:    "Seconds from a webhook's acceptance (stored, answered) to its workflow signal, by provider.",
			Buckets: deliveryBuckets,
		}, []string{"provider"}),
	}
	d.delivered = register(reg, d.delivered, d.log)
	d.failures = register(reg, d.failures, d.log)
	d.unmatched = register(reg, d.unmatched, d.log)
	d.latency = register(reg, d.latency, d.log)
	return d
}

// register adds c to reg, or returns the equal collector registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, log *zap.Logger) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	if err != nil {
		log.Warn("inbox metric not registered", zap.Error(err))
	}
	return c
}

// Notify wakes Run to look for due events now; it never blocks.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run delivers due events until ctx ends, then returns nil once the
// deliveries in flight are recorded. It looks for due events at start, on
// every Notify and every PollInterval, and hands each to its lane (see
// Options.Lanes), which claims and delivers it while the next are read: an
// event is picked up as soon as it is stored, not after the deliveries
// before it. Store errors are logged and retried at the next poll; it
// returns an error only when misconfigured.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.st == nil || d.sig == nil {
		return errors.New("inbox: dispatcher needs a store and a signaler")
	}
	d.log.Info("inbox dispatcher started", zap.Int("routes", len(d.routes)), zap.Int("lanes", d.opts.Lanes),
		zap.Duration("pollInterval", d.opts.PollInterval), zap.Duration("lease", d.opts.Lease))
	defer d.log.Info("inbox dispatcher stopped")
	l := d.startLanes(ctx)
	defer l.stop()
	timer := time.NewTimer(d.opts.PollInterval)
	defer timer.Stop()
	var nextPrune time.Time
	for {
		if now := d.opts.Clock(); d.opts.Retention > 0 && !now.Before(nextPrune) {
			d.prune(ctx, now)
			nextPrune = now.Add(d.opts.PruneEvery)
		}
		d.dispatchDue(ctx, l)
		timer.Reset(d.opts.PollInterval)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-timer.C:
		}
	}
}

// prune deletes the events done with for longer than Options.Retention.
func (d *Dispatcher) prune(ctx context.Context, now time.Time) {
	n, err := d.st.PruneInboxEvents(ctx, now.Add(-d.opts.Retention))
	if err != nil {
		d.storeFailed(ctx, "", "prune inbox events", err)
	}
	if n > 0 {
		d.log.Info("inbox events pruned", zap.Int("deleted", n), zap.Duration("retention", d.opts.Retention))
	}
}

// lanes deliver events at once, the events of one workflow in one lane, in
// the order they were read. inFlight holds the ids handed to a lane and not
// yet done, which a new read skips.
type lanes struct {
	queues   []chan store.InboxEvent
	wg       sync.WaitGroup
	mu       sync.Mutex
	inFlight map[string]bool
	// backlog is set when a read was full: due events may wait behind those
	// in flight, so each lane wakes the reader when it finishes one.
	backlog atomic.Bool
}

func (d *Dispatcher) startLanes(ctx context.Context) *lanes {
	l := &lanes{queues: make([]chan store.InboxEvent, d.opts.Lanes), inFlight: map[string]bool{}}
	for i := range l.queues {
		l.queues[i] = make(chan store.InboxEvent, d.opts.BatchSize)
		l.wg.Go(func() {
			for ev := range l.queues[i] {
				// Paused (Temporal unreachable) or stopping: leave the event
				// unclaimed for a later read, or for another worker.
				if !d.paused() && ctx.Err() == nil {
					d.claimAndDeliver(ctx, ev)
				}
				l.done(ev.ID)
				if l.backlog.Load() {
					d.Notify()
				}
			}
		})
	}
	return l
}

// stop ends the lanes once the events handed to them are done.
func (l *lanes) stop() {
	for _, q := range l.queues {
		close(q)
	}
	l.wg.Wait()
}

// take marks the events of evs not in flight as in flight and returns them.
func (l *lanes) take(evs []store.InboxEvent) []store.InboxEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var fresh []store.InboxEvent
	for _, ev := range evs {
		if !l.inFlight[ev.ID] {
			l.inFlight[ev.ID] = true
			fresh = append(fresh, ev)
		}
	}
	return fresh
}

func (l *lanes) done(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		delete(l.inFlight, id)
	}
}

func (d *Dispatcher) paused() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.opts.Clock().Before(d.pausedUntil)
}

// dispatchDue hands due events to the lanes, batch after batch, until no
// new one is due or ctx ends. Until a signal has gone through (at start,
// and after Temporal was unreachable) the first event goes alone: while
// Temporal is down, that one call finds out, instead of one per lane.
func (d *Dispatcher) dispatchDue(ctx context.Context, l *lanes) {
	for ctx.Err() == nil && !d.paused() {
		evs, err := d.st.DueInboxEvents(ctx, d.opts.Clock(), d.opts.BatchSize)
		if err != nil {
			d.storeFailed(ctx, "", "read due inbox events", err)
			return
		}
		l.backlog.Store(len(evs) >= d.opts.BatchSize)
		fresh := l.take(evs)
		if len(fresh) == 0 {
			return
		}
		d.mu.Lock()
		proven := d.proven
		d.mu.Unlock()
		if !proven {
			_, cont := d.claimAndDeliver(ctx, fresh[0])
			l.done(fresh[0].ID)
			if !cont {
				for _, ev := range fresh[1:] {
					l.done(ev.ID)
				}
				return
			}
			fresh = fresh[1:]
		}
		for _, ev := range fresh {
			select {
			case l.queues[laneOf(d.laneKey(ev), len(l.queues))] <- ev:
			case <-ctx.Done():
				l.done(ev.ID)
			}
		}
	}
}

// claimAndDeliver claims ev and delivers it; it reports whether it claimed
// it and whether the batch may go on.
func (d *Dispatcher) claimAndDeliver(ctx context.Context, ev store.InboxEvent) (claimed, cont bool) {
	now := d.opts.Clock()
	ok, err := d.st.ClaimInboxEvent(ctx, ev.ID, now, now.Add(d.opts.Lease))
	if err != nil {
		d.storeFailed(ctx, ev.Provider, "claim inbox event", err, zap.String("eventId", ev.ID))
		return false, false
	}
	if !ok {
		return false, true // another dispatcher has it, or had it
	}
	// Once claimed, the event is seen through even if ctx ends now, so
	// that a graceful shutdown leaves no lease behind.
	return true, d.deliver(context.WithoutCancel(ctx), ev)
}

// laneKey is what keeps events in order: their workflow (the route is a
// function of the event alone), or the event itself when it has none.
func (d *Dispatcher) laneKey(ev store.InboxEvent) string {
	if del, err := d.route(ev); err == nil {
		return del.WorkflowID
	}
	return ev.ID
}

// laneOf maps a key to one of n lanes.
func laneOf(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// deliver routes and signals one claimed event and records the outcome. It
// reports false when Temporal is unreachable, which would fail the next
// events too.
func (d *Dispatcher) deliver(ctx context.Context, ev store.InboxEvent) bool {
	log := d.log.With(zap.String("eventId", ev.ID), zap.String("provider", ev.Provider),
		zap.String("eventType", ev.EventType), zap.Int("attempt", ev.Attempts+1))
	del, err := d.route(ev)
	if err != nil {
		d.failures.WithLabelValues(ev.Provider, ReasonUnroutable).Inc()
		d.giveUp(ctx, log, ev, del.WorkflowID, err.Error())
		return true
	}
	log = log.With(zap.String("workflowId", del.WorkflowID), zap.String("signal", del.SignalName))

	sctx, cancel := context.WithTimeout(ctx, d.opts.SignalTimeout)
	err = d.sig.SignalOnce(sctx, del.WorkflowID, ev.ID, del.SignalName, del.Payload)
	cancel()
	switch classify(err) {
	case delivered:
		d.mu.Lock()
		d.outages, d.proven = 0, true
		d.mu.Unlock()
		d.delivered.WithLabelValues(ev.Provider).Inc()
		d.latency.WithLabelValues(ev.Provider).Observe(d.opts.Clock().Sub(ev.ReceivedAt).Seconds())
		d.markDelivered(ctx, log, ev, del.WorkflowID)
		return true
	case refused:
		d.failures.WithLabelValues(ev.Provider, ReasonRefused).Inc()
		log.Error("inbox event refused by Temporal, giving up", zap.Error(err))
		d.markRetry(ctx, log, ev, del.WorkflowID, store.InboxFailed, "refused: "+err.Error(), time.Time{})
		return true
	case closed:
		d.failures.WithLabelValues(ev.Provider, ReasonClosed).Inc()
		d.giveUp(ctx, log, ev, del.WorkflowID, "workflow closed: "+err.Error())
		return true
	case notFound:
		d.failures.WithLabelValues(ev.Provider, ReasonNotFound).Inc()
		n := ev.UnmatchedAttempts + 1
		if n >= d.opts.UnmatchedAttempts {
			d.giveUp(ctx, log, ev, del.WorkflowID, fmt.Sprintf("workflow not found after %d attempts: %v", n, err))
			return true
		}
		next := d.opts.Clock().Add(d.backoff(n))
		log.Info("inbox event unmatched, will retry", zap.Error(err), zap.Time("nextAttempt", next))
		d.markRetry(ctx, log, ev, del.WorkflowID, store.InboxUnmatched, "workflow not found: "+err.Error(), next)
		return true
	case unavailable:
		d.failures.WithLabelValues(ev.Provider, ReasonUnavailable).Inc()
		d.mu.Lock()
		d.outages++
		d.proven = false
		d.pausedUntil = d.opts.Clock().Add(d.backoff(d.outages))
		resume := d.pausedUntil
		d.mu.Unlock()
		next := d.opts.Clock().Add(d.backoff(ev.Attempts + 1))
		log.Warn("Temporal unreachable: inbox delivery paused", zap.Error(err), zap.Time("resume", resume))
		d.markRetry(ctx, log, ev, del.WorkflowID, store.InboxPending, "signal failed: "+err.Error(), next)
		return false
	default:
		d.failures.WithLabelValues(ev.Provider, ReasonRetryable).Inc()
		next := d.opts.Clock().Add(d.backoff(ev.Attempts + 1))
		log.Warn("inbox delivery failed, will retry", zap.Error(err), zap.Time("nextAttempt", next))
		d.markRetry(ctx, log, ev, del.WorkflowID, store.InboxPending, "signal failed: "+err.Error(), next)
		return true
	}
}

// workflowCompletedText is what Temporal's NotFound says of a closed run.
const workflowCompletedText = "workflow execution already completed"

// signalOutcome classifies what a SignalWorkflow call came to.
type signalOutcome int

const (
	delivered   signalOutcome = iota
	notFound                  // no such workflow (yet)
	closed                    // the workflow has closed: no run takes the signal
	refused                   // never deliverable as it stands
	unavailable               // Temporal cannot be reached now
	retryable                 // anything else: try this event again later
)

// classify maps a signal error to what the dispatcher does about it.
func classify(err error) signalOutcome {
	if err == nil {
		return delivered
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// The server's own text for a signal to a closed run (its
		// consts.ErrWorkflowCompleted); were it to change, such events
		// would only be retried as before.
		if strings.Contains(nf.Error(), workflowCompletedText) {
			return closed
		}
		return notFound
	}
	st := serviceerror.ToStatus(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange, codes.Unimplemented:
		return refused
	case codes.Internal:
		// gRPC refuses, before sending, a request whose headers (the workflow
		// id travels in one) it cannot encode; nothing will ever change that.
		if strings.Contains(st.Message(), "non-printable") {
			return refused
		}
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.PermissionDenied, codes.Unauthenticated:
		return unavailable
	}
	return retryable
}

// route applies the provider's route, turning a panic into an error.
func (d *Dispatcher) route(ev store.InboxEvent) (del Delivery, err error) {
	r, ok := d.routes[ev.Provider]
	if !ok || r == nil {
		return Delivery{}, errors.New("no route for this provider")
	}
	defer func() {
		if p := recover(); p != nil {
			del, err = Delivery{}, errors.New("route panicked")
			d.log.Error("inbox route panicked", zap.String("eventId", ev.ID), zap.String("provider", ev.Provider),
				zap.Stack("stack"))
		}
	}()
	del, err = r(ev)
	switch {
	case err != nil:
		return del, fmt.Errorf("route: %w", err)
	case del.WorkflowID == "" || del.SignalName == "":
		return del, errors.New("route: no workflow id or signal name")
	}
	return del, nil
}

// backoff is the pause after the attempt-th failure: MinBackoff doubled
// attempt-1 times, at most MaxBackoff.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.opts.MinBackoff
	for i := 1; i < attempt && b < d.opts.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.opts.MaxBackoff)
}

// giveUp keeps the event as unmatched, never to be retried.
func (d *Dispatcher) giveUp(ctx context.Context, log *zap.Logger, ev store.InboxEvent, workflowID, reason string) {
	d.unmatched.WithLabelValues(ev.Provider).Inc()
	log.Warn("inbox event unmatched, giving up", zap.String("workflowId", workflowID), zap.String("reason", reason))
	d.markRetry(ctx, log, ev, workflowID, store.InboxUnmatched, reason, time.Time{})
}

// markDelivered records a delivery, retrying briefly: an unrecorded delivery
// is repeated once the lease passes.
func (d *Dispatcher) markDelivered(ctx context.Context, log *zap.Logger, ev store.InboxEvent, workflowID string) {
	ctx, cancel := context.WithTimeout(ctx, markTimeout)
	defer cancel()
	var err error
	for i := range markAttempts {
		if i > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(markPause):
			}
		}
		if err = d.st.MarkInboxDelivered(ctx, ev.ID, workflowID, d.opts.Clock()); err == nil {
			log.Info("inbox event delivered")
			return
		}
	}
	d.failures.WithLabelValues(ev.Provider, ReasonStore).Inc()
	log.Error("inbox event delivered but not recorded; it will be signalled again after the lease",
		zap.Error(err), zap.Duration("lease", d.opts.Lease))
}

// markRetry records a failed attempt; if that fails too, the lease expires
// and the event is simply tried again.
func (d *Dispatcher) markRetry(ctx context.Context, log *zap.Logger, ev store.InboxEvent, workflowID, status, reason string, next time.Time) {
	ctx, cancel := context.WithTimeout(ctx, markTimeout)
	defer cancel()
	if err := d.st.MarkInboxRetry(ctx, ev.ID, workflowID, status, reason, next); err != nil {
		d.failures.WithLabelValues(ev.Provider, ReasonStore).Inc()
		log.Error("record failed inbox delivery", zap.Error(err))
	}
}

// storeFailed logs a store error, unless it is only ctx ending.
func (d *Dispatcher) storeFailed(ctx context.Context, provider, what string, err error, fields ...zap.Field) {
	if ctx.Err() != nil {
		return
	}
	d.failures.WithLabelValues(provider, ReasonStore).Inc()
	d.log.Warn(what, append(fields, zap.Error(err))...)
}
