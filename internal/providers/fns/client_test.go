package fns_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/providers/fns"
)

const (
	partnerToken = "10ae0c4cbe22fd6c423b3a058b7cfc3250be6927"
	agentToken   = "844cf3a859e14ec9d9a7534c83f5689ccc5d60e9"
)

var partner = fns.Credentials{Username: "partner", Password: "partner-secret"}

// seen is one request the fake provider received.
type seen struct {
	Method, Path, RawQuery, Auth string
	Body                         []byte
}

// fakeFNS is an httptest server that answers POST /api/rb/auth for the
// accounts in tokens (username → token) and passes every other request to handle.
type fakeFNS struct {
	t      *testing.T
	srv    *httptest.Server
	tokens map[string]string
	handle func(w http.ResponseWriter, r *http.Request, body []byte)

	mu    sync.Mutex
	calls []seen
	auths int
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeFNS {
	t.Helper()
	f := &fakeFNS{t: t, handle: handle, tokens: map[string]string{partner.Username: partnerToken}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFNS) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	require.NoError(f.t, err)
	f.mu.Lock()
	if r.URL.Path == "/api/rb/auth" {
		f.auths++
	} else {
		f.calls = append(f.calls, seen{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), Body: body})
	}
	f.mu.Unlock()
	if r.URL.Path == "/api/rb/auth" && r.Method == http.MethodPost {
		var req struct{ Username, Password string }
		require.NoError(f.t, json.Unmarshal(body, &req))
		if tok, ok := f.tokens[req.Username]; ok && req.Password != "" {
			writeJSON(w, 200, `{"result": {"token": "`+tok+`"}}`)
			return
		}
		writeJSON(w, 400, `{"error": {"non_field_errors": ["Невозможно войти с предоставленными учетными данными."]}}`)
		return
	}
	f.handle(w, r, body)
}

func (f *fakeFNS) Calls() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.calls...)
}

func (f *fakeFNS) Auths() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths
}

func newClient(t *testing.T, baseURL string, mutate ...func(*fns.Config)) *fns.Client {
	t.Helper()
	cfg := fns.Config{BaseURL: baseURL, Partner: partner, Timeout: 2 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := fns.New(cfg)
	require.NoError(t, err)
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// serveFile answers every non-auth request with a testdata file (200), or
// with an error body file (400) when the name starts with "error-".
func serveFile(t *testing.T, name string) *fakeFNS {
	body := testdata(t, name)
	status := 200
	if strings.HasPrefix(name, "error-") {
		status = 400
	}
	return newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { writeJSON(w, status, body) })
}

var consumerJSON = json.RawMessage(`{"last_name":"Иванов","first_name":"Иван","middle_name":"Иванович","gender":"М",
"birthed":"1993-03-21","phone":"79005863454","snils":"12362931139","inn":"312324014516",
"addresses":[{"type":"permanent","region":"18","city":"Ижевск"}],
"identities":[{"type":"internal-passport","series":"1234","number":"567890","issue_code":"362-391","issued_by":"ОВД","issued":"2015-03-12"}]}`)

func TestAuthExample(t *testing.T) {
	f := serveFile(t, "auth.L211.json")
	tok, err := newClient(t, f.srv.URL).Partner().Authenticate(context.Background())
	require.NoError(t, err)
	assert.Equal(t, partnerToken, tok)
}

func TestRegisterSendsConfiguredScenarioAndFields(t *testing.T) {
	for _, tc := range []struct {
		name     string
		scenario int
		want     float64
	}{{"default", 0, 80}, {"configured", 81, 81}} {
		t.Run(tc.name, func(t *testing.T) {
			f := serveFile(t, "workflow-create-80.L391.json")
			c := newClient(t, f.srv.URL, func(cfg *fns.Config) { cfg.Scenarios.Registration = tc.scenario })
			w, err := c.Partner().Register(context.Background(), fns.RegistrationRequest{
				Consumer: consumerJSON, Callback: "https://us.example/cb", ExternalID: "2f973415-4d6b-4541-90c1-010ef6f85455",
				LegalEntity: &fns.LegalEntity{Name: "ООО Три Толстяка", INN: "3123456448"},
			})
			require.NoError(t, err)
			calls := f.Calls()
			require.Len(t, calls, 1)
			assert.Equal(t, "POST", calls[0].Method)
			assert.Equal(t, "/api/rb/workflow", calls[0].Path)
			assert.Equal(t, "token "+partnerToken, calls[0].Auth)
			var sent map[string]any
			require.NoError(t, json.Unmarshal(calls[0].Body, &sent))
			assert.Equal(t, tc.want, sent["scenario"], "scenario is sent as a number")
			assert.Equal(t, "https://us.example/cb", sent["callback"])
			assert.Equal(t, "2f973415-4d6b-4541-90c1-010ef6f85455", sent["external_id"])
			assert.Equal(t, "Ижевск", sent["consumer"].(map[string]any)["addresses"].([]any)[0].(map[string]any)["city"])
			assert.Equal(t, "3123456448", sent["legal_entity"].(map[string]any)["inn"])
			assert.NotContains(t, sent, "entrepreneur")

			assert.EqualValues(t, 2052536, w.ID)
			assert.Equal(t, 80, w.Scenario.ID)
			assert.Equal(t, fns.StateWaitPKCS10, w.State)
			assert.Equal(t, "80668f72-901c-4bdc-809a-2b903a831a42", w.Consumer.ID)
			require.NotNil(t, w.Consumer.Consumer)
			assert.Equal(t, "unvalidated", w.Consumer.Consumer.State)
			assert.Equal(t, "18 Удмуртская Республика", w.Consumer.Consumer.Addresses[0].FullRegion)
			assert.Equal(t, "362-391", w.Consumer.Consumer.Identities[0].IssueCode)
			assert.Equal(t, "2f973415-4d6b-4541-90c1-010ef6f85455", w.ExternalID)
			assert.Equal(t, "Пройдите идентификацию", w.Title)
		})
	}
	t.Run("entrepreneur and legal entity together", func(t *testing.T) {
		c := newClient(t, "https://fns.example")
		_, err := c.Partner().Register(context.Background(), fns.RegistrationRequest{Consumer: consumerJSON,
			Entrepreneur: &fns.Entrepreneur{OGRNIP: "321032700015430"}, LegalEntity: &fns.LegalEntity{}})
		assert.ErrorIs(t, err, fns.ErrInvalidArgument)
	})
}

func TestCreateWorkflowExamples(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, w fns.Workflow)
	}{
		{"workflow-create-84.L457.json", func(t *testing.T, w fns.Workflow) {
			assert.Equal(t, 84, w.Scenario.ID)
			assert.Equal(t, "ed0656e3-b6fe-49c0-828e-6994045b968c", w.Consumer.ID)
			assert.Nil(t, w.Consumer.Consumer, "a UUID string, not an object")
			assert.Equal(t, fns.StateWaitPKCS10, w.State)
		}},
		{"workflow-create-82.L498.json", func(t *testing.T, w fns.Workflow) {
			assert.Equal(t, 82, w.Scenario.ID)
			assert.Equal(t, fns.StateWaitSignature, w.State)
			require.NotEmpty(t, w.Documents)
			assert.True(t, strings.HasPrefix(w.Documents[0].Path, "/api/rb/document/"))
			types := []string{}
			for _, d := range w.Documents {
				types = append(types, d.Type)
			}
			assert.Contains(t, types, "not-rejectable", "type is absent on some items")
		}},
		{"workflow-create-88.L564.json", func(t *testing.T, w fns.Workflow) {
			assert.EqualValues(t, 2053011, w.ID)
			assert.Equal(t, "cac28584-7aa7-49c4-84f4-c0260e98dela", w.ExternalID, "ids that are not valid UUIDs are kept")
			require.Len(t, w.Documents, 2)
			assert.Equal(t, "reg-ip.pdf", w.Documents[1].Title)
		}},
		{"workflow-create-102.L620.json", func(t *testing.T, w fns.Workflow) {
			assert.Equal(t, 102, w.Scenario.ID)
			assert.Equal(t, fns.StateProcessingExternalActivity, w.State)
			require.NotNil(t, w.ExternalActivity)
			assert.NotEmpty(t, w.ExternalActivity.URL)
		}},
		{"workflow-create-134.L657.json", func(t *testing.T, w fns.Workflow) {
			assert.Equal(t, 134, w.Scenario.ID)
			assert.Equal(t, fns.StateActive, w.State)
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := serveFile(t, tc.file)
			w, err := newClient(t, f.srv.URL).Partner().CreateWorkflow(context.Background(), fns.CreateWorkflowRequest{
				Scenario: 82, Consumer: json.RawMessage(`"5f0b66f4-80a6-4228-b3fa-e141a1046798"`),
				Extra: map[string]json.RawMessage{"documents": json.RawMessage(`[{"title":"a.pdf","path":"QQ=="}]`)},
			})
			require.NoError(t, err)
			var sent map[string]any
			require.NoError(t, json.Unmarshal(f.Calls()[0].Body, &sent))
			assert.Equal(t, "5f0b66f4-80a6-4228-b3fa-e141a1046798", sent["consumer"])
			assert.NotNil(t, sent["documents"])
			assert.NotZero(t, w.ID)
			tc.check(t, w)
		})
	}
}

func TestWorkflowFullExamples(t *testing.T) {
	t.Run("identification pending", func(t *testing.T) {
		f := serveFile(t, "workflow-full-identification-pending.L1055.json")
		w, err := newClient(t, f.srv.URL).Partner().GetWorkflowFull(context.Background(), 2086439)
		require.NoError(t, err)
		assert.Equal(t, "/api/rb/workflow/2086439/full", f.Calls()[0].Path)
		assert.Equal(t, fns.TypeIdentification, w.Type)
		assert.Equal(t, fns.StateWaitConsumerIdentification, w.State)
		assert.Equal(t, 80, w.Scenario.ID, "scenario as an object")
		assert.True(t, w.Scenario.CanPersonalIdentification)
		require.NotNil(t, w.Scenario.Company)
		assert.Equal(t, "7721641988", w.Scenario.Company.INN)
		require.NotNil(t, w.Consumer.Consumer, "consumer as an object")
		assert.Equal(t, "ea4ef501-dba2-4b70-b408-c3aa055934df", w.Consumer.ID)
		assert.Equal(t, "Мира, д. 17", w.Consumer.Consumer.Addresses[0].FullStreet)
		require.Len(t, w.AllCertificates(), 1, "a single certificate object")
		assert.Equal(t, fns.CertificateAuth, w.AllCertificates()[0].Type)
		assert.Equal(t, fns.CertificateRequestCreated, w.AllCertificates()[0].State)
		assert.Empty(t, w.ChildIDs())
		_, hasParent := w.ParentID()
		assert.False(t, hasParent)
		assert.Nil(t, w.Agent)
		assert.Empty(t, w.LegalEntity)
	})
	t.Run("identification complete", func(t *testing.T) {
		f := serveFile(t, "workflow-full-identification-complete.L1140.json")
		w, err := newClient(t, f.srv.URL).Partner().GetWorkflowFull(context.Background(), 2086551)
		require.NoError(t, err)
		assert.Equal(t, fns.StateComplete, w.State)
		assert.True(t, w.State.IsFinal())
		assert.Equal(t, []int64{2086552}, w.ChildIDs())
		assert.Equal(t, "identified", w.Consumer.Consumer.State)
		assert.Equal(t, "2022-04-05T13:36:22Z", w.AllCertificates()[0].NotAfter)
		require.NotNil(t, w.Agent)
		assert.Equal(t, "PetrovPP", w.Agent.Username)
		require.NotNil(t, w.Company)
		assert.EqualValues(t, 4322, w.Company.ID)
		require.NotNil(t, w.IdentificationPoint)
		assert.EqualValues(t, 7680, w.IdentificationPoint.ID)
		assert.Equal(t, `Общество с ограниченной ответственностью "Идентификатор"`, w.IdentificationPoint.Name, "trimmed")
		assert.Equal(t, "fns", w.SpaceName)
	})
	t.Run("documents signed", func(t *testing.T) {
		f := serveFile(t, "workflow-full-document-signing.L1241.json")
		w, err := newClient(t, f.srv.URL).Partner().GetWorkflowFull(context.Background(), 2086538)
		require.NoError(t, err)
		assert.Equal(t, fns.TypeDocumentSigning, w.Type)
		assert.Equal(t, 82, w.Scenario.ID)
		assert.Equal(t, []int64{2086541}, w.ChildIDs())
		assert.Equal(t, "", w.Consumer.ID)
	})
}

func TestIdentificationSearchExamples(t *testing.T) {
	agent := fns.Credentials{Username: "agent_ivanov", Token: agentToken}
	for _, tc := range []struct {
		file     string
		state    fns.State
		children []int64
	}{
		{"identification-search-wait-pkcs10.L887.json", fns.StateWaitPKCS10, nil},
		{"identification-search-wait-consumer-identification.L939.json", fns.StateWaitConsumerIdentification, nil},
		{"identification-search-complete.L988.json", fns.StateComplete, []int64{2053243}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := serveFile(t, tc.file)
			w, err := newClient(t, f.srv.URL).As(agent).SearchIdentification(context.Background(), fns.IdentificationSearchConsumer{
				Phone: "79006771313", Identities: []fns.Identity{{Type: "internal-passport", Series: "8989", Number: "302919"}},
			})
			require.NoError(t, err)
			call := f.Calls()[0]
			assert.Equal(t, "/api/rb/workflow/identification/search/", call.Path)
			assert.Equal(t, "token "+agentToken, call.Auth, "under the agent's account")
			assert.JSONEq(t, `{"consumer":{"phone":"79006771313","identities":[{"type":"internal-passport","series":"8989","number":"302919"}]}}`, string(call.Body))
			assert.EqualValues(t, 2053242, w.ID)
			assert.Equal(t, tc.state, w.State)
			assert.Equal(t, tc.children, w.ChildIDs())
			require.NotNil(t, w.Consumer.Consumer)
			assert.Equal(t, "15822838450", w.Consumer.Consumer.SNILS)
		})
	}
	t.Run("not found", func(t *testing.T) {
		f := serveFile(t, "error-identification-search-not-found.L1023.json")
		_, err := newClient(t, f.srv.URL).As(agent).SearchIdentification(context.Background(),
			fns.IdentificationSearchConsumer{Phone: "79006771313", SNILS: "15822838450"})
		require.Error(t, err)
		assert.True(t, fns.IsNotFound(err))
		assert.False(t, fns.IsRetryable(err))
		assert.Equal(t, []fns.FieldError{{Field: "", Message: "Поток работ не найден"}}, fns.FieldErrors(err))
	})
}

func TestConfirmationDocumentExamples(t *testing.T) {
	f := serveFile(t, "confirmation-document-list.L1274.json")
	docs, err := newClient(t, f.srv.URL).Partner().ConfirmationDocuments(context.Background(), 2086439)
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/workflow/2086439/confirmation-document", f.Calls()[0].Path)
	require.Len(t, docs, 1)
	assert.EqualValues(t, 99801, docs[0].ID)
	assert.Equal(t, "Скан паспорта", docs[0].DocumentTitle)
	assert.Equal(t, "created", docs[0].State)
	assert.Equal(t, "/api/rb/confirmation-document/639880/template", docs[0].TemplateURL)
	assert.Empty(t, docs[0].Path)

	f = serveFile(t, "confirmation-document-put.L1328.json")
	d, err := newClient(t, f.srv.URL).Partner().UploadConfirmationDocument(context.Background(), 99836, "паспорт.pdf", []byte("%PDF-1.4"))
	require.NoError(t, err)
	call := f.Calls()[0]
	assert.Equal(t, "PUT", call.Method)
	assert.Equal(t, "/api/rb/confirmation-document/99836", call.Path)
	assert.JSONEq(t, `{"title":"паспорт.pdf","path":"`+base64.StdEncoding.EncodeToString([]byte("%PDF-1.4"))+`"}`, string(call.Body))
	assert.EqualValues(t, 99836, d.ID)
	assert.Equal(t, "Паспорт (2,3 страницы)", d.DocumentTitle)
	assert.Equal(t, "received", d.State, "lifted from the nested document")
	assert.Equal(t, "/api/rb/confirmation-document/99836/path/паспорт.pdf", d.Path)
}

func TestStateChangeExamples(t *testing.T) {
	for _, tc := range []struct {
		file   string
		change fns.StateChange
		typ    fns.WorkflowType
		state  fns.State
	}{
		{"workflow-state-identify.L1381.json", fns.StateChange{Command: fns.CommandIdentify}, fns.TypeIdentification, fns.StateCertificateIssue},
		{"workflow-state-identify-technical.L1413.json", fns.StateChange{Command: fns.CommandIdentify, IdpInfo: "ООО Партнёры",
			AgentInfo: "Иванов Иван Иванович", AgentExternalData: "015287"}, fns.TypeIdentification, fns.StateCertificateIssue},
		{"workflow-state-scan-confirm-received.L1443.json", fns.StateChange{Command: fns.CommandScanConfirmReceived}, fns.TypeCertificateIssuing, fns.StateComplete},
		{"workflow-state-complete-external-activity.L1468.json", fns.StateChange{Command: fns.CommandCompleteExternalActivity}, fns.TypeExternalActivity, fns.StateComplete},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := serveFile(t, tc.file)
			res, err := newClient(t, f.srv.URL).Partner().ChangeState(context.Background(), 2086439, tc.change)
			require.NoError(t, err)
			call := f.Calls()[0]
			assert.Equal(t, "PUT", call.Method)
			assert.Equal(t, "/api/rb/workflow/2086439/state", call.Path)
			var sent map[string]any
			require.NoError(t, json.Unmarshal(call.Body, &sent))
			assert.Equal(t, string(tc.change.Command), sent["state"], "commands keep underscores")
			assert.Equal(t, tc.typ, res.Type)
			assert.Equal(t, tc.state, res.State)
			if tc.change.IdpInfo != "" {
				assert.Equal(t, "ООО Партнёры", res.IdpInfo)
				assert.Equal(t, "015287", res.AgentExternalData)
			}
		})
	}
	_, err := newClient(t, "https://fns.example").Partner().ChangeState(context.Background(), 1, fns.StateChange{Command: "complete"})
	assert.ErrorIs(t, err, fns.ErrInvalidArgument)
}

func TestDocumentScanExamples(t *testing.T) {
	f := serveFile(t, "document-scan-list.L1504.json")
	scans, err := newClient(t, f.srv.URL).Partner().DocumentScans(context.Background(), 2093474)
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/workflow/2093474/document-scan", f.Calls()[0].Path)
	require.Len(t, scans.Scans, 2)
	assert.Empty(t, scans.Scans[0].TemplateURL)
	assert.Equal(t, "/api/rb/document-scan/639673/template", scans.Scans[1].TemplateURL)
	assert.Equal(t, fns.IDList{2093473}, scans.ParentID)
	assert.Empty(t, scans.ChildID)
	assert.Equal(t, "0628104f-f033-4ebb-873e-3e0e025c70e", scans.ConsumerID)

	f = serveFile(t, "document-scan-put.L1559.json")
	s, err := newClient(t, f.srv.URL).Partner().UploadDocumentScan(context.Background(), 639880, "Cert.jpg", []byte{0xff, 0xd8})
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/document-scan/639880", f.Calls()[0].Path)
	assert.JSONEq(t, `{"title":"Cert.jpg","path":"/9g="}`, string(f.Calls()[0].Body))
	assert.Equal(t, "Cert.jpg", s.Title)
	assert.Equal(t, "/api/rb/document-scan/639880/path/document-639880.jpg", s.Path)
}

func TestUploadCertificate204(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	err := newClient(t, f.srv.URL).Partner().UploadCertificate(context.Background(), 2093474, []byte("cert"))
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/workflow/2093474/certificate", f.Calls()[0].Path)
	assert.JSONEq(t, `{"certificate":"Y2VydA=="}`, string(f.Calls()[0].Body))
}

func TestConsumerSearchExamples(t *testing.T) {
	query := fns.ConsumerSearch{LastName: "Тестовый", FirstName: "Тест", MiddleName: "Тестович", Phone: "79005863454"}
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, cs []fns.Consumer)
	}{
		{"consumer-search-empty.L1664.json", func(t *testing.T, cs []fns.Consumer) { assert.Empty(t, cs) }},
		{"consumer-search-unvalidated.L1695.json", func(t *testing.T, cs []fns.Consumer) {
			require.Len(t, cs, 1)
			assert.Equal(t, fns.ConsumerUnvalidated, cs[0].State)
			assert.Empty(t, cs[0].Certificates)
		}},
		{"consumer-search-identified-sign-unconfirmed.L1770.json", func(t *testing.T, cs []fns.Consumer) {
			require.Len(t, cs, 1)
			assert.Equal(t, "Тестовый", cs[0].LastName, "names trimmed")
			assert.Equal(t, fns.ConsumerIdentified, cs[0].State)
			sign, ok := cs[0].SignCertificate()
			require.True(t, ok)
			assert.False(t, sign.IsConfirmed)
			require.NotNil(t, cs[0].IdentificationPoint)
			assert.EqualValues(t, 7214, cs[0].IdentificationPoint.ID)
		}},
		{"consumer-search-identified-sign-confirmed.L1935.json", func(t *testing.T, cs []fns.Consumer) {
			require.Len(t, cs, 1)
			require.Len(t, cs[0].Certificates, 2)
			sign, ok := cs[0].SignCertificate()
			require.True(t, ok)
			assert.True(t, sign.IsConfirmed)
			assert.Equal(t, "/api/rb/certificate/532407/certificate_file", sign.CertificateLink)
			assert.Equal(t, fns.CertificateAuth, cs[0].Certificates[1].Type)
		}},
		{"consumer-search.L2101.json", func(t *testing.T, cs []fns.Consumer) {
			require.Len(t, cs, 1)
			assert.Equal(t, fns.ConsumerTemporarily, cs[0].State)
		}},
		{"consumer-search-blocked.L2168.json", func(t *testing.T, cs []fns.Consumer) {
			require.Len(t, cs, 1)
			assert.Equal(t, fns.ConsumerBlocked, cs[0].State)
			assert.Empty(t, cs[0].LegalEntities)
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := serveFile(t, tc.file)
			cs, err := newClient(t, f.srv.URL).Partner().SearchConsumers(context.Background(), query)
			require.NoError(t, err)
			assert.Equal(t, "/api/rb/consumer/search", f.Calls()[0].Path)
			tc.check(t, cs)
		})
	}
}

func TestWorkflowSearchAndRemoveExamples(t *testing.T) {
	f := serveFile(t, "workflow-search.L2235.json")
	ws, err := newClient(t, f.srv.URL).Partner().SearchWorkflows(context.Background(),
		[]string{"c67c6ca4-44de-432e-8b9d-5b94fa861d4f", "6e408708-f912-4af5-bf7d-1efeb0a64cf8"}, "identification")
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/workflow", f.Calls()[0].Path)
	assert.Equal(t, "consumer=c67c6ca4-44de-432e-8b9d-5b94fa861d4f%2C6e408708-f912-4af5-bf7d-1efeb0a64cf8&type=identification", f.Calls()[0].RawQuery)
	require.Len(t, ws, 2)
	assert.EqualValues(t, 38285, ws[0].ID)
	assert.Equal(t, 1, ws[0].Scenario.ID)
	assert.Equal(t, "Получите сертификат TLS", ws[0].Scenario.Title)
	assert.Equal(t, "c67c6ca4-44de-432e-8b9d-5b94fa861d4f", ws[0].Consumer.ID)
	assert.Empty(t, ws[0].AllCertificates())

	f = serveFile(t, "workflow-remove.L2362.json")
	res, err := newClient(t, f.srv.URL).Partner().RemoveWorkflows(context.Background(), []int64{38195, 38201, 38202})
	require.NoError(t, err)
	assert.Equal(t, "PUT", f.Calls()[0].Method)
	assert.JSONEq(t, `{"workflow_id_list":[38195,38201,38202]}`, string(f.Calls()[0].Body))
	assert.Equal(t, []int64{38195, 38201}, res.SuccessIDList)
	assert.Equal(t, []int64{38202}, res.ErrorIDList)
}

func TestWorkflowSearchFollowsNext(t *testing.T) {
	var base string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Query().Get("page") == "2" {
			writeJSON(w, 200, `{"result":{"count":2,"next":null,"results":[{"id":2,"type":"certificate_issuing"}]}}`)
			return
		}
		writeJSON(w, 200, `{"result":{"count":2,"next":"`+base+`/api/rb/workflow?page=2","results":[{"id":1}]}}`)
	})
	base = f.srv.URL
	ws, err := newClient(t, f.srv.URL).Partner().SearchWorkflows(context.Background(), nil, "")
	require.NoError(t, err)
	require.Len(t, ws, 2)
	assert.Equal(t, fns.TypeCertificateIssuing, ws[1].Type, "underscores normalised")
	for _, c := range f.Calls() {
		assert.Equal(t, "token "+partnerToken, c.Auth)
	}
}

func TestAgentExamples(t *testing.T) {
	f := serveFile(t, "staff-agent-create.L2489.json")
	c := newClient(t, f.srv.URL)
	a, err := c.Partner().CreateAgent(context.Background(), fns.AgentRequest{Username: "agent_ivanov", Password: "123456qwerty",
		Company: 1, Permissions: []string{fns.PermissionConsumerIdentify}, IdentificationPoints: []int64{1, 4}})
	require.NoError(t, err)
	assert.EqualValues(t, 19, a.ID)
	assert.Equal(t, agentToken, a.Token)
	require.NotNil(t, a.Company)
	assert.EqualValues(t, 1, a.Company.ID, "company as a bare id")
	require.Len(t, a.IdentificationPoints, 2)
	assert.EqualValues(t, 4, a.IdentificationPoints[1].ID, "points as bare ids")
	assert.Equal(t, fns.Credentials{Username: "agent_ivanov", Token: agentToken}, a.Credentials())

	f = serveFile(t, "staff-agent-update.L2535.json")
	a, err = newClient(t, f.srv.URL).Partner().BlockAgent(context.Background(), 19,
		fns.AgentUpdate{Username: "agent_ivanov", Password: "123456qwertyX", FirstName: "Иван"})
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/staff/agent/19", f.Calls()[0].Path)
	assert.JSONEq(t, `{"username":"agent_ivanov","password":"123456qwertyX","first_name":"Иван","is_active":false}`, string(f.Calls()[0].Body))
	require.NotNil(t, a.IsActive)
	assert.True(t, *a.IsActive, "the document's example answers true to a block request (L2552)")

	f = serveFile(t, "staff-agent-list.L2566.json")
	as, err := newClient(t, f.srv.URL).Partner().ListAgents(context.Background())
	require.NoError(t, err)
	require.Len(t, as, 1)
	assert.Equal(t, "Заказчик", as[0].Company.Name)
	assert.Equal(t, "Пункт идентификации 1", as[0].IdentificationPoints[0].Name)
	assert.True(t, *as[0].IsActive)
}

func TestErrorExamples(t *testing.T) {
	for _, tc := range []struct {
		file     string
		fields   []fns.FieldError
		blocked  bool
		notFound bool
	}{
		{"error-workflow-create-required.L678.json", []fns.FieldError{
			{Field: "consumer.addresses[0].city", Message: fns.TextFieldRequired},
			{Field: "consumer.birthed", Message: fns.TextFieldRequired},
			{Field: "consumer.identities[0].issued", Message: fns.TextFieldRequired},
		}, false, false},
		{"error-workflow-create-checksum.L714.json", []fns.FieldError{
			{Field: "consumer.inn", Message: fns.TextInvalidINNFormat},
			{Field: "consumer.snils", Message: fns.TextInvalidSNILSFormat},
		}, false, false},
		{"error-workflow-create-blocked.L733.json", []fns.FieldError{
			{Field: "consumer", Message: "Данный клиент заблокирован. Выполнение операции невозможно"},
		}, true, false},
		{"error-workflow-fns-not-found.L830.json", []fns.FieldError{
			{Field: "", Message: "Клиент с такими данными не найден"},
		}, false, true},
		{"error-identification-search-not-found.L1023.json", []fns.FieldError{
			{Field: "", Message: "Поток работ не найден"},
		}, false, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := serveFile(t, tc.file)
			_, err := newClient(t, f.srv.URL).Partner().Register(context.Background(), fns.RegistrationRequest{Consumer: consumerJSON})
			require.Error(t, err)
			var e *fns.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 400, e.StatusCode)
			assert.Equal(t, tc.fields, fns.FieldErrors(err))
			assert.Equal(t, tc.blocked, fns.IsBlocked(err))
			assert.Equal(t, tc.blocked, errors.Is(err, fns.ErrBlocked))
			assert.Equal(t, tc.notFound, fns.IsNotFound(err))
			assert.False(t, fns.IsRetryable(err))
			for _, fe := range tc.fields {
				assert.Contains(t, err.Error(), fe.String())
			}
			for _, pd := range []string{"12362931139", "312324014516", "79005863454", "Иванович", "567890"} {
				assert.NotContains(t, err.Error(), pd, "no request data in errors")
			}
		})
	}
}

func TestRetryableClassification(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
	}{{500, true}, {502, true}, {503, true}, {429, true}, {400, false}, {403, false}, {404, false}} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
				writeJSON(w, tc.status, `<html>oops</html>`)
			})
			_, err := newClient(t, f.srv.URL).Partner().GetWorkflowFull(context.Background(), 1)
			require.Error(t, err)
			assert.Equal(t, tc.retryable, fns.IsRetryable(err))
			assert.Equal(t, tc.status == 404, fns.IsNotFound(err))
			assert.Contains(t, err.Error(), fmt.Sprintf("HTTP %d", tc.status))
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := newClient(t, url, func(cfg *fns.Config) { cfg.Auth = fns.AuthBasic })
		_, err := c.Partner().GetWorkflowFull(context.Background(), 1)
		require.Error(t, err)
		assert.True(t, fns.IsRetryable(err))
		assert.NotContains(t, err.Error(), "partner-secret")
	})
	t.Run("2xx with a broken body", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { writeJSON(w, 200, `{"result": {`) })
		_, err := newClient(t, f.srv.URL).Partner().GetWorkflowFull(context.Background(), 1)
		assert.True(t, fns.IsRetryable(err))
	})
}

func TestTokenReauthenticatesOnceOn401(t *testing.T) {
	var mu sync.Mutex
	valid := "stale-token"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		mu.Lock()
		ok := r.Header.Get("Authorization") == "token "+valid
		mu.Unlock()
		if !ok {
			writeJSON(w, 401, `{"detail": "Недопустимый токен."}`)
			return
		}
		writeJSON(w, 200, testdata(t, "workflow-full-document-signing.L1241.json"))
	})
	c := newClient(t, f.srv.URL)
	s := c.Partner()
	// The first call authenticates and gets partnerToken, which the server does not accept yet.
	mu.Lock()
	valid = partnerToken
	mu.Unlock()
	_, err := s.GetWorkflowFull(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 1, f.Auths())

	// The token goes stale: one 401, one re-authentication, one repetition.
	f.tokens[partner.Username] = "fresh-token"
	mu.Lock()
	valid = "fresh-token"
	mu.Unlock()
	_, err = s.GetWorkflowFull(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, 2, f.Auths())
	calls := f.Calls()
	require.Len(t, calls, 3)
	assert.Equal(t, "token "+partnerToken, calls[1].Auth)
	assert.Equal(t, "token fresh-token", calls[2].Auth)

	// A second 401 after the re-authentication is final.
	mu.Lock()
	valid = "never"
	mu.Unlock()
	f.tokens[partner.Username] = "another-token"
	_, err = s.GetWorkflowFull(context.Background(), 1)
	require.Error(t, err)
	assert.True(t, fns.IsUnauthorized(err))
	assert.False(t, fns.IsRetryable(err))
	assert.Equal(t, 3, f.Auths(), "re-authenticated once, not twice")
	assert.Len(t, f.Calls(), 5, "the call was repeated once")
	assert.Contains(t, err.Error(), "Недопустимый токен.")
}

func TestBadPasswordIsUnauthorized(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { t.Error("no call without a token") })
	c := newClient(t, f.srv.URL, func(cfg *fns.Config) { cfg.Partner = fns.Credentials{Username: "nobody", Password: "x"} })
	_, err := c.Partner().GetWorkflowFull(context.Background(), 1)
	require.Error(t, err)
	assert.True(t, fns.IsUnauthorized(err))
	assert.False(t, fns.IsRetryable(err))
	assert.NotContains(t, err.Error(), `"x"`)
}

func TestBasicModeSendsCredentialsOnEveryCall(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		u, p, ok := r.BasicAuth()
		if !ok || u != partner.Username || p != partner.Password {
			writeJSON(w, 401, `{"detail":"no"}`)
			return
		}
		writeJSON(w, 200, testdata(t, "workflow-full-document-signing.L1241.json"))
	})
	c := newClient(t, f.srv.URL, func(cfg *fns.Config) { cfg.Auth = fns.AuthBasic })
	for range 3 {
		_, err := c.Partner().GetWorkflowFull(context.Background(), 2086538)
		require.NoError(t, err)
	}
	assert.Equal(t, 0, f.Auths(), "basic mode never calls /api/rb/auth")
	require.Len(t, f.Calls(), 3)
	for _, call := range f.Calls() {
		assert.True(t, strings.HasPrefix(call.Auth, "Basic "))
	}
	// A 401 in basic mode is final and not repeated.
	_, err := c.As(fns.Credentials{Username: "partner", Password: "wrong"}).GetWorkflowFull(context.Background(), 1)
	assert.True(t, fns.IsUnauthorized(err))
	assert.Len(t, f.Calls(), 4)
}

func TestAgentAndPartnerCredentialsKeptApart(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, 200, testdata(t, "identification-search-wait-consumer-identification.L939.json"))
	})
	f.tokens["agent_petrov"] = "petrov-token"
	c := newClient(t, f.srv.URL)
	ivanov := c.As(fns.Credentials{Username: "agent_ivanov", Token: agentToken}) // token from CreateAgent
	petrov := c.As(fns.Credentials{Username: "agent_petrov", Password: "pw"})    // logs in itself
	search := fns.IdentificationSearchConsumer{Phone: "79006771313", SNILS: "15822838450"}
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := ivanov.SearchIdentification(ctx, search)
			assert.NoError(t, err)
			_, err = petrov.SearchIdentification(ctx, search)
			assert.NoError(t, err)
			_, err = c.Partner().GetWorkflowFull(ctx, 1)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	counts := map[string]int{}
	for _, call := range f.Calls() {
		switch call.Path {
		case "/api/rb/workflow/identification/search/":
			assert.Contains(t, []string{"token " + agentToken, "token petrov-token"}, call.Auth)
		default:
			assert.Equal(t, "token "+partnerToken, call.Auth)
		}
		counts[call.Auth]++
	}
	assert.Equal(t, map[string]int{"token " + agentToken: 5, "token petrov-token": 5, "token " + partnerToken: 5}, counts)
	assert.Equal(t, 2, f.Auths(), "one login per credential (partner, petrov); the agent's token is used as given")
}

func TestFetchResolvesLinksWithSameCredentials(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = io.WriteString(w, "PDF:"+r.URL.Path)
	})
	c := newClient(t, f.srv.URL)
	agent := c.As(fns.Credentials{Username: "agent_ivanov", Token: agentToken})
	body, ct, err := agent.Fetch(context.Background(), "/api/rb/document/429048/path/%D0%BB%D0%B8%D1%81%D1%82.txt")
	require.NoError(t, err)
	assert.Equal(t, "application/pdf", ct)
	assert.Equal(t, "PDF:/api/rb/document/429048/path/лист.txt", string(body))
	call := f.Calls()[0]
	assert.Equal(t, "GET", call.Method)
	assert.Equal(t, "/api/rb/document/429048/path/%D0%BB%D0%B8%D1%81%D1%82.txt", call.Path)
	assert.Equal(t, "token "+agentToken, call.Auth, "fetched under the same credentials")

	_, _, err = c.Partner().Fetch(context.Background(), "/api/rb/confirmation-document/99836/path/паспорт.pdf")
	require.NoError(t, err)
	assert.Equal(t, "/api/rb/confirmation-document/99836/path/%D0%BF%D0%B0%D1%81%D0%BF%D0%BE%D1%80%D1%82.pdf", f.Calls()[1].Path)
	assert.Equal(t, "token "+partnerToken, f.Calls()[1].Auth)

	_, _, err = c.Partner().Fetch(context.Background(), "https://elsewhere.example/api/rb/certificate/1/certificate_file")
	assert.ErrorIs(t, err, fns.ErrInvalidArgument, "no credentials to another host")
	assert.Len(t, f.Calls(), 2)
}

func TestResolveLink(t *testing.T) {
	c := newClient(t, "https://fns.example/prefix/")
	for link, want := range map[string]string{
		"/api/rb/certificate/532407/certificate_file":        "https://fns.example/prefix/api/rb/certificate/532407/certificate_file",
		"api/rb/document-scan/639673/template":               "https://fns.example/prefix/api/rb/document-scan/639673/template",
		"/prefix/api/rb/document/1/signature/VIY52ZGQ.p7s":   "https://fns.example/prefix/api/rb/document/1/signature/VIY52ZGQ.p7s",
		"/api/rb/document/1/path/a%2Fb.pdf":                  "https://fns.example/prefix/api/rb/document/1/path/a%2Fb.pdf",
		"https://fns.example/prefix/api/rb/workflow?page=2":  "https://fns.example/prefix/api/rb/workflow?page=2",
		"/api/rb/confirmation-document/639880/template-tex ": "https://fns.example/prefix/api/rb/confirmation-document/639880/template-tex",
	} {
		u, err := c.ResolveLink(link)
		require.NoError(t, err, link)
		assert.Equal(t, want, u.String(), link)
	}
	for _, bad := range []string{"", "http://fns.example/api/rb/x", "https://evil.example/api/rb/x"} {
		_, err := c.ResolveLink(bad)
		assert.ErrorIs(t, err, fns.ErrInvalidArgument, bad)
	}
}

func TestNameNormalisation(t *testing.T) {
	assert.Equal(t, "certificate-issuing", fns.NormalizeName(" certificate_issuing "))
	assert.Equal(t, "wait-consumer-identification", fns.NormalizeName("wait_consumer_identification"))
	var w struct {
		Type  fns.WorkflowType `json:"type"`
		State fns.State        `json:"state"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"type":"tls_certificate_reissuing","state":"wait_certificate_receive"}`), &w))
	assert.Equal(t, fns.TypeTLSCertificateReissuing, w.Type)
	assert.Equal(t, fns.StateWaitCertificateReceive, w.State)
	require.NoError(t, json.Unmarshal([]byte(`{"type":"document-signing","state":"sign-rejected"}`), &w))
	assert.Equal(t, fns.TypeDocumentSigning, w.Type)
	assert.Equal(t, fns.StateSignRejected, w.State)
	assert.False(t, w.State.IsFinal())
}

func TestPolymorphicFields(t *testing.T) {
	var w fns.Workflow
	require.NoError(t, json.Unmarshal([]byte(`{"id":"7","scenario":"84","consumer":"u-1","child_id":10911,"parent_id":10909,
		"certificates":[{"id":1,"type":"sign"}],"certificate":{"id":2,"type":"auth"},"unknown":{"x":[1]},"group":{"id":1}}`), &w))
	assert.EqualValues(t, 7, w.ID)
	assert.Equal(t, 84, w.Scenario.ID)
	assert.Equal(t, "u-1", w.Consumer.ID)
	assert.Equal(t, []int64{10911}, w.ChildIDs())
	p, ok := w.ParentID()
	assert.True(t, ok)
	assert.EqualValues(t, 10909, p)
	assert.Len(t, w.AllCertificates(), 2)

	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"child_id":null,"children":[3,4],"scenario":null,"consumer":null}`), &w))
	assert.Equal(t, []int64{3, 4}, w.ChildIDs())
}

func TestCredentialsRedacted(t *testing.T) {
	cred := fns.Credentials{Username: "agent", Password: "p4ss", Token: "t0k"}
	for _, s := range []string{fmt.Sprint(cred), fmt.Sprintf("%#v", cred), fmt.Sprintf("%+v", cred)} {
		assert.NotContains(t, s, "p4ss")
		assert.NotContains(t, s, "t0k")
	}
}

func TestNewRejectsPlainHTTP(t *testing.T) {
	_, err := fns.New(fns.Config{BaseURL: "http://fns.example"})
	assert.Error(t, err)
	_, err = fns.New(fns.Config{BaseURL: "https://fns.example", Auth: "digest"})
	assert.Error(t, err)
	c, err := fns.New(fns.Config{BaseURL: "https://fns.example"})
	require.NoError(t, err)
	assert.Equal(t, fns.DefaultScenarios(), c.Scenarios())
}

func TestGivenTokenWithoutPasswordIsNotRenewed(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeJSON(w, 401, `{"detail":"Недопустимый токен."}`)
	})
	_, err := newClient(t, f.srv.URL).As(fns.Credentials{Username: "agent_ivanov", Token: agentToken}).
		SearchIdentification(context.Background(), fns.IdentificationSearchConsumer{Phone: "79006771313", SNILS: "15822838450"})
	require.Error(t, err)
	assert.True(t, fns.IsUnauthorized(err))
	assert.Equal(t, 0, f.Auths())
	assert.Len(t, f.Calls(), 1)
}
