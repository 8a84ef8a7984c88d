package fnsadmin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"idflow/internal/gateway"
	"idflow/internal/gateway/fnsadmin"
	"idflow/internal/metrics"
	"idflow/internal/providers/fns"
	sandbox "idflow/internal/sandbox/fns"
	"idflow/internal/store"
	"idflow/internal/store/storetest"
)

const (
	partnerUser = "partner"
	partnerPass = "partner-secret"
	apiToken    = "fnsadmin-test-token-0123456789"
)

// fixture is a gateway over real HTTP whose FNSAdmin is the adapter over
// the real client and the FNS sandbox, also over HTTP.
type fixture struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	client  *fns.Client
	store   *store.Store
	url     string
	logs    *observer.ObservedLogs
	log     *zap.Logger
	metrics *metrics.Metrics
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Username: partnerUser, Password: partnerPass, SMEVDelay: -1, InstallDelay: -1,
		PKCS10Delay: -1, SecretKeyDelay: -1, IssueDelay: -1, PollInterval: time.Millisecond, RetrySchedule: []time.Duration{}})
	fsrv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { fsrv.Close(); sb.Close() })
	c, err := fns.New(fns.Config{BaseURL: fsrv.URL, Partner: fns.Credentials{Username: partnerUser, Password: partnerPass}})
	require.NoError(t, err)
	st, err := store.Open(context.Background(), storetest.SQLiteURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	m, err := metrics.New()
	require.NoError(t, err)
	core, logs := observer.New(zapcore.DebugLevel)
	f := &fixture{t: t, sb: sb, client: c, store: st, logs: logs, log: zap.New(core), metrics: m}
	f.url = f.serve(fnsadmin.New(c))
	return f
}

// serve starts a gateway over the fixture's store with admin and returns its URL.
func (f *fixture) serve(admin gateway.FNSAdmin) string {
	f.t.Helper()
	gw := gateway.New(gateway.Deps{Store: f.store, APIToken: apiToken, MaxDocumentBytes: 1 << 20, Metrics: f.metrics,
		Logger: f.log, FNS: admin})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = gw.Server()
	srv.Start()
	f.t.Cleanup(srv.Close)
	return srv.URL
}

// requireNothingPersonalLogged fails if a log entry holds one of the values.
func (f *fixture) requireNothingPersonalLogged(values ...string) {
	f.t.Helper()
	require.NotZero(f.t, f.logs.Len(), "the gateway logged")
	for _, e := range f.logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += " " + k + "=" + fmt.Sprint(v)
		}
		for _, v := range values {
			require.NotContains(f.t, line, v)
		}
	}
}

// do sends a request with the bearer token and returns the status and body.
func (f *fixture) do(method, path string, body any) (int, http.Header, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(f.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	require.NoError(f.t, err)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, resp.Header, raw
}

func (f *fixture) doJSON(method, path string, body any, wantStatus int) map[string]any {
	f.t.Helper()
	status, _, raw := f.do(method, path, body)
	require.Equal(f.t, wantStatus, status, "body: %s", raw)
	var out map[string]any
	require.NoError(f.t, json.Unmarshal(raw, &out), "body: %s", raw)
	return out
}

// sandboxAgents lists the agents as the sandbox has them.
func (f *fixture) sandboxAgents() []fns.Agent {
	f.t.Helper()
	agents, err := f.client.Partner().ListAgents(context.Background())
	require.NoError(f.t, err)
	return agents
}

func (f *fixture) awaitState(id int64, state string) {
	f.t.Helper()
	require.EventuallyWithT(f.t, func(c *assert.CollectT) {
		w, ok := f.sb.Workflow(id)
		assert.True(c, ok)
		assert.Equal(c, state, w.State)
	}, 5*time.Second, 5*time.Millisecond)
}

func agentBody(username, snils string) map[string]any {
	return map[string]any{"username": username, "password": "123456qwerty", "last_name": "Агентов",
		"first_name": "Агент", "middle_name": "Агентович", "phone": "79012345678",
		"unstructured_identity": "4500 023 Выдан ПВД ОВД 12.05.2011", "snils": snils, "position": "оператор",
		"company": 1, "permissions": []string{"consumer_identify"}, "identification_points": []int64{1}}
}

func TestCreateListBlockAgent(t *testing.T) {
	f := newFixture(t)

	bad := agentBody("", "11223344596")
	bad["phone"] = "89012345678"
	bad["identification_points"] = []int64{}
	out := f.doJSON("POST", "/v1/fns/agents", bad, http.StatusBadRequest)
	assert.Equal(t, "bad_request", out["code"])
	assert.Len(t, out["fields"], 4, "username, phone, snils, identification_points: %v", out["fields"])
	assert.Empty(t, f.sandboxAgents(), "nothing sent to FNS")

	status, _, raw := f.do("POST", "/v1/fns/agents", agentBody("agent_ivanov", "112-233-445 95"))
	require.Equal(t, http.StatusCreated, status, "body: %s", raw)
	var created map[string]any
	require.NoError(t, json.Unmarshal(raw, &created))
	assert.Equal(t, map[string]any{"id": "1", "username": "agent_ivanov", "permissions": []any{"consumer_identify"},
		"identification_points": []any{1.0}}, created)
	assert.NotContains(t, string(raw), "123456qwerty")
	kept, err := f.store.GetFNSAgent(context.Background(), "1")
	require.NoError(t, err)
	assert.Equal(t, "agent_ivanov", kept.Username)
	require.NotEmpty(t, kept.Token)
	assert.NotContains(t, string(raw), kept.Token, "the token stays in the store")

	// The same SNILS again: FNS's refusal, with its text and path.
	out = f.doJSON("POST", "/v1/fns/agents", agentBody("agent_petrov", "11223344595"), http.StatusBadRequest)
	assert.Equal(t, "fns_rejected", out["code"])
	fields := out["fields"].([]any)
	require.NotEmpty(t, fields)
	assert.Equal(t, "snils", fields[0].(map[string]any)["field"])
	assert.NotContains(t, out["error"], "11223344595")

	list := f.doJSON("GET", "/v1/fns/agents", nil, http.StatusOK)
	assert.Equal(t, []any{map[string]any{"id": "1", "username": "agent_ivanov", "last_name": "Агентов", "first_name": "Агент",
		"middle_name": "Агентович", "is_active": true, "identification_points": []any{1.0}}}, list["agents"])

	// The agent's token works until the block.
	agent := f.client.As(fns.Credentials{Username: kept.Username, Token: kept.Token})
	_, err = agent.SearchIdentification(context.Background(), fns.IdentificationSearchConsumer{Phone: "79001234567", SNILS: "12362931139"})
	require.True(t, fns.IsNotFound(err), "no request yet, but the token is accepted: %v", err)

	blocked := f.doJSON("POST", "/v1/fns/agents/1/block", nil, http.StatusOK)
	assert.Equal(t, map[string]any{"id": "1", "is_active": false}, blocked)
	list = f.doJSON("GET", "/v1/fns/agents", nil, http.StatusOK)
	assert.Equal(t, false, list["agents"].([]any)[0].(map[string]any)["is_active"])
	_, err = agent.SearchIdentification(context.Background(), fns.IdentificationSearchConsumer{Phone: "79001234567", SNILS: "12362931139"})
	assert.True(t, fns.IsUnauthorized(err), "the blocked agent's token is refused: %v", err)

	// With the SNILS free again, an agent FNS knows but the store does not
	// is still blocked by its id (the username from FNS's list).
	status, _, raw = f.do("POST", "/v1/fns/agents", agentBody("agent_petrov", "11223344595"))
	require.Equal(t, http.StatusCreated, status, "body: %s", raw)
	f.doJSON("POST", "/v1/fns/agents/2/block", nil, http.StatusOK)
	assert.Equal(t, "not_found", f.doJSON("POST", "/v1/fns/agents/99/block", nil, http.StatusNotFound)["code"])
	f.requireNothingPersonalLogged("Агентов", "Агент", "agent_ivanov", "agent_petrov", "11223344595", "112-233-445 95",
		"79012345678", "123456qwerty", kept.Token)
}

func TestTemplate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	consumer := `{"last_name":"Иванов","first_name":"Иван","middle_name":"Иванович","gender":"М","birthed":"1990-01-01",
		"snils":"12362931139","inn":"312324014516","phone":"79001234567",
		"addresses":[{"type":"permanent","index":"426000","region":"18","city":"Ижевск","street":"Пушкинская","house":"1","apartment":"1"}],
		"identities":[{"type":"internal-passport","series":"9400","number":"123456","issue_code":"180-001",
			"issued_by":"МВД по Удмуртской Республике","issued":"2010-01-01"}]}`
	wf, err := f.client.Partner().Register(ctx, fns.RegistrationRequest{Consumer: json.RawMessage(consumer),
		ExternalID: uuid.NewString(), Callback: "http://127.0.0.1:1/webhooks/fns/x"})
	require.NoError(t, err)
	parent := int64(wf.ID)
	f.awaitState(parent, string(fns.StateWaitConsumerIdentification))

	before := f.doJSON("GET", "/v1/fns/workflows/"+strconv.FormatInt(parent, 10)+"/template", nil, http.StatusNotFound)
	assert.Equal(t, "no_template", before["code"], "%v", before)
	assert.Equal(t, "not_found", f.doJSON("GET", "/v1/fns/workflows/999/template", nil, http.StatusNotFound)["code"])

	f.doJSON("POST", "/v1/fns/agents", agentBody("agent_ivanov", "11223344595"), http.StatusCreated)
	kept, err := f.store.GetFNSAgent(ctx, "1")
	require.NoError(t, err)
	agent := f.client.As(fns.Credentials{Username: kept.Username, Token: kept.Token})
	_, err = agent.SearchIdentification(ctx, fns.IdentificationSearchConsumer{Phone: "79001234567", SNILS: "12362931139"})
	require.NoError(t, err)
	docs, err := agent.ConfirmationDocuments(ctx, parent)
	require.NoError(t, err)
	for _, d := range docs {
		_, err := agent.UploadConfirmationDocument(ctx, int64(d.ID), "паспорт.jpg", []byte("scan"))
		require.NoError(t, err)
	}
	_, err = agent.ChangeState(ctx, parent, fns.StateChange{Command: fns.CommandIdentify})
	require.NoError(t, err)
	f.awaitState(parent, "complete")
	snap, ok := f.sb.Workflow(parent)
	require.True(t, ok)
	require.NotZero(t, snap.ChildID)
	f.awaitState(snap.ChildID, "wait-scan-upload")

	status, header, body := f.do("GET", "/v1/fns/workflows/"+strconv.FormatInt(snap.ChildID, 10)+"/template", nil)
	require.Equal(t, http.StatusOK, status, "body: %s", body)
	assert.True(t, strings.HasPrefix(header.Get("Content-Type"), "text/html"), header.Get("Content-Type"))
	assert.Equal(t, "nosniff", header.Get("X-Content-Type-Options"))
	assert.True(t, strings.HasPrefix(header.Get("Content-Disposition"), "attachment"), header.Get("Content-Disposition"))
	assert.Contains(t, string(body), "СЕРТИФИКАТ КЛЮЧА ПРОВЕРКИ ЭЛЕКТРОННОЙ ПОДПИСИ")
	assert.Contains(t, string(body), "Иванов")
}

func TestFNSUnreachable(t *testing.T) {
	f := newFixture(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c, err := fns.New(fns.Config{BaseURL: dead.URL, Partner: fns.Credentials{Username: partnerUser, Password: partnerPass},
		Timeout: time.Second})
	require.NoError(t, err)
	f.url = f.serve(fnsadmin.New(c))
	for _, r := range []struct {
		method, path string
		body         any
	}{{"POST", "/v1/fns/agents", agentBody("agent_ivanov", "11223344595")}, {"GET", "/v1/fns/agents", nil},
		{"POST", "/v1/fns/agents/1/block", nil}, {"GET", "/v1/fns/workflows/1/template", nil}} {
		out := f.doJSON(r.method, r.path, r.body, http.StatusBadGateway)
		assert.Equal(t, "fns_unavailable", out["code"], "%s %s", r.method, r.path)
	}

	// FNS answering 5xx.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"detail":"boom"}`, http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	c, err = fns.New(fns.Config{BaseURL: broken.URL, Auth: fns.AuthBasic, Partner: fns.Credentials{Username: partnerUser, Password: partnerPass}})
	require.NoError(t, err)
	f.url = f.serve(fnsadmin.New(c))
	assert.Equal(t, "fns_unavailable", f.doJSON("GET", "/v1/fns/agents", nil, http.StatusBadGateway)["code"])
}

func TestAgentCreatedButNotKept(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.store.Close())
	out := f.doJSON("POST", "/v1/fns/agents", agentBody("agent_ivanov", "11223344595"), http.StatusInternalServerError)
	assert.Equal(t, "store_failed", out["code"])
	assert.Contains(t, out["error"], "/v1/fns/agents/1/block", "the operator learns which agent to block")
	assert.Len(t, f.sandboxAgents(), 1)
}

func TestWorkflowSearchRemovalAndConsumerSearch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	consumer := `{"last_name":"Иванов","first_name":"Иван","middle_name":"Иванович","gender":"М","birthed":"1990-01-01",
		"snils":"12362931139","inn":"312324014516","phone":"79001234567",
		"addresses":[{"type":"permanent","index":"426000","region":"18","city":"Ижевск","street":"Пушкинская","house":"1","apartment":"1"}],
		"identities":[{"type":"internal-passport","series":"9400","number":"123456","issue_code":"180-001",
			"issued_by":"МВД по Удмуртской Республике","issued":"2010-01-01"}]}`
	wf, err := f.client.Partner().Register(ctx, fns.RegistrationRequest{Consumer: json.RawMessage(consumer),
		ExternalID: uuid.NewString(), Callback: "http://127.0.0.1:1/webhooks/fns/x"})
	require.NoError(t, err)
	id := int64(wf.ID)
	f.awaitState(id, string(fns.StateWaitConsumerIdentification))

	found := f.doJSON("POST", "/v1/fns/consumers/search", map[string]any{"last_name": "Иванов", "first_name": "Иван",
		"middle_name": "Иванович", "phone": "+7 (900) 123-45-67", "snils": "123-629-311 39"}, http.StatusOK)
	consumers := found["consumers"].([]any)
	require.Len(t, consumers, 1)
	c := consumers[0].(map[string]any)
	consumerID := c["id"].(string)
	assert.NotEmpty(t, consumerID)
	assert.NotContains(t, fmt.Sprint(c), "Иванов", "only ids and states come back")

	listed := f.doJSON("GET", "/v1/fns/workflows?consumer="+consumerID, nil, http.StatusOK)
	workflows := listed["workflows"].([]any)
	require.Len(t, workflows, 1)
	assert.EqualValues(t, id, workflows[0].(map[string]any)["id"])
	assert.Equal(t, "identification", workflows[0].(map[string]any)["type"])

	removed := f.doJSON("POST", "/v1/fns/workflows/remove", map[string]any{"ids": []int64{id, 999999}}, http.StatusOK)
	assert.Equal(t, []any{float64(id)}, removed["removed"])
	assert.Equal(t, []any{999999.0}, removed["failed"], "partial success is listed, not hidden")
	f.requireNothingPersonalLogged("Иванов", "79001234567", "12362931139")
}
