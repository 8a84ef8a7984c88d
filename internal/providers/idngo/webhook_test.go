package idngo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/providers/idngo"
)

// Vectors: printf '%s' '{"a":1}' | openssl dgst -sha1 -hmac s   (and -sha256, -sha512).
var digestVectors = map[string]string{
	idngo.DigestSHA1:   "fa90bbb46547f7bc6b4cad1f3b475ba08facfea6",
	idngo.DigestSHA256: "37beaf650f70b40ec9706929c2e9d835cbd63729988f48781e6383a147215f07",
	idngo.DigestSHA512: "07df831e6329692b1c8ae7669e9162598252f1b90c50e4c49ebff49e170986fe51e60e355a827c510a576016e95a2e312ee0ac50f126726fee9da829acc651dd",
}

func TestPayloadDigestVectors(t *testing.T) {
	body := []byte(`{"a":1}`)
	for alg, want := range digestVectors {
		got, err := idngo.PayloadDigest("s", alg, body)
		require.NoError(t, err, alg)
		assert.Equal(t, want, got, alg)
		assert.NoError(t, idngo.VerifyPayloadDigest("s", alg, want, body), alg)
		assert.NoError(t, idngo.VerifyPayloadDigest("s", alg, strings.ToUpper(want), body), "hex case does not matter: %s", alg)
	}
	_, err := idngo.PayloadDigest("s", "HMAC_MD5_HEX", body)
	assert.ErrorIs(t, err, idngo.ErrUnknownDigestAlg)
	_, err = idngo.PayloadDigest("", idngo.DigestSHA256, body)
	assert.Error(t, err, "empty secret")
}

func TestVerifyPayloadDigestRejects(t *testing.T) {
	body := []byte(`{"a":1}`)
	good := digestVectors[idngo.DigestSHA256]
	cases := map[string]error{
		"tampered body":      idngo.VerifyPayloadDigest("s", idngo.DigestSHA256, good, []byte(`{"a":2}`)),
		"wrong secret":       idngo.VerifyPayloadDigest("t", idngo.DigestSHA256, good, body),
		"wrong alg":          idngo.VerifyPayloadDigest("s", idngo.DigestSHA512, good, body),
		"sha1 digest as 256": idngo.VerifyPayloadDigest("s", idngo.DigestSHA256, digestVectors[idngo.DigestSHA1], body),
		"unknown alg":        idngo.VerifyPayloadDigest("s", "HMAC_MD5_HEX", good, body),
		"missing alg":        idngo.VerifyPayloadDigest("s", "", good, body),
		"missing digest":     idngo.VerifyPayloadDigest("s", idngo.DigestSHA256, "", body),
		"blank digest":       idngo.VerifyPayloadDigest("s", idngo.DigestSHA256, "  ", body),
		"not hex":            idngo.VerifyPayloadDigest("s", idngo.DigestSHA256, "zz"+good[2:], body),
		"truncated":          idngo.VerifyPayloadDigest("s", idngo.DigestSHA256, good[:32], body),
		"empty secret":       idngo.VerifyPayloadDigest("", idngo.DigestSHA256, good, body),
	}
	for name, err := range cases {
		require.Error(t, err, name)
		assert.ErrorIs(t, err, idngo.ErrBadDigest, name)
		assert.NotContains(t, err.Error(), `{"a"`, name)
		assert.NotContains(t, err.Error(), good[:16], name)
	}
	assert.ErrorIs(t, cases["unknown alg"], idngo.ErrUnknownDigestAlg)
}

const webhookSample = `{
  "applicantId": "5cb56e8e0a975a35f333cb83",
  "inspectionId": "5cb56e8e0a975a35f333cb84",
  "correlationId": "req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4",
  "externalUserId": "externalUserId",
  "levelName": "basic-kyc-level",
  "type": "applicantReviewed",
  "reviewResult": {"reviewAnswer": "RED", "reviewRejectType": "FINAL", "rejectLabels": ["FORGERY", "SELFIE_MISMATCH"],
                   "moderationComment": "We could not verify you.", "clientComment": "Forged document."},
  "reviewStatus": "completed",
  "sandboxMode": true,
  "createdAtMs": "2020-02-21 13:23:19.321",
  "clientId": "coolClientId",
  "applicantType": "individual"
}`

func TestParseWebhookFull(t *testing.T) {
	body := []byte(webhookSample)
	digest, err := idngo.PayloadDigest("whsec", idngo.DigestSHA256, body)
	require.NoError(t, err)
	require.NoError(t, idngo.VerifyPayloadDigest("whsec", idngo.DigestSHA256, digest, body))

	w, err := idngo.ParseWebhook(body)
	require.NoError(t, err)
	assert.Equal(t, idngo.Webhook{
		ApplicantID: "5cb56e8e0a975a35f333cb83", InspectionID: "5cb56e8e0a975a35f333cb84",
		CorrelationID: "req-a260b669-4f14-4bb5-a4c5-ac0218acb9a4", ExternalUserID: "externalUserId",
		LevelName: "basic-kyc-level", Type: idngo.TypeApplicantReviewed, ReviewStatus: idngo.ReviewStatusCompleted,
		ReviewResult: &idngo.ReviewResult{ReviewAnswer: idngo.AnswerRed, ReviewRejectType: idngo.RejectFinal,
			RejectLabels: []string{"FORGERY", "SELFIE_MISMATCH"}, ModerationComment: "We could not verify you.",
			ClientComment: "Forged document."},
		SandboxMode: true, CreatedAtMs: "2020-02-21 13:23:19.321",
	}, w)
	at, err := w.CreatedAt()
	require.NoError(t, err)
	assert.Equal(t, time.Date(2020, 2, 21, 13, 23, 19, 321e6, time.UTC), at)
}

func TestParseWebhookLenient(t *testing.T) {
	w, err := idngo.ParseWebhook([]byte(`{"correlationId":"c1","type":"applicantPersonalInfoChanged","applicantId":"a1","sandboxMode":"yes","newField":{"x":[1]}}`))
	require.NoError(t, err, "unknown type, unknown fields and odd value types are accepted")
	assert.Equal(t, "applicantPersonalInfoChanged", w.Type)
	assert.Equal(t, "a1", w.ApplicantID)
	assert.False(t, w.SandboxMode)
	assert.Nil(t, w.ReviewResult)

	w, err = idngo.ParseWebhook([]byte(`{"correlationId":"c2","type":"applicantCreated","reviewStatus":"init"}`))
	require.NoError(t, err)
	assert.Equal(t, idngo.TypeApplicantCreated, w.Type)
	assert.Equal(t, idngo.ReviewStatusInit, w.ReviewStatus)
}

func TestParseWebhookErrors(t *testing.T) {
	for _, body := range []string{
		`{"type":"applicantReviewed","applicantId":"a1"}`,
		`{"correlationId":"","type":"applicantReviewed"}`,
		`{"correlationId":42}`,
		`null`,
		`[]`,
		`not json`,
		`{"correlationId":"c1"`,
		``,
	} {
		_, err := idngo.ParseWebhook([]byte(body))
		require.Error(t, err, body)
		assert.ErrorIs(t, err, idngo.ErrBadWebhook, body)
		if body != "" {
			assert.NotContains(t, err.Error(), body, "no body in the error")
		}
	}
}

func TestWebhookTypeConstants(t *testing.T) {
	assert.Equal(t, []string{"applicantCreated", "applicantPending", "applicantReviewed", "applicantOnHold",
		"applicantPrechecked", "applicantReset", "applicantDeleted", "applicantLevelChanged", "applicantWorkflowCompleted"},
		[]string{idngo.TypeApplicantCreated, idngo.TypeApplicantPending, idngo.TypeApplicantReviewed, idngo.TypeApplicantOnHold,
			idngo.TypeApplicantPrechecked, idngo.TypeApplicantReset, idngo.TypeApplicantDeleted,
			idngo.TypeApplicantLevelChanged, idngo.TypeApplicantWorkflowCompleted})
	assert.Equal(t, "onHold", idngo.ReviewStatusOnHold)
	assert.Equal(t, 1009, idngo.ErrCodeApplicantFinalReject)
}

// TestVerifyAccountDigestAcceptsOnlyTheAccountsAlgorithm: a correct SHA-1
// digest is refused where the account signs with SHA-256.
func TestVerifyAccountDigestAcceptsOnlyTheAccountsAlgorithm(t *testing.T) {
	body := []byte(`{"a":1}`)
	assert.NoError(t, idngo.VerifyAccountDigest("s", idngo.DigestSHA256, idngo.DigestSHA256, digestVectors[idngo.DigestSHA256], body))
	err := idngo.VerifyAccountDigest("s", idngo.DigestSHA256, idngo.DigestSHA1, digestVectors[idngo.DigestSHA1], body)
	assert.ErrorIs(t, err, idngo.ErrBadDigest)
	assert.Contains(t, err.Error(), "not accepted")
}
