package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

// The stand-in registration's fixed answers.
const (
	stubFNSWorkflowID         = 501
	stubCertificateWorkflowID = 502
	stubCertificateDocumentID = "fns-test-certificate"
	stubRequestsQuery         = "stub-requests"
	testCertificatePEM        = "-----BEGIN CERTIFICATE-----\nMIIBstub\n-----END CERTIFICATE-----\n"
	testTemplate              = "%PDF-1.4 the certificate form"
)

// stubFNSRegistration stands in for FNSRegistration. Started for a request
// id beginning with "wait" it keeps running at the agent's stage with a
// certificate workflow and an issued certificate, takes both updates
// (checked as the real validators do) and answers stubRequestsQuery with
// the requests taken; beginning with "early" it waits for the app and
// refuses both updates the way the real validators do; any other finishes
// at once as accepted.
func stubFNSRegistration(ctx workflow.Context, in fnsregistration.Input) (fnsregistration.Status, error) {
	st := fnsregistration.Status{Status: process.Status{Process: fnsregistration.WorkflowType, Stage: fnsregistration.StageFinished,
		Outcome: process.OutcomeAccepted}}
	wait, early := strings.HasPrefix(in.RequestID, "wait"), strings.HasPrefix(in.RequestID, "early")
	if !wait && !early {
		return st, workflow.UpsertTypedSearchAttributes(ctx, process.OutcomeKey.ValueSet(string(process.OutcomeAccepted)))
	}
	st.Outcome = process.OutcomePending
	st.Stage = fnsregistration.StageAwaitingApp
	if wait {
		st.Stage = fnsregistration.StageAwaitingAgent
		st.FNSWorkflowID, st.CertificateWorkflowID, st.FNSState = stubFNSWorkflowID, stubCertificateWorkflowID, "wait-consumer-identification"
		st.Certificate = &fnsregistration.Certificate{Serial: "0A1B2C", Issuer: "CN=FNS sandbox CA",
			NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			DocumentID: stubCertificateDocumentID}
	}
	var taken []any
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (fnsregistration.Status, error) { return st, nil }); err != nil {
		return st, err
	}
	if err := workflow.SetQueryHandler(ctx, stubRequestsQuery, func() ([]any, error) { return taken, nil }); err != nil {
		return st, err
	}
	ids := func(field string, list []string) error {
		var errs validate.FieldErrors
		if len(list) == 0 {
			errs.Add(field, "required")
		}
		for _, id := range list {
			if id == "" || id == notStored {
				errs.Add(field, "empty id")
			}
		}
		return errs.Err()
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, fnsregistration.AgentIdentifyUpdate,
		func(_ workflow.Context, req fnsregistration.AgentIdentifyRequest) (fnsregistration.StepResult, error) {
			taken = append(taken, req)
			return fnsregistration.StepResult{State: "certificate-issue"}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, req fnsregistration.AgentIdentifyRequest) error {
			if !wait {
				return stubError("no identification awaited (stage " + st.Stage + ")")
			}
			return ids("passportScanDocumentIds", req.PassportScanDocumentIDs)
		}})
	if err != nil {
		return st, err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, fnsregistration.UploadScansUpdate,
		func(_ workflow.Context, req fnsregistration.UploadScansRequest) (fnsregistration.StepResult, error) {
			taken = append(taken, req)
			return fnsregistration.StepResult{State: "complete"}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, req fnsregistration.UploadScansRequest) error {
			if !wait {
				return stubError("no scans awaited (stage " + st.Stage + ")")
			}
			return ids("scanDocumentIds", req.ScanDocumentIDs)
		}})
	if err != nil {
		return st, err
	}
	return st, workflow.Await(ctx, func() bool { return false })
}

// stubError is a plain error with its text.
type stubError string

func (e stubError) Error() string { return string(e) }

// fakeFNS serves the gateway's /v1/fns endpoints as their API says (the
// real ones are built in another branch), recording each request, and the
// stand-in's certificate in the document store.
type fakeFNS struct {
	mu       sync.Mutex
	requests []string // "METHOD PATH"
	bodies   []string
	agents   []fnsAgent
	// noTemplate: FNS has not made the certificate form yet.
	noTemplate bool
	// notConfigured: the worker has no FNS settings.
	notConfigured bool
}

func (f *fakeFNS) record(r *http.Request, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.bodies = append(f.bodies, body)
}

func (f *fakeFNS) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeFNS) wrap(real http.Handler) http.Handler {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+testToken {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "unauthorized", "error": "bad token"})
				return
			}
			f.mu.Lock()
			notConfigured := f.notConfigured
			f.mu.Unlock()
			if notConfigured && strings.HasPrefix(r.URL.Path, "/v1/fns/") {
				f.record(r, "")
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"code": "fns_not_configured", "error": "FNS is not configured"})
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("POST /v1/fns/agents", auth(func(w http.ResponseWriter, r *http.Request) {
		var req fnsAgentRequest
		b, _ := readAll(r)
		f.record(r, b)
		if err := json.Unmarshal([]byte(b), &req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "bad_request", "error": "not JSON"})
			return
		}
		switch {
		case req.Company != 1:
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": "bad_request", "error": "invalid agent",
				"fields": []map[string]string{{"field": "company", "message": "unknown company"}}})
		case req.Username == "taken":
			// A careless upstream message that quotes the password.
			writeJSON(w, http.StatusBadRequest, map[string]string{"code": "fns_rejected",
				"error": "FNS refused the agent: username taken (password " + req.Password + ")"})
		default:
			f.mu.Lock()
			f.agents = append(f.agents, fnsAgent{ID: "19", Username: req.Username, LastName: req.LastName, FirstName: req.FirstName,
				MiddleName: req.MiddleName, IsActive: true, IdentificationPoints: req.IdentificationPoints})
			f.mu.Unlock()
			writeJSON(w, http.StatusCreated, map[string]any{"id": "19", "username": req.Username,
				"permissions": req.Permissions, "identification_points": req.IdentificationPoints})
		}
	}))
	mux.HandleFunc("GET /v1/fns/agents", auth(func(w http.ResponseWriter, r *http.Request) {
		f.record(r, "")
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"agents": append([]fnsAgent{}, f.agents...)})
	}))
	mux.HandleFunc("POST /v1/fns/agents/{id}/block", auth(func(w http.ResponseWriter, r *http.Request) {
		f.record(r, "")
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, a := range f.agents {
			if a.ID == r.PathValue("id") {
				f.agents[i].IsActive = false
				writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "is_active": false})
				return
			}
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "not_found", "error": "no agent " + r.PathValue("id")})
	}))
	mux.HandleFunc("GET /v1/fns/workflows/{id}/template", auth(func(w http.ResponseWriter, r *http.Request) {
		f.record(r, "")
		f.mu.Lock()
		noTemplate := f.noTemplate
		f.mu.Unlock()
		if r.PathValue("id") != "502" || noTemplate {
			writeJSON(w, http.StatusNotFound, map[string]string{"code": "no_template", "error": "no template for workflow " + r.PathValue("id")})
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte(testTemplate))
	}))
	mux.HandleFunc("GET /v1/documents/"+stubCertificateDocumentID, auth(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write([]byte(testCertificatePEM))
	}))
	mux.HandleFunc("/v1/fns/", func(w http.ResponseWriter, r *http.Request) {
		f.record(r, "")
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "not_found", "error": "no such endpoint"})
	})
	mux.Handle("/", real)
	return mux
}

func readAll(r *http.Request) (string, error) {
	b, err := io.ReadAll(r.Body)
	return string(b), err
}

// fnsGateway serves a real gateway with the fake /v1/fns endpoints and points the starter at it.
func fnsGateway(t *testing.T) (*testGateway, *fakeFNS) {
	t.Helper()
	fake := &fakeFNS{}
	gw := startGatewayWith(t, fake.wrap)
	useGateway(t, gw.url, testToken)
	return gw, fake
}

const testAgentPassword = "s3cret-Пароль-42"

// agentArgs is a valid agents create with the password in a file.
func agentArgs(t *testing.T, extra ...string) []string {
	t.Helper()
	pw := writeFile(t, t.TempDir(), "agent.pw", []byte(testAgentPassword+"\n"))
	return append([]string{"fns", "agents", "create", "--username", "agent1", "--password-file", pw,
		"--last-name", "Агентов", "--first-name", "Агент", "--middle-name", "Агентович", "--phone", "+7 (901) 234-56-78",
		"--passport-text", "4500 023 Выдан ПВД ОВД 12.05.2011", "--snils", "112-233-445 95", "--position", "оператор",
		"--company", "1", "--permission", "consumer_identify", "--point", "1"}, extra...)
}

func noPassword(t *testing.T, r result) {
	t.Helper()
	assert.NotContains(t, r.stdout, testAgentPassword)
	assert.NotContains(t, r.stderr, testAgentPassword)
}

func TestFNSAgentsCreateReportsEveryBadFieldAtOnce(t *testing.T) {
	_, fake := fnsGateway(t)
	r := invalid(t, []string{
		"--username: required",
		"--password-file: cannot read /nonexistent/agent.pw (no such file or directory)",
		"--middle-name: required",
		"--email: invalid format: want an address such as name@example.org",
		"--phone: invalid format: want 7 and 10 digits",
		"--passport-text: required",
		"--snils: checksum mismatch",
		"--position: required",
		"--company: want a positive whole number",
		"--permission #2: want one of consumer_identify, create_new_agent",
		"--point #1: want a positive whole number",
	}, "fns", "agents", "create", "--password-file", "/nonexistent/agent.pw", "--last-name", "Агентов", "--first-name", "Агент",
		"--email", "not-an-address", "--phone", "12345", "--snils", "112-233-445 96", "--company", "one",
		"--permission", "consumer_identify", "--permission", "admin", "--point", "0")
	assert.NotContains(t, r.stderr, "12345")
	assert.NotContains(t, r.stderr, "112-233-445 96")

	r = invalid(t, []string{
		"--username: required",
		"--password-file, --password: one of them is required",
		"--last-name: required",
		"--first-name: required",
		"--middle-name: required",
		"--phone: empty",
		"--passport-text: required",
		"--snils: empty",
		"--position: required",
		"--company: required",
		"--permission: required: at least one of consumer_identify, create_new_agent",
		"--point: required: at least one identification point",
	}, "fns", "agents", "create")

	args := agentArgs(t, "--password", testAgentPassword, "--snils", "1")
	r = invalid(t, []string{"--password: not with --password-file (give one of them)", "--snils: wrong length: want 11 digits"}, args...)
	noPassword(t, r)
	empty := writeFile(t, t.TempDir(), "empty.pw", []byte("\nsecond line"))
	invalid(t, []string{"--password-file: " + empty + ": the first line is empty"}, agentArgs(t, "--password-file", empty)...)
	assert.Empty(t, fake.sent(), "nothing sent")
}

func TestFNSAgentsCreateListBlock(t *testing.T) {
	_, fake := fnsGateway(t)
	r := run(t, agentArgs(t)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "agent: 19 (agent1)\nnext: go run ./starter fns agent-identify WORKFLOW_ID --agent 19 --passport-scan FILE\n", r.stdout)
	assert.Empty(t, r.stderr)
	noPassword(t, r)
	require.Equal(t, []string{"POST /v1/fns/agents"}, fake.sent())
	var sent map[string]any
	require.NoError(t, json.Unmarshal([]byte(fake.bodies[0]), &sent))
	assert.Equal(t, map[string]any{"username": "agent1", "password": testAgentPassword, "last_name": "Агентов",
		"first_name": "Агент", "middle_name": "Агентович", "phone": "79012345678",
		"unstructured_identity": "4500 023 Выдан ПВД ОВД 12.05.2011", "snils": "11223344595", "position": "оператор",
		"company": float64(1), "permissions": []any{"consumer_identify"}, "identification_points": []any{float64(1)}}, sent,
		"normalized, the password from the file's first line, no email when none given")

	rejected := run(t, agentArgs(t, "--username", "taken")...)
	assert.Equal(t, 1, rejected.code)
	assert.Equal(t, "starter: agent not created: gateway answered 400 Bad Request: FNS refused the agent: username taken (password [password])\n",
		rejected.stderr)
	noPassword(t, rejected)

	fields := run(t, agentArgs(t, "--username", "agent2", "--company", "2")...)
	assert.Equal(t, 1, fields.code)
	assert.Equal(t, "starter: agent not created: gateway answered 400 Bad Request: invalid agent\n  company: unknown company\n", fields.stderr)

	list := run(t, "fns", "agents", "list")
	require.Equal(t, 0, list.code, list.stderr)
	assert.Equal(t, "ID  USERNAME  NAME                     ACTIVE  POINTS\n19  agent1    Агентов Агент Агентович  yes     1\n", list.stdout)

	blocked := run(t, "fns", "agents", "block", "19")
	require.Equal(t, 0, blocked.code, blocked.stderr)
	assert.Equal(t, "blocked: agent 19\n", blocked.stdout)
	list = run(t, "fns", "agents", "list")
	assert.Contains(t, list.stdout, "  no  ")

	unknown := run(t, "fns", "agents", "block", "99")
	assert.Equal(t, 1, unknown.code)
	assert.Equal(t, "starter: agent not blocked: gateway answered 404 Not Found: no agent 99\n", unknown.stderr)

	before := len(fake.sent())
	bad := run(t, "fns", "agents", "block", "agent1")
	assert.Equal(t, 2, bad.code)
	assert.Contains(t, bad.stderr, "  ID: want the agent's id, a positive whole number")
	assert.Len(t, fake.sent(), before, "nothing sent")

	fake.mu.Lock()
	fake.notConfigured = true
	fake.mu.Unlock()
	r = run(t, "fns", "agents", "list")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no agents listed: gateway answered 503 Service Unavailable: FNS is not configured (the worker reaches FNS "+
		"once IDFLOW_FNS_BASE_URL, IDFLOW_FNS_USERNAME and IDFLOW_FNS_PASSWORD are set; 'go run ./worker -dev' uses its FNS sandbox)\n", r.stderr)
}

// fnsConsumer is the sandbox person, in the registration file's shape, with spellings to normalize.
func fnsConsumer() map[string]any {
	return map[string]any{"consumer": map[string]any{
		"last_name": "Иванов", "first_name": "Иван", "middle_name": "Иванович", "gender": "М",
		"birthed": "1990-01-01", "snils": "123-629-311 39", "inn": "312324014516", "phone": "+7 900 123-45-67",
		"addresses": []any{map[string]any{"type": "permanent", "index": "426000", "region": "18",
			"city": "Ижевск", "street": "Пушкинская", "house": "1", "apartment": "1"}},
		"identities": []any{map[string]any{"type": "internal-passport", "series": "94 00", "number": "123456",
			"issue_code": "180-001", "issued_by": "МВД по Удмуртской Республике", "issued": "2010-01-01"}},
	}}
}

func consumerFile(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return writeFile(t, t.TempDir(), "consumer.json", b)
}

func TestFNSRegisterReportsEveryProblemByPath(t *testing.T) {
	gw, _ := fnsGateway(t)
	closedTemporal(t)
	bad := fnsConsumer()
	c := bad["consumer"].(map[string]any)
	c["snils"], c["inn"], c["gender"], c["middle_name"] = "12362931130", "312324014517", "Ж", ""
	c["identities"].([]any)[0].(map[string]any)["issue_code"] = "18-001"
	c["addresses"].([]any)[0].(map[string]any)["type"] = "legal"
	bad["entrepreneur"] = map[string]any{"ogrnip": "1"}
	r := invalid(t, []string{
		"--request-id: want 1 to 64 letters, digits, '.', '_' or '-'",
		"--consumer: consumer.middle_name: required",
		"--consumer: consumer.gender: invalid format: want Cyrillic М or Latin F",
		"--consumer: consumer.snils: checksum mismatch",
		"--consumer: consumer.inn: checksum mismatch",
		"--consumer: consumer.addresses[0].type: want \"permanent\"",
		"--consumer: consumer.identities[0].issue_code: invalid format: want 3 digits, a dash, 3 digits",
		"--consumer: entrepreneur.ogrnip: wrong length: want 15 digits",
	}, "fns", "register", "--request-id", "bad id", "--consumer", consumerFile(t, bad))
	for _, value := range []string{"12362931130", "312324014517", "18-001", "Иванов"} {
		assert.NotContains(t, r.stderr, value, "no value echoed")
	}

	dir := t.TempDir()
	for name, want := range map[string]string{
		`{"consumer": {"snils": 12362931139}}`: "consumer.snils: want a JSON string",
		`{"consumer": {}, "pasport": "x"}`:     `unknown field "pasport"`,
		`{"consumer": {"last_name": "Ив`:       "not valid JSON (incomplete)",
		`{"consumer": x}`:                      "not valid JSON (at byte 14)",
		`{"consumer": {}} {}`:                  "not valid JSON (data after the object)",
		`[1]`:                                  `want an object {"consumer":{...}}`,
	} {
		file := writeFile(t, dir, "c.json", []byte(name))
		invalid(t, []string{"--consumer: " + file + ": " + want}, "fns", "register", "--request-id", "r1", "--consumer", file)
	}
	invalid(t, []string{"--request-id: want 1 to 64 letters, digits, '.', '_' or '-'",
		"--consumer: required: a JSON file with the registration data"}, "fns", "register")
	invalid(t, []string{"--consumer: cannot read /nonexistent.json (no such file or directory)"},
		"fns", "register", "--request-id", "r1", "--consumer", "/nonexistent.json")
	assert.Empty(t, documents(t, gw, fnsregistration.WorkflowID("r1")), "nothing stored")
}

// TestFNSRegisterOnce: register stores the normalized data and starts the
// workflow with a fixed summary; the same command again finds it running.
func TestFNSRegisterOnce(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	gw, _ := fnsGateway(t)
	requestID := "wait-" + testID(t)
	workflowID := fnsregistration.WorkflowID(requestID)
	file := consumerFile(t, fnsConsumer())

	first := run(t, "fns", "register", "--request-id", requestID, "--consumer", file)
	require.Equal(t, 0, first.code, first.stderr)
	assert.Equal(t, "started: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+
		"\nnext: go run ./starter status "+workflowID+"\n", first.stdout)
	stored := documents(t, gw, workflowID)
	require.Len(t, stored, 1)
	assert.Equal(t, "registration.json", stored[0].Title)
	assert.Equal(t, fnsregistration.RegistrationMediaType, stored[0].MediaType)

	saved := filepath.Join(t.TempDir(), "reg.json")
	r := run(t, "documents", "get", stored[0].ID, "-o", saved)
	require.Equal(t, 0, r.code, r.stderr)
	b, err := os.ReadFile(saved)
	require.NoError(t, err)
	for _, normalized := range []string{`"phone":"79001234567"`, `"snils":"12362931139"`, `"series":"9400"`} {
		assert.Contains(t, string(b), normalized)
	}

	desc, err := c.DescribeWorkflow(context.Background(), workflowID, "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	assert.Equal(t, "FNS registration, request "+requestID, summary)
	details, err := desc.GetStaticDetails()
	require.NoError(t, err)
	for _, text := range []string{summary, details} {
		assert.NotContains(t, text, "Иванов")
		assert.NotContains(t, text, "12362931139")
	}

	again := run(t, "fns", "register", "--request-id", requestID, "--consumer", file)
	require.Equal(t, 0, again.code, again.stderr)
	assert.Equal(t, "already running: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+
		"\nnext: go run ./starter status "+workflowID+"\n", again.stdout)
	assert.Equal(t, stored, documents(t, gw, workflowID), "nothing new stored")

	other := fnsConsumer()
	other["consumer"].(map[string]any)["phone"] = "79001234568"
	different := run(t, "fns", "register", "--request-id", requestID, "--consumer", consumerFile(t, other))
	assert.Equal(t, 1, different.code)
	assert.Contains(t, different.stderr, "already running with a different input (registrationDocumentId)")
	assert.Equal(t, stored, documents(t, gw, workflowID), "a refused start stores nothing")
}

// TestFNSStepsAgainstAStandIn: agent-identify and upload-scans upload their
// files for the workflow and send its updates; template and certificate
// save what the status names.
func TestFNSStepsAgainstAStandIn(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	gw, fake := fnsGateway(t)
	requestID := "wait-" + testID(t)
	workflowID := fnsregistration.WorkflowID(requestID)
	require.Equal(t, 0, run(t, "fns", "register", "--request-id", requestID, "--consumer", consumerFile(t, fnsConsumer())).code)
	dir := t.TempDir()
	page1 := writeFile(t, dir, "passport-1.jpg", []byte("\xff\xd8 page 1"))
	page2 := writeFile(t, dir, "passport-2.jpg", []byte("\xff\xd8 page 2"))

	r := run(t, "fns", "agent-identify", workflowID, "--agent", "19", "--point", "1", "--passport-scan", page1, "--passport-scan", page2)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "taken: 2 file(s)\nfns state: certificate-issue\nnext: go run ./starter status "+workflowID+"\n", r.stdout)

	form := writeFile(t, dir, "form.jpg", []byte("\xff\xd8 signed form"))
	r = run(t, "fns", "upload-scans", workflowID, "--scan", form)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "taken: 1 file(s)\nfns state: complete\nnext: go run ./starter status "+workflowID+"\n", r.stdout)

	ids := map[string]string{}
	for _, d := range documents(t, gw, workflowID) {
		ids[d.Title] = d.ID
	}
	require.Len(t, ids, 4, "registration.json and the three scans, owned by the workflow")
	value, err := c.QueryWorkflow(context.Background(), workflowID, "", stubRequestsQuery)
	require.NoError(t, err)
	var taken []json.RawMessage
	require.NoError(t, value.Get(&taken))
	require.Len(t, taken, 2)
	var identify fnsregistration.AgentIdentifyRequest
	require.NoError(t, json.Unmarshal(taken[0], &identify))
	assert.Equal(t, fnsregistration.AgentIdentifyRequest{AgentID: "19", IdentificationPoint: 1,
		PassportScanDocumentIDs: []string{ids["passport-1.jpg"], ids["passport-2.jpg"]}}, identify)
	var scans fnsregistration.UploadScansRequest
	require.NoError(t, json.Unmarshal(taken[1], &scans))
	assert.Equal(t, []string{ids["form.jpg"]}, scans.ScanDocumentIDs)

	out := filepath.Join(dir, "form.pdf")
	fake.mu.Lock()
	fake.noTemplate = true
	fake.mu.Unlock()
	r = run(t, "fns", "template", workflowID, "-o", out)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no template: FNS has not made the form of its workflow 502 yet (gateway answered 404 Not Found: "+
		"no template for workflow 502); see 'go run ./starter status "+workflowID+"'\n", r.stderr)
	assert.NoFileExists(t, out)
	fake.mu.Lock()
	fake.noTemplate = false
	fake.mu.Unlock()

	r = run(t, "fns", "template", workflowID, "-o", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "template: FNS workflow 502, 29 bytes (application/pdf) written to "+out+
		"\nnext: sign it, then go run ./starter fns upload-scans "+workflowID+" --scan FILE\n", r.stdout)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, testTemplate, string(b))
	assert.Contains(t, fake.sent(), "GET /v1/fns/workflows/502/template")

	pem := filepath.Join(dir, "kep.pem")
	r = run(t, "fns", "certificate", workflowID, "-o", pem)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "serial: 0A1B2C\nissuer: CN=FNS sandbox CA\nvalid: 2026-01-01 00:00:00 UTC to 2027-01-01 00:00:00 UTC\n"+
		"written: "+pem+"\nnext: openssl x509 -in "+pem+" -noout -subject -dates\n", r.stdout)
	b, err = os.ReadFile(pem)
	require.NoError(t, err)
	assert.Equal(t, testCertificatePEM, string(b))

	r = run(t, "fns", "certificate", workflowID, "-o", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, testCertificatePEM, r.stdout)
	assert.Contains(t, r.stderr, "serial: 0A1B2C\n")
}

// TestFNSStepsBeforeTheirTime: refused updates print the workflow's reason
// once; template and certificate say what does not exist yet.
func TestFNSStepsBeforeTheirTime(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	gw, _ := fnsGateway(t)
	id := testID(t)
	workflowID := fnsregistration.WorkflowID("early-" + id)
	startStub(t, c, queue, workflowID, fnsregistration.WorkflowType, fnsregistration.Input{RequestID: "early-" + id})
	scan := writeFile(t, t.TempDir(), "scan.jpg", []byte("scan"))

	r := run(t, "fns", "agent-identify", workflowID, "--agent", "19", "--passport-scan", scan)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: identification not taken: no identification awaited (stage awaiting-app)\n", r.stderr)
	r = run(t, "fns", "upload-scans", workflowID, "--scan", scan)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: scans not taken: no scans awaited (stage awaiting-app)\n", r.stderr)

	r = run(t, "fns", "template", workflowID, "-o", filepath.Join(t.TempDir(), "form.pdf"))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no template: the certificate workflow of "+workflowID+" does not exist yet (stage awaiting-app); "+
		"it follows the agent's identification: see 'go run ./starter status "+workflowID+"'\n", r.stderr)
	r = run(t, "fns", "certificate", workflowID, "-o", filepath.Join(t.TempDir(), "kep.pem"))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no certificate: "+workflowID+" has none issued yet (stage awaiting-app); see 'go run ./starter status "+
		workflowID+"'\n", r.stderr)

	missing := fnsregistration.WorkflowID("missing-" + id)
	r = run(t, "fns", "upload-scans", missing, "--scan", scan)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: scans not taken: no workflow "+missing+" in namespace default (see 'go run ./starter workflows list --all')\n", r.stderr)
	assert.Empty(t, documents(t, gw, missing), "nothing uploaded")
	r = run(t, "fns", "template", missing, "-o", "-")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no template: no workflow "+missing+" in namespace default (see 'go run ./starter workflows list --all')\n", r.stderr)

	done := fnsregistration.WorkflowID("done-" + id)
	startStub(t, c, queue, done, fnsregistration.WorkflowType, fnsregistration.Input{RequestID: "done-" + id})
	waitClosed(t, c, done)
	r = run(t, "fns", "agent-identify", done, "--agent", "19", "--passport-scan", scan)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: identification not taken: "+done+" already ended (COMPLETED, outcome accepted)\n", r.stderr)
	assert.Empty(t, documents(t, gw, done), "nothing uploaded")
}

func TestFNSStepsReportEveryBadFieldAtOnce(t *testing.T) {
	gw, fake := fnsGateway(t)
	closedTemporal(t)
	empty := writeFile(t, t.TempDir(), "empty.jpg", nil)
	invalid(t, []string{
		"--agent: want the agent's id, a positive whole number (see 'go run ./starter fns agents list')",
		"--point: want a positive whole number",
		"--passport-scan #1: cannot read /nonexistent.jpg (no such file or directory)",
		"--passport-scan #2: " + empty + " is empty or not a file",
	}, "fns", "agent-identify", "fns-registration-x", "--point", "-1", "--passport-scan", "/nonexistent.jpg", "--passport-scan", empty)
	invalid(t, []string{"--passport-scan: required: at least one file"}, "fns", "agent-identify", "fns-registration-x", "--agent", "19")
	invalid(t, []string{"--scan: required: at least one file"}, "fns", "upload-scans", "fns-registration-x")
	invalid(t, []string{"--output: want a file name, or - for stdout"}, "fns", "template", "fns-registration-x")
	invalid(t, []string{"--output: want a file name, or - for stdout"}, "fns", "certificate", "fns-registration-x")
	r := run(t, "fns", "template")
	assert.Equal(t, 2, r.code)
	r = run(t, "fns", "nonsense")
	assert.Equal(t, 2, r.code)
	assert.Empty(t, fake.sent())
	assert.Empty(t, documents(t, gw, "fns-registration-x"))
}
