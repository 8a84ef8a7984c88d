package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-envconfig"
	"go.temporal.io/sdk/client"

	"idflow/internal/config"
	"idflow/internal/logging"
	"idflow/internal/temporalclient"
)

// environment holds the settings and the connections a command uses; the
// Temporal connection is made on first use only.
type environment struct {
	cfg      config.Starter
	temporal client.Client
	tOptions client.Options
}

func (e *environment) load(ctx context.Context) error {
	cfg, err := config.LoadStarter(ctx, envconfig.OsLookuper())
	if err != nil {
		return err
	}
	e.cfg = cfg
	return nil
}

// token is IDFLOW_API_TOKEN, or the one a -dev worker saved.
func (e *environment) token() (string, error) {
	if e.cfg.APIToken != "" {
		return e.cfg.APIToken, nil
	}
	b, err := os.ReadFile(filepath.Join(e.cfg.DevDir, config.DevTokenFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no API token: set IDFLOW_API_TOKEN, or start `go run ./worker -dev` here so that %s/%s exists", e.cfg.DevDir, config.DevTokenFile)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func (e *environment) client(ctx context.Context) (client.Client, error) {
	if e.temporal != nil {
		return e.temporal, nil
	}
	log, err := logging.New("console", "warn")
	if err != nil {
		return nil, err
	}
	opts, err := temporalclient.Options(log, nil, "")
	if err != nil {
		return nil, err
	}
	c, err := temporalclient.Dial(ctx, opts)
	if err != nil {
		return nil, err
	}
	e.temporal, e.tOptions = c, opts
	return c, nil
}

func (e *environment) namespace() string { return e.tOptions.Namespace }

// workflowURL links to a workflow in the Temporal UI.
func (e *environment) workflowURL(workflowID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(e.cfg.UIURL, "/"),
		url.PathEscape(e.namespace()), url.PathEscape(workflowID))
}

func (e *environment) close() {
	if e.temporal != nil {
		e.temporal.Close()
	}
}
