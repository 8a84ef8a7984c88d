package fns_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"idflow/internal/clocktest"
	sandbox "idflow/internal/sandbox/fns"
)

const (
	partnerUser = "partner"
	partnerPass = "partner-secret"
	step        = time.Second // every simulated delay in the tests
	waitFor     = 5 * time.Second
	tick        = 5 * time.Millisecond
)

// env is a sandbox behind httptest with a settable clock.
type env struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	clock *clocktest.Clock
	token string // the partner's token
}

// newEnv starts a sandbox whose delays are all `step`; mod adjusts the config.
func newEnv(t *testing.T, mod func(*sandbox.Config)) *env {
	t.Helper()
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	cfg := sandbox.Config{Username: partnerUser, Password: partnerPass, SMEVDelay: step, InstallDelay: 2 * step,
		PKCS10Delay: step, SecretKeyDelay: step, IssueDelay: step, Clock: clock.Now, PollInterval: time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); sb.Close() })
	e := &env{t: t, sb: sb, srv: srv, clock: clock}
	st, body := e.do("POST", "/api/rb/auth", "", map[string]any{"username": partnerUser, "password": partnerPass})
	require.Equal(t, 200, st, "%v", body)
	e.token = body["result"].(map[string]any)["token"].(string)
	return e
}

// do sends a JSON request with "Authorization: token tok" (none when tok is "")
// and returns the status and the decoded body (nil when empty).
func (e *env) do(method, path, tok string, in any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "token "+tok)
	}
	return e.send(req)
}

// send performs req and decodes its JSON answer.
func (e *env) send(req *http.Request) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	if len(raw) == 0 {
		return resp.StatusCode, nil
	}
	var out map[string]any
	require.NoError(e.t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

// get fetches raw bytes.
func (e *env) get(path, tok string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "token "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// result returns body["result"] as an object.
func result(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	r, ok := body["result"].(map[string]any)
	require.True(t, ok, "no result object in %v", body)
	return r
}

// registration returns a valid scenario-80 body (the document's example person).
func registration(lastName, callback string) map[string]any {
	return map[string]any{
		"scenario": 80, "callback": callback, "external_id": uuid.NewString(),
		"consumer": map[string]any{
			"last_name": lastName, "first_name": "Иван", "middle_name": "Иванович", "gender": "М",
			"birthed": "1990-01-01", "snils": "12362931139", "inn": "312324014516", "phone": "79001234567",
			"addresses": []any{map[string]any{"type": "permanent", "index": "426000", "region": "18",
				"city": "Ижевск", "street": "Пушкинская", "house": "1", "apartment": "1"}},
			"identities": []any{map[string]any{"type": "internal-passport", "series": "9400", "number": "123456",
				"issue_code": "180-001", "issued_by": "МВД по Удмуртской Республике", "issued": "2010-01-01"}},
		},
	}
}

// create registers body and returns the workflow id and the result.
func (e *env) create(body map[string]any) (int64, map[string]any) {
	e.t.Helper()
	st, out := e.do("POST", "/api/rb/workflow", e.token, body)
	require.Equal(e.t, 200, st, "%v", out)
	r := result(e.t, out)
	return int64(r["id"].(float64)), r
}

// full fetches /full of id with tok.
func (e *env) full(id int64, tok string) map[string]any {
	e.t.Helper()
	st, out := e.do("GET", "/api/rb/workflow/"+strconv.FormatInt(id, 10)+"/full", tok, nil)
	require.Equal(e.t, 200, st, "%v", out)
	return result(e.t, out)
}

// advanceTo moves the clock by d and waits until workflow id reaches state.
func (e *env) advanceTo(d time.Duration, id int64, state string) {
	e.t.Helper()
	e.clock.Advance(d)
	require.Eventually(e.t, func() bool {
		w, ok := e.sb.Workflow(id)
		return ok && w.State == state
	}, waitFor, tick, "workflow %d never reached %s", id, state)
}

// path builds /api/rb/… paths.
func path(parts ...any) string {
	s := "/api/rb"
	for _, p := range parts {
		switch v := p.(type) {
		case int64:
			s += "/" + strconv.FormatInt(v, 10)
		case float64:
			s += "/" + strconv.FormatInt(int64(v), 10)
		default:
			s += "/" + v.(string)
		}
	}
	return s
}

// delivery is one callback request seen by the receiver.
type delivery struct {
	status int
	body   map[string]any
}

// receiver is a callback endpoint; status decides the answer to attempt n (from 1).
type receiver struct {
	mu     sync.Mutex
	all    []delivery
	status func(n int) int
	srv    *httptest.Server
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		d := delivery{status: 200}
		_ = json.Unmarshal(raw, &d.body)
		r.mu.Lock()
		if r.status != nil {
			d.status = r.status(len(r.all) + 1)
		}
		r.all = append(r.all, d)
		r.mu.Unlock()
		w.WriteHeader(d.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// got returns the deliveries so far.
func (r *receiver) got() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.all...)
}

// states lists the state of every delivery answered 200, in order.
func (r *receiver) states() []string {
	var out []string
	for _, d := range r.got() {
		if d.status == 200 {
			out = append(out, d.body["type"].(string)+":"+d.body["state"].(string))
		}
	}
	return out
}
