package mandarin

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.temporal.io/sdk/testsuite"

	"idflow/activities/activitytest"
	"idflow/internal/pii"
	provider "idflow/internal/providers/mandarin"
	sandbox "idflow/internal/sandbox/mandarin"
	"idflow/workflows/process"
	. "idflow/workflows/simplifiedid" // the contract's names read as the activities' own
)

func mandarinActivities(t *testing.T) (*Activities, *sandbox.Sandbox) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{MerchantID: "m", Secret: "s", SMEVDelay: -1})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	c, err := provider.New(provider.Config{BaseURL: srv.URL, MerchantID: "m", Secret: "s"})
	require.NoError(t, err)
	return &Activities{Client: c, Store: activitytest.NewStore(t)}, sb
}

func activityEnv(t *testing.T, a *Activities) *testsuite.TestActivityEnvironment {
	return activitytest.ActivityEnv(t, func(env *testsuite.TestActivityEnvironment) { Register(env, a) })
}

func testPerson() pii.Person {
	return pii.Person{LastName: sandbox.TestLastName, FirstName: sandbox.TestFirstName, Patronymic: sandbox.TestPatronymic,
		PassportSeries: sandbox.TestPassportSeries, PassportNumber: sandbox.TestPassportNumber,
		SNILS: "112-233-445 95", Phone: sandbox.TestPhone}
}

// TestInitIdentificationFromTheDocumentStore: the person comes from the
// store (claim check), is normalized and opens a session.
func TestInitIdentificationFromTheDocumentStore(t *testing.T) {
	a, sb := mandarinActivities(t)
	env := activityEnv(t, a)
	docID := activitytest.PutJSON(t, a.Store, testPerson(), PersonMediaType)

	v, err := env.ExecuteActivity(a.InitIdentification, InitIdentificationInput{PersonDocumentID: docID})
	require.NoError(t, err)
	var out InitIdentificationResult
	require.NoError(t, v.Get(&out))
	assert.NotEmpty(t, out.SessionID)
	assert.Equal(t, 1, sb.SessionCount())

	v, err = env.ExecuteActivity(a.CheckPerson, CheckPersonInput{SessionID: out.SessionID, UntilFinished: true})
	require.NoError(t, err)
	var check PersonCheckResult
	require.NoError(t, v.Get(&check))
	assert.True(t, check.Finished && check.Verified)
}

// TestInvalidPersonIsNeverSent: a person failing validation is a final
// InvalidInput error listing the fields, without their values, and no
// (billable) request reaches the provider.
func TestInvalidPersonIsNeverSent(t *testing.T) {
	a, sb := mandarinActivities(t)
	env := activityEnv(t, a)
	p := testPerson()
	p.SNILS, p.Phone = "11223344596", "+7900123"

	_, err := env.ExecuteActivity(a.InitIdentification, InitIdentificationInput{Person: &p})
	appErr := activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
	assert.Contains(t, appErr.Error(), "person.snils")
	assert.Contains(t, appErr.Error(), "person.phone")
	assert.NotContains(t, appErr.Error(), "+7900123")
	assert.Zero(t, sb.SessionCount())

	_, err = env.ExecuteActivity(a.InitIdentification, InitIdentificationInput{PersonDocumentID: "doc_missing"})
	activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
}

// TestPhoneCheckAndProviderRefusals: a wrong code is a verdict, an unknown
// session is the provider's final refusal, a missing client is final too.
func TestPhoneCheckAndProviderRefusals(t *testing.T) {
	a, _ := mandarinActivities(t)
	env := activityEnv(t, a)
	p := testPerson()
	v, err := env.ExecuteActivity(a.InitIdentification, InitIdentificationInput{Person: &p})
	require.NoError(t, err)
	var session InitIdentificationResult
	require.NoError(t, v.Get(&session))

	_, err = env.ExecuteActivity(a.SubmitSMSCode, SubmitSMSCodeInput{SessionID: session.SessionID, Code: "123456"})
	require.NoError(t, err)
	v, err = env.ExecuteActivity(a.PhoneCheck, session.SessionID)
	require.NoError(t, err)
	var phone PhoneCheckResult
	require.NoError(t, v.Get(&phone))
	assert.False(t, phone.Verified)

	_, err = env.ExecuteActivity(a.PhoneCheck, "no-such-session")
	activitytest.RequireFinal(t, err, process.ErrTypeProviderRejected)

	unconfigured := &Activities{Store: a.Store}
	_, err = activityEnv(t, unconfigured).ExecuteActivity(unconfigured.PhoneCheck, session.SessionID)
	activitytest.RequireFinal(t, err, process.ErrTypeProviderNotConfigured)
}

// testRunKey is the session key of the activity test environment's
// workflow run (the SDK's default test ids).
const testRunKey = "mandarin-session/default-test-workflow-id/default-test-run-id"

// TestRetriedInitReusesTheSession: a retry of InitIdentification in the
// same workflow run (after a timeout, or a worker crash after Mandarin
// answered) reuses the recorded session: one session, one SMS, one bill.
func TestRetriedInitReusesTheSession(t *testing.T) {
	a, sb := mandarinActivities(t)
	env := activityEnv(t, a)
	p := testPerson()
	var first, second InitIdentificationResult
	v, err := env.ExecuteActivity(a.InitIdentification, InitIdentificationInput{Person: &p})
	require.NoError(t, err)
	require.NoError(t, v.Get(&first))
	v, err = env.ExecuteActivity(a.InitIdentification, InitIdentificationInput{Person: &p})
	require.NoError(t, err)
	require.NoError(t, v.Get(&second))
	assert.Equal(t, first.SessionID, second.SessionID)
	assert.Zero(t, second.UncertainSessions)
	assert.Equal(t, 1, sb.SessionCount(), "Mandarin opened one session")
}

// TestUnrecordedAttemptIsCounted: an earlier attempt that started the call
// and never recorded an answer (a crash inside the HTTP exchange) may have
// opened a session; the retry opens one and says how many are uncertain.
func TestUnrecordedAttemptIsCounted(t *testing.T) {
	a, sb := mandarinActivities(t)
	_, err := a.Store.BeginOnce(t.Context(), testRunKey) // the crashed attempt
	require.NoError(t, err)
	p := testPerson()
	v, err := activityEnv(t, a).ExecuteActivity(a.InitIdentification, InitIdentificationInput{Person: &p})
	require.NoError(t, err)
	var out InitIdentificationResult
	require.NoError(t, v.Get(&out))
	assert.NotEmpty(t, out.SessionID)
	assert.Equal(t, 1, out.UncertainSessions)
	assert.Equal(t, 1, sb.SessionCount())
}
