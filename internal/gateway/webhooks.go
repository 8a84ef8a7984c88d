package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"idflow/internal/store"
)

// MaxWebhookBytes bounds a webhook body; a larger one is answered 413.
const MaxWebhookBytes = 1 << 20

// webhookRetryAfter is the Retry-After, in seconds, of a 503 to a provider.
const webhookRetryAfter = "5"

// WebhookSource is one provider whose webhooks the gateway takes in. A
// provider that signs its webhooks posts to /webhooks/{Provider} and is
// checked by Verify; one that signs nothing (FNS) posts to
// /webhooks/{Provider}/{token}, a URL the worker gave it for one workflow
// (store.NewCallbackToken). Neither route takes a bearer token.
type WebhookSource struct {
	// Provider is the path segment and the provider of the stored events.
	Provider string
	// Verify checks the request's signature over the raw body, comparing
	// in constant time (hmac.Equal or crypto/subtle). An error answers 401
	// and stores nothing. Nil for a source ByToken.
	Verify func(header http.Header, body []byte) error
	// ByToken: the callback URL carries a token instead of a signature. An
	// unknown token answers 404 and stores nothing; the event is stored
	// with the token's workflow. The body is still unauthenticated: the
	// workflow must confirm it with the provider before acting.
	ByToken bool
	// Parse extracts the provider's event id (the dedupe key) and event
	// type from a verified body. An error answers 400 and stores nothing.
	// Unknown event types should be accepted: the dispatcher's route
	// decides what to do with them.
	Parse func(body []byte) (dedupeKey, eventType string, err error)
}

// callbackWorkflow finds the workflow of a ByToken source's callback, or
// answers 404 (unknown token: nothing is stored) or 503; a signed source
// names no workflow.
func (g *Gateway) callbackWorkflow(w http.ResponseWriter, r *http.Request, st *store.Store, src WebhookSource, log *zap.Logger) (string, bool) {
	if !src.ByToken {
		return "", true
	}
	workflowID, err := st.CallbackWorkflow(r.Context(), src.Provider, r.PathValue("token"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		log.Warn("callback rejected: unknown token") // the token itself is never logged
		writeError(w, http.StatusNotFound, "not_found", "no such webhook endpoint")
		return "", false
	case err != nil:
		log.Error("look up callback token", zap.Error(err))
		w.Header().Set("Retry-After", webhookRetryAfter)
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the callback could not be checked; retry later")
		return "", false
	}
	return workflowID, true
}

// webhookStatus is the body of a 200 answer to a provider.
type webhookStatus struct {
	Status string `json:"status"` // "stored" or "duplicate"
}

// registerWebhooks adds POST /webhooks/{provider} and the operators'
// GET /v1/inbox. It panics on a source without provider, Verify or Parse,
// or on a provider named twice, as http.ServeMux does on conflicting routes.
func (g *Gateway) registerWebhooks() {
	sources := make(map[string]WebhookSource, len(g.deps.Webhooks))
	for _, src := range g.deps.Webhooks {
		if src.Provider == "" || (src.Verify == nil) == !src.ByToken || src.Parse == nil {
			panic(fmt.Sprintf("gateway: webhook source %q needs a provider, Parse, and either Verify or ByToken", src.Provider))
		}
		if _, dup := sources[src.Provider]; dup {
			panic(fmt.Sprintf("gateway: webhook provider %q registered twice", src.Provider))
		}
		sources[src.Provider] = src
	}
	route := func(byToken bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			src, ok := sources[r.PathValue("provider")]
			if !ok || src.ByToken != byToken {
				writeError(w, http.StatusNotFound, "not_found", "no such webhook endpoint")
				return
			}
			g.receiveWebhook(w, r, src)
		}
	}
	g.mux.HandleFunc("POST /webhooks/{provider}", route(false))
	g.mux.HandleFunc("POST /webhooks/{provider}/{token}", route(true))
	g.mux.Handle("GET /v1/inbox", g.authorized(g.listInbox))
}

// receiveWebhook verifies, parses and stores one webhook. It answers 200
// only once the event is committed, so that a provider retries anything we
// might have lost; a repeat of a stored event is answered 200 too.
func (g *Gateway) receiveWebhook(w http.ResponseWriter, r *http.Request, src WebhookSource) {
	st := g.store(w)
	if st == nil {
		return
	}
	log := g.deps.Logger.With(zap.String("provider", src.Provider))
	workflowID, ok := g.callbackWorkflow(w, r, st, src, log)
	if !ok {
		return
	}
	// A webhook is small: a sender that cannot deliver it within the bound
	// loses the connection (and retries), instead of holding it.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.deps.Timeouts.withDefaults().Webhook))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		log.Warn("webhook rejected: body not received in time")
		writeError(w, http.StatusRequestTimeout, "webhook_timeout", "the webhook body was not received in time")
		return
	case errors.As(err, &tooLarge):
		log.Warn("webhook rejected: body too large")
		writeError(w, http.StatusRequestEntityTooLarge, "webhook_too_large",
			fmt.Sprintf("webhook body exceeds the limit of %d bytes", MaxWebhookBytes))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_webhook", "the webhook body could not be read")
		return
	}
	if src.Verify != nil {
		if err := src.Verify(r.Header, body); err != nil {
			log.Warn("webhook rejected: bad signature", zap.Error(err))
			writeError(w, http.StatusUnauthorized, "invalid_signature", "missing or invalid webhook signature")
			return
		}
	}
	key, eventType, err := src.Parse(body)
	if err != nil {
		// The error may quote the body: it goes back to its (verified)
		// sender only, never to the logs.
		log.Warn("webhook rejected: body not understood")
		writeError(w, http.StatusBadRequest, "bad_webhook", "the webhook body could not be parsed: "+err.Error())
		return
	}
	ev, inserted, err := st.AddRoutedInboxEvent(r.Context(), src.Provider, key, eventType, workflowID, body)
	switch {
	case errors.Is(err, store.ErrInvalid):
		log.Warn("webhook rejected", zap.Error(err)) // names the field, not its value
		writeError(w, http.StatusBadRequest, "bad_webhook", err.Error())
		return
	case err != nil:
		log.Error("store webhook", zap.Error(err))
		w.Header().Set("Retry-After", webhookRetryAfter)
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the webhook could not be stored; retry later")
		return
	}
	log = log.With(zap.String("eventId", ev.ID), zap.String("eventType", ev.EventType))
	if !inserted {
		log.Info("webhook already stored", zap.String("status", ev.Status))
		writeJSON(w, http.StatusOK, webhookStatus{Status: "duplicate"})
		return
	}
	log.Info("webhook stored")
	if g.deps.OnWebhook != nil {
		g.deps.OnWebhook()
	}
	writeJSON(w, http.StatusOK, webhookStatus{Status: "stored"})
}

// inboxPage is GET /v1/inbox's answer; Next, on a full page, is the
// ?before= of the next one.
type inboxPage struct {
	Events []inboxEventResponse `json:"events"`
	Next   string               `json:"next,omitempty"`
}

// inboxEventResponse is one event in GET /v1/inbox: everything but the body.
type inboxEventResponse struct {
	ID                string `json:"id"`
	Provider          string `json:"provider"`
	DedupeKey         string `json:"dedupeKey"`
	EventType         string `json:"eventType"`
	WorkflowID        string `json:"workflowId"`
	Status            string `json:"status"`
	Attempts          int    `json:"attempts"`
	UnmatchedAttempts int    `json:"unmatchedAttempts"`
	LastError         string `json:"lastError"`
	ReceivedAt        string `json:"receivedAt"`
	NextAttemptAt     string `json:"nextAttemptAt,omitempty"` // none once delivered or given up
	DeliveredAt       string `json:"deliveredAt,omitempty"`
}

func toInboxResponse(ev store.InboxEvent) inboxEventResponse {
	return inboxEventResponse{ID: ev.ID, Provider: ev.Provider, DedupeKey: ev.DedupeKey, EventType: ev.EventType,
		WorkflowID: ev.WorkflowID, Status: ev.Status, Attempts: ev.Attempts, UnmatchedAttempts: ev.UnmatchedAttempts,
		LastError: ev.LastError, ReceivedAt: inboxTime(ev.ReceivedAt), NextAttemptAt: inboxTime(ev.NextAttemptAt),
		DeliveredAt: inboxTime(ev.DeliveredAt)}
}

// inboxTime formats t as RFC 3339 UTC with microseconds, the zero time as "".
func inboxTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// listInbox lists inbox events, newest first, without their bodies:
// ?provider=, ?status=pending|delivered|unmatched, ?limit=1..1000 (100),
// ?before= the "next" of the page before (a full page has one).
func (g *Gateway) listInbox(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	q := r.URL.Query()
	f := store.InboxFilter{Provider: q.Get("provider"), Status: q.Get("status"), Before: q.Get("before")}
	if f.Status != "" && !slices.Contains(store.InboxStatuses, f.Status) {
		writeError(w, http.StatusBadRequest, "bad_request", "status must be one of "+strings.Join(store.InboxStatuses, ", "))
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxInboxListLimit {
			writeError(w, http.StatusBadRequest, "bad_request",
				fmt.Sprintf("limit must be a number from 1 to %d", store.MaxInboxListLimit))
			return
		}
		f.Limit = n
	}
	evs, err := st.ListInboxEvents(r.Context(), f)
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, http.StatusBadRequest, "bad_request", "before must be the id of an inbox event (a page's next)")
		return
	}
	if err != nil {
		g.deps.Logger.Error("list inbox events", zap.Error(err))
		writeError(w, http.StatusInternalServerError, "store_failed", "the inbox could not be read; retry later")
		return
	}
	page := inboxPage{Events: make([]inboxEventResponse, 0, len(evs))}
	for _, ev := range evs {
		page.Events = append(page.Events, toInboxResponse(ev))
	}
	if limit := cmp.Or(f.Limit, store.DefaultInboxLimit); len(evs) == limit {
		page.Next = evs[len(evs)-1].ID // more may follow
	}
	writeJSON(w, http.StatusOK, page)
}
