package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"net"
	"net/http"

	"go.uber.org/zap"

	"idflow/internal/config"
	"idflow/internal/devserver"
	sandboxfns "idflow/internal/sandbox/fns"
	sandboxidngo "idflow/internal/sandbox/idngo"
	sandboxmandarin "idflow/internal/sandbox/mandarin"
)

// devStack is what -dev runs inside the worker process.
type devStack struct {
	temporal  *devserver.Server
	sandboxes []Sandbox
}

// Sandbox is one provider sandbox served under -dev.
type Sandbox struct {
	Provider string // Provider is the provider's name, e.g. "Mandarin".
	URL      string // URL is the sandbox's base URL, which the worker's client uses.
}

// startDev prepares the dev directory and token, then starts the embedded
// Temporal server and UI. It fills in cfg.APIToken when it was unset.
func startDev(ctx context.Context, cfg *config.Worker, gatewayURL string, log *zap.Logger, stack *cleanupStack) (*devStack, error) {
	if err := os.MkdirAll(cfg.DevDir, 0o700); err != nil {
		return nil, fmt.Errorf("dev dir %s (IDFLOW_DEV_DIR): %w", cfg.DevDir, err)
	}
	if cfg.APIToken == "" {
		token, err := devToken(cfg.DevDir)
		if err != nil {
			return nil, err
		}
		cfg.APIToken = token
	}
	if cfg.CodecToken == "" {
		token, err := devSecret(cfg.DevDir, config.DevCodecTokenFile)
		if err != nil {
			return nil, err
		}
		cfg.CodecToken = token
	}
	if cfg.VDCSecret == "" && cfg.VDCClientCA == "" {
		secret, err := devSecret(cfg.DevDir, config.DevVDCSecretFile)
		if err != nil {
			return nil, err
		}
		cfg.VDCSecret = secret
	}
	for _, host := range []string{cfg.DevTemporalIP, "localhost"} {
		cfg.CodecCORSOrigins = append(cfg.CodecCORSOrigins, fmt.Sprintf("http://%s:%d", host, cfg.DevUIPort))
	}
	if cfg.EncryptionKeys == "" {
		keys, err := devKeys(cfg.DevDir)
		if err != nil {
			return nil, err
		}
		cfg.EncryptionKeys = keys
	}
	srv, err := devserver.Start(devserver.Options{
		DatabaseFile: filepath.Join(cfg.DevDir, "temporal.db"),
		IP:           cfg.DevTemporalIP,
		FrontendPort: cfg.DevTemporalPort,
		UIPort:       cfg.DevUIPort,
		Namespace:    "default",
		Logger:       log,
		// The embedded UI decodes payloads through the gateway's codec endpoint.
		CodecEndpoint: strings.TrimRight(gatewayURL, "/") + "/codec/" + cfg.CodecToken,
	})
	if err != nil {
		return nil, err
	}
	stack.push("embedded temporal", srv.Stop)
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.WaitReady(readyCtx); err != nil {
		return nil, err
	}
	sandboxes, err := startSandboxes(cfg, gatewayURL, stack)
	if err != nil {
		return nil, err
	}
	return &devStack{temporal: srv, sandboxes: sandboxes}, nil
}

// Sandbox credentials used under -dev when no real ones are configured.
const (
	devMandarinMerchant = "idflow-dev"
	devMandarinSecret   = "idflow-dev-secret"
	devIDnGOAppToken    = "idflow-dev-app-token"
	devIDnGOSecretKey   = "idflow-dev-secret-key"
	devIDnGOWebhookKey  = "idflow-dev-webhook-secret"
	// devFNSUsername and devFNSPassword are the FNS sandbox's partner account.
	devFNSUsername = "idflow-dev"
	devFNSPassword = "idflow-dev-fns-secret"
)

// devSandboxStateFile, under IDFLOW_DEV_DIR, keeps the sandboxes' sessions,
// applicants, scheduled reviews and undelivered webhooks across restarts.
const devSandboxStateFile = "sandboxes.db"

// startSandboxes serves the provider sandboxes on IDFLOW_DEV_SANDBOX_ADDR,
// one path prefix each, and points unconfigured providers at them. Their
// state is kept in one SQLite file under cfg.DevDir.
func startSandboxes(cfg *config.Worker, gatewayURL string, stack *cleanupStack) ([]Sandbox, error) {
	statePath := filepath.Join(cfg.DevDir, devSandboxStateFile)
	mux := http.NewServeMux()
	mandarin := cfg.MandarinMerchantID == ""
	if mandarin {
		sb, err := sandboxmandarin.Open(sandboxmandarin.Config{
			MerchantID: devMandarinMerchant, Secret: devMandarinSecret, SMEVDelay: sandboxDelay(cfg.DevSMEVDelay),
			StatePath: statePath,
		})
		if err != nil {
			return nil, err
		}
		stack.push("Mandarin sandbox", func() error { sb.Close(); return nil })
		mux.Handle("/mandarin/", http.StripPrefix("/mandarin", sb.Handler()))
	}
	idngo := cfg.IDnGOBaseURL == ""
	if idngo {
		sb, err := sandboxidngo.Open(sandboxidngo.Config{
			AppToken: devIDnGOAppToken, SecretKey: devIDnGOSecretKey,
			WebhookURL: gatewayURL + "/webhooks/" + idngoProvider, WebhookSecret: devIDnGOWebhookKey,
			ReviewDelay: sandboxDelay(cfg.DevIDnGOReviewDelay), DuplicateWebhooks: cfg.DevIDnGODuplicateWebhooks,
			StatePath: statePath,
		})
		if err != nil {
			return nil, err
		}
		stack.push("IDnGO sandbox", func() error { sb.Close(); return nil })
		mux.Handle("/idngo/", http.StripPrefix("/idngo", sb.Handler()))
	}
	fnsSandbox := cfg.FNSBaseURL == ""
	if fnsSandbox {
		// Kept in the same file (rows of sandbox "fns"): a registration in
		// progress survives a -dev restart, and certificates chain to the same
		// test CA. Intermediate states call back too (FNS enables them per
		// partner on request), so the workflow moves at once instead of at its
		// next poll.
		sb, err := sandboxfns.Open(sandboxfns.Config{Username: devFNSUsername, Password: devFNSPassword,
			IntermediateCallbacks: true, StatePath: statePath})
		if err != nil {
			return nil, err
		}
		stack.push("FNS sandbox", func() error { sb.Close(); return nil })
		if err := writeSandboxCA(cfg.DevDir, sb.CACertificate()); err != nil {
			return nil, err
		}
		mux.Handle("/fns/", http.StripPrefix("/fns", sb.Handler()))
	}
	listener, err := net.Listen("tcp", cfg.DevSandboxAddr)
	if err != nil {
		return nil, fmt.Errorf("sandboxes: listen on %s (IDFLOW_DEV_SANDBOX_ADDR): %w", cfg.DevSandboxAddr, err)
	}
	baseURL := "http://" + listener.Addr().String()
	var served []Sandbox
	if mandarin {
		cfg.MandarinBaseURL, cfg.MandarinMerchantID, cfg.MandarinSecret = baseURL+"/mandarin", devMandarinMerchant, devMandarinSecret
		served = append(served, Sandbox{Provider: "Mandarin", URL: cfg.MandarinBaseURL})
	}
	if idngo {
		cfg.IDnGOBaseURL, cfg.IDnGOAppToken, cfg.IDnGOSecretKey, cfg.IDnGOWebhookSecret =
			baseURL+"/idngo", devIDnGOAppToken, devIDnGOSecretKey, devIDnGOWebhookKey
		served = append(served, Sandbox{Provider: "IDnGO", URL: cfg.IDnGOBaseURL})
	}
	if fnsSandbox {
		cfg.FNSBaseURL, cfg.FNSUsername, cfg.FNSPassword = baseURL+"/fns", devFNSUsername, devFNSPassword
		served = append(served, Sandbox{Provider: "FNS", URL: cfg.FNSBaseURL})
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(listener) }()
	stack.push("sandboxes", func() error { return shutdownHTTP(srv, 5*time.Second) })
	return served, nil
}

func writeSandboxCA(dir string, der []byte) error {
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, config.DevFNSCAFile), block, 0o644); err != nil {
		return fmt.Errorf("write the FNS sandbox CA: %w", err)
	}
	return nil
}

// devToken reads the token an earlier -dev left, or generates and saves one.
func devToken(dir string) (string, error) { return devSecret(dir, config.DevTokenFile) }

// devSecret reads a secret an earlier -dev left in file, or generates and saves one.
func devSecret(dir, file string) (string, error) {
	path := filepath.Join(dir, file)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read dev token: %w", err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save dev token: %w", err)
	}
	return token, nil
}

// devKeys reads the master key an earlier -dev left, or generates and
// saves one: what it sealed stays readable across restarts.
func devKeys(dir string) (string, error) {
	path := filepath.Join(dir, config.DevKeysFile)
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read dev encryption keys: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	spec := config.FormatKey("dev-1", key)
	if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save dev encryption keys: %w", err)
	}
	return spec, nil
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
