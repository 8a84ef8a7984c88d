package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/testing/freeport"
	"go.uber.org/zap/zaptest"

	"idflow/internal/app"
	"idflow/internal/config"
	"idflow/internal/devserver"
	"idflow/internal/providers/idngo"
)

const outageWebhookSecret = "outage-webhook-secret"

// productionWorker runs the worker as in production (no -dev) against the
// given database and a Temporal frontend at temporalPort, which may not be
// running; it returns the gateway URL and a channel with Run's result.
func productionWorker(t *testing.T, databaseURL string, temporalPort int) (string, <-chan error, context.CancelFunc) {
	t.Helper()
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:"+strconv.Itoa(temporalPort))
	httpAddr := "127.0.0.1:" + strconv.Itoa(freeport.MustGetFreePort())
	cfg, err := config.LoadWorker(context.Background(), envconfig.MapLookuper(map[string]string{
		"IDFLOW_TASK_QUEUE": "idflow-outage", "IDFLOW_HTTP_ADDR": httpAddr, "IDFLOW_LOG_LEVEL": "warn",
		"IDFLOW_SHUTDOWN_TIMEOUT": "5s", "IDFLOW_DATABASE_URL": databaseURL,
		"IDFLOW_API_TOKEN": "outage-test-token-0123456789", "IDFLOW_ENCRYPTION_KEYS": "k1:" + strings.Repeat("A", 43) + "=",
		"IDFLOW_IDNGO_BASE_URL": "http://127.0.0.1:1", "IDFLOW_IDNGO_APP_TOKEN": "app", "IDFLOW_IDNGO_SECRET_KEY": "key",
		"IDFLOW_IDNGO_WEBHOOK_SECRET": outageWebhookSecret,
	}), false)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{Config: cfg, Logger: zaptest.NewLogger(t).Named("worker")})
	}()
	gateway := "http://" + httpAddr
	require.Eventually(t, func() bool {
		resp, err := http.Get(gateway + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "the gateway answers whatever its dependencies do")
	return gateway, done, cancel
}

func readiness(t require.TestingT, gateway string) (int, map[string]any) {
	helper(t)
	resp, err := http.Get(gateway + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct{ Checks map[string]any }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body.Checks
}

func postSignedWebhook(t *testing.T, gateway string, body []byte) *http.Response {
	t.Helper()
	digest, err := idngo.PayloadDigest(outageWebhookSecret, idngo.DigestSHA256, body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, gateway+"/webhooks/idngo", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(idngo.HeaderPayloadDigest, digest)
	req.Header.Set(idngo.HeaderPayloadDigestAlg, idngo.DigestSHA256)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// TestWorkerStartsDuringATemporalOutage: a worker started while Temporal is
// down serves its gateway, says in /readyz what is missing, stores the
// webhooks it receives, keeps dialling, and once Temporal is up delivers
// them.
func TestWorkerStartsDuringATemporalOutage(t *testing.T) {
	temporalPort := freeport.MustGetFreePort()
	gateway, done, cancel := productionWorker(t, "sqlite://"+filepath.Join(t.TempDir(), "idflow.db"), temporalPort)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		_, checks := readiness(c, gateway)
		assert.Equal(c, "ok", checks["database"], "the store opens")
	}, 30*time.Second, 50*time.Millisecond)
	status, checks := readiness(t, gateway)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, map[string]any{"database": "ok", "temporal": "unavailable"}, checks)
	body := []byte(`{"applicantId":"0123456789abcdef01234567","correlationId":"outage-1","externalUserId":"during-outage",` +
		`"type":"applicantReviewed","reviewStatus":"completed","reviewResult":{"reviewAnswer":"GREEN"}}`)
	assert.Equal(t, http.StatusOK, postSignedWebhook(t, gateway, body).StatusCode, "stored while Temporal is down")
	time.Sleep(2 * time.Second) // the worker keeps dialling
	select {
	case err := <-done:
		t.Fatalf("the worker gave up while Temporal was down: %v", err)
	default:
	}

	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), IP: "127.0.0.1",
		FrontendPort: temporalPort, Namespace: "default", Logger: zaptest.NewLogger(t).Named("temporal")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	readyCtx, readyCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer readyCancel()
	require.NoError(t, srv.WaitReady(readyCtx))
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress()})
	require.NoError(t, err)
	defer c.Close()
	// A workflow waiting for the webhook (no worker runs it: a signal only needs it open).
	_, err = c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "kyc-during-outage", TaskQueue: "nobody"}, "Waiting")
	require.NoError(t, err)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		status, _ := readiness(c, gateway)
		assert.Equal(c, http.StatusOK, status, "ready once Temporal is up")
	}, 90*time.Second, 200*time.Millisecond)
	require.Eventually(t, func() bool {
		iter := c.GetWorkflowHistory(context.Background(), "kyc-during-outage", "", false, 0)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err == nil && ev.GetWorkflowExecutionSignaledEventAttributes() != nil {
				return true
			}
		}
		return false
	}, 60*time.Second, 200*time.Millisecond, "the webhook stored during the outage is delivered")

	cancel()
	require.NoError(t, <-done)
}

// TestWorkerStartsDuringADatabaseOutage: with the database unreachable the
// gateway still serves /readyz, naming the database without its details,
// and answers webhooks 503 with Retry-After, so the provider retries; the
// worker keeps trying and stops cleanly when asked.
func TestWorkerStartsDuringADatabaseOutage(t *testing.T) {
	closedPort := freeport.MustGetFreePort()
	gateway, done, cancel := productionWorker(t,
		"postgres://idflow:secret-password@127.0.0.1:"+strconv.Itoa(closedPort)+"/idflow?sslmode=disable", freeport.MustGetFreePort())

	status, checks := readiness(t, gateway)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "unavailable", checks["database"])
	resp := postSignedWebhook(t, gateway, []byte(`{"correlationId":"db-down-1","externalUserId":"x","type":"applicantReviewed"}`))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	select {
	case err := <-done:
		t.Fatalf("the worker gave up while the database was down: %v", err)
	default:
	}
	cancel()
	require.NoError(t, <-done)
}

// TestEmbeddedTemporalUsesWAL: the -dev server's SQLite file is in WAL
// mode (a key the plugin does not know as a URI parameter becomes a
// PRAGMA; "_journal_mode" was ignored and left it in rollback mode).
func TestEmbeddedTemporalUsesWAL(t *testing.T) {
	sys := startSystem(t, nil)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(sys.devDir, "temporal.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
}
