package app

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"idflow/internal/config"
	"idflow/internal/sandbox/faults"
	sandboxfns "idflow/internal/sandbox/fns"
	sandboxidngo "idflow/internal/sandbox/idngo"
	sandboxmandarin "idflow/internal/sandbox/mandarin"
)

// The sandboxes' accounts: -dev points unconfigured providers at the
// sandboxes with them, and a worker outside -dev is given them by
// SandboxProviderEnv.
const (
	devMandarinMerchant = "idflow-dev"
	devMandarinSecret   = "idflow-dev-secret"
	devIDnGOAppToken    = "idflow-dev-app-token"
	devIDnGOSecretKey   = "idflow-dev-secret-key"
	devIDnGOWebhookKey  = config.DevIDnGOWebhookSecret
	// devFNSUsername and devFNSPassword are the FNS sandbox's partner account.
	devFNSUsername = "idflow-dev"
	devFNSPassword = "idflow-dev-fns-secret"
)

// devSandboxStateFile, under IDFLOW_DEV_DIR, keeps the sandboxes' sessions,
// applicants, scheduled reviews and undelivered webhooks across restarts.
const devSandboxStateFile = "sandboxes.db"

// Sandbox path prefixes under the sandboxes' base URL.
const (
	mandarinPrefix = "/mandarin"
	idngoPrefix    = "/idngo"
	fnsPrefix      = "/fns"
)

// SandboxProviderEnv is the environment that points a worker at sandboxes
// served under baseURL (by `worker -sandboxes`), with their accounts.
func SandboxProviderEnv(baseURL string) []string {
	baseURL = strings.TrimRight(baseURL, "/")
	return []string{
		"IDFLOW_MANDARIN_BASE_URL=" + baseURL + mandarinPrefix,
		"IDFLOW_MANDARIN_MERCHANT_ID=" + devMandarinMerchant, "IDFLOW_MANDARIN_SECRET=" + devMandarinSecret,
		"IDFLOW_IDNGO_BASE_URL=" + baseURL + idngoPrefix,
		"IDFLOW_IDNGO_APP_TOKEN=" + devIDnGOAppToken, "IDFLOW_IDNGO_SECRET_KEY=" + devIDnGOSecretKey,
		"IDFLOW_IDNGO_WEBHOOK_SECRET=" + devIDnGOWebhookKey,
		"IDFLOW_FNS_BASE_URL=" + baseURL + fnsPrefix,
		"IDFLOW_FNS_USERNAME=" + devFNSUsername, "IDFLOW_FNS_PASSWORD=" + devFNSPassword,
	}
}

// CountsPath, under the sandboxes' base URL, serves the side effects they
// counted (sessions, applicants, uploads, reviews, FNS workflows) with
// their duplicates and the faults injected; it is never faulted.
const CountsPath = "/_sandbox/counts"

// providers says which sandboxes to serve: those of the providers that
// have no real account configured.
type providers struct{ mandarin, idngo, fns bool }

// unconfigured returns the providers cfg has no account for.
func unconfigured(cfg *config.Worker) providers {
	return providers{mandarin: cfg.MandarinMerchantID == "", idngo: cfg.IDnGOBaseURL == "", fns: cfg.FNSBaseURL == ""}
}

// devSandboxes serves the sandboxes of the unconfigured providers, or with
// IDFLOW_DEV_SANDBOX_URL uses those another process serves, and points
// those providers at them.
func devSandboxes(cfg *config.Worker, gatewayURL string, log *zap.Logger, stack *cleanupStack) ([]Sandbox, error) {
	want := unconfigured(cfg)
	baseURL := cfg.DevSandboxURL
	if baseURL == "" {
		url, err := startSandboxes(cfg.Sandboxes, cfg.DevDir, gatewayURL, want, log, stack)
		if err != nil {
			return nil, err
		}
		baseURL = url
	}
	return pointAtSandboxes(cfg, strings.TrimRight(baseURL, "/"), want), nil
}

// pointAtSandboxes configures the wanted providers with the sandboxes at
// baseURL and lists them.
func pointAtSandboxes(cfg *config.Worker, baseURL string, want providers) []Sandbox {
	var served []Sandbox
	if want.mandarin {
		cfg.MandarinBaseURL, cfg.MandarinMerchantID, cfg.MandarinSecret = baseURL+mandarinPrefix, devMandarinMerchant, devMandarinSecret
		served = append(served, Sandbox{Provider: "Mandarin", URL: cfg.MandarinBaseURL})
	}
	if want.idngo {
		cfg.IDnGOBaseURL, cfg.IDnGOAppToken, cfg.IDnGOSecretKey, cfg.IDnGOWebhookSecret =
			baseURL+idngoPrefix, devIDnGOAppToken, devIDnGOSecretKey, devIDnGOWebhookKey
		served = append(served, Sandbox{Provider: "IDnGO", URL: cfg.IDnGOBaseURL})
	}
	if want.fns {
		cfg.FNSBaseURL, cfg.FNSUsername, cfg.FNSPassword = baseURL+fnsPrefix, devFNSUsername, devFNSPassword
		served = append(served, Sandbox{Provider: "FNS", URL: cfg.FNSBaseURL})
	}
	return served
}

// RunSandboxes is `worker -sandboxes`: it serves all three sandboxes until
// ctx ends. Run apart from the worker, they outlive a worker killed with
// SIGKILL, as real providers do, and keep redelivering to the gateway.
func RunSandboxes(ctx context.Context, cfg config.SandboxesAlone, log *zap.Logger, ready func(baseURL string)) (err error) {
	if err := os.MkdirAll(cfg.DevDir, 0o700); err != nil {
		return fmt.Errorf("dev dir %s (IDFLOW_DEV_DIR): %w", cfg.DevDir, err)
	}
	var stack cleanupStack
	defer func() { err = errors.Join(err, stack.run(log)) }()
	url, err := startSandboxes(cfg.Sandboxes, cfg.DevDir, strings.TrimRight(cfg.GatewayURL, "/"),
		providers{mandarin: true, idngo: true, fns: true}, log, &stack)
	if err != nil {
		return err
	}
	log.Info("sandboxes running", zap.String("url", url), zap.String("webhooks", cfg.GatewayURL))
	if ready != nil {
		ready(url)
	}
	<-ctx.Done()
	return nil
}

// startSandboxes serves the wanted sandboxes on cfg.DevSandboxAddr, one
// path prefix each, and returns their base URL. Their state is kept in one
// SQLite file under dir, where the FNS test CA is written too.
func startSandboxes(cfg config.Sandboxes, dir, gatewayURL string, want providers, log *zap.Logger, stack *cleanupStack) (string, error) {
	statePath := filepath.Join(dir, devSandboxStateFile)
	spec, err := faults.ParseSpec(cfg.SandboxFaults)
	if err != nil {
		return "", fmt.Errorf("config: IDFLOW_SANDBOX_FAULTS: %w", err)
	}
	injector := faults.New(spec)
	stack.push("sandbox faults", func() error { injector.Close(); return nil })
	if spec.Enabled() {
		log.Warn("provider sandboxes inject faults", zap.String("faults", spec.String()))
	}
	// The webhooks and callbacks the sandboxes send meet the outbound faults.
	sender := &http.Client{Transport: injector.Transport(nil)}
	counts := &faults.Counts{}
	mux := http.NewServeMux()
	mux.Handle("GET "+CountsPath, counts.Handler(injector))
	if want.mandarin {
		sb, err := sandboxmandarin.Open(sandboxmandarin.Config{
			MerchantID: devMandarinMerchant, Secret: devMandarinSecret, SMEVDelay: sandboxDelay(cfg.DevSMEVDelay),
			StatePath: statePath, Counts: counts,
		})
		if err != nil {
			return "", err
		}
		stack.push("Mandarin sandbox", func() error { sb.Close(); return nil })
		mux.Handle(mandarinPrefix+"/", http.StripPrefix(mandarinPrefix, sb.Handler()))
	}
	if want.idngo {
		sb, err := sandboxidngo.Open(sandboxidngo.Config{
			AppToken: devIDnGOAppToken, SecretKey: devIDnGOSecretKey,
			WebhookURL: gatewayURL + "/webhooks/" + idngoProvider, WebhookSecret: devIDnGOWebhookKey,
			ReviewDelay: sandboxDelay(cfg.DevIDnGOReviewDelay), DuplicateWebhooks: cfg.DevIDnGODuplicateWebhooks,
			RetryFactor: cfg.SandboxRetryFactor, StatePath: statePath, HTTPClient: sender, Counts: counts,
		})
		if err != nil {
			return "", err
		}
		stack.push("IDnGO sandbox", func() error { sb.Close(); return nil })
		mux.Handle(idngoPrefix+"/", http.StripPrefix(idngoPrefix, sb.Handler()))
	}
	if want.fns {
		// Kept in the same file (rows of sandbox "fns"): a registration in
		// progress survives a restart, and certificates chain to the same
		// test CA. Intermediate states call back too (FNS enables them per
		// partner on request), so the workflow moves at once instead of at its
		// next poll.
		fnsCfg := sandboxfns.Config{Username: devFNSUsername, Password: devFNSPassword,
			IntermediateCallbacks: true, RetryFactor: cfg.SandboxRetryFactor, StatePath: statePath,
			HTTPClient: sender, Counts: counts}
		if d, ok := cfg.FNSDelay(); ok {
			fnsCfg.SetPersonDelays(sandboxDelay(d))
		}
		sb, err := sandboxfns.Open(fnsCfg)
		if err != nil {
			return "", err
		}
		stack.push("FNS sandbox", func() error { sb.Close(); return nil })
		if err := writeSandboxCA(dir, sb.CACertificate()); err != nil {
			return "", err
		}
		mux.Handle(fnsPrefix+"/", http.StripPrefix(fnsPrefix, sb.Handler()))
	}
	listener, err := net.Listen("tcp", cfg.DevSandboxAddr)
	if err != nil {
		return "", fmt.Errorf("sandboxes: listen on %s (IDFLOW_DEV_SANDBOX_ADDR): %w", cfg.DevSandboxAddr, err)
	}
	srv := &http.Server{Handler: injector.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(listener) }()
	stack.push("sandboxes", func() error { return shutdownHTTP(srv, 5*time.Second) })
	return "http://" + listener.Addr().String(), nil
}

func writeSandboxCA(dir string, der []byte) error {
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, config.DevFNSCAFile), block, 0o644); err != nil {
		return fmt.Errorf("write the FNS sandbox CA: %w", err)
	}
	return nil
}

// sandboxDelay is a configured delay as the sandboxes read it: there 0
// means their default (2 s) and a negative delay none, so the 0 an
// operator sets (IDFLOW_DEV_SMEV_DELAY=0) becomes "at once".
func sandboxDelay(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
