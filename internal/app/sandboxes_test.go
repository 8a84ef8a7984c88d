package app

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"idflow/internal/config"
	"idflow/internal/sandbox/faults"
)

func TestZeroDevDelayMeansAtOnce(t *testing.T) {
	assert.Negative(t, sandboxDelay(0), "0 is at once, not the sandbox's 2 s default")
	assert.Equal(t, 20*time.Second, sandboxDelay(20*time.Second))
}

// TestSandboxesAloneServeFaultsAndCounts runs what `worker -sandboxes`
// runs: every provider under its prefix, the configured faults on their
// APIs (every request here answered 5xx or 429) but never on the counts.
func TestSandboxesAloneServeFaultsAndCounts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config.SandboxesAlone{DevDir: t.TempDir(), GatewayURL: "http://127.0.0.1:1",
		Sandboxes: config.Sandboxes{DevSandboxAddr: "127.0.0.1:0", SandboxRetryFactor: 60, SandboxFaults: "seed=1,error=1"}}
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- RunSandboxes(ctx, cfg, zap.NewNop(), func(u string) { urls <- u }) }()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatal(err)
	}
	for _, path := range []string{mandarinPrefix + "/api/personidentification/x", idngoPrefix + "/resources/applicants/x/one", fnsPrefix + "/api/rb/workflow"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Contains(t, []int{500, 502, 429}, resp.StatusCode, path)
	}
	resp, err := http.Get(base + CountsPath)
	require.NoError(t, err)
	var report faults.CountsReport
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&report))
	resp.Body.Close()
	total := 0
	for _, n := range report.Faults {
		total += n
	}
	assert.Equal(t, 3, total, "each API request met a fault: %v", report.Faults)
	assert.FileExists(t, filepath.Join(cfg.DevDir, config.DevFNSCAFile))

	cancel()
	require.NoError(t, <-done)
}

func TestSandboxProviderEnvIsAWorkerConfiguration(t *testing.T) {
	env := map[string]string{"IDFLOW_API_TOKEN": "0123456789abcdef0123", "IDFLOW_ENCRYPTION_KEYS": config.FormatKey("k1", make([]byte, 32))}
	for _, kv := range SandboxProviderEnv("http://127.0.0.1:9/") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	cfg, err := config.LoadWorker(context.Background(), envconfig.MapLookuper(env), false)
	require.NoError(t, err)
	assert.Equal(t, providers{}, unconfigured(&cfg), "every provider is configured")
	assert.Equal(t, "http://127.0.0.1:9/idngo", cfg.IDnGOBaseURL)
}
