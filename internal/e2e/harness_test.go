package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/server/common/testing/freeport"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/encoding/protojson"

	"idflow/internal/app"
	"idflow/internal/codec"
	"idflow/internal/codec/codectest"
	"idflow/internal/config"
	"idflow/workflows/process"
)

// system is one running worker process (app.Run under -dev) and a client to it.
type system struct {
	info   app.Info
	client client.Client
	// databaseURL is the worker's store, which a test may open beside it.
	databaseURL string
	// logs are every line the worker (and its embedded server) logged.
	logs *observer.ObservedLogs
	// dc opens what the worker sealed (through the gateway's codec).
	dc converter.DataConverter
	// devDir is the worker's -dev state directory.
	devDir string
}

// startSystem runs the whole worker process in-process, as `worker -dev`
// does, on free ports and a temporary state directory.
func startSystem(t *testing.T, tune func(*config.Worker)) *system {
	t.Helper()
	// The real configuration path, with free ports and a temporary state directory.
	cfg, err := config.LoadWorker(context.Background(), envconfig.MapLookuper(map[string]string{
		"IDFLOW_TASK_QUEUE": "idflow-e2e", "IDFLOW_HTTP_ADDR": "127.0.0.1:0", "IDFLOW_LOG_LEVEL": "warn",
		"IDFLOW_SHUTDOWN_TIMEOUT": "5s", "IDFLOW_DEV_DIR": t.TempDir(), "IDFLOW_DEV_SANDBOX_ADDR": "127.0.0.1:0",
		"IDFLOW_DEV_TEMPORAL_PORT": strconv.Itoa(freeport.MustGetFreePort()),
		"IDFLOW_DEV_UI_PORT":       strconv.Itoa(freeport.MustGetFreePort()),
		"IDFLOW_DEV_SMEV_DELAY":    "1s",
		"IDFLOW_ENCRYPTION_KEYS":   codectest.Keys, // fixed, so that recorded histories replay
	}), true)
	require.NoError(t, err)
	if tune != nil {
		tune(&cfg)
	}
	// Every log line is also kept, so a test can look for personal data in them.
	observed, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), observed))
	ready := make(chan app.Info, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{Config: cfg, Dev: true, Logger: logger.Named("worker"),
			Ready: func(info app.Info) { ready <- info }})
	}()
	var info app.Info
	select {
	case info = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("worker stopped at start: %v", err)
	case <-time.After(90 * time.Second):
		cancel()
		t.Fatal("worker not ready within 90s")
	}
	// A service's client: payloads sealed and opened by the gateway's codec
	// endpoint, as the starter does.
	dc := codec.NewRemoteDataConverter(info.GatewayURL+"/v1/codec", func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+info.APIToken)
		return nil
	})
	c, err := client.Dial(client.Options{HostPort: info.TemporalAddress, DataConverter: dc, FailureConverter: codec.FailureConverter(dc)})
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		cancel()
		require.NoError(t, <-done, "worker shut down with an error")
	})
	return &system{info: info, client: c, databaseURL: cfg.DatabaseURL, logs: logs, dc: dc, devDir: cfg.DevDir}
}

// putDocument stores content through the gateway's documents API.
func (s *system) putDocument(t *testing.T, title, mediaType string, content []byte) string {
	t.Helper()
	status, body := s.api(t, http.MethodPost, "/v1/documents?title="+url.QueryEscape(title), mediaType, content)
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var doc struct{ ID string }
	require.NoError(t, json.Unmarshal(body, &doc))
	return doc.ID
}

// api sends one request to the gateway with the API token and returns the
// status and the body.
func (s *system) api(t *testing.T, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.info.GatewayURL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.info.APIToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, answer
}

// get fetches a gateway path that needs no token and returns the body.
func (s *system) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(s.info.GatewayURL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// history reads a workflow's whole event history.
func (s *system) history(t *testing.T, workflowID string) *historypb.History {
	t.Helper()
	iter := s.client.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	return h
}

// recordHistory saves a history for the replay tests in workflows/ when
// IDFLOW_RECORD_HISTORIES names a directory (make record-histories).
func recordHistory(t *testing.T, h *historypb.History, name string) {
	t.Helper()
	dir := os.Getenv("IDFLOW_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	path := filepath.Join(dir, name+".json")
	require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	t.Logf("recorded %d events in %s", len(h.Events), path)
}

// requireSummaries checks that every activity and timer of a history
// carries a summary that says what it does or bounds, so the UI's timeline
// explains itself (the SDK's defaults, "AwaitWithTimeout" and "Sleep", do not).
func (s *system) requireSummaries(t *testing.T, h *historypb.History) {
	t.Helper()
	checked := 0
	for _, ev := range h.Events {
		if ev.GetActivityTaskScheduledEventAttributes() == nil && ev.GetTimerStartedEventAttributes() == nil {
			continue
		}
		var summary string
		if p := ev.GetUserMetadata().GetSummary(); p != nil {
			require.NoError(t, s.dc.FromPayload(p, &summary))
		}
		require.NotContains(t, []string{"", "AwaitWithTimeout", "Sleep"}, summary, "event %d (%s) has no summary", ev.GetEventId(), ev.GetEventType())
		checked++
	}
	require.NotZero(t, checked, "the history has activities or timers")
}

// requireStartedAtFirstStage checks that a process started with its
// StartSearchAttributes is searchable by its first stage from its start
// and spends no upsert on it: the server keeps exactly what the first
// publication would set (it drops an empty list, for one).
func requireStartedAtFirstStage(t *testing.T, h *historypb.History, stage string) {
	t.Helper()
	stages := []string{}
	for _, ev := range h.Events {
		fields := ev.GetWorkflowExecutionStartedEventAttributes().GetSearchAttributes().GetIndexedFields()
		if upsert := ev.GetUpsertWorkflowSearchAttributesEventAttributes(); upsert != nil {
			fields = upsert.GetSearchAttributes().GetIndexedFields()
		}
		if p, ok := fields[process.StageKey.GetName()]; ok {
			var s string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &s))
			stages = append(stages, s)
		}
	}
	require.NotEmpty(t, stages, "no stage at start")
	require.Equal(t, stage, stages[0], "the start carries the first stage")
	require.NotContains(t, stages[1:], stage, "no upsert repeats the first stage")
}

// helper marks the caller a test helper when t is a *testing.T (not an
// assert.CollectT inside EventuallyWithT).
func helper(t require.TestingT) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
}

func eventCount(h *historypb.History, eventType fmt.Stringer) int {
	n := 0
	for _, ev := range h.Events {
		if ev.GetEventType().String() == eventType.String() {
			n++
		}
	}
	return n
}
