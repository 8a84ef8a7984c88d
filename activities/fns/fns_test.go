package fns

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"idflow/activities/activitytest"
	"idflow/internal/pii"
	provider "idflow/internal/providers/fns"
	sandbox "idflow/internal/sandbox/fns"
	"idflow/internal/store"
	. "idflow/workflows/fnsregistration" // the contract's names read as the activities' own
	"idflow/workflows/fnsscenarios"
	"idflow/workflows/process"
)

const (
	partnerUser = "partner"
	partnerPass = "partner-secret"
)

// fixture is the FNS sandbox over HTTP, the real client and a store.
type fixture struct {
	t   *testing.T
	sb  *sandbox.Sandbox
	a   *Activities
	env *testsuite.TestActivityEnvironment
	// failReads, while set, answers every read of a workflow (/full) 502.
	failReads *atomic.Bool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Username: partnerUser, Password: partnerPass, SMEVDelay: -1, InstallDelay: -1,
		PKCS10Delay: -1, SecretKeyDelay: -1, IssueDelay: -1, SignDelay: -1, PollInterval: time.Millisecond, RetrySchedule: []time.Duration{}})
	f := &fixture{t: t, sb: sb}
	h, failReads := activitytest.Gate(sb.Handler(), func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/full")
	})
	f.failReads = failReads
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	c, err := provider.New(provider.Config{BaseURL: srv.URL, Partner: provider.Credentials{Username: partnerUser, Password: partnerPass}})
	require.NoError(t, err)
	f.a = &Activities{Client: c, Store: activitytest.NewStore(t), CallbackBaseURL: "http://127.0.0.1:1"}
	f.env = activitytest.ActivityEnv(t, func(env *testsuite.TestActivityEnvironment) { Register(env, f.a) })
	return f
}

func person(lastName string) pii.FNSRegistration {
	return pii.FNSRegistration{Consumer: pii.FNSConsumer{
		LastName: lastName, FirstName: "Иван", MiddleName: "Иванович", Gender: "М", Birthed: "1990-01-01",
		SNILS: "123-629-311 39", INN: "312324014516", Phone: "+7 (900) 123-45-67",
		Addresses: []pii.FNSAddress{{Type: "permanent", Index: "426000", Region: "18", City: "Ижевск", Street: "Пушкинская", House: "1"}},
		Identities: []pii.FNSIdentity{{Type: "internal-passport", Series: "9400", Number: "123456", IssueCode: "180-001",
			IssuedBy: "МВД по Удмуртской Республике", Issued: "2010-01-01"}},
	}}
}

func (f *fixture) run(fn any, in any, out any) error {
	f.t.Helper()
	v, err := f.env.ExecuteActivity(fn, in)
	if err == nil && out != nil {
		require.NoError(f.t, v.Get(out))
	}
	return err
}

func (f *fixture) awaitState(id int64, state string) {
	f.t.Helper()
	require.EventuallyWithT(f.t, func(c *assert.CollectT) {
		w, ok := f.sb.Workflow(id)
		assert.True(c, ok)
		assert.Equal(c, state, w.State)
	}, 5*time.Second, 5*time.Millisecond)
}

func (f *fixture) document(title string, content []byte) string {
	doc, err := f.a.Store.PutDocument(context.Background(), store.NewDocument{Owner: "test", Title: title, MediaType: "image/jpeg", Content: content})
	require.NoError(f.t, err)
	return doc.ID
}

// TestRegistrationThroughTheSandbox runs every activity of the process
// against the sandbox: a retried create makes one FNS workflow, the agent
// acts under its own token, and the issued КЭП lands in the store.
func TestRegistrationThroughTheSandbox(t *testing.T) {
	f := newFixture(t)
	regDoc := activitytest.PutJSON(t, f.a.Store, person("Иванов"), RegistrationMediaType)

	var check CheckConsumerResult
	require.NoError(t, f.run(f.a.CheckConsumer, CheckConsumerInput{RegistrationDocumentID: regDoc}, &check))
	assert.Empty(t, check.State, "a new person")

	extID := uuid.NewString()
	in := CreateRegistrationInput{RegistrationDocumentID: regDoc, ExternalID: extID, WorkflowID: "fns-registration-t1"}
	var first, second CreateRegistrationResult
	require.NoError(t, f.run(f.a.CreateRegistration, in, &first))
	require.NoError(t, f.run(f.a.CreateRegistration, in, &second))
	assert.Equal(t, first.FNSWorkflowID, second.FNSWorkflowID, "a retried create finds the same workflow")
	assert.Equal(t, 1, f.sb.WorkflowCount())
	f.awaitState(first.FNSWorkflowID, string(provider.StateWaitConsumerIdentification))

	agentID := f.newAgent()

	child := f.identifyAndConfirm(first.FNSWorkflowID, regDoc, agentID)
	var cert Certificate
	require.NoError(t, f.run(f.a.RecordCertificate, RecordCertificateInput{FNSWorkflowID: child, Owner: "fns-registration-t1"}, &cert))
	assert.NotEmpty(t, cert.Serial)
	assert.True(t, cert.NotAfter.After(cert.NotBefore))
	_, content, err := f.a.Store.GetDocument(context.Background(), cert.DocumentID)
	require.NoError(t, err)
	block, _ := pem.Decode(content)
	require.NotNil(t, block, "the certificate is stored as PEM")
	parsed, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(f.sb.CACertificate())
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err = parsed.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	assert.NoError(t, err, "issued by the sandbox's CA")

	require.NoError(t, f.run(f.a.CheckConsumer, CheckConsumerInput{RegistrationDocumentID: regDoc}, &check))
	assert.True(t, check.SignConfirmed, "now the person holds a confirmed КЭП")

	// An external activity ended, then the end retried: done. A retry that
	// cannot read the workflow to tell is retried, not refused for good.
	var created CreateResult
	require.NoError(t, f.run(f.a.CreateExternalActivity, fnsscenarios.CreateExternalActivityInput{ConsumerID: check.ConsumerID,
		URL: "https://example.org/form", ExternalID: uuid.NewString(), WorkflowID: "fns-external-activity-t1"}, &created))
	require.NotZero(t, created.FNSWorkflowID, "refused: %s", created.Refusal)
	complete := fnsscenarios.CompleteExternalActivityInput{FNSWorkflowID: created.FNSWorkflowID}
	var ended StepResult
	require.NoError(t, f.run(f.a.CompleteExternalActivity, complete, &ended))
	require.NoError(t, f.run(f.a.CompleteExternalActivity, complete, &ended), "a retry after the end")
	f.failReads.Store(true)
	err = f.run(f.a.CompleteExternalActivity, complete, &ended)
	f.failReads.Store(false)
	activitytest.RequireRetryable(t, err)
}

// newAgent creates an identification agent and keeps its token, as the gateway does.
func (f *fixture) newAgent() string {
	f.t.Helper()
	agent, err := f.a.Client.Partner().CreateAgent(context.Background(), provider.AgentRequest{Username: "agent_ivanov", Password: "123456qwerty",
		LastName: "Агентов", FirstName: "Агент", MiddleName: "Агентович", Phone: "79012345678", SNILS: "11223344595",
		UnstructuredIdentity: "4500 023 Выдан ПВД ОВД 12.05.2011", Position: "оператор", Company: 1,
		Permissions: []string{provider.PermissionConsumerIdentify}, IdentificationPoints: []int64{1}})
	require.NoError(f.t, err)
	agentID := strconv.FormatInt(int64(agent.ID), 10)
	require.NoError(f.t, f.a.Store.PutFNSAgent(context.Background(), store.FNSAgent{ID: agentID, Username: agent.Username, Token: agent.Token}))
	return agentID
}

// identifyAndConfirm runs the agent's identification and the scans of the
// certificate-issuing child, and returns the child.
func (f *fixture) identifyAndConfirm(fnsID int64, regDoc, agentID string) int64 {
	t := f.t
	t.Helper()
	var identified StepResult
	identify := AgentIdentifyInput{FNSWorkflowID: fnsID, RegistrationDocumentID: regDoc,
		Request: AgentIdentifyRequest{AgentID: agentID, PassportScanDocumentIDs: []string{f.document("паспорт.jpg", []byte("scan"))}}}
	require.NoError(t, f.run(f.a.AgentIdentify, identify, &identified))
	assert.Equal(t, "certificate-issue", identified.State)
	f.awaitState(fnsID, "complete")
	// The attempt is retried (its worker died before recording it): done, not refused.
	require.NoError(t, f.run(f.a.AgentIdentify, identify, &identified), "a retry after the identification")
	assert.Equal(t, "complete", identified.State)

	var wf FNSWorkflow
	require.NoError(t, f.run(f.a.ReadWorkflow, ReadWorkflowInput{FNSWorkflowID: fnsID}, &wf))
	require.Len(t, wf.Children, 1)
	child := wf.Children[0]
	f.awaitState(child, "wait-scan-upload")

	var scans StepResult
	upload := UploadScansInput{FNSWorkflowID: child, Request: UploadScansRequest{
		ScanDocumentIDs: []string{f.document("photo.jpg", []byte("photo")), f.document("form.jpg", []byte("form"))}}}
	require.NoError(t, f.run(f.a.UploadScans, upload, &scans))
	assert.Equal(t, "complete", scans.State)
	require.NoError(t, f.run(f.a.UploadScans, upload, &scans), "a retry after the confirmation")
	assert.Equal(t, "complete", scans.State)
	// Such a retry whose read of the workflow fails cannot tell FNS's
	// refusal from another: it is retried, not refused for good.
	f.failReads.Store(true)
	err := f.run(f.a.UploadScans, upload, &scans)
	f.failReads.Store(false)
	assert.NotEqual(t, process.ErrTypeProviderRejected, activitytest.RequireRetryable(t, err).Type())
	require.NoError(t, f.run(f.a.UploadScans, upload, &scans), "the next attempt reads the workflow")
	assert.Equal(t, "complete", scans.State)

	return child
}

// TestBlockedAndUnknown: a person SMEV rejected is blocked for the next
// registration; an unknown agent and missing documents are invalid input.
func TestBlockedAndUnknown(t *testing.T) {
	f := newFixture(t)
	regDoc := activitytest.PutJSON(t, f.a.Store, person(sandbox.LastNameSMEVSNILS), RegistrationMediaType)
	var created CreateRegistrationResult
	require.NoError(t, f.run(f.a.CreateRegistration, CreateRegistrationInput{RegistrationDocumentID: regDoc, ExternalID: uuid.NewString(),
		WorkflowID: "fns-registration-t2"}, &created))
	f.awaitState(created.FNSWorkflowID, "rejected")
	var wf FNSWorkflow
	require.NoError(t, f.run(f.a.ReadWorkflow, ReadWorkflowInput{FNSWorkflowID: created.FNSWorkflowID}, &wf))
	assert.Equal(t, "Не пройдены проверки: Валидация ФИО-СНИЛС", wf.ErrorMessage)

	var again CreateRegistrationResult
	require.NoError(t, f.run(f.a.CreateRegistration, CreateRegistrationInput{RegistrationDocumentID: regDoc, ExternalID: uuid.NewString(),
		WorkflowID: "fns-registration-t3"}, &again))
	assert.True(t, again.Blocked, "«Данный клиент заблокирован…»")
	var check CheckConsumerResult
	require.NoError(t, f.run(f.a.CheckConsumer, CheckConsumerInput{RegistrationDocumentID: regDoc}, &check))
	assert.Equal(t, "blocked", check.State)

	err := f.run(f.a.AgentIdentify, AgentIdentifyInput{FNSWorkflowID: created.FNSWorkflowID, RegistrationDocumentID: regDoc,
		Request: AgentIdentifyRequest{AgentID: "no-such-agent", PassportScanDocumentIDs: []string{"doc"}}}, nil)
	activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
	bad := person("Иванов")
	bad.Consumer.SNILS = "12362931138"
	badDoc := activitytest.PutJSON(t, f.a.Store, bad, RegistrationMediaType)
	err = f.run(f.a.CheckConsumer, CheckConsumerInput{RegistrationDocumentID: badDoc}, nil)
	appErr := activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
	assert.Contains(t, appErr.Error(), "consumer.snils")
	assert.NotContains(t, appErr.Error(), "12362931138")
}

// TestRemoveWorkflowsRemovesAWaitingRegistration: a cancelled registration
// is removed at FNS; reading it afterwards is FNS's final "not found".
func TestRemoveWorkflowsRemovesAWaitingRegistration(t *testing.T) {
	f := newFixture(t)
	regDoc := activitytest.PutJSON(t, f.a.Store, person("Петров"), RegistrationMediaType)
	var created CreateRegistrationResult
	require.NoError(t, f.run(f.a.CreateRegistration, CreateRegistrationInput{RegistrationDocumentID: regDoc, ExternalID: uuid.NewString(),
		WorkflowID: "fns-registration-t4"}, &created))
	f.awaitState(created.FNSWorkflowID, string(provider.StateWaitConsumerIdentification))
	require.NoError(t, f.run(f.a.RemoveWorkflows, RemoveWorkflowsInput{FNSWorkflowIDs: []int64{created.FNSWorkflowID}}, nil))
	err := f.run(f.a.ReadWorkflow, ReadWorkflowInput{FNSWorkflowID: created.FNSWorkflowID}, nil)
	activitytest.RequireFinal(t, err, process.ErrTypeProviderRejected)
}

// TestRemoveWorkflowsReportsWhatFNSKeeps: a completed identification cannot
// be removed; the activity says so instead of reporting success.
func TestRemoveWorkflowsReportsWhatFNSKeeps(t *testing.T) {
	f := newFixture(t)
	regDoc := activitytest.PutJSON(t, f.a.Store, person(sandbox.LastNameSMEVINN), RegistrationMediaType)
	var created CreateRegistrationResult
	require.NoError(t, f.run(f.a.CreateRegistration, CreateRegistrationInput{RegistrationDocumentID: regDoc, ExternalID: uuid.NewString(),
		WorkflowID: "fns-registration-t5"}, &created))
	f.awaitState(created.FNSWorkflowID, "rejected")
	err := f.run(f.a.RemoveWorkflows, RemoveWorkflowsInput{FNSWorkflowIDs: []int64{created.FNSWorkflowID, 999999}}, nil)
	appErr := activitytest.RequireFinal(t, err, process.ErrTypeProviderRejected)
	assert.Contains(t, appErr.Error(), "999999")
}
