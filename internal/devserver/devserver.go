// Package devserver runs a Temporal server and its Web UI inside the worker
// process for `worker -dev`, persisting to a SQLite file so that workflows
// survive a restart. It mirrors what the Temporal CLI's dev server does, on
// the public go.temporal.io/server packages.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/testing/freeport"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Options configure the embedded server.
type Options struct {
	// DatabaseFile is the SQLite file Temporal persists to; created with its
	// schema on first start.
	DatabaseFile string
	// IP is the address the frontend and UI bind to, e.g. 127.0.0.1.
	IP string
	// FrontendPort is the gRPC port clients dial (7233 by convention).
	FrontendPort int
	// UIPort serves the Temporal Web UI; 0 disables the UI.
	UIPort int
	// Namespace is created at first start.
	Namespace string
	// CodecEndpoint, when set, is offered to the UI for decoding payloads.
	CodecEndpoint string
	// SearchAttributes are the custom search attributes a new database's
	// namespace is created with, so that they are usable from the first
	// request; an existing database gets those it lacks through the
	// operator API (see SearchAttributesRegistered).
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's warnings and errors.
	Logger *zap.Logger
}

// Server is a running embedded Temporal server with its optional UI.
type Server struct {
	temporal temporal.Server
	ui       *uiserver.Server
	opts     Options
	logLevel zap.AtomicLevel
	// unforce ends the server's reading of the search attributes from the
	// database on every use (see SearchAttributesRegistered); settle is
	// the timer that calls it later.
	unforce func()
	settle  *time.Timer
}

// Start creates the schema and namespace when missing and starts the
// server (and UI) in the background. Stop must be called to release them.
func Start(opts Options) (*Server, error) {
	if err := checkPortsFree(opts); err != nil {
		return nil, err
	}
	cfg, hosts := serverConfig(opts)
	sqlCfg := cfg.Persistence.DataStores[sqliteplugin.PluginName].SQL
	if err := prepareDatabase(sqlCfg, opts); err != nil {
		return nil, err
	}
	// The server is chatty at info level; an operator of -dev needs its problems only.
	logLevel := zap.NewAtomicLevelAt(zapcore.WarnLevel)
	dynamic := dynamicconfig.NewMemoryClient()
	unforce := dynamic.OverrideSetting(dynamicconfig.ForceSearchAttributesCacheRefreshOnRead, true)
	srv, err := newTemporalServer(cfg, hosts, dynamic, opts.Logger.Named("temporal").WithOptions(zap.IncreaseLevel(logLevel)))
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devserver: start temporal: %w", err)
	}
	s := &Server{temporal: srv, opts: opts, logLevel: logLevel, unforce: sync.OnceFunc(unforce)}
	if opts.UIPort != 0 {
		s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(s.uiConfig()))
		go func() { _ = s.ui.Start() }()
	}
	return s, nil
}

// searchAttributeCacheLifetime is how long a Temporal service keeps the
// search attributes it read (the server's cacheRefreshInterval).
const searchAttributeCacheLifetime = 60 * time.Second

// SearchAttributesRegistered tells the server that the caller has
// registered the search attributes it needs, added (true) or found there
// already. Until then each service reads them from the database on every
// use (ForceSearchAttributesCacheRefreshOnRead: they are usable the moment
// they are registered), which costs a database read per visibility write
// and per validation (2.5 % of the CPU of -dev under load). With none
// added it stops at once; with some added, once every service's cache is
// sure to have been read since.
func (s *Server) SearchAttributesRegistered(added bool) {
	if !added {
		s.unforce()
		return
	}
	s.settle = time.AfterFunc(searchAttributeCacheLifetime+time.Second, s.unforce)
}

// FrontendAddress is the host:port a Temporal client dials.
func (s *Server) FrontendAddress() string {
	ip := s.opts.IP
	if ip == "" || ip == "0.0.0.0" {
		ip = "127.0.0.1"
	}
	return net.JoinHostPort(ip, strconv.Itoa(s.opts.FrontendPort))
}

// UIURL is the Web UI's address, or "" when the UI is disabled.
func (s *Server) UIURL() string {
	if s.ui == nil {
		return ""
	}
	host := s.opts.IP
	if host == "127.0.0.1" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(s.opts.UIPort))
}

// Stop shuts the UI and the server down.
func (s *Server) Stop() error {
	// Services stopping one by one log each other's absence as errors; that is
	// expected while shutting down and would only alarm the reader.
	s.logLevel.SetLevel(zapcore.FatalLevel)
	if s.settle != nil {
		s.settle.Stop()
	}
	if s.ui != nil {
		s.ui.Stop()
	}
	return s.temporal.Stop()
}

func checkPortsFree(opts Options) error {
	ports := []int{opts.FrontendPort}
	if opts.UIPort != 0 {
		ports = append(ports, opts.UIPort)
	}
	for _, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(opts.IP, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("devserver: port %d on %s is not free (another Temporal or worker -dev running?): %w", port, opts.IP, err)
		}
		_ = l.Close()
	}
	return nil
}

func prepareDatabase(sqlCfg *config.SQL, opts Options) error {
	if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o700); err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	if _, err := os.Stat(opts.DatabaseFile); errors.Is(err, os.ErrNotExist) {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return fmt.Errorf("devserver: set up schema: %w", err)
		}
	}
	// A namespace that exists already keeps its search attributes: those
	// added by newer versions come through the operator API.
	ns, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return fmt.Errorf("devserver: namespace config: %w", err)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return fmt.Errorf("devserver: create namespace: %w", err)
	}
	return nil
}

func newTemporalServer(cfg *config.Config, hosts map[primitives.ServiceName]static.Hosts, dynamic dynamicconfig.Client, logger *zap.Logger) (temporal.Server, error) {
	serverLogger := tlog.NewZapLogger(logger)
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, serverLogger)
	if err != nil {
		return nil, fmt.Errorf("devserver: claim mapper: %w", err)
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(serverLogger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		// Static membership: with ringpop, a restart finds the previous run's
		// hosts in the database and serves "Not enough hosts" for ~30 s.
		temporal.WithStaticHosts(hosts),
		temporal.WithDynamicConfigClient(dynamic),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: new server: %w", err)
	}
	return srv, nil
}

// serverConfig is a single-node configuration: one history shard, SQLite for
// both persistence and visibility, the frontend on the chosen port and the
// internal services on free loopback ports, each at a fixed (static) address.
func serverConfig(opts Options) (*config.Config, map[primitives.ServiceName]static.Hosts) {
	sqlCfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: opts.DatabaseFile,
		// Keys other than the URI parameters become PRAGMAs: journal_mode, not _journal_mode.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal"},
	}
	frontend := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.FrontendPort))
	historyPort, matchingPort, workerPort := freeport.MustGetFreePort(), freeport.MustGetFreePort(), freeport.MustGetFreePort()
	local := func(port int) static.Hosts {
		return static.SingleLocalHost(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: local(opts.FrontendPort),
		primitives.HistoryService:  local(historyPort),
		primitives.MatchingService: local(matchingPort),
		primitives.WorkerService:   local(workerPort),
	}
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: "127.0.0.1"},
			Metrics: &metrics.Config{Prometheus: &metrics.PrometheusConfig{
				ListenAddress: net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.MustGetFreePort())),
				HandlerPath:   "/metrics",
			}},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(opts.IP, opts.FrontendPort),
			"history":  service("", historyPort),
			"matching": service("", matchingPort),
			"worker":   service("", workerPort),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontend},
	}, hosts
}

// service binds to ip:port, or to loopback when ip is empty.
func service(ip string, port int) config.Service {
	rpc := config.RPC{GRPCPort: port, MembershipPort: freeport.MustGetFreePort(), BindOnLocalHost: true}
	if ip != "" && ip != "127.0.0.1" {
		rpc.BindOnLocalHost = false
		rpc.BindOnIP = ip
	}
	return config.Service{RPC: rpc}
}

func (s *Server) uiConfig() *uiconfig.Config {
	return &uiconfig.Config{
		TemporalGRPCAddress: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.opts.FrontendPort)),
		Host:                s.opts.IP,
		Port:                s.opts.UIPort,
		EnableUI:            true,
		DefaultNamespace:    s.opts.Namespace,
		DisableNewsFetch:    true,
		HideLogs:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		Codec:               uiconfig.Codec{Endpoint: s.opts.CodecEndpoint},
	}
}

// WaitReady blocks until the server serves requests end to end, or ctx
// ends. An open frontend port is not enough: after a restart, history and
// matching take a moment to join the membership ring, and until then calls
// fail with "Not enough hosts to serve the request".
func (s *Server) WaitReady(ctx context.Context) error {
	var c client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	var lastErr error
	for {
		if c == nil {
			c, lastErr = client.Dial(client.Options{HostPort: s.FrontendAddress(), Namespace: s.opts.Namespace,
				Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		}
		if c != nil {
			if lastErr = probe(ctx, c); lastErr == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: not ready: %w (last error: %v)", ctx.Err(), lastErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// probe asks matching (a task queue) and history (an execution that does
// not exist: NotFound means history answered).
func probe(ctx context.Context, c client.Client) error {
	callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := c.DescribeTaskQueue(callCtx, "idflow-readiness-probe", enumspb.TASK_QUEUE_TYPE_WORKFLOW); err != nil {
		return err
	}
	_, err := c.DescribeWorkflowExecution(callCtx, "idflow-readiness-probe", "")
	var notFound *serviceerror.NotFound
	if err == nil || errors.As(err, &notFound) {
		return nil
	}
	return err
}
