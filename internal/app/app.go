// Package app assembles the worker process: store, Temporal client, worker
// registrations and HTTP gateway, plus in -dev the embedded Temporal server
// and UI. worker/main.go and the end-to-end tests both run it.
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"idflow/internal/codec"
	"idflow/internal/config"
	"idflow/internal/gateway"
	"idflow/internal/gateway/fnsadmin"
	"idflow/internal/inbox"
	"idflow/internal/metrics"
	"idflow/internal/notify"
	"idflow/internal/providers/fns"
	"idflow/internal/store"
	"idflow/internal/temporalclient"
	"idflow/workflows/process"
	"idflow/workflows/retention"
)

// Options say how to run the worker process.
type Options struct {
	Config config.Worker
	// Dev runs the embedded Temporal server, UI and provider sandboxes.
	Dev    bool
	Logger *zap.Logger
	// Ready, when set, receives the running process's addresses once it serves.
	Ready func(Info)
}

// Info tells where a running process can be reached.
type Info struct {
	GatewayURL      string
	TemporalAddress string
	UIURL           string
	APIToken        string
	// Sandboxes are the provider sandboxes served under -dev (providers
	// configured with real credentials have none).
	Sandboxes []Sandbox
}

// Run starts everything, blocks until ctx ends, then shuts down gracefully:
// the gateway drains, the inbox dispatcher stops, the worker lets in-flight
// activities finish (up to IDFLOW_SHUTDOWN_TIMEOUT), then the client, the
// store and, under -dev, the sandboxes and the embedded server close.
func Run(ctx context.Context, opts Options) (err error) {
	cfg, log := opts.Config, opts.Logger
	var stack cleanupStack
	defer func() { err = errors.Join(err, stack.run(log)) }()

	// The gateway listens first: under -dev the sandboxes send webhooks to it.
	listener, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("gateway: listen on %s (IDFLOW_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	stack.push("gateway listener", func() error { return ignoreClosed(listener.Close()) })
	tlsConfig, err := gatewayTLS(cfg)
	if err != nil {
		return err
	}
	if cfg.DebugAddr != "" {
		if _, err := serveProfiles(cfg.DebugAddr, log, &stack); err != nil {
			return err
		}
	}
	info := Info{GatewayURL: "http://" + listener.Addr().String()}
	if tlsConfig != nil {
		info.GatewayURL = "https://" + listener.Addr().String()
	}

	var dev *devStack
	if opts.Dev {
		if dev, err = startDev(ctx, &cfg, info.GatewayURL, log, &stack); err != nil {
			return err
		}
		info.UIURL, info.Sandboxes = dev.uiURL, dev.sandboxes
	}
	m, err := metrics.New()
	if err != nil {
		return err
	}
	// The gateway answers from here on, whatever the database and Temporal
	// are doing: /healthz and /readyz at once, webhooks as soon as the store
	// is open (503 with Retry-After before, so the provider retries).
	deps := &lateDeps{}
	dispatcher := &lateNotify{}
	fnsClient, err := newFNSClient(cfg, log) // the worker's activities and the gateway's /v1/fns
	if err != nil {
		return err
	}
	ring, err := config.ParseKeyRing(cfg.EncryptionKeys, cfg.EncryptionKeyID)
	if err != nil {
		return fmt.Errorf("IDFLOW_ENCRYPTION_KEYS: %w", err)
	}
	keys := keyRing(ring, deps)
	gw := newGateway(cfg, deps, m, log, dispatcher.notify, fnsClient, keys, tlsConfig)
	serveErr, drainGateway := serveGateway(listener, gw, cfg, &stack)

	st, err := retryUntil(ctx, log, "database (IDFLOW_DATABASE_URL)", func(ctx context.Context) (*store.Store, error) {
		return store.Open(ctx, cfg.DatabaseURL, store.WithMasterKeys(ring))
	})
	if err != nil {
		return stoppedWhileWaiting(err)
	}
	stack.push("store", st.Close)
	deps.store.Store(st)
	gw.SetStore(st)

	copts, err := temporalOptions(dev, log, m)
	if err != nil {
		return err
	}
	// Every payload the worker writes is sealed: with the subject's key in
	// a person's process, else with the master key.
	dc := codec.NewDataConverter(keys)
	copts.DataConverter, copts.FailureConverter = dc, codec.FailureConverter(dc)
	tc, err := retryUntil(ctx, log, "Temporal at "+copts.HostPort, func(ctx context.Context) (client.Client, error) {
		dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return temporalclient.Dial(dialCtx, copts)
	})
	if err != nil {
		return stoppedWhileWaiting(err)
	}
	stack.push("temporal client", func() error { tc.Close(); return nil })
	deps.temporal.Store(&tc)
	if err := registerSearchAttributes(ctx, tc, copts.Namespace, dev, log); err != nil {
		return err
	}
	info.TemporalAddress, info.APIToken = copts.HostPort, cfg.APIToken

	publicURL := cmp.Or(cfg.PublicURL, info.GatewayURL)
	notifyProofings, err := startProofingNotifications(cfg, st, log, &stack)
	if err != nil {
		return err
	}
	if err := startWorker(tc, cfg, dependencies{store: st, logger: log, publicURL: publicURL, fns: fnsClient, temporal: tc,
		notifyProofings: notifyProofings}, &stack); err != nil {
		return err
	}
	if err := scheduleRetention(ctx, tc, cfg, log); err != nil {
		return err
	}
	routes := map[string]inbox.Route{idngoProvider: routeIDnGO, fnsProvider: routeFNS}
	signaler := inbox.TemporalSignaler{Client: tc, Namespace: copts.Namespace, DataConverter: dc, Identity: copts.Identity}
	d := inbox.NewDispatcher(st, signaler, routes, log, m.Registerer(), inbox.Options{Retention: cfg.InboxRetention})
	startDispatcher(d, &stack)
	dispatcher.set(d.Notify)
	stack.push("gateway", drainGateway) // first to stop: no request finds the store closed

	log.Info("worker running", zap.String("taskQueue", cfg.TaskQueue), zap.String("gateway", info.GatewayURL),
		zap.String("temporal", info.TemporalAddress))
	if opts.Ready != nil {
		opts.Ready(info)
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-serveErr:
		return fmt.Errorf("gateway stopped: %w", err)
	}
}

// lateDeps holds what the worker connects to after the gateway is up; the
// readiness checks read it.
type lateDeps struct {
	store    atomic.Pointer[store.Store]
	temporal atomic.Pointer[client.Client]
}

// lateNotify forwards the gateway's "new webhook" to the dispatcher once
// there is one; before, stored webhooks wait for the dispatcher's first poll.
type lateNotify struct{ fn atomic.Pointer[func()] }

func (n *lateNotify) set(fn func()) { n.fn.Store(&fn) }

func (n *lateNotify) notify() {
	if fn := n.fn.Load(); fn != nil {
		(*fn)()
	}
}

// errNotYet is a readiness check's answer before the dependency is open.
var errNotYet = errors.New("not connected yet")

// retryUntil calls connect until it succeeds or ctx ends, pausing 1 s,
// doubling up to 30 s, and logging each failure: a worker starting during
// an outage waits for it to end instead of exiting.
func retryUntil[T any](ctx context.Context, log *zap.Logger, what string, connect func(context.Context) (T, error)) (T, error) {
	pause := time.Second
	for {
		v, err := connect(ctx)
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		log.Warn("cannot reach "+what+"; retrying", zap.Error(err), zap.Duration("in", pause))
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// stoppedWhileWaiting is nil when the worker was asked to stop while it
// waited for a dependency: a clean stop.
func stoppedWhileWaiting(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func startWorker(tc client.Client, cfg config.Worker, deps dependencies, stack *cleanupStack) error {
	// The sticky cache keeps each cached workflow's coroutine (~80 KiB);
	// beyond it a workflow that wakes is replayed from its short history.
	worker.SetStickyWorkflowCacheSize(cfg.WorkflowCacheSize)
	w := worker.New(tc, cfg.TaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownTimeout})
	if err := register(w, cfg, deps); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	stack.push("worker", func() error { w.Stop(); return nil })
	return nil
}

// startProofingNotifications runs the announcements of proofing status
// changes when IDFLOW_PROOFING_NOTIFY_URL is set, and returns what wakes
// them (nil when off: no outbox rows are written then).
func startProofingNotifications(cfg config.Worker, st *store.Store, log *zap.Logger, stack *cleanupStack) (func(), error) {
	if cfg.ProofingNotifyURL == "" {
		return nil, nil
	}
	d, err := notify.New(st, cfg.ProofingNotifyURL, cfg.ProofingNotifySecret, log.Named("notify"), notify.Options{})
	if err != nil {
		return nil, fmt.Errorf("IDFLOW_PROOFING_NOTIFY_SECRET: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stack.push("proofing notifications", func() error {
		cancel()
		<-done
		return nil
	})
	return d.Notify, nil
}

// startDispatcher delivers inbox events to workflows until shutdown.
func startDispatcher(d *inbox.Dispatcher, stack *cleanupStack) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stack.push("inbox dispatcher", func() error {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
}

func newGateway(cfg config.Worker, late *lateDeps, m *metrics.Metrics, log *zap.Logger, onWebhook func(), fnsClient *fns.Client,
	keys *codec.Ring, tlsConfig *tls.Config) *gateway.Gateway {
	deps := gateway.Deps{
		APIToken: cfg.APIToken, MaxDocumentBytes: cfg.DocumentMaxBytes, Logger: log, Metrics: m,
		OnWebhook: onWebhook, FNS: fnsadmin.New(fnsClient),
		Codec: keys, CodecOrigins: cfg.CodecCORSOrigins, CodecToken: cfg.CodecToken,
		Proofings: proofings{late: late, taskQueue: cfg.TaskQueue}, VDCSecret: cfg.VDCSecret, VDCClientCerts: cfg.VDCClientCA != "",
		TLS: tlsConfig,
		ReadyChecks: []gateway.Check{
			{Name: "database", Run: func(ctx context.Context) error {
				if st := late.store.Load(); st != nil {
					return st.Ping(ctx)
				}
				return errNotYet
			}},
			{Name: "temporal", Run: func(ctx context.Context) error {
				tc := late.temporal.Load()
				if tc == nil {
					return errNotYet
				}
				_, err := (*tc).CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			}},
		},
	}
	deps.Running = func(ctx context.Context, ids []string) ([]string, error) {
		tc := late.temporal.Load()
		if tc == nil {
			return nil, errNotYet
		}
		return runningWorkflows(ctx, *tc, ids)
	}
	if cfg.IDnGOWebhookSecret != "" {
		deps.Webhooks = append(deps.Webhooks, idngoWebhooks(cfg.IDnGOWebhookSecret, cfg.IDnGOWebhookDigestAlg))
	}
	deps.Webhooks = append(deps.Webhooks, fnsWebhooks()) // answers 404 until a workflow made a token
	return gateway.New(deps)
}

// serveGateway serves HTTP on the listener until shutdown drains it.
// It returns the server's error and its drain, which runs once however
// often it is called: the gateway starts before the store and the worker
// but must drain before they close, so Run pushes the drain again once
// they are up.
func serveGateway(listener net.Listener, gw *gateway.Gateway, cfg config.Worker, stack *cleanupStack) (<-chan error, func() error) {
	srv := gw.Server()
	serveErr := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			serveErr <- srv.ServeTLS(listener, "", "") // the certificate is in TLSConfig
			return
		}
		serveErr <- srv.Serve(listener)
	}()
	drain := sync.OnceValue(func() error { return shutdownHTTP(srv, cfg.ShutdownTimeout) })
	stack.push("gateway", drain)
	return serveErr, drain
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// temporalOptions are the client options: TEMPORAL_* settings, or under
// -dev the embedded server.
func temporalOptions(dev *devStack, log *zap.Logger, m *metrics.Metrics) (client.Options, error) {
	fallback := ""
	if dev != nil {
		fallback = dev.frontend
	}
	return temporalclient.Options(log, m.Temporal(), fallback)
}

// registerSearchAttributes adds the project's search attributes. In -dev a
// failure stops the start; against a shared server the worker may lack the
// permission, so it warns and the operator registers them once by hand.
func registerSearchAttributes(ctx context.Context, tc client.Client, ns string, dev *devStack, log *zap.Logger) error {
	added, err := temporalclient.EnsureSearchAttributes(ctx, tc, ns, process.SearchAttributeKeys())
	switch {
	case err == nil:
		if dev != nil {
			dev.searchAttributesRegistered(added)
		}
		return nil
	case dev != nil:
		return err
	default:
		log.Warn("could not register search attributes; register them with `temporal operator search-attribute create`",
			zap.String("namespace", ns), zap.Error(err))
		return nil
	}
}

// shutdownHTTP drains srv for up to timeout, then closes what is left: a
// client that holds a connection open (net/http waits up to 5 s even for
// one that never sent a request) must not turn a clean stop into an error.
func shutdownHTTP(srv *http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	switch {
	case err == nil, errors.Is(err, http.ErrServerClosed):
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return ignoreClosed(srv.Close())
	}
	return err
}

// runningWorkflows lists which of ids Temporal still runs.
func runningWorkflows(ctx context.Context, c client.Client, ids []string) ([]string, error) {
	var running []string
	for _, id := range ids {
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			continue
		case err != nil:
			return nil, err
		}
		if d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			running = append(running, id)
		}
	}
	return running, nil
}

// keyRing resolves payload keys: the master keys, and subjects' data keys
// from the store once it is open. An erased or unknown key is final
// (codec.ErrUnknownKey); a store not open or down is not.
func keyRing(master config.KeyRing, late *lateDeps) *codec.Ring {
	open := func() (*store.Store, error) {
		if st := late.store.Load(); st != nil {
			return st, nil
		}
		return nil, errNotYet
	}
	final := func(err error) error {
		if errors.Is(err, store.ErrErased) || errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %w", codec.ErrUnknownKey, err)
		}
		return err
	}
	return &codec.Ring{Master: master,
		ForSubject: func(ctx context.Context, subject string) (string, codec.Key, error) {
			st, err := open()
			if err != nil {
				return "", nil, err
			}
			k, err := st.SubjectKeyFor(ctx, subject)
			return k.KeyID, k, final(err)
		},
		ByID: func(ctx context.Context, id string) (codec.Key, error) {
			st, err := open()
			if err != nil {
				return nil, err
			}
			k, err := st.SubjectKeyByID(ctx, id)
			return k, final(err)
		},
	}
}

// scheduleRetention runs SubjectRetention hourly when IDFLOW_RETENTION is
// set; the schedule is made once and its period kept up to date.
func scheduleRetention(ctx context.Context, tc client.Client, cfg config.Worker, log *zap.Logger) error {
	if cfg.Retention == 0 {
		// Retention switched off: a schedule an earlier run made must not go on erasing.
		err := tc.ScheduleClient().GetHandle(ctx, retention.ScheduleID).Delete(ctx)
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			log.Warn("the subject retention schedule could not be removed", zap.Error(err))
		}
		return nil
	}
	action := &client.ScheduleWorkflowAction{ID: "subject-retention", Workflow: retention.WorkflowType, TaskQueue: cfg.TaskQueue,
		Args: []any{retention.Input{Retention: cfg.Retention}}}
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: retention.ScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}}, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		err = tc.ScheduleClient().GetHandle(ctx, retention.ScheduleID).Update(ctx, client.ScheduleUpdateOptions{
			DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
				in.Description.Schedule.Action = action
				return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
			}})
	}
	if err != nil {
		return fmt.Errorf("schedule the subject retention: %w", err)
	}
	log.Info("subject retention scheduled", zap.Duration("retention", cfg.Retention))
	return nil
}
