package gateway

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store"
)

func TestHealthz(t *testing.T) {
	g := newSQLiteGateway(t)
	// No token needed: probes are public.
	resp := g.send(http.MethodGet, "/healthz", nil, map[string]string{"Authorization": ""})
	body := decodeJSON[map[string]string](t, resp, http.StatusOK)
	assert.Equal(t, map[string]string{"status": "ok"}, body)
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("temporal: connection refused") }
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		wantChecks map[string]any
	}{
		{"no checks", nil, http.StatusOK, map[string]any{}},
		{
			name:       "all ok",
			checks:     []Check{{"database", ok}, {"temporal", ok}},
			wantStatus: http.StatusOK,
			wantChecks: map[string]any{"database": "ok", "temporal": "ok"},
		},
		{
			name:       "one failing",
			checks:     []Check{{"database", ok}, {"temporal", down}},
			wantStatus: http.StatusServiceUnavailable,
			wantChecks: map[string]any{"database": "ok", "temporal": "unavailable"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newSQLiteGateway(t, withChecks(tt.checks...))
			resp := g.send(http.MethodGet, "/readyz", nil, map[string]string{"Authorization": ""})
			body := decodeJSON[map[string]any](t, resp, tt.wantStatus)
			assert.Equal(t, tt.wantStatus == http.StatusOK, body["ready"])
			assert.Equal(t, tt.wantChecks, body["checks"])
		})
	}
}

func TestReadyzPingsStore(t *testing.T) {
	var st *store.Store
	g := newSQLiteGateway(t, withChecks(Check{Name: "database", Run: func(ctx context.Context) error {
		return st.Ping(ctx)
	}}))
	st = g.store
	decodeJSON[map[string]any](t, g.get("/readyz"), http.StatusOK)

	require.NoError(t, st.Close())
	body := decodeJSON[map[string]any](t, g.get("/readyz"), http.StatusServiceUnavailable)
	assert.Equal(t, false, body["ready"])
	checks, _ := body["checks"].(map[string]any)
	assert.Equal(t, "unavailable", checks["database"], "no driver detail without authentication")
}

func TestMetrics(t *testing.T) {
	g := newSQLiteGateway(t)
	g.get("/healthz")
	g.get("/healthz")
	g.send(http.MethodGet, "/v1/documents", nil, map[string]string{"Authorization": ""})
	g.get("/no/such/route")

	resp := g.send(http.MethodGet, "/metrics", nil, map[string]string{"Authorization": ""})
	body := string(readBody(t, resp))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
	for _, line := range []string{
		"# TYPE idflow_http_requests_total counter",
		`idflow_http_requests_total{code="200",route="GET /healthz"} 2`,
		`idflow_http_requests_total{code="401",route="GET /v1/documents"} 1`,
		`idflow_http_requests_total{code="404",route="unmatched"} 1`,
	} {
		assert.Contains(t, body, line+"\n")
	}
	assert.Contains(t, body, "go_goroutines ", "the Go collector is registered")
	// Query strings never reach the labels; the route pattern does.
	g.putRaw("secret title", "", "text/plain", []byte("x"))
	body = string(readBody(t, g.get("/metrics")))
	assert.Contains(t, body, `idflow_http_requests_total{code="201",route="POST /v1/documents"} 1`)
	assert.NotContains(t, body, "secret")
}

func TestAuthRejectsUploads(t *testing.T) {
	tests := []struct {
		name          string
		authorization string
		wantMessage   string
	}{
		{"missing header", "", "missing bearer token"},
		{"wrong token", "Bearer not-the-token", "invalid bearer token"},
		{"token prefix", "Bearer " + testToken[:len(testToken)-1], "invalid bearer token"},
		{"basic scheme", "Basic " + testToken, "missing bearer token"},
		{"scheme only", "Bearer", "missing bearer token"},
		{"empty token", "Bearer ", "missing bearer token"},
		{"token without scheme", testToken, "missing bearer token"},
	}
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := g.send(http.MethodPost, "/v1/documents?title=a.txt&owner=mallory",
					strings.NewReader("content"), map[string]string{
						"Authorization": tt.authorization, "Content-Type": "text/plain"})
				msg := requireAPIError(t, resp, http.StatusUnauthorized, "unauthorized")
				assert.Contains(t, msg, tt.wantMessage)
				g.requireNothingStored("mallory")
			})
		}
	})
}

func TestAuthGuardsReads(t *testing.T) {
	g := newSQLiteGateway(t)
	doc := g.mustPut("a.txt", "", "text/plain", []byte("secret"))
	for _, target := range []string{"/v1/documents", "/v1/documents/" + doc.ID, "/v1/documents/" + doc.ID + "/info"} {
		t.Run(target, func(t *testing.T) {
			resp := g.send(http.MethodGet, target, nil, map[string]string{"Authorization": "Bearer wrong"})
			requireAPIError(t, resp, http.StatusUnauthorized, "unauthorized")
		})
	}
}

func TestAuthSchemeIsCaseInsensitive(t *testing.T) {
	g := newSQLiteGateway(t)
	resp := g.send(http.MethodPost, "/v1/documents?title=a.txt", bytes.NewReader([]byte("x")),
		map[string]string{"Authorization": "bearer " + testToken})
	decodeJSON[documentResponse](t, resp, http.StatusCreated)
}
