package idngo_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/idngo"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestSignature(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-sig", "", nil)
	uri := "/resources/applicants/" + id + "/one"
	now := time.Now()

	assert.Equal(t, http.StatusOK, e.send(http.MethodGet, uri, uri, nil, "", secretKey, now).code, "good request")

	for name, res := range map[string]response{
		"wrong secret": e.send(http.MethodGet, uri, uri, nil, "", "other-secret", now),
		"stale ts":     e.send(http.MethodGet, uri, uri, nil, "", secretKey, now.Add(-61*time.Second)),
		"future ts":    e.send(http.MethodGet, uri, uri, nil, "", secretKey, now.Add(61*time.Second)),
		"other uri":    e.send(http.MethodGet, uri, "/resources/applicants/"+id+"/requiredIdDocsStatus", nil, "", secretKey, now),
	} {
		assert.Equal(t, http.StatusUnauthorized, res.code, name)
		assert.Equal(t, "Invalid signature", res.body["description"], name)
		assert.EqualValues(t, http.StatusUnauthorized, res.body["code"], name)
		assert.NotEmpty(t, res.body["correlationId"], name)
	}
	assert.Equal(t, http.StatusOK, e.send(http.MethodGet, uri, uri, nil, "", secretKey, now.Add(-50*time.Second)).code, "within skew")

	for _, missing := range []string{"X-App-Token", "X-App-Access-Ts", "X-App-Access-Sig"} {
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+uri, nil)
		require.NoError(t, err)
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set("X-App-Token", appToken)
		req.Header.Set("X-App-Access-Ts", ts)
		req.Header.Set("X-App-Access-Sig", signature(secretKey, ts, http.MethodGet, uri, nil))
		req.Header.Del(missing)
		assert.Equal(t, http.StatusUnauthorized, e.roundTrip(req).code, "missing "+missing)
	}
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+uri, nil)
	require.NoError(t, err)
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("X-App-Token", "another-token")
	req.Header.Set("X-App-Access-Ts", ts)
	req.Header.Set("X-App-Access-Sig", signature(secretKey, ts, http.MethodGet, uri, nil))
	assert.Equal(t, http.StatusUnauthorized, e.roundTrip(req).code, "wrong token")
}

func TestSignatureMultipartRawBytes(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-multipart", "", nil)
	uri := "/resources/applicants/" + id + "/info/idDoc"
	body, ct := multipartBody(t, map[string]any{"idDocType": "PASSPORT", "country": "RUS"}, "passport.jpg", []byte("jpeg"))

	res := e.send(http.MethodPost, uri, uri, body, ct, secretKey, time.Now())
	require.Equal(t, http.StatusOK, res.code, string(res.raw))

	// Signed over other bytes (one byte of the file changed): refused.
	signed := []byte(strings.Replace(string(body), "jpeg", "jpeG", 1))
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+uri, strings.NewReader(string(body)))
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-App-Token", appToken)
	req.Header.Set("X-App-Access-Ts", ts)
	req.Header.Set("X-App-Access-Sig", signature(secretKey, ts, http.MethodPost, uri, signed))
	assert.Equal(t, http.StatusUnauthorized, e.roundTrip(req).code)
}

func TestSignatureBehindPrefix(t *testing.T) {
	sb := sandbox.New(sandbox.Config{AppToken: appToken, SecretKey: secretKey, ReviewDelay: delay})
	t.Cleanup(sb.Close)
	mux := http.NewServeMux()
	mux.Handle("/idngo/", http.StripPrefix("/idngo", sb.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, sb: sb, srv: srv}

	body := []byte(`{"externalUserId":"ext-prefix"}`)
	full := "/idngo/resources/applicants?levelName=id-only-level"
	stripped := "/resources/applicants?levelName=id-only-level"
	res := e.send(http.MethodPost, full, full, body, "application/json", secretKey, time.Now())
	require.Equal(t, http.StatusCreated, res.code, "signed over the full path: %s", res.raw)
	assert.Equal(t, sandbox.LevelIDOnly, res.body["levelName"])

	body = []byte(`{"externalUserId":"ext-prefix-2"}`)
	res = e.send(http.MethodPost, full, stripped, body, "application/json", secretKey, time.Now())
	assert.Equal(t, http.StatusCreated, res.code, "signed over the stripped path: %s", res.raw)

	res = e.send(http.MethodPost, full, "/other"+stripped, []byte(`{"externalUserId":"x"}`), "application/json", secretKey, time.Now())
	assert.Equal(t, http.StatusUnauthorized, res.code)
}

func TestCreateApplicant(t *testing.T) {
	e := newEnv(t, nil)
	res := e.call(http.MethodPost, "/resources/applicants?levelName=basic-kyc-level", map[string]any{
		"externalUserId": "ext-1",
		"info":           map[string]any{"firstName": "Иван", "lastName": "Петров"},
		"email":          "user@example.com",
	})
	require.Equal(t, http.StatusCreated, res.code, string(res.raw))
	id := res.body["id"].(string)
	assert.Regexp(t, hexID, id)
	assert.Regexp(t, hexID, res.body["inspectionId"])
	assert.Equal(t, "ext-1", res.body["externalUserId"])
	_, err := time.Parse("2006-01-02 15:04:05", res.body["createdAt"].(string))
	assert.NoError(t, err)
	assert.Equal(t, "Петров", res.body["info"].(map[string]any)["lastName"])
	review := res.body["review"].(map[string]any)
	assert.Equal(t, "init", review["reviewStatus"])
	assert.EqualValues(t, 0, review["attemptCnt"])
	assert.Equal(t, sandbox.LevelBasic, review["levelName"])
	assert.Nil(t, review["reviewResult"])
	sets := res.body["requiredIdDocs"].(map[string]any)["docSets"].([]any)
	require.Len(t, sets, 2)
	assert.Equal(t, "IDENTITY", sets[0].(map[string]any)["idDocSetType"])
	assert.Equal(t, []any{"PASSPORT", "ID_CARD", "DRIVERS", "RESIDENCE_PERMIT"}, sets[0].(map[string]any)["types"])
	assert.Equal(t, "SELFIE", sets[1].(map[string]any)["idDocSetType"])

	t.Run("duplicate externalUserId", func(t *testing.T) {
		dup := e.call(http.MethodPost, "/resources/applicants?levelName=id-only-level", map[string]any{"externalUserId": "ext-1"})
		assert.Equal(t, http.StatusConflict, dup.code)
		assert.Equal(t, "Applicant with external user id 'ext-1' already exists: "+id, dup.body["description"])
		assert.EqualValues(t, 409, dup.body["code"])
	})
	t.Run("lookup", func(t *testing.T) {
		one := e.call(http.MethodGet, "/resources/applicants/-;externalUserId=ext-1/one", nil)
		require.Equal(t, http.StatusOK, one.code, string(one.raw))
		assert.Equal(t, id, one.body["id"])
		assert.Equal(t, http.StatusNotFound, e.call(http.MethodGet, "/resources/applicants/-;externalUserId=nobody/one", nil).code)
		assert.Equal(t, http.StatusNotFound, e.call(http.MethodGet, "/resources/applicants/0123456789abcdef01234567/one", nil).code)
	})
	t.Run("levels", func(t *testing.T) {
		bad := e.call(http.MethodPost, "/resources/applicants?levelName=no-such-level", map[string]any{"externalUserId": "ext-2"})
		assert.Equal(t, http.StatusBadRequest, bad.code)
		only := e.call(http.MethodPost, "/resources/applicants?levelName=id-only-level", map[string]any{"externalUserId": "ext-3"})
		require.Equal(t, http.StatusCreated, only.code)
		assert.Len(t, only.body["requiredIdDocs"].(map[string]any)["docSets"], 1)
		def := e.call(http.MethodPost, "/resources/applicants", map[string]any{"externalUserId": "ext-4"})
		require.Equal(t, http.StatusCreated, def.code)
		assert.Equal(t, sandbox.LevelBasic, def.body["levelName"])
		assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, "/resources/applicants", map[string]any{"info": map[string]any{}}).code)
	})
	assert.Equal(t, 3, e.sb.ApplicantCount())
}

func TestFixedInfo(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-fixed", "", map[string]any{"firstName": "Анна"})
	res := e.call(http.MethodPatch, "/resources/applicants/"+id+"/fixedInfo", map[string]any{"lastName": "Иванова", "dob": "1990-01-02"})
	require.Equal(t, http.StatusOK, res.code, string(res.raw))
	assert.Equal(t, map[string]any{"lastName": "Иванова", "dob": "1990-01-02"}, res.body["fixedInfo"])
	res = e.call(http.MethodPatch, "/resources/applicants/"+id+"/fixedInfo", map[string]any{"dob": nil})
	require.Equal(t, http.StatusOK, res.code)
	assert.Equal(t, map[string]any{"lastName": "Иванова"}, res.body["fixedInfo"])
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPatch, "/resources/applicants/"+id+"/fixedInfo", []string{"x"}).code)
	assert.Equal(t, http.StatusNotFound, e.call(http.MethodPatch, "/resources/applicants/ffffffffffffffffffffffff/fixedInfo", map[string]any{}).code)
}

func TestUploadRules(t *testing.T) {
	e := newEnv(t, func(c *sandbox.Config) { c.ReviewDelay = time.Hour })
	id := e.create("ext-upload", "", nil)

	first := e.mustUpload(id, "ID_CARD", "FRONT_SIDE", "front.jpg")
	second := e.mustUpload(id, "ID_CARD", "FRONT_SIDE", "front-again.jpg")
	a, _ := strconv.ParseInt(first, 10, 64)
	b, _ := strconv.ParseInt(second, 10, 64)
	assert.Greater(t, b, a, "X-Image-Id increases")
	snap, _ := e.sb.Applicant(id)
	assert.Len(t, snap.Images, 2, "every upload adds an image")

	res := e.upload(id, "ID_CARD", "BACK_SIDE", "back.jpg")
	require.Equal(t, http.StatusOK, res.code)
	assert.Equal(t, map[string]any{"idDocType": "ID_CARD", "idDocSubType": "BACK_SIDE", "country": "RUS"}, res.body)

	t.Run("empty file", func(t *testing.T) {
		body, ct := multipartBody(t, map[string]any{"idDocType": "PASSPORT", "country": "RUS"}, "empty.jpg", nil)
		uri := "/resources/applicants/" + id + "/info/idDoc"
		res := e.send(http.MethodPost, uri, uri, body, ct, secretKey, time.Now())
		assert.Equal(t, http.StatusBadRequest, res.code)
		assert.EqualValues(t, 1003, res.body["errorCode"])
		assert.Equal(t, "empty-file", res.body["errorName"])
	})
	t.Run("doc type not in level", func(t *testing.T) {
		res := e.upload(id, "UTILITY_BILL", "", "bill.jpg")
		assert.Equal(t, http.StatusConflict, res.code)
		assert.EqualValues(t, 1010, res.body["errorCode"])
		assert.Equal(t, "doc-type-not-in-req-docs", res.body["errorName"])

		idOnly := e.create("ext-upload-id-only", sandbox.LevelIDOnly, nil)
		res = e.upload(idOnly, "SELFIE", "", "selfie.jpg")
		assert.Equal(t, http.StatusConflict, res.code)
		assert.EqualValues(t, 1010, res.body["errorCode"])
	})
	t.Run("bad metadata", func(t *testing.T) {
		uri := "/resources/applicants/" + id + "/info/idDoc"
		for _, meta := range []map[string]any{
			{"country": "RUS"},
			{"idDocType": "PASSPORT", "country": "RU"},
			{"idDocType": "ID_CARD", "country": "RUS", "idDocSubType": "LEFT_SIDE"},
		} {
			body, ct := multipartBody(t, meta, "x.jpg", []byte("x"))
			assert.Equal(t, http.StatusBadRequest, e.send(http.MethodPost, uri, uri, body, ct, secretKey, time.Now()).code, meta)
		}
		res := e.send(http.MethodPost, uri, uri, []byte(`{}`), "application/json", secretKey, time.Now())
		assert.Equal(t, http.StatusBadRequest, res.code)
	})
	t.Run("unknown applicant", func(t *testing.T) {
		assert.Equal(t, http.StatusNotFound, e.upload("ffffffffffffffffffffffff", "PASSPORT", "", "p.jpg").code)
	})
	t.Run("while pending", func(t *testing.T) {
		e.mustUpload(id, "SELFIE", "", "selfie.jpg")
		require.Equal(t, http.StatusOK, e.pending(id).code)
		res := e.upload(id, "SELFIE", "", "selfie2.jpg")
		assert.Equal(t, http.StatusConflict, res.code)
	})
}

func TestPendingRules(t *testing.T) {
	e := newEnv(t, func(c *sandbox.Config) { c.ReviewDelay = time.Hour })
	id := e.create("ext-pending", "", nil)

	res := e.pending(id)
	assert.Equal(t, http.StatusConflict, res.code, "nothing uploaded")

	e.mustUpload(id, "ID_CARD", "FRONT_SIDE", "front.jpg")
	e.mustUpload(id, "SELFIE", "", "selfie.jpg")
	res = e.pending(id)
	assert.Equal(t, http.StatusConflict, res.code, "ID_CARD front only")
	assert.Contains(t, res.body["description"], "BACK_SIDE")

	e.mustUpload(id, "ID_CARD", "BACK_SIDE", "back.jpg")
	res = e.pending(id)
	require.Equal(t, http.StatusOK, res.code, string(res.raw))
	assert.Equal(t, map[string]any{"ok": float64(1)}, res.body)

	assert.Equal(t, http.StatusConflict, e.pending(id).code, "already pending")
	one := e.call(http.MethodGet, "/resources/applicants/"+id+"/one", nil)
	review := one.body["review"].(map[string]any)
	assert.Equal(t, "pending", review["reviewStatus"])
	assert.EqualValues(t, 1, review["attemptCnt"])

	t.Run("selfie missing", func(t *testing.T) {
		id := e.create("ext-pending-2", "", nil)
		e.mustUpload(id, "PASSPORT", "", "passport.jpg")
		res := e.pending(id)
		assert.Equal(t, http.StatusConflict, res.code)
		assert.Contains(t, res.body["description"], "SELFIE")
	})
	t.Run("id-only passport", func(t *testing.T) {
		id := e.create("ext-pending-3", sandbox.LevelIDOnly, nil)
		e.mustUpload(id, "PASSPORT", "", "passport.jpg")
		assert.Equal(t, http.StatusOK, e.pending(id).code)
	})
	assert.Equal(t, http.StatusNotFound, e.pending("ffffffffffffffffffffffff").code)
}

func TestReviewGreen(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-green", "", nil)
	front := e.mustUpload(id, "ID_CARD", "FRONT_SIDE", "front.jpg")
	back := e.mustUpload(id, "ID_CARD", "BACK_SIDE", "back.jpg")
	selfie := e.mustUpload(id, "SELFIE", "", "selfie.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	snap := e.waitReviews(id, 1)
	assert.Equal(t, &sandbox.ReviewResult{ReviewAnswer: "GREEN"}, snap.Result)

	one := e.call(http.MethodGet, "/resources/applicants/"+id+"/one", nil)
	review := one.body["review"].(map[string]any)
	assert.Equal(t, "completed", review["reviewStatus"])
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, review["reviewResult"])
	assert.EqualValues(t, 1, review["attemptCnt"])
	for _, k := range []string{"reviewId", "attemptId", "createDate", "reviewDate"} {
		assert.NotEmpty(t, review[k], k)
	}

	st := e.docsStatus(id)
	identity := st["IDENTITY"].(map[string]any)
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, identity["reviewResult"])
	assert.Equal(t, "ID_CARD", identity["idDocType"])
	assert.Equal(t, "RUS", identity["country"])
	assert.Equal(t, []string{front, back}, ids(identity["imageIds"]))
	assert.Contains(t, identity["imageReviewResults"], front)
	selfieStep := st["SELFIE"].(map[string]any)
	assert.Equal(t, []string{selfie}, ids(selfieStep["imageIds"]))
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, selfieStep["reviewResult"])
}

// ids renders decoded imageIds as decimal strings.
func ids(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, strconv.FormatInt(int64(x.(float64)), 10))
	}
	return out
}

func TestDocsStatusBeforeReview(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-status", "", nil)
	st := e.docsStatus(id)
	assert.Contains(t, st, "IDENTITY")
	assert.Nil(t, st["IDENTITY"])
	assert.Nil(t, st["SELFIE"])
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	st = e.docsStatus(id)
	assert.Nil(t, st["IDENTITY"].(map[string]any)["reviewResult"])
	assert.Nil(t, st["SELFIE"])
	assert.Equal(t, http.StatusNotFound, e.call(http.MethodGet, "/resources/applicants/ffffffffffffffffffffffff/requiredIdDocsStatus", nil).code)
}

func TestReviewRetryThenGreen(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL })
	id := e.create("ext-retry", "", nil)
	front := e.mustUpload(id, "ID_CARD", "FRONT_SIDE", "Front-RETRY.jpg")
	back := e.mustUpload(id, "ID_CARD", "BACK_SIDE", "back.jpg")
	e.mustUpload(id, "SELFIE", "", "selfie.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	snap := e.waitReviews(id, 1)
	firstAttempt := snap.AttemptID
	assert.Equal(t, &sandbox.ReviewResult{
		ReviewAnswer:      "RED",
		ReviewRejectType:  "RETRY",
		RejectLabels:      []string{"UNSATISFACTORY_PHOTOS"},
		ModerationComment: sandbox.ModerationCommentRetry,
		ClientComment:     sandbox.ClientCommentRetry,
	}, snap.Result)

	st := e.docsStatus(id)
	identity := st["IDENTITY"].(map[string]any)
	assert.Equal(t, "RED", identity["reviewResult"].(map[string]any)["reviewAnswer"])
	assert.Equal(t, sandbox.ModerationCommentRetry, identity["reviewResult"].(map[string]any)["moderationComment"])
	images := identity["imageReviewResults"].(map[string]any)
	assert.Equal(t, map[string]any{
		"reviewAnswer":      "RED",
		"reviewRejectType":  "RETRY",
		"rejectLabels":      []any{"UNSATISFACTORY_PHOTOS"},
		"moderationComment": sandbox.ModerationCommentRetry,
		"clientComment":     sandbox.ClientCommentRetry,
	}, images[front])
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, images[back])
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, st["SELFIE"].(map[string]any)["reviewResult"])

	// Upload a clean front again: it supersedes the rejected one.
	newFront := e.mustUpload(id, "ID_CARD", "FRONT_SIDE", "front-2.jpg")
	identity = e.docsStatus(id)["IDENTITY"].(map[string]any)
	assert.Equal(t, []string{newFront, back}, ids(identity["imageIds"]), "front side first")

	require.Equal(t, http.StatusOK, e.pending(id).code)
	snap = e.waitReviews(id, 2)
	assert.Equal(t, &sandbox.ReviewResult{ReviewAnswer: "GREEN"}, snap.Result)
	assert.Equal(t, 2, snap.AttemptCnt)
	assert.NotEqual(t, firstAttempt, snap.AttemptID)
	identity = e.docsStatus(id)["IDENTITY"].(map[string]any)
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, identity["reviewResult"])
	assert.Len(t, snap.Images, 4)

	require.Eventually(t, func() bool { return len(rcv.delivered("applicantReviewed", id)) == 2 }, waitFor, tick)
	reviewed := rcv.delivered("applicantReviewed", id)
	assert.Equal(t, "RED", reviewed[0].payload["reviewResult"].(map[string]any)["reviewAnswer"])
	assert.Equal(t, "GREEN", reviewed[1].payload["reviewResult"].(map[string]any)["reviewAnswer"])
}

func TestReviewRetryWithoutNewUploadStaysRed(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-retry-again", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "passport_retry.png")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	e.waitReviews(id, 1)
	require.Equal(t, http.StatusOK, e.pending(id).code)
	snap := e.waitReviews(id, 2)
	assert.Equal(t, "RED", snap.Result.ReviewAnswer)
	assert.Equal(t, "RETRY", snap.Result.ReviewRejectType)
}

func TestReviewForgery(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-forgery", "", nil)
	e.mustUpload(id, "PASSPORT", "", "passport.jpg")
	e.mustUpload(id, "SELFIE", "", "selfie-forgery.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	snap := e.waitReviews(id, 1)
	assert.Equal(t, "RED", snap.Result.ReviewAnswer)
	assert.Equal(t, "FINAL", snap.Result.ReviewRejectType)
	assert.Equal(t, []string{"FORGERY"}, snap.Result.RejectLabels)
	assert.Equal(t, "GREEN", snap.Steps["IDENTITY"].ReviewAnswer)
	assert.Equal(t, "FINAL", snap.Steps["SELFIE"].ReviewRejectType)

	res := e.upload(id, "SELFIE", "", "selfie-2.jpg")
	assert.Equal(t, http.StatusConflict, res.code)
	assert.EqualValues(t, 1009, res.body["errorCode"])
	assert.Equal(t, "applicant-with-final-reject", res.body["errorName"])
	assert.Equal(t, http.StatusConflict, e.pending(id).code)
}

func TestReviewFraudLastName(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-fraud", sandbox.LevelIDOnly, map[string]any{"firstName": "Test", "lastName": "fRaUd"})
	e.mustUpload(id, "DRIVERS", "FRONT_SIDE", "front.jpg")
	e.mustUpload(id, "DRIVERS", "BACK_SIDE", "back.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	snap := e.waitReviews(id, 1)
	assert.Equal(t, &sandbox.ReviewResult{
		ReviewAnswer: "RED", ReviewRejectType: "FINAL", RejectLabels: []string{"FORGERY"},
		ModerationComment: sandbox.ModerationCommentForgery, ClientComment: sandbox.ClientCommentForgery,
	}, snap.Result)
	assert.EqualValues(t, 1009, e.upload(id, "DRIVERS", "FRONT_SIDE", "x.jpg").body["errorCode"])
}

func TestReviewBlacklistFile(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL })
	id := e.create("ext-blacklist", "", nil)
	e.mustUpload(id, "PASSPORT", "", "passport-BlackList.jpg")
	e.mustUpload(id, "SELFIE", "", "selfie.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	// The GREEN review comes first (checked on the webhooks below, which keep
	// per-applicant order), the BLACKLIST one BlacklistFactor × ReviewDelay later.
	snap := e.waitReviews(id, 1)
	assert.True(t, snap.BlacklistPlanned)

	snap = e.waitReviews(id, 2)
	assert.Equal(t, &sandbox.ReviewResult{
		ReviewAnswer: "RED", ReviewRejectType: "FINAL", RejectLabels: []string{"BLACKLIST"},
		ModerationComment: sandbox.ModerationCommentBlacklist, ClientComment: sandbox.ClientCommentBlacklist,
	}, snap.Result)
	assert.Equal(t, 1, snap.AttemptCnt, "a later review, not a new attempt")

	require.Eventually(t, func() bool { return len(rcv.delivered("applicantReviewed", id)) == 2 }, waitFor, tick)
	reviewed := rcv.delivered("applicantReviewed", id)
	assert.Equal(t, "GREEN", reviewed[0].payload["reviewResult"].(map[string]any)["reviewAnswer"])
	assert.Equal(t, []any{"BLACKLIST"}, reviewed[1].payload["reviewResult"].(map[string]any)["rejectLabels"])
	assert.NotEqual(t, reviewed[0].payload["correlationId"], reviewed[1].payload["correlationId"])

	assert.EqualValues(t, 1009, e.upload(id, "SELFIE", "", "s.jpg").body["errorCode"])
}

func TestBlacklistHelper(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL })
	id := e.create("ext-bl-helper", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	first := e.waitReviews(id, 1)
	require.Equal(t, "GREEN", first.Result.ReviewAnswer)

	require.NoError(t, e.sb.Blacklist(id))
	snap, ok := e.sb.Applicant(id)
	require.True(t, ok)
	assert.Equal(t, []string{"BLACKLIST"}, snap.Result.RejectLabels)
	assert.NotEqual(t, first.ReviewID, snap.ReviewID)
	assert.Equal(t, "GREEN", snap.Steps["IDENTITY"].ReviewAnswer, "documents stay GREEN")
	require.Eventually(t, func() bool { return len(rcv.delivered("applicantReviewed", id)) == 2 }, waitFor, tick)
	assert.ErrorIs(t, e.sb.Blacklist("nobody"), sandbox.ErrNotFound)

	// Over HTTP: auth required, 404 for unknown.
	other := e.create("ext-bl-http", sandbox.LevelIDOnly, nil)
	uri := "/sandbox/applicants/" + other + "/blacklist"
	assert.Equal(t, http.StatusUnauthorized, e.send(http.MethodPost, uri, uri, nil, "", "bad", time.Now()).code)
	res := e.call(http.MethodPost, uri, nil)
	require.Equal(t, http.StatusOK, res.code, string(res.raw))
	snap, _ = e.sb.Applicant(other)
	assert.Equal(t, "completed", snap.ReviewStatus)
	assert.True(t, snap.Result.ReviewRejectType == "FINAL")
	assert.Equal(t, http.StatusNotFound, e.call(http.MethodPost, "/sandbox/applicants/nobody/blacklist", nil).code)

	res = e.call(http.MethodGet, "/sandbox/applicants/"+other, nil)
	require.Equal(t, http.StatusOK, res.code)
	assert.Equal(t, other, res.body["ID"])
}

func TestWebhookDigestAlgorithms(t *testing.T) {
	for _, alg := range []string{"", "HMAC_SHA1_HEX", "HMAC_SHA256_HEX", "HMAC_SHA512_HEX"} {
		t.Run("alg="+alg, func(t *testing.T) {
			rcv := newReceiver(t, nil)
			e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL; c.DigestAlg = alg })
			id := e.create("ext-wh", sandbox.LevelIDOnly, map[string]any{"lastName": "Секретов"})
			e.mustUpload(id, "PASSPORT", "", "p.jpg")
			require.Equal(t, http.StatusOK, e.pending(id).code)
			require.Eventually(t, func() bool { return len(rcv.delivered("", id)) == 3 }, waitFor, tick)

			want := alg
			if want == "" {
				want = "HMAC_SHA256_HEX"
			}
			seen := map[any]bool{}
			got := rcv.delivered("", id)
			for i, typ := range []string{"applicantCreated", "applicantPending", "applicantReviewed"} {
				d := got[i]
				assert.Equal(t, typ, d.payload["type"], "in order")
				assert.Equal(t, want, d.alg)
				assert.Equal(t, digestOf(want, d.body), d.digest)
				assert.NotContains(t, string(d.body), "Секретов", "no personal data")
				assert.Equal(t, true, d.payload["sandboxMode"])
				assert.Equal(t, "ext-wh", d.payload["externalUserId"])
				assert.Equal(t, sandbox.LevelIDOnly, d.payload["levelName"])
				assert.Regexp(t, hexID, d.payload["inspectionId"])
				_, err := time.Parse("2006-01-02 15:04:05.000", d.payload["createdAtMs"].(string))
				assert.NoError(t, err)
				assert.False(t, seen[d.payload["correlationId"]], "correlationId unique")
				seen[d.payload["correlationId"]] = true
			}
			assert.Equal(t, "init", got[0].payload["reviewStatus"])
			assert.Equal(t, "pending", got[1].payload["reviewStatus"])
			assert.Equal(t, "completed", got[2].payload["reviewStatus"])
			assert.Nil(t, got[1].payload["reviewResult"])
			assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, got[2].payload["reviewResult"])
		})
	}
	assert.Panics(t, func() { sandbox.New(sandbox.Config{DigestAlg: "MD5"}) })
}

func TestWebhookRetry(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL })
	id := e.create("ext-wh-retry", "", nil)

	require.Eventually(t, func() bool { return len(rcv.delivered("applicantCreated", id)) == 1 }, waitFor, tick)
	require.Eventually(t, func() bool { return e.sb.WebhooksInFlight() == 0 }, waitFor, tick)
	assert.Equal(t, 3, rcv.attempts())
	assert.Equal(t, sandbox.WebhookStat{Enqueued: 1, Attempts: 3, Delivered: 1, Failed: 2}, e.sb.WebhookStats()["applicantCreated"])
}

func TestWebhookDroppedAfterSchedule(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	e := newEnv(t, func(c *sandbox.Config) {
		c.WebhookURL = rcv.srv.URL
		c.RetrySchedule = []time.Duration{time.Millisecond, 2 * time.Millisecond}
	})
	e.create("ext-wh-drop", "", nil)
	require.Eventually(t, func() bool { return e.sb.WebhookStats()["applicantCreated"].Dropped == 1 }, waitFor, tick)
	assert.Equal(t, sandbox.WebhookStat{Enqueued: 1, Attempts: 3, Failed: 3, Dropped: 1}, e.sb.WebhookStats()["applicantCreated"])
	assert.Equal(t, 3, rcv.attempts())
}

func TestWebhookUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = url; c.RetrySchedule = []time.Duration{time.Millisecond} })
	e.create("ext-wh-dead", "", nil)
	require.Eventually(t, func() bool { return e.sb.WebhookStats()["applicantCreated"].Dropped == 1 }, waitFor, tick)
	assert.Equal(t, 2, e.sb.WebhookStats()["applicantCreated"].Attempts)
}

func TestDuplicateWebhooks(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL; c.DuplicateWebhooks = true })
	id := e.create("ext-wh-dup", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	require.Eventually(t, func() bool { return len(rcv.delivered("applicantReviewed", id)) == 2 }, waitFor, tick)
	require.Eventually(t, func() bool { return e.sb.WebhooksInFlight() == 0 }, waitFor, tick)
	reviewed := rcv.delivered("applicantReviewed", id)
	require.Len(t, reviewed, 2)
	assert.Equal(t, reviewed[0].payload["correlationId"], reviewed[1].payload["correlationId"])
	assert.Equal(t, reviewed[0].body, reviewed[1].body)
	assert.Len(t, rcv.delivered("applicantCreated", id), 1, "only applicantReviewed is duplicated")
	assert.Len(t, rcv.delivered("applicantPending", id), 1)
	assert.Equal(t, 2, e.sb.WebhookStats()["applicantReviewed"].Delivered)
}

func TestTestCompleted(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL; c.ReviewDelay = time.Hour })
	id := e.create("ext-tc", "", nil)
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	e.mustUpload(id, "SELFIE", "", "s.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	uri := "/resources/applicants/" + id + "/status/testCompleted"
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, uri, map[string]any{"reviewAnswer": "YELLOW"}).code)
	assert.Equal(t, http.StatusBadRequest, e.call(http.MethodPost, uri, map[string]any{"reviewAnswer": "RED", "reviewRejectType": "MAYBE"}).code)

	res := e.call(http.MethodPost, uri, map[string]any{
		"reviewAnswer": "RED", "reviewRejectType": "RETRY", "rejectLabels": []string{"BAD_SELFIE"},
		"moderationComment": "Сделайте селфи ещё раз.", "clientComment": "manual",
	})
	require.Equal(t, http.StatusOK, res.code, string(res.raw))
	require.Eventually(t, func() bool { return len(rcv.delivered("applicantReviewed", id)) == 1 }, waitFor, tick)
	d := rcv.delivered("applicantReviewed", id)[0]
	assert.Equal(t, map[string]any{
		"reviewAnswer": "RED", "reviewRejectType": "RETRY", "rejectLabels": []any{"BAD_SELFIE"},
		"moderationComment": "Сделайте селфи ещё раз.", "clientComment": "manual",
	}, d.payload["reviewResult"])

	one := e.call(http.MethodGet, "/resources/applicants/"+id+"/one", nil)
	review := one.body["review"].(map[string]any)
	assert.Equal(t, "completed", review["reviewStatus"])
	assert.EqualValues(t, 1, review["attemptCnt"], "completes the running attempt")
	st := e.docsStatus(id)
	assert.Equal(t, "RED", st["SELFIE"].(map[string]any)["reviewResult"].(map[string]any)["reviewAnswer"])

	// From a completed state: a new attempt, GREEN.
	res = e.call(http.MethodPost, uri, map[string]any{"reviewAnswer": "GREEN"})
	require.Equal(t, http.StatusOK, res.code)
	snap, _ := e.sb.Applicant(id)
	assert.Equal(t, 2, snap.AttemptCnt)
	assert.Equal(t, "GREEN", snap.Result.ReviewAnswer)
	require.Eventually(t, func() bool { return len(rcv.delivered("applicantReviewed", id)) == 2 }, waitFor, tick)

	// FINAL blocks uploads.
	res = e.call(http.MethodPost, uri, map[string]any{"reviewAnswer": "RED", "reviewRejectType": "FINAL", "rejectLabels": []string{"FRAUDULENT_PATTERNS"}})
	require.Equal(t, http.StatusOK, res.code)
	up := e.upload(id, "PASSPORT", "", "p2.jpg")
	assert.Equal(t, http.StatusConflict, up.code)
	assert.EqualValues(t, 1009, up.body["errorCode"])
	assert.Equal(t, http.StatusNotFound, e.call(http.MethodPost, "/resources/applicants/ffffffffffffffffffffffff/status/testCompleted",
		map[string]any{"reviewAnswer": "GREEN"}).code)
}

func TestNoWebhookURL(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-no-wh", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	e.waitReviews(id, 1)
	assert.Empty(t, e.sb.WebhookStats())
	assert.Zero(t, e.sb.WebhooksInFlight())
}

func TestCloseStopsEverything(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	sb := sandbox.New(sandbox.Config{AppToken: appToken, SecretKey: secretKey, WebhookURL: rcv.srv.URL,
		ReviewDelay: time.Hour, RetrySchedule: []time.Duration{time.Hour}})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, sb: sb, srv: srv}
	id := e.create("ext-close", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	require.Eventually(t, func() bool { return rcv.attempts() >= 1 }, waitFor, tick)

	start := time.Now()
	sb.Close()
	assert.Less(t, time.Since(start), 2*time.Second, "Close does not wait for timers")
	sb.Close() // idempotent
	assert.Zero(t, sb.WebhooksInFlight())
	seen := rcv.attempts()
	// The API still answers after Close, without scheduling anything.
	assert.Equal(t, http.StatusOK, e.call(http.MethodGet, "/resources/applicants/"+id+"/one", nil).code)
	other := e.create("ext-close-2", sandbox.LevelIDOnly, nil)
	e.mustUpload(other, "PASSPORT", "", "p.jpg")
	assert.Equal(t, http.StatusOK, e.pending(other).code)
	assert.Equal(t, seen, rcv.attempts())
}

func TestConcurrentUse(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.WebhookURL = rcv.srv.URL; c.ReviewDelay = 10 * time.Millisecond })
	const n = 8
	applicants := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			created := e.tryCall(t, http.MethodPost, "/resources/applicants", []byte(fmt.Sprintf(`{"externalUserId":"ext-conc-%d"}`, i)), "application/json")
			if !assert.Equal(t, http.StatusCreated, created.code) {
				return
			}
			id, _ := created.body["id"].(string)
			applicants[i] = id
			for _, doc := range []string{"PASSPORT", "SELFIE"} {
				body, ct := multipartBodyNoFail(doc)
				assert.Equal(t, http.StatusOK, e.tryCall(t, http.MethodPost, "/resources/applicants/"+id+"/info/idDoc", body, ct).code)
			}
			assert.Equal(t, http.StatusOK, e.tryCall(t, http.MethodPost, "/resources/applicants/"+id+"/status/pending", nil, "").code)
			assert.Equal(t, http.StatusOK, e.tryCall(t, http.MethodGet, "/resources/applicants/"+id+"/requiredIdDocsStatus", nil, "").code)
		})
	}
	wg.Wait()
	for _, id := range applicants {
		assert.Equal(t, "GREEN", e.waitReviews(id, 1).Result.ReviewAnswer)
	}
	require.Eventually(t, func() bool { return len(rcv.delivered("", "")) == 3*n }, waitFor, tick)
}

// TestSameFileAgainIsADuplicateDocument: an upload retried after its answer
// was lost adds no second image; IDnGO answers 409 duplicate-document.
func TestSameFileAgainIsADuplicateDocument(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create("ext-dup-upload", "", nil)
	first := e.upload(id, "PASSPORT", "", "passport.jpg")
	require.Equal(t, http.StatusOK, first.code)
	again := e.upload(id, "PASSPORT", "", "passport.jpg")
	require.Equal(t, http.StatusConflict, again.code)
	assert.EqualValues(t, sandbox.ErrCodeDuplicateDocument, again.body["errorCode"])
	assert.Equal(t, "duplicate-document", again.body["errorName"])
	snap, ok := e.sb.Applicant(id)
	require.True(t, ok)
	assert.Len(t, snap.Images, 1, "one image")
}
