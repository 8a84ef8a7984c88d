package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store"
)

// fakeFNS counts calls and answers err (or fixed values).
type fakeFNS struct {
	calls atomic.Int32
	err   error
}

func (f *fakeFNS) CreateAgent(_ context.Context, _ *store.Store, a FNSAgentCreate) (FNSAgentCreated, error) {
	f.calls.Add(1)
	return FNSAgentCreated{ID: "7", Username: a.Username, Permissions: a.Permissions, IdentificationPoints: a.IdentificationPoints}, f.err
}

func (f *fakeFNS) ListAgents(context.Context) ([]FNSAgentSummary, error) {
	f.calls.Add(1)
	return nil, f.err
}

func (f *fakeFNS) BlockAgent(context.Context, *store.Store, int64) error {
	f.calls.Add(1)
	return f.err
}

func (f *fakeFNS) Template(context.Context, int64) (FNSFile, error) {
	f.calls.Add(1)
	return FNSFile{Content: []byte("form"), ContentType: "text/html; charset=utf-8"}, f.err
}

func (f *fakeFNS) SearchWorkflows(context.Context, []string, string) ([]FNSWorkflowSummary, error) {
	f.calls.Add(1)
	return nil, f.err
}

func (f *fakeFNS) RemoveWorkflows(_ context.Context, ids []int64) (FNSRemoveResult, error) {
	f.calls.Add(1)
	return FNSRemoveResult{Requested: ids, Removed: ids, Failed: []int64{}}, f.err
}

func (f *fakeFNS) SearchConsumers(context.Context, FNSConsumerQuery) ([]FNSConsumerSummary, error) {
	f.calls.Add(1)
	return nil, f.err
}

func withFNS(a FNSAdmin) option { return func(d *Deps) { d.FNS = a } }

// validAgent is a correct POST /v1/fns/agents body (the document's example).
func validAgent() map[string]any {
	return map[string]any{"username": "agent_ivanov", "password": "123456qwerty", "last_name": "Агентов",
		"first_name": "Агент", "middle_name": "Агентович", "email": "agent@example.com", "phone": "79012345678",
		"unstructured_identity": "4500 023 Выдан ПВД ОВД 12.05.2011", "snils": "11223344595", "position": "оператор",
		"company": 1, "permissions": []string{"consumer_identify"}, "identification_points": []int64{1}}
}

func (g *testGateway) postJSON(target string, body any) *http.Response {
	g.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(g.t, err)
	return g.send(http.MethodPost, target, bytes.NewReader(b), map[string]string{"Content-Type": "application/json"})
}

type fieldsBody struct {
	Code   string       `json:"code"`
	Error  string       `json:"error"`
	Fields []FieldError `json:"fields"`
}

func TestFNSRoutesNeedConfigurationAndToken(t *testing.T) {
	g := newSQLiteGateway(t)
	for _, r := range []struct{ method, path string }{{"POST", "/v1/fns/agents"}, {"GET", "/v1/fns/agents"},
		{"POST", "/v1/fns/agents/1/block"}, {"GET", "/v1/fns/workflows/1/template"}, {"GET", "/v1/fns/workflows?consumer=c"},
		{"POST", "/v1/fns/workflows/remove"}, {"POST", "/v1/fns/consumers/search"}} {
		requireAPIError(t, g.send(r.method, r.path, strings.NewReader("{}"), nil), http.StatusServiceUnavailable, "fns_not_configured")
		requireAPIError(t, g.send(r.method, r.path, strings.NewReader("{}"), map[string]string{"Authorization": ""}),
			http.StatusUnauthorized, "unauthorized")
	}
	fake := &fakeFNS{}
	g = newSQLiteGateway(t, withFNS(fake))
	requireAPIError(t, g.send("GET", "/v1/fns/agents", nil, map[string]string{"Authorization": ""}), http.StatusUnauthorized, "unauthorized")
	requireAPIError(t, g.send("GET", "/v1/fns/agents", nil, map[string]string{"Authorization": "Bearer wrong"}), http.StatusUnauthorized, "unauthorized")
	assert.Zero(t, fake.calls.Load())
}

func TestFNSAgentValidationReportsEveryField(t *testing.T) {
	fake := &fakeFNS{}
	g := newSQLiteGateway(t, withFNS(fake))
	bad := validAgent()
	delete(bad, "username")
	bad["last_name"] = "  "
	bad["snils"] = "11223344596"
	bad["phone"] = "+79012345678"
	bad["email"] = "nope"
	bad["company"] = "x"
	bad["permissions"] = []string{"consumer_identify", "superuser"}
	bad["identification_points"] = []int64{}
	bad["token"] = "x"
	out := decodeJSON[fieldsBody](t, g.postJSON("/v1/fns/agents", bad), http.StatusBadRequest)
	assert.Equal(t, "bad_request", out.Code)
	var names []string
	for _, f := range out.Fields {
		names = append(names, f.Field)
		assert.NotEmpty(t, f.Message)
	}
	assert.ElementsMatch(t, []string{"token", "username", "last_name", "email", "phone", "snils", "company",
		"permissions[1]", "identification_points"}, names)
	for _, secret := range []string{"11223344596", "+79012345678", "superuser", "nope"} {
		assert.NotContains(t, out.Error, secret)
	}

	for _, body := range []string{"", "[]", "not json", `{"username":1}{}`} {
		out := decodeJSON[fieldsBody](t, g.send("POST", "/v1/fns/agents", strings.NewReader(body), nil), http.StatusBadRequest)
		assert.Equal(t, "bad_request", out.Code, "body %q", body)
	}
	requireAPIError(t, g.send("POST", "/v1/fns/agents", strings.NewReader(`{"username":"`+strings.Repeat("a", maxFNSAgentBody)+`"}`), nil),
		http.StatusRequestEntityTooLarge, "body_too_large")
	assert.Zero(t, fake.calls.Load(), "nothing reaches FNS")

	// The valid body passes, the SNILS normalised.
	ok := validAgent()
	ok["snils"] = "112-233-445 95"
	ok["permissions"] = []string{"consumer_identify", "create_new_agent", "consumer_identify"}
	created := decodeJSON[map[string]any](t, g.postJSON("/v1/fns/agents", ok), http.StatusCreated)
	assert.Equal(t, []any{"consumer_identify", "create_new_agent"}, created["permissions"])
	assert.EqualValues(t, 1, fake.calls.Load())
}

func TestFNSErrorsMapToStatuses(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{ErrFNSUnavailable, http.StatusBadGateway, "fns_unavailable"},
		{errors.New("surprise"), http.StatusBadGateway, "fns_unavailable"},
		{ErrFNSNotFound, http.StatusNotFound, "not_found"},
		{StoreFailed("could not keep it", errors.New("disk")), http.StatusInternalServerError, "store_failed"},
	}
	for _, c := range cases {
		g := newSQLiteGateway(t, withFNS(&fakeFNS{err: c.err}))
		requireAPIError(t, g.get("/v1/fns/agents"), c.status, c.code)
		requireAPIError(t, g.send("POST", "/v1/fns/agents/3/block", nil, nil), c.status, c.code)
	}
	g := newSQLiteGateway(t, withFNS(&fakeFNS{err: &FNSRejection{Message: "snils: taken",
		Fields: []FieldError{{Field: "snils", Message: "taken"}}}}))
	out := decodeJSON[fieldsBody](t, g.postJSON("/v1/fns/agents", validAgent()), http.StatusBadRequest)
	assert.Equal(t, "fns_rejected", out.Code)
	assert.Equal(t, []FieldError{{Field: "snils", Message: "taken"}}, out.Fields)

	g = newSQLiteGateway(t, withFNS(&fakeFNS{err: ErrFNSNoTemplate}))
	requireAPIError(t, g.get("/v1/fns/workflows/5/template"), http.StatusNotFound, "no_template")
	for _, id := range []string{"0", "-1", "abc"} {
		requireAPIError(t, g.get("/v1/fns/workflows/"+id+"/template"), http.StatusNotFound, "not_found")
		requireAPIError(t, g.send("POST", "/v1/fns/agents/"+id+"/block", nil, nil), http.StatusNotFound, "not_found")
	}

	g = newSQLiteGateway(t, withFNS(&fakeFNS{}))
	resp := g.get("/v1/fns/workflows/5/template")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, `attachment; filename="fns-5-template.html"`, resp.Header.Get("Content-Disposition"))
	assert.Equal(t, "form", string(readBody(t, resp)))
	list := decodeJSON[map[string]any](t, g.get("/v1/fns/agents"), http.StatusOK)
	assert.Equal(t, map[string]any{"agents": []any{}}, list)
	blocked := decodeJSON[map[string]any](t, g.send("POST", "/v1/fns/agents/3/block", nil, nil), http.StatusOK)
	assert.Equal(t, map[string]any{"id": "3", "is_active": false}, blocked)
}

func TestFNSSearchAndRemovalAreCheckedFirst(t *testing.T) {
	fake := &fakeFNS{}
	g := newSQLiteGateway(t, withFNS(fake))
	requireAPIError(t, g.send("GET", "/v1/fns/workflows", nil, nil), http.StatusBadRequest, "bad_request")
	requireAPIError(t, g.send("GET", "/v1/fns/workflows?consumer=,%20", nil, nil), http.StatusBadRequest, "bad_request")
	for _, body := range []string{`{}`, `{"ids":[]}`, `{"ids":[0]}`, `{"ids":"1"}`, `{"ids":[1],"x":1}`, `{"ids":[` + strings.Repeat("1,", 100) + "1]}"} {
		requireAPIError(t, g.send("POST", "/v1/fns/workflows/remove", strings.NewReader(body), nil), http.StatusBadRequest, "bad_request")
	}
	out := decodeJSON[fieldsBody](t, g.postJSON("/v1/fns/consumers/search", map[string]any{"last_name": "Иванов",
		"phone": "+7 900 123", "snils": "11223344596", "inn": "1", "birthed": "31.12.1990"}), http.StatusBadRequest)
	var names []string
	for _, f := range out.Fields {
		names = append(names, f.Field)
	}
	assert.ElementsMatch(t, []string{"first_name", "phone", "snils", "inn", "birthed"}, names)
	for _, v := range []string{"Иванов", "11223344596", "+7 900 123"} {
		assert.NotContains(t, out.Error, v)
	}
	assert.Zero(t, fake.calls.Load(), "nothing reaches FNS")

	removed := decodeJSON[FNSRemoveResult](t, g.postJSON("/v1/fns/workflows/remove", map[string]any{"ids": []int64{7, 8}}), http.StatusOK)
	assert.Equal(t, []int64{7, 8}, removed.Removed)
	found := decodeJSON[map[string]any](t, g.postJSON("/v1/fns/consumers/search", map[string]any{"last_name": "Иванов",
		"first_name": "Иван", "phone": "+7 (900) 123-45-67"}), http.StatusOK)
	assert.Equal(t, []any{}, found["consumers"])
	listed := decodeJSON[map[string]any](t, g.send("GET", "/v1/fns/workflows?consumer=a,b&consumer=c", nil, nil), http.StatusOK)
	assert.Equal(t, []any{}, listed["workflows"])
}
