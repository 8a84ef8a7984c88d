package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/metrics"
	"idflow/internal/store"
)

// A fake provider, "acme": HMAC-SHA256 of the body in X-Acme-Signature
// ("sha256=<hex>"), JSON bodies {"id": ..., "type": ...}.
const (
	acmeProvider  = "acme"
	acmeSecret    = "acme-webhook-secret-0123456789"
	acmeSigHeader = "X-Acme-Signature"
)

func acmeSign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func acmeSource() WebhookSource {
	return WebhookSource{
		Provider: acmeProvider,
		Verify: func(h http.Header, body []byte) error {
			sig, ok := strings.CutPrefix(h.Get(acmeSigHeader), "sha256=")
			if !ok {
				return errors.New("missing signature")
			}
			got, err := hex.DecodeString(sig)
			if err != nil {
				return errors.New("malformed signature")
			}
			mac := hmac.New(sha256.New, []byte(acmeSecret))
			mac.Write(body)
			if !hmac.Equal(got, mac.Sum(nil)) {
				return errors.New("signature mismatch")
			}
			return nil
		},
		Parse: func(body []byte) (string, string, error) {
			var ev struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			}
			if err := json.Unmarshal(body, &ev); err != nil {
				return "", "", errors.New("not a JSON object")
			}
			if ev.ID == "" {
				return "", "", errors.New("no event id")
			}
			return ev.ID, ev.Type, nil
		},
	}
}

// webhookCounter counts OnWebhook calls.
type webhookCounter struct{ n atomic.Int32 }

func (c *webhookCounter) calls() int { return int(c.n.Load()) }

// withWebhooks serves the acme source and counts OnWebhook calls in c.
func withWebhooks(c *webhookCounter) option {
	return func(d *Deps) {
		d.Webhooks = []WebhookSource{acmeSource()}
		d.OnWebhook = func() { c.n.Add(1) }
	}
}

// postWebhook posts body to /webhooks/provider without a bearer token,
// with the signature header unless signature is "".
func (g *testGateway) postWebhook(provider string, body []byte, signature string) *http.Response {
	g.t.Helper()
	return g.send(http.MethodPost, "/webhooks/"+provider, bytes.NewReader(body),
		map[string]string{"Authorization": "", acmeSigHeader: signature, "Content-Type": "application/json"})
}

// postSigned posts body to the acme route, correctly signed.
func (g *testGateway) postSigned(body []byte) *http.Response {
	g.t.Helper()
	return g.postWebhook(acmeProvider, body, acmeSign(acmeSecret, body))
}

func (g *testGateway) inbox() []store.InboxEvent {
	g.t.Helper()
	evs, err := g.store.ListInboxEvents(context.Background(), store.InboxFilter{})
	require.NoError(g.t, err)
	return evs
}

func requireWebhookStatus(t *testing.T, resp *http.Response, want string) {
	t.Helper()
	body := decodeJSON[map[string]string](t, resp, http.StatusOK)
	assert.Equal(t, map[string]string{"status": want}, body)
}

func TestWebhookStoredOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		var calls webhookCounter
		g := newTestGateway(t, dbURL, withWebhooks(&calls))
		body := []byte(`{"id":"evt-1","type":"verification.completed","data":{"x":1}}`)

		requireWebhookStatus(t, g.postSigned(body), "stored")
		evs := g.inbox()
		require.Len(t, evs, 1)
		ev, err := g.store.GetInboxEvent(context.Background(), evs[0].ID)
		require.NoError(t, err)
		assert.Equal(t, acmeProvider, ev.Provider)
		assert.Equal(t, "evt-1", ev.DedupeKey)
		assert.Equal(t, "verification.completed", ev.EventType)
		assert.Equal(t, store.InboxPending, ev.Status)
		assert.Equal(t, body, ev.Body, "the body is stored exactly as received")
		assert.Equal(t, 1, calls.calls())

		// The provider retries (we answered too late, say), maybe re-encoded.
		requireWebhookStatus(t, g.postSigned(body), "duplicate")
		requireWebhookStatus(t, g.postSigned([]byte(`{"type":"verification.completed","id":"evt-1"}`)), "duplicate")
		assert.Len(t, g.inbox(), 1)
		assert.Equal(t, 1, calls.calls(), "OnWebhook only for a new event")

		// Unknown event types are the route's business: stored as well.
		requireWebhookStatus(t, g.postSigned([]byte(`{"id":"evt-2","type":"brand.new.type"}`)), "stored")
		assert.Len(t, g.inbox(), 2)
		assert.Equal(t, 2, calls.calls())
	})
}

func TestWebhookRejected(t *testing.T) {
	good := []byte(`{"id":"evt-1","type":"t"}`)
	tests := []struct {
		name       string
		provider   string
		body       []byte
		signature  string
		wantStatus int
		wantCode   string
	}{
		{"missing signature", acmeProvider, good, "", http.StatusUnauthorized, "invalid_signature"},
		{"wrong secret", acmeProvider, good, acmeSign("another-secret", good), http.StatusUnauthorized, "invalid_signature"},
		{"signature of another body", acmeProvider, good, acmeSign(acmeSecret, []byte(`{"id":"evt-2"}`)), http.StatusUnauthorized, "invalid_signature"},
		{"malformed signature", acmeProvider, good, "sha256=zz", http.StatusUnauthorized, "invalid_signature"},
		{"bad JSON", acmeProvider, []byte(`{"id":`), acmeSign(acmeSecret, []byte(`{"id":`)), http.StatusBadRequest, "bad_webhook"},
		{"no event id", acmeProvider, []byte(`{"type":"t"}`), acmeSign(acmeSecret, []byte(`{"type":"t"}`)), http.StatusBadRequest, "bad_webhook"},
		{"unknown provider", "nobody", good, acmeSign(acmeSecret, good), http.StatusNotFound, "not_found"},
	}
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		var calls webhookCounter
		g := newTestGateway(t, dbURL, withWebhooks(&calls))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				msg := requireAPIError(t, g.postWebhook(tt.provider, tt.body, tt.signature), tt.wantStatus, tt.wantCode)
				assert.NotContains(t, msg, "mismatch", "Verify's reason is not disclosed")
				assert.Empty(t, g.inbox(), "nothing stored")
				assert.Zero(t, calls.calls())
			})
		}
		// A bearer token is no substitute for the signature.
		resp := g.send(http.MethodPost, "/webhooks/"+acmeProvider, bytes.NewReader(good), nil)
		requireAPIError(t, resp, http.StatusUnauthorized, "invalid_signature")
		assert.Empty(t, g.inbox())
	})
}

func TestWebhookSizeLimit(t *testing.T) {
	var calls webhookCounter
	g := newSQLiteGateway(t, withWebhooks(&calls))
	padded := func(id string, size int) []byte {
		head := `{"id":"` + id + `","pad":"`
		return []byte(head + strings.Repeat("x", size-len(head)-2) + `"}`)
	}
	atLimit := padded("big", MaxWebhookBytes)
	require.Len(t, atLimit, MaxWebhookBytes)
	requireWebhookStatus(t, g.postSigned(atLimit), "stored")

	over := padded("bigger", MaxWebhookBytes+1)
	requireAPIError(t, g.postSigned(over), http.StatusRequestEntityTooLarge, "webhook_too_large")
	evs := g.inbox()
	require.Len(t, evs, 1)
	assert.Equal(t, "big", evs[0].DedupeKey)
	assert.Equal(t, 1, calls.calls())
}

// TestWebhookStoreDown: with the database gone the provider gets 503 (and
// retries later), never a 200 for an event we do not have.
func TestWebhookStoreDown(t *testing.T) {
	dbURL := storetest.SQLiteURL(t)
	var calls webhookCounter
	g := newTestGateway(t, dbURL, withWebhooks(&calls))
	require.NoError(t, g.store.Close())

	resp := g.postSigned([]byte(`{"id":"evt-1","type":"t"}`))
	msg := requireAPIError(t, resp, http.StatusServiceUnavailable, "store_unavailable")
	assert.Contains(t, msg, "retry later")
	assert.NotContains(t, msg, "closed")
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Zero(t, calls.calls())

	st, err := store.Open(context.Background(), dbURL)
	require.NoError(t, err)
	defer st.Close()
	evs, err := st.ListInboxEvents(context.Background(), store.InboxFilter{})
	require.NoError(t, err)
	assert.Empty(t, evs)
}

func TestWebhookConcurrentDuplicates(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		var calls webhookCounter
		g := newTestGateway(t, dbURL, withWebhooks(&calls))
		body := []byte(`{"id":"evt-race","type":"t"}`)
		const n = 8
		statuses := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, g.url+"/webhooks/"+acmeProvider, bytes.NewReader(body))
				if err != nil {
					errs[i] = err
					return
				}
				req.Header.Set(acmeSigHeader, acmeSign(acmeSecret, body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs[i] = err
					return
				}
				defer resp.Body.Close()
				var out webhookStatus
				if resp.StatusCode != http.StatusOK {
					errs[i] = errors.New(resp.Status)
				} else {
					errs[i] = jsonDecode(resp, &out)
				}
				statuses[i] = out.Status
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		stored := 0
		for _, s := range statuses {
			if s == "stored" {
				stored++
			} else {
				assert.Equal(t, "duplicate", s)
			}
		}
		assert.Equal(t, 1, stored)
		assert.Len(t, g.inbox(), 1)
		assert.Equal(t, 1, calls.calls())
	})
}

func TestWebhookWithoutOnWebhook(t *testing.T) {
	g := newSQLiteGateway(t, func(d *Deps) { d.Webhooks = []WebhookSource{acmeSource()} })
	requireWebhookStatus(t, g.postSigned([]byte(`{"id":"evt-1"}`)), "stored")
	assert.Len(t, g.inbox(), 1)
}

func TestWebhookSourcesValidated(t *testing.T) {
	src := acmeSource()
	noVerify := src
	noVerify.Verify = nil
	unnamed := src
	unnamed.Provider = ""
	m, err := metrics.New()
	require.NoError(t, err)
	for name, sources := range map[string][]WebhookSource{
		"no Verify":   {noVerify},
		"no provider": {unnamed},
		"twice":       {src, src},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				assert.Contains(t, msg, "gateway: webhook", name)
			}()
			New(Deps{Metrics: m, Webhooks: sources})
		}()
	}
}

// inboxListing is the body of GET /v1/inbox, decoded loosely to see every field.
type inboxListing struct {
	Events []map[string]any `json:"events"`
	Next   string           `json:"next"`
}

func TestInboxList(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		var calls webhookCounter
		g := newTestGateway(t, dbURL, withWebhooks(&calls))
		for i := range 3 {
			requireWebhookStatus(t, g.postSigned(fmt.Appendf(nil, `{"id":"evt-%d","type":"t","secret":"BODY-MARKER"}`, i)), "stored")
		}
		_, inserted, err := g.store.AddInboxEvent(context.Background(), "other", "o-1", "x", []byte("BODY-MARKER"))
		require.NoError(t, err)
		require.True(t, inserted)
		evs := g.inbox()
		require.Len(t, evs, 4)
		delivered := evs[1] // evt-2
		require.NoError(t, g.store.MarkInboxDelivered(context.Background(), delivered.ID, "wf-2", time.Now()))

		requireAPIError(t, g.send(http.MethodGet, "/v1/inbox", nil, map[string]string{"Authorization": ""}),
			http.StatusUnauthorized, "unauthorized")
		requireAPIError(t, g.send(http.MethodGet, "/v1/inbox", nil, map[string]string{"Authorization": "Bearer wrong"}),
			http.StatusUnauthorized, "unauthorized")

		resp := g.get("/v1/inbox")
		raw := readBody(t, resp)
		require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", raw)
		assert.NotContains(t, string(raw), "BODY-MARKER", "listings never carry bodies")
		var all inboxListing
		require.NoError(t, json.Unmarshal(raw, &all))
		require.Len(t, all.Events, 4)
		keys := func(l inboxListing) []any {
			var out []any
			for _, ev := range l.Events {
				out = append(out, ev["dedupeKey"])
			}
			return out
		}
		assert.Equal(t, []any{"o-1", "evt-2", "evt-1", "evt-0"}, keys(all), "newest first")

		first := all.Events[0]
		for _, field := range []string{"id", "provider", "dedupeKey", "eventType", "workflowId", "status",
			"attempts", "lastError", "receivedAt", "nextAttemptAt"} {
			assert.Contains(t, first, field)
		}
		assert.NotContains(t, first, "body")
		assert.NotContains(t, first, "deliveredAt", "not delivered yet")
		assert.Equal(t, "pending", first["status"])
		received, err := time.Parse(time.RFC3339Nano, first["receivedAt"].(string))
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now(), received, time.Hour)

		list := func(query string) inboxListing {
			t.Helper()
			return decodeJSON[inboxListing](t, g.get("/v1/inbox"+query), http.StatusOK)
		}
		assert.Equal(t, []any{"evt-2", "evt-1", "evt-0"}, keys(list("?provider=acme")))
		done := list("?status=delivered")
		assert.Equal(t, []any{"evt-2"}, keys(done))
		assert.Equal(t, "wf-2", done.Events[0]["workflowId"])
		assert.Contains(t, done.Events[0], "deliveredAt")
		assert.NotContains(t, done.Events[0], "nextAttemptAt")
		assert.Equal(t, []any{"evt-1", "evt-0"}, keys(list("?provider=acme&status=pending")))
		page := list("?limit=2")
		assert.Equal(t, []any{"o-1", "evt-2"}, keys(page))
		require.Equal(t, page.Events[1]["id"], page.Next, "a full page names the next")
		page = list("?limit=2&before=" + page.Next)
		assert.Equal(t, []any{"evt-1", "evt-0"}, keys(page))
		last := list("?limit=2&before=" + page.Next)
		assert.Empty(t, last.Events)
		assert.Empty(t, last.Next, "no page after an empty one")
		assert.Empty(t, all.Next, "a page not full is the last")
		assert.Empty(t, list("?status=unmatched").Events)
		assert.JSONEq(t, `{"events": []}`, string(readBody(t, g.get("/v1/inbox?provider=nobody"))), "an empty list, not null")

		for _, query := range []string{"?status=bogus", "?limit=0", "?limit=1001", "?limit=x", "?before=evt_unknown"} {
			requireAPIError(t, g.get("/v1/inbox"+query), http.StatusBadRequest, "bad_request")
		}
	})
}

func TestInboxListStoreDown(t *testing.T) {
	g := newSQLiteGateway(t)
	require.NoError(t, g.store.Close())
	requireAPIError(t, g.get("/v1/inbox"), http.StatusInternalServerError, "store_failed")
}

// tokenProvider signs nothing: its callback URLs carry a token.
const tokenProvider = "unsigned"

func tokenSource() WebhookSource {
	src := acmeSource()
	src.Provider, src.Verify, src.ByToken = tokenProvider, nil, true
	return src
}

func (g *testGateway) postCallback(path string, body []byte) *http.Response {
	g.t.Helper()
	return g.send(http.MethodPost, path, bytes.NewReader(body), map[string]string{"Authorization": "", "Content-Type": "application/json"})
}

// TestCallbackByToken: a callback to a URL with a token the worker made is
// stored with the token's workflow, once; an unknown token, a token of
// another provider or the signed route answer 404 and store nothing.
func TestCallbackByToken(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		var calls webhookCounter
		g := newTestGateway(t, dbURL, func(d *Deps) {
			d.Webhooks = []WebhookSource{acmeSource(), tokenSource()}
			d.OnWebhook = func() { calls.n.Add(1) }
		})
		token, err := g.store.NewCallbackToken(context.Background(), tokenProvider, "fns-registration-r1")
		require.NoError(t, err)
		otherProvider, err := g.store.NewCallbackToken(context.Background(), acmeProvider, "wf-acme")
		require.NoError(t, err)
		body := []byte(`{"id":"10909/identification/complete","type":"identification"}`)

		requireAPIError(t, g.postCallback("/webhooks/"+tokenProvider+"/not-a-token", body), http.StatusNotFound, "not_found")
		requireAPIError(t, g.postCallback("/webhooks/"+tokenProvider+"/"+otherProvider, body), http.StatusNotFound, "not_found")
		requireAPIError(t, g.postCallback("/webhooks/"+tokenProvider, body), http.StatusNotFound, "not_found")
		requireAPIError(t, g.postCallback("/webhooks/"+acmeProvider+"/"+token, body), http.StatusNotFound, "not_found")
		assert.Empty(t, g.inbox(), "nothing stored for a refused callback")

		requireWebhookStatus(t, g.postCallback("/webhooks/"+tokenProvider+"/"+token, body), "stored")
		requireWebhookStatus(t, g.postCallback("/webhooks/"+tokenProvider+"/"+token, body), "duplicate")
		evs := g.inbox()
		require.Len(t, evs, 1)
		assert.Equal(t, "fns-registration-r1", evs[0].WorkflowID, "stored with the token's workflow")
		assert.Equal(t, tokenProvider, evs[0].Provider)
		assert.Equal(t, 1, calls.calls())
	})
}

func TestWebhookSourceNeedsVerifyOrToken(t *testing.T) {
	both := tokenSource()
	both.Verify = acmeSource().Verify
	for name, src := range map[string]WebhookSource{"both": both, "neither": {Provider: "x", Parse: acmeSource().Parse}} {
		assert.Panics(t, func() { newSQLiteGateway(t, func(d *Deps) { d.Webhooks = []WebhookSource{src} }) }, name)
	}
}
