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
	"time"

	"go.uber.org/zap"

	"idflow/internal/config"
	"idflow/internal/devserver"
)

// devStack is what -dev runs inside the worker process.
type devStack struct {
	temporal *devserver.Server
}

// startDev prepares the dev directory and token, then starts the embedded
// Temporal server and UI. It fills in cfg.APIToken when it was unset.
func startDev(ctx context.Context, cfg *config.Worker, log *zap.Logger, stack *cleanupStack) (*devStack, error) {
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
	srv, err := devserver.Start(devserver.Options{
		DatabaseFile: filepath.Join(cfg.DevDir, "temporal.db"),
		IP:           cfg.DevTemporalIP,
		FrontendPort: cfg.DevTemporalPort,
		UIPort:       cfg.DevUIPort,
		Namespace:    "default",
		Logger:       log,
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
	return &devStack{temporal: srv}, nil
}

// devToken reads the token an earlier -dev left, or generates and saves one.
func devToken(dir string) (string, error) {
	path := filepath.Join(dir, config.DevTokenFile)
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
