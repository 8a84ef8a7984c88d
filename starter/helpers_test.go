package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"idflow/internal/gateway"
	"idflow/internal/metrics"
	"idflow/internal/store"

	"idflow/internal/codec"
	"idflow/internal/config"
)

// testToken is the API token of the test gateways.
const testToken = "starter-test-token-0123456789"

// testGateway is a real gateway over a fresh SQLite store, served over HTTP.
// testKeys seal the payloads of the starter's tests: the test gateway's
// codec endpoint, which the starter uses, and the stub workers share them.
var testKeys = &codec.Ring{Master: config.KeyRing{Active: "test", Keys: map[string][]byte{"test": make([]byte, 32)}}}

type testGateway struct {
	url   string
	store *store.Store
}

// startGateway serves a gateway requiring testToken; it stops at cleanup.
func startGateway(t *testing.T) *testGateway {
	t.Helper()
	return startGatewayWith(t, nil)
}

// startGatewayWith is startGateway with the gateway's handler passed
// through wrap (nil for none), for endpoints another branch serves.
func startGatewayWith(t *testing.T, wrap func(http.Handler) http.Handler) *testGateway {
	t.Helper()
	return startGatewayDeps(t, wrap, nil)
}

// startGatewayDeps is startGatewayWith with the gateway's dependencies
// changed by tune (nil for none) before it is built.
func startGatewayDeps(t *testing.T, wrap func(http.Handler) http.Handler, tune func(*gateway.Deps)) *testGateway {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "idflow.db"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	m, err := metrics.New()
	require.NoError(t, err)
	deps := gateway.Deps{Store: st, APIToken: testToken, MaxDocumentBytes: 1 << 20,
		Logger: zap.NewNop(), Metrics: m, Codec: testKeys}
	if tune != nil {
		tune(&deps)
	}
	gw := gateway.New(deps)
	var h http.Handler = gw.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testGateway{url: srv.URL, store: st}
}

// useGateway points the starter at url with the given token (none when
// empty) and an empty dev directory, which it returns.
func useGateway(t *testing.T, url, token string) (devDir string) {
	t.Helper()
	devDir = t.TempDir()
	t.Setenv("IDFLOW_GATEWAY_URL", url)
	t.Setenv("IDFLOW_DEV_DIR", devDir)
	if token == "" {
		unsetenv(t, "IDFLOW_API_TOKEN")
	} else {
		t.Setenv("IDFLOW_API_TOKEN", token)
	}
	return devDir
}

// unsetenv removes an environment variable for the test, restoring it after.
func unsetenv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "") // registers the restore
	require.NoError(t, os.Unsetenv(key))
}

// result is what one starter run produced.
type result struct {
	code           int
	stdout, stderr string
}

// run executes one starter command line, capturing its output.
func run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := executeWith(context.Background(), args, &stdout, &stderr)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	t.Logf("starter %q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	return r
}

// writeFile writes content to name in dir and returns the path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	return path
}
