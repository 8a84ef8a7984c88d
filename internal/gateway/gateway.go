// Package gateway is the worker's HTTP face: health and readiness probes,
// Prometheus metrics, the bearer-token /v1 API (documents, the inbox) and
// the provider webhooks, each checked by its provider's signature.
package gateway

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"idflow/internal/metrics"
	"idflow/internal/store"

	"idflow/internal/codec"
)

// Check is one dependency /readyz verifies, such as the database or Temporal.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Deps are what the gateway needs from the worker.
type Deps struct {
	// Store may be nil at first: see Gateway.SetStore.
	Store            *store.Store
	APIToken         string
	MaxDocumentBytes int64
	ReadyChecks      []Check
	Logger           *zap.Logger
	Metrics          *metrics.Metrics
	// Webhooks are the providers served at POST /webhooks/{provider}.
	Webhooks []WebhookSource
	// OnWebhook, if set, is called after a new webhook is stored (the
	// worker passes the inbox dispatcher's Notify).
	OnWebhook func()
	// Timeouts of the connections served by Server.
	Timeouts Timeouts
	// FNS, if set, serves the operators' /v1/fns routes (agents, printable
	// forms) under the worker's partner account; nil answers them 503.
	FNS FNSAdmin
	// Running tells which workflows still run, for erasures.
	Running RunningWorkflows
	// Codec, if set, serves the codec endpoint; CodecOrigins may call it
	// from a browser, and CodecToken opens /codec/{token}/ for the UI.
	Codec        *codec.Ring
	CodecOrigins []string
	CodecToken   string
	// Proofings starts and cancels onboardings for the issuer API at
	// /api/v1/vdc/, which a wallet calls with VDCSecret (a bearer token) or,
	// when VDCClientCerts, a client certificate TLS verified.
	Proofings      Proofings
	VDCSecret      string
	VDCClientCerts bool
	// TLS, if set, makes Server serve HTTPS (with client certificates
	// verified when given, for the issuer API).
	TLS *tls.Config
}

// Gateway routes the worker's HTTP requests.
type Gateway struct {
	deps Deps
	mux  *http.ServeMux
	// st is the store once it is open: the gateway serves from the start,
	// and answers what needs the database 503 until then.
	st atomic.Pointer[store.Store]
}

// SetStore gives the gateway the store once the worker could open it.
func (g *Gateway) SetStore(st *store.Store) { g.st.Store(st) }

// store returns the open store, or answers 503 (Retry-After) and nil while
// there is none yet: a provider retries, a service tries again later.
func (g *Gateway) store(w http.ResponseWriter) *store.Store {
	st := g.st.Load()
	if st == nil {
		w.Header().Set("Retry-After", webhookRetryAfter)
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the database is not available yet; retry later")
	}
	return st
}

// New builds the gateway and its routes.
func New(deps Deps) *Gateway {
	g := &Gateway{deps: deps, mux: http.NewServeMux()}
	if deps.Store != nil {
		g.st.Store(deps.Store)
	}
	g.mux.HandleFunc("GET /healthz", g.healthz)
	g.mux.HandleFunc("GET /readyz", g.readyz)
	g.mux.Handle("GET /metrics", deps.Metrics.Handler())
	g.mux.Handle("POST /v1/documents", g.authorized(g.putDocument))
	g.mux.Handle("GET /v1/documents", g.authorized(g.listDocuments))
	g.mux.Handle("GET /v1/documents/{id}", g.authorized(g.getDocument))
	g.mux.Handle("GET /v1/documents/{id}/info", g.authorized(g.documentInfo))
	g.registerWebhooks() // POST /webhooks/{provider}, GET /v1/inbox
	g.registerSubjects() // /v1/subjects/{subject}/erase
	g.registerCodec()    // /v1/codec/…, /codec/{token}/…
	g.registerFNS()      // /v1/fns/agents, /v1/fns/workflows…, /v1/fns/consumers/search
	g.registerVDC()      // /api/v1/vdc/{method}: the issuer API
	g.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	})
	return g
}

// Handler is the gateway's root handler, with request logging and metrics.
func (g *Gateway) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		g.mux.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		g.deps.Metrics.HTTPRequests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		// Paths hold ids only; query strings (titles) are left out on purpose.
		g.deps.Logger.Debug("http request", zap.String("method", r.Method), zap.String("route", route),
			zap.Int("status", rec.status), zap.Duration("duration", time.Since(start)))
	})
}

func (g *Gateway) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when every dependency answers, naming each one.
func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status, results := http.StatusOK, map[string]string{}
	for _, check := range g.deps.ReadyChecks {
		results[check.Name] = "ok"
		if err := check.Run(ctx); err != nil {
			// The endpoint needs no token: it names the missing dependency
			// only; the cause (driver errors carry user, host and database
			// names) goes to the log.
			status, results[check.Name] = http.StatusServiceUnavailable, "unavailable"
			g.deps.Logger.Warn("readiness check failed", zap.String("check", check.Name), zap.Error(err))
		}
	}
	writeJSON(w, status, map[string]any{"ready": status == http.StatusOK, "checks": results})
}

// authorized requires "Authorization: Bearer <IDFLOW_API_TOKEN>", compared in constant time.
func (g *Gateway) authorized(next http.HandlerFunc) http.Handler {
	want := []byte(g.deps.APIToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing bearer token (Authorization: Bearer IDFLOW_API_TOKEN)")
			return
		}
		if subtle.ConstantTimeCompare([]byte(token), want) != 1 {
			writeError(w, http.StatusUnauthorized, "unauthorized", "invalid bearer token")
			return
		}
		next(w, r)
	})
}

// apiError is the body of every 4xx and 5xx answer.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Code: code, Message: message})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
