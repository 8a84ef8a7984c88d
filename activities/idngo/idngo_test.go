package idngo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.temporal.io/sdk/testsuite"

	"idflow/activities/activitytest"
	"idflow/internal/pii"
	provider "idflow/internal/providers/idngo"
	sandbox "idflow/internal/sandbox/idngo"
	"idflow/internal/store"
	. "idflow/workflows/kyc" // the contract's names read as the activities' own
	"idflow/workflows/process"
)

func activityEnv(t *testing.T, a *Activities) *testsuite.TestActivityEnvironment {
	return activitytest.ActivityEnv(t, func(env *testsuite.TestActivityEnvironment) { Register(env, a) })
}

func idngoActivities(t *testing.T) *Activities {
	a, _ := gatedIDnGOActivities(t)
	return a
}

// gatedIDnGOActivities are activities against the sandbox whose every GET
// is answered 502 while the returned flag is set.
func gatedIDnGOActivities(t *testing.T) (*Activities, *atomic.Bool) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{AppToken: "app", SecretKey: "secret", ReviewDelay: 50 * time.Millisecond})
	t.Cleanup(sb.Close)
	h, failGets := activitytest.Gate(sb.Handler(), func(r *http.Request) bool { return r.Method == http.MethodGet })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := provider.New(provider.Config{BaseURL: srv.URL, AppToken: "app", SecretKey: "secret"})
	require.NoError(t, err)
	return &Activities{Client: c, Store: activitytest.NewStore(t)}, failGets
}

// image stores a fake image under a file name the sandbox reacts to.
func image(t *testing.T, st *store.Store, docType, subType, fileName string) Document {
	t.Helper()
	doc, err := st.PutDocument(t.Context(), store.NewDocument{Owner: "test", Title: fileName, MediaType: "image/jpeg",
		Content: []byte("\xff\xd8\xff\xe0 " + fileName)})
	require.NoError(t, err)
	return Document{IDDocType: docType, IDDocSubType: subType, Country: "RUS", DocumentID: doc.ID}
}

// TestKYCActivitiesAgainstTheSandbox walks one applicant through the
// activities: a second EnsureApplicant finds the first applicant, a second
// RequestReview finds it in review, and the rejected step comes back with
// its moderation comment but never the clientComment.
func TestKYCActivitiesAgainstTheSandbox(t *testing.T) {
	a, failGets := gatedIDnGOActivities(t)
	env := activityEnv(t, a)
	ensure := EnsureApplicantInput{ExternalUserID: "user-1", LevelName: "basic-kyc-level",
		Applicant: ApplicantRef{InfoDocumentID: activitytest.PutJSON(t, a.Store, pii.ApplicantInfo{FirstName: "Иван", LastName: "Иванов"}, ApplicantInfoMediaType)}}
	var first, second EnsureApplicantResult
	v, err := env.ExecuteActivity(a.EnsureApplicant, ensure)
	require.NoError(t, err)
	require.NoError(t, v.Get(&first))
	v, err = env.ExecuteActivity(a.EnsureApplicant, ensure)
	require.NoError(t, err)
	require.NoError(t, v.Get(&second))
	assert.Equal(t, first.ApplicantID, second.ApplicantID, "a retried create finds the same applicant")
	id := first.ApplicantID

	for _, doc := range []Document{
		image(t, a.Store, "ID_CARD", "FRONT_SIDE", "front-retry.jpg"),
		image(t, a.Store, "ID_CARD", "BACK_SIDE", "back.jpg"),
		image(t, a.Store, "SELFIE", "", "selfie.jpg"),
	} {
		_, err := env.ExecuteActivity(a.UploadDocument, UploadDocumentInput{ApplicantID: id, Document: doc})
		require.NoError(t, err)
	}
	_, err = env.ExecuteActivity(a.SetFixedInfo, SetFixedInfoInput{ApplicantID: id, Applicant: ensure.Applicant})
	require.NoError(t, err)
	_, err = env.ExecuteActivity(a.RequestReview, id)
	require.NoError(t, err)
	_, err = env.ExecuteActivity(a.RequestReview, id)
	require.NoError(t, err, "already in review counts as done")
	// Unless the applicant cannot be read to tell: then it is retried, not
	// refused for good.
	failGets.Store(true)
	_, err = env.ExecuteActivity(a.RequestReview, id)
	failGets.Store(false)
	activitytest.RequireRetryable(t, err)

	var review ReviewState
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		v, err := env.ExecuteActivity(a.ReadReview, id)
		require.NoError(c, err)
		require.NoError(c, v.Get(&review))
		assert.True(c, review.Completed(), "review %+v", review)
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, "RED", review.Answer)
	assert.Equal(t, "RETRY", review.RejectType)

	v, err = env.ExecuteActivity(a.RejectedSteps, id)
	require.NoError(t, err)
	var rejected RejectedStepsResult
	require.NoError(t, v.Get(&rejected))
	require.Len(t, rejected.Steps, 1)
	step := rejected.Steps[0]
	assert.Equal(t, "IDENTITY", step.Step)
	assert.Len(t, step.RejectedImageIDs, 1, "only the front side")
	assert.Equal(t, sandbox.ModerationCommentRetry, step.ModerationComment)
	encoded, err := json.Marshal(rejected)
	require.NoError(t, err)
	assert.NotContains(t, string(encoded), sandbox.ClientCommentRetry)
}

// TestUploadRetryAfterADeliveredUpload: IDnGO answers a repeated image with
// 409 duplicate-document; for a retried activity that means done.
func TestUploadRetryAfterADeliveredUpload(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"description":"Duplicate document","code":409,"errorCode":1000,"errorName":"duplicate-document"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := provider.New(provider.Config{BaseURL: srv.URL, AppToken: "app", SecretKey: "secret"})
	require.NoError(t, err)
	a := &Activities{Client: c, Store: activitytest.NewStore(t)}
	doc := image(t, a.Store, "PASSPORT", "", "passport.jpg")

	_, err = activityEnv(t, a).ExecuteActivity(a.UploadDocument, UploadDocumentInput{ApplicantID: "0123456789abcdef01234567", Document: doc})
	require.NoError(t, err)
}

// TestKYCProviderRefusalsAreFinal: IDnGO's own 4xx is final; a document
// missing from the store is invalid input.
func TestKYCProviderRefusalsAreFinal(t *testing.T) {
	a := idngoActivities(t)
	env := activityEnv(t, a)
	_, err := env.ExecuteActivity(a.RequestReview, "0123456789abcdef01234567")
	activitytest.RequireFinal(t, err, process.ErrTypeProviderRejected)
	_, err = env.ExecuteActivity(a.UploadDocument, UploadDocumentInput{ApplicantID: "0123456789abcdef01234567",
		Document: Document{IDDocType: "PASSPORT", Country: "RUS", DocumentID: "doc_missing"}})
	activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
}

// TestCheckDocumentsNamesEachMissingOne: stored documents pass; each
// missing one is named by its path, in one final error.
func TestCheckDocumentsNamesEachMissingOne(t *testing.T) {
	a := idngoActivities(t)
	env := activityEnv(t, a)
	present := image(t, a.Store, "SELFIE", "", "selfie.jpg")
	_, err := env.ExecuteActivity(a.CheckDocuments, CheckDocumentsInput{Documents: []Document{present}})
	require.NoError(t, err)
	_, err = env.ExecuteActivity(a.CheckDocuments, CheckDocumentsInput{Documents: []Document{
		{IDDocType: "PASSPORT", Country: "RUS", DocumentID: "doc_gone"}, present, {IDDocType: "SELFIE", Country: "RUS", DocumentID: "doc_also_gone"},
	}})
	appErr := activitytest.RequireFinal(t, err, process.ErrTypeInvalidInput)
	assert.Contains(t, appErr.Error(), "documents[0].documentId")
	assert.Contains(t, appErr.Error(), "documents[2].documentId")
	assert.NotContains(t, appErr.Error(), "documents[1]")
}

// TestReviewBegunSince decides whether a retried review request already
// went through: only a review created since the activity was scheduled.
func TestReviewBegunSince(t *testing.T) {
	scheduled := time.Date(2026, 12, 2, 10, 0, 0, 500_000_000, time.UTC)
	tests := []struct {
		name   string
		review *provider.Review
		want   bool
	}{
		{"no review", nil, false},
		{"never submitted", &provider.Review{ReviewStatus: "init", CreateDate: "2026-12-02 10:00:05"}, false},
		{"an earlier review", &provider.Review{ReviewStatus: "completed", CreateDate: "2026-12-02 09:59:59"}, false},
		{"pending since, in the same second", &provider.Review{ReviewStatus: "pending", CreateDate: "2026-12-02 10:00:00"}, true},
		{"completed since", &provider.Review{ReviewStatus: "completed", CreateDate: "2026-12-02 10:00:01.25"}, true},
		{"unreadable date", &provider.Review{ReviewStatus: "pending", CreateDate: "yesterday"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, reviewBegunSince(tt.review, scheduled))
		})
	}
}
