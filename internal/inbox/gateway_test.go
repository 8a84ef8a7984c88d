package inbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"idflow/internal/gateway"
	"idflow/internal/metrics"
	"idflow/internal/store/storetest"
)

const hookSecret = "inbox-e2e-secret"

func hookSign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// hookSource is a test provider: hex HMAC-SHA256 in X-Signature, JSON bodies
// {"id": ..., "workflowId": ...}.
func hookSource() gateway.WebhookSource {
	return gateway.WebhookSource{
		Provider: testProvider,
		Verify: func(h http.Header, body []byte) error {
			got, err := hex.DecodeString(h.Get("X-Signature"))
			if err != nil || len(got) == 0 {
				return errors.New("missing signature")
			}
			mac := hmac.New(sha256.New, []byte(hookSecret))
			mac.Write(body)
			if !hmac.Equal(got, mac.Sum(nil)) {
				return errors.New("bad signature")
			}
			return nil
		},
		Parse: func(body []byte) (string, string, error) {
			var ev struct{ ID string }
			if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
				return "", "", errors.New("no event id")
			}
			return ev.ID, "test.event", nil
		},
	}
}

// TestWebhookToWorkflow wires the gateway to a dispatcher as the worker
// does: a webhook answered 200 reaches its workflow once, woken by
// OnWebhook (the dispatcher would otherwise poll only hourly).
func TestWebhookToWorkflow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.SQLiteURL(t))
	m, err := metrics.New()
	require.NoError(t, err)
	opts := f.options()
	opts.PollInterval = time.Hour
	d := NewDispatcher(f.st, f.sig, map[string]Route{testProvider: testRoute}, zaptest.NewLogger(t), m.Registerer(), opts)
	gw := gateway.New(gateway.Deps{Store: f.st, APIToken: "token", Logger: zaptest.NewLogger(t), Metrics: m,
		Webhooks: []gateway.WebhookSource{hookSource()}, OnWebhook: d.Notify})
	srv := httptest.NewServer(gw.Handler())
	defer srv.Close()
	f.run(d)

	post := func(body []byte) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/"+testProvider, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Signature", hookSign(body))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out struct{ Status string }
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out.Status
	}
	body := []byte(`{"id":"evt-1","workflowId":"wf-1"}`)
	require.Equal(t, "stored", post(body))
	require.Eventually(t, func() bool { return len(f.sig.workflows()) == 1 }, 10*time.Second, 2*time.Millisecond)
	require.Equal(t, "duplicate", post(body))
	require.Equal(t, "stored", post([]byte(`{"id":"evt-2","workflowId":"wf-2"}`)))
	require.Eventually(t, func() bool { return len(f.sig.workflows()) == 2 }, 10*time.Second, 2*time.Millisecond)
	assert.Equal(t, []string{"wf-1", "wf-2"}, f.sig.workflows())

	resp, err := http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(text), `idflow_inbox_delivered_total{provider="acme"} 2`)
}
