package main

import (
	"context"
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

	"idflow/internal/store"
	"idflow/internal/validate"

	"idflow/internal/codec"
	"net/http"

	"idflow/internal/subject"

	"cmp"
)

// environment holds the settings and the connections a command uses; the
// Temporal connection is made on first use only.
type environment struct {
	cfg      config.Starter
	subject  string // --subject
	temporal client.Client
	tOptions client.Options
}

func (e *environment) load(ctx context.Context) error {
	if e.subject != "" && !store.ValidSubject(e.subject) {
		return invalidInput(validate.FieldErrors{{Field: "--subject", Message: "want 1 to 128 letters, digits, '.', '_', ':' or '-' (an opaque id, no personal data)"}})
	}
	cfg, err := config.LoadStarter(ctx, envconfig.OsLookuper())
	if err != nil {
		return err
	}
	e.cfg = cfg
	return nil
}

// token is IDFLOW_API_TOKEN, or the one a -dev worker saved in its dev
// directory. A relative dev directory (the default .idflow) is looked for in
// the working directory and then in each directory above it, so that the
// starter finds the token from anywhere in the project tree.
func (e *environment) token() (string, error) {
	if e.cfg.APIToken != "" {
		return e.cfg.APIToken, nil
	}
	path, looked, err := findDevToken(e.cfg.DevDir)
	if err != nil {
		return "", err
	}
	if path == "" {
		return "", fmt.Errorf("no API token: set IDFLOW_API_TOKEN, or start 'go run ./worker -dev' (it writes %s); looked for %s",
			filepath.Join(e.cfg.DevDir, config.DevTokenFile), looked)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// findDevToken returns the path of the dev token file, or "" and where it
// looked when there is none.
func findDevToken(devDir string) (path, looked string, err error) {
	path, looked, err = findDevFile(devDir, config.DevTokenFile)
	if err != nil {
		return "", "", fmt.Errorf("no API token: IDFLOW_API_TOKEN is unset and %w", err)
	}
	return path, looked, nil
}

// findDevFile returns the path of name in the dev directory, or "" and
// where it looked when there is none. A relative dev directory is looked
// for in the working directory and then in each directory above it.
func findDevFile(devDir, name string) (path, looked string, err error) {
	rel := filepath.Join(devDir, name)
	if filepath.IsAbs(devDir) {
		return existing(rel), rel, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", "", fmt.Errorf("the working directory is unknown: %w", err)
	}
	for dir := wd; ; {
		if p := existing(filepath.Join(dir, rel)); p != "" {
			return p, "", nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Sprintf("%s in %s and every directory above it", rel, wd), nil
}

// existing is path when a regular file is there, else "".
func existing(path string) string {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		return path
	}
	return ""
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
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort // what the SDK dials when TEMPORAL_ADDRESS is unset
	}
	e.useCodec(&opts)
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s): %w; is 'go run ./worker -dev' running? (TEMPORAL_ADDRESS sets another)",
			opts.HostPort, opts.Namespace, err)
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

// useCodec has payloads sealed and opened by the gateway's codec endpoint
// (the worker holds the keys). Without a gateway token the client can
// still read what is not sealed, and says so when it meets a sealed payload.
func (e *environment) useCodec(opts *client.Options) {
	token, err := e.token()
	if err != nil {
		return
	}
	dc := codec.NewRemoteDataConverter(strings.TrimRight(e.cfg.GatewayURL, "/")+"/v1/codec", func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	})
	opts.DataConverter, opts.FailureConverter = dc, codec.FailureConverter(dc)
}

// subjectContext carries the person a command is about: --subject, else
// the workflow's id (the subject a workflow started without --subject has).
// Uploads and the payloads the command sends are sealed with its key.
func (e *environment) subjectContext(ctx context.Context, workflowID string) context.Context {
	return subject.With(ctx, cmp.Or(e.subject, workflowID))
}
