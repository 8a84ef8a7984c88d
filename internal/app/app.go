// Package app assembles the worker process: store, Temporal client, worker
// registrations and HTTP gateway, plus in -dev the embedded Temporal server
// and UI. worker/main.go and the end-to-end tests both run it.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"idflow/internal/config"
	"idflow/internal/gateway"
	"idflow/internal/inbox"
	"idflow/internal/metrics"
	"idflow/internal/store"
	"idflow/internal/temporalclient"
	"idflow/workflows/process"
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
	info := Info{GatewayURL: "http://" + listener.Addr().String()}

	var dev *devStack
	if opts.Dev {
		if dev, err = startDev(ctx, &cfg, info.GatewayURL, log, &stack); err != nil {
			return err
		}
		info.UIURL, info.Sandboxes = dev.temporal.UIURL(), dev.sandboxes
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	stack.push("store", st.Close)
	m, err := metrics.New()
	if err != nil {
		return err
	}
	tc, copts, err := dialTemporal(ctx, dev, log, m)
	if err != nil {
		return err
	}
	stack.push("temporal client", func() error { tc.Close(); return nil })
	if err := registerSearchAttributes(ctx, tc, copts.Namespace, dev != nil, log); err != nil {
		return err
	}
	info.TemporalAddress, info.APIToken = copts.HostPort, cfg.APIToken

	if err := startWorker(tc, cfg, dependencies{store: st, logger: log}, &stack); err != nil {
		return err
	}
	dispatcher := inbox.NewDispatcher(st, tc, map[string]inbox.Route{idngoProvider: routeIDnGO}, log, m.Registerer(), inbox.Options{})
	startDispatcher(dispatcher, &stack)
	serveErr := serveGateway(listener, newGateway(cfg, st, tc, m, log, dispatcher.Notify), cfg, &stack)

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

func startWorker(tc client.Client, cfg config.Worker, deps dependencies, stack *cleanupStack) error {
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

func newGateway(cfg config.Worker, st *store.Store, tc client.Client, m *metrics.Metrics, log *zap.Logger, onWebhook func()) *gateway.Gateway {
	deps := gateway.Deps{
		Store: st, APIToken: cfg.APIToken, MaxDocumentBytes: cfg.DocumentMaxBytes, Logger: log, Metrics: m,
		OnWebhook: onWebhook,
		ReadyChecks: []gateway.Check{
			{Name: "database", Run: st.Ping},
			{Name: "temporal", Run: func(ctx context.Context) error {
				_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			}},
		},
	}
	if cfg.IDnGOWebhookSecret != "" {
		deps.Webhooks = append(deps.Webhooks, idngoWebhooks(cfg.IDnGOWebhookSecret, cfg.IDnGOWebhookDigestAlg))
	}
	return gateway.New(deps)
}

// serveGateway serves HTTP on the listener until shutdown drains it.
func serveGateway(listener net.Listener, gw *gateway.Gateway, cfg config.Worker, stack *cleanupStack) <-chan error {
	srv := gw.Server()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(listener) }()
	stack.push("gateway", func() error { return shutdownHTTP(srv, cfg.ShutdownTimeout) })
	return serveErr
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func dialTemporal(ctx context.Context, dev *devStack, log *zap.Logger, m *metrics.Metrics) (client.Client, client.Options, error) {
	fallback := ""
	if dev != nil {
		fallback = dev.temporal.FrontendAddress()
	}
	copts, err := temporalclient.Options(log, m.Temporal(), fallback)
	if err != nil {
		return nil, copts, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tc, err := temporalclient.Dial(dialCtx, copts)
	return tc, copts, err
}

// registerSearchAttributes adds the project's search attributes. In -dev a
// failure stops the start; against a shared server the worker may lack the
// permission, so it warns and the operator registers them once by hand.
func registerSearchAttributes(ctx context.Context, tc client.Client, ns string, dev bool, log *zap.Logger) error {
	err := temporalclient.EnsureSearchAttributes(ctx, tc, ns, process.SearchAttributeKeys())
	switch {
	case err == nil:
		return nil
	case dev:
		return err
	default:
		log.Warn("could not register search attributes; register them with `temporal operator search-attribute create`",
			zap.String("namespace", ns), zap.Error(err))
		return nil
	}
}

func shutdownHTTP(srv *http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
