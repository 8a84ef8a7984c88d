package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"idflow/internal/pii"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnssigning"
	"idflow/workflows/process"
)

func fnsPerson() pii.FNSRegistration {
	return pii.FNSRegistration{Consumer: pii.FNSConsumer{
		LastName: "Иванов", FirstName: "Иван", MiddleName: "Иванович", Gender: "М", Birthed: "1990-01-01",
		SNILS: "12362931139", INN: "312324014516", Phone: "79001234567",
		Addresses: []pii.FNSAddress{{Type: "permanent", Index: "426000", Region: "18", City: "Ижевск", Street: "Пушкинская", House: "1"}},
		Identities: []pii.FNSIdentity{{Type: "internal-passport", Series: "9400", Number: "123456", IssueCode: "180-001",
			IssuedBy: "МВД по Удмуртской Республике", Issued: "2010-01-01"}},
	}}
}

func (s *system) fnsStatus(t require.TestingT, workflowID string) fnsregistration.Status {
	helper(t)
	v, err := s.client.QueryWorkflow(context.Background(), workflowID, "", process.StatusQuery)
	require.NoError(t, err)
	var st fnsregistration.Status
	require.NoError(t, v.Get(&st))
	return st
}

func (s *system) awaitFNSStage(t *testing.T, workflowID, stage string) fnsregistration.Status {
	t.Helper()
	var st fnsregistration.Status
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st = s.fnsStatus(c, workflowID)
		assert.Equal(c, stage, st.Stage, "status: %+v", st)
	}, 90*time.Second, 200*time.Millisecond)
	return st
}

func (s *system) fnsUpdate(t *testing.T, workflowID, name string, arg any) fnsregistration.StepResult {
	t.Helper()
	handle, err := s.client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{WorkflowID: workflowID,
		UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg}})
	require.NoError(t, err)
	var res fnsregistration.StepResult
	require.NoError(t, handle.Get(context.Background(), &res))
	return res
}

// newFNSAgent creates an identification agent through the gateway, as an
// operator does: the worker creates it at the FNS sandbox under the partner
// account and keeps its token.
func (s *system) newFNSAgent(t *testing.T) string {
	t.Helper()
	body := []byte(`{"username":"agent_e2e","password":"123456qwerty","last_name":"Агентов","first_name":"Агент",
		"middle_name":"Агентович","phone":"79012345678","unstructured_identity":"4500 023 Выдан ПВД ОВД 12.05.2011",
		"snils":"11223344595","position":"оператор","company":1,"permissions":["consumer_identify"],"identification_points":[1]}`)
	status, answer := s.api(t, http.MethodPost, "/v1/fns/agents", "application/json", body)
	require.Equal(t, http.StatusCreated, status, "%s", answer)
	assert.NotContains(t, string(answer), "123456qwerty", "the password is never answered")
	var agent struct{ ID string }
	require.NoError(t, json.Unmarshal(answer, &agent))
	return agent.ID
}

// registerFNSPerson takes fnsPerson through the FNS sandbox to an issued
// КЭП: the app, the agent's identification, the child certificate
// issuance, the scans.
func (sys *system) registerFNSPerson(t *testing.T, requestID string) (client.WorkflowRun, fnsregistration.Status) {
	t.Helper()
	body, err := json.Marshal(fnsPerson())
	require.NoError(t, err)
	regDoc := sys.putDocument(t, "registration.json", fnsregistration.RegistrationMediaType, body)
	run, err := sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: fnsregistration.WorkflowID(requestID), TaskQueue: "idflow-e2e",
		TypedSearchAttributes: fnsregistration.StartSearchAttributes(),
	}, fnsregistration.WorkflowType, fnsregistration.Input{RequestID: requestID, RegistrationDocumentID: regDoc,
		PollInitial: time.Second, PollMax: 2 * time.Second})
	require.NoError(t, err)

	st := sys.awaitFNSStage(t, run.GetID(), fnsregistration.StageAwaitingAgent)
	require.Len(t, st.Waiting, 1)
	assert.Equal(t, process.FromAgent, st.Waiting[0].From)
	agentID := sys.newFNSAgent(t)
	passport := sys.putDocument(t, "паспорт.jpg", "image/jpeg", []byte("\xff\xd8 passport scan"))
	res := sys.fnsUpdate(t, run.GetID(), fnsregistration.AgentIdentifyUpdate,
		fnsregistration.AgentIdentifyRequest{AgentID: agentID, PassportScanDocumentIDs: []string{passport}})
	assert.Equal(t, "certificate-issue", res.State)
	sys.uploadFNSScans(t, run.GetID())

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out fnsregistration.Status
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, process.OutcomeAccepted, out.Outcome, "%+v", out)
	return run, out
}

// uploadFNSScans waits for the certificate's scans and sends them.
func (sys *system) uploadFNSScans(t *testing.T, workflowID string) {
	t.Helper()
	sys.awaitFNSStage(t, workflowID, fnsregistration.StageAwaitingScans)
	photo := sys.putDocument(t, "photo.jpg", "image/jpeg", []byte("\xff\xd8 photo with the form"))
	form := sys.putDocument(t, "form.jpg", "image/jpeg", []byte("\xff\xd8 signed form"))
	sys.fnsUpdate(t, workflowID, fnsregistration.UploadScansUpdate, fnsregistration.UploadScansRequest{ScanDocumentIDs: []string{photo, form}})
}

// TestFNSRegistrationEndToEnd: the real worker takes a person through the
// FNS sandbox over HTTP — the app, the agent's identification, the child
// certificate issuance, the scans — to an issued КЭП in the document store,
// following FNS's callbacks through the gateway and /full.
func TestFNSRegistrationEndToEnd(t *testing.T) {
	sys := startSystem(t, nil)
	run, out := sys.registerFNSPerson(t, "e2e-1")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	assert.NotZero(t, out.FNSWorkflowID)
	assert.NotZero(t, out.CertificateWorkflowID)
	assert.Positive(t, out.Callbacks, "FNS's callbacks reached the workflow through the gateway")
	require.NotNil(t, out.Certificate)

	pemBytes := sys.getDocument(t, out.Certificate.DocumentID)
	block, _ := pem.Decode(pemBytes)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Equal(t, out.Certificate.NotAfter.Unix(), cert.NotAfter.Unix())
	assert.Contains(t, cert.Subject.CommonName, "Иванов", "the КЭП names the person")

	h := sys.history(t, run.GetID())
	sys.requireSummaries(t, h)
	requireStartedAtFirstStage(t, h, fnsregistration.StageChecking)
	recordHistory(t, h, "fns-registration-accepted")

	// The registered person signs two documents; they come back with
	// detached CMS signatures that verify over the exact bytes.
	require.NotEmpty(t, out.ConsumerID)
	contents := map[string][]byte{"Заявление.txt": []byte("Прошу выпустить КЭП."), "contract.pdf": []byte("%PDF-1.7 contract")}
	var docIDs []string
	for _, title := range []string{"Заявление.txt", "contract.pdf"} {
		docIDs = append(docIDs, sys.putDocument(t, title, "application/octet-stream", contents[title]))
	}
	signRun, err := sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: fnssigning.WorkflowID("e2e-sign-1"), TaskQueue: "idflow-e2e",
		TypedSearchAttributes: fnssigning.StartSearchAttributes(),
	}, fnssigning.WorkflowType, fnssigning.Input{RequestID: "e2e-sign-1", ConsumerID: out.ConsumerID, DocumentIDs: docIDs,
		PollInitial: time.Second, PollMax: 2 * time.Second})
	require.NoError(t, err)
	var signed fnssigning.Status
	require.NoError(t, signRun.Get(ctx, &signed))
	require.Equal(t, process.OutcomeAccepted, signed.Outcome, "%+v", signed)
	require.Len(t, signed.Documents, 2)
	for _, d := range signed.Documents {
		content := sys.getDocument(t, d.SignedDocumentID)
		assert.Equal(t, contents[d.Title], content, "the signed document is the document sent (%s)", d.Title)
		p7, err := pkcs7.Parse(sys.getDocument(t, d.SignatureID))
		require.NoError(t, err)
		p7.Content = content
		assert.NoError(t, p7.Verify(), "the .p7s verifies over %s", d.Title)
	}
	require.NotNil(t, signed.Signer)
	assert.Equal(t, out.Certificate.Serial, signed.Signer.Serial, "signed with the certificate issued at registration")
	sh := sys.history(t, signRun.GetID())
	sys.requireSummaries(t, sh)
	recordHistory(t, sh, "document-signing-accepted")

	// Fifty documents cost history little: they travel by reference.
	var fifty []string
	for i := range fnssigning.MaxDocuments {
		fifty = append(fifty, sys.putDocument(t, "page-"+strconv.Itoa(i)+".txt", "text/plain", bytes.Repeat([]byte{'a' + byte(i%26)}, 4096)))
	}
	bigRun, err := sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: fnssigning.WorkflowID("e2e-sign-50"), TaskQueue: "idflow-e2e",
	}, fnssigning.WorkflowType, fnssigning.Input{RequestID: "e2e-sign-50", ConsumerID: out.ConsumerID, DocumentIDs: fifty,
		PollInitial: time.Second, PollMax: 2 * time.Second})
	require.NoError(t, err)
	var big fnssigning.Status
	require.NoError(t, bigRun.Get(ctx, &big))
	require.Equal(t, process.OutcomeAccepted, big.Outcome)
	require.Len(t, big.Documents, fnssigning.MaxDocuments)
	bh := sys.history(t, bigRun.GetID())
	size := 0
	for _, ev := range bh.Events {
		size += proto.Size(ev)
	}
	t.Logf("a 50-document signing (200 KiB of documents): %d history events, %d bytes of history", len(bh.Events), size)
	assert.Less(t, size, 64<<10, "documents by reference: the history is far smaller than the documents")
}

// getDocument reads a document's bytes through the gateway.
func (s *system) getDocument(t *testing.T, id string) []byte {
	t.Helper()
	status, body := s.api(t, http.MethodGet, "/v1/documents/"+id, "", nil)
	require.Equal(t, http.StatusOK, status)
	return body
}
