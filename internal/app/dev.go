package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"idflow/internal/config"
)

// devStack is what -dev runs inside the worker process.
type devStack struct {
	frontend, uiURL string // the embedded Temporal server's addresses
	sandboxes       []Sandbox
	// searchAttributesRegistered tells the embedded server that the search
	// attributes are registered (added, or there already).
	searchAttributesRegistered func(added bool)
}

// Sandbox is one provider sandbox served under -dev.
type Sandbox struct {
	Provider string // Provider is the provider's name, e.g. "Mandarin".
	URL      string // URL is the sandbox's base URL, which the worker's client uses.
}

// ErrBuiltWithoutDev is what -dev answers in a binary built with the tag
// nodev (the production image), which has no embedded Temporal server.
var ErrBuiltWithoutDev = errors.New("this worker was built without -dev (tag nodev): run it against a Temporal server (TEMPORAL_ADDRESS), or use a build without the tag")

// startDev prepares the dev directory and token, then starts the embedded
// Temporal server and UI. It fills in cfg.APIToken when it was unset.
func startDev(ctx context.Context, cfg *config.Worker, gatewayURL string, log *zap.Logger, stack *cleanupStack) (*devStack, error) {
	if !embedsTemporal {
		return nil, ErrBuiltWithoutDev // before anything is written to the dev directory
	}
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
	frontend, uiURL, registered, err := startEmbeddedTemporal(ctx, cfg, gatewayURL, log, stack)
	if err != nil {
		return nil, err
	}
	sandboxes, err := devSandboxes(cfg, gatewayURL, log, stack)
	if err != nil {
		return nil, err
	}
	return &devStack{frontend: frontend, uiURL: uiURL, sandboxes: sandboxes, searchAttributesRegistered: registered}, nil
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
