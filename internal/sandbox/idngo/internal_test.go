package idngo

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signedRecorderCall serves one signed request through h without a network.
func signedRecorderCall(t *testing.T, h http.Handler, method, uri, body string) *httptest.ResponseRecorder {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte(ts + method + uri + body))
	req := httptest.NewRequest(method, uri, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-App-Token", "token")
	req.Header.Set("X-App-Access-Ts", ts)
	req.Header.Set("X-App-Access-Sig", hex.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWebhookTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client giving up
		if calls.Add(1) == 1 {
			select { // never answers in time
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(release) })
	s := New(Config{AppToken: "token", SecretKey: "secret", WebhookURL: rcv.URL, RetrySchedule: []time.Duration{time.Millisecond}})
	t.Cleanup(s.Close)
	s.webhookTimeout = 50 * time.Millisecond

	rec := signedRecorderCall(t, s.Handler(), http.MethodPost, "/resources/applicants", `{"externalUserId":"ext-timeout"}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Eventually(t, func() bool { return s.WebhookStats()[WebhookApplicantCreated].Delivered == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, WebhookStat{Enqueued: 1, Attempts: 2, Failed: 1, Delivered: 1}, s.WebhookStats()[WebhookApplicantCreated])
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	baseline := runtime.NumGoroutine()
	s := New(Config{AppToken: "token", SecretKey: "secret", WebhookURL: rcv.URL,
		ReviewDelay: time.Hour, RetrySchedule: []time.Duration{time.Hour}})
	h := s.Handler()
	for _, ext := range []string{"a", "b", "c"} {
		rec := signedRecorderCall(t, h, http.MethodPost, "/resources/applicants?levelName=id-only-level", `{"externalUserId":"`+ext+`"}`)
		require.Equal(t, http.StatusCreated, rec.Code)
		id := s.byExternalID(ext)
		s.mu.Lock()
		a := s.applicants[id]
		s.nextImageID++
		a.images = append(a.images, &image{id: s.nextImageID, step: StepIdentity, docType: DocPassport, country: "RUS", fileName: "p.jpg", size: 1})
		s.mu.Unlock()
		require.Equal(t, http.StatusOK, signedRecorderCall(t, h, http.MethodPost, "/resources/applicants/"+id+"/status/pending", "").Code)
	}
	require.Eventually(t, func() bool { return s.WebhookStats()[WebhookApplicantCreated].Failed == 3 }, 5*time.Second, 5*time.Millisecond)
	assert.Greater(t, runtime.NumGoroutine(), baseline, "webhook queues are waiting to retry")

	s.Close()
	rcv.Close()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= baseline }, 5*time.Second, 10*time.Millisecond,
		"goroutines: %d, baseline %d", runtime.NumGoroutine(), baseline)
	s.mu.Lock()
	assert.Empty(t, s.timers)
	assert.Empty(t, s.queues)
	s.mu.Unlock()
}

// byExternalID returns an applicant id by externalUserId.
func (s *Sandbox) byExternalID(ext string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byExternal[ext]
}

func TestStepImagesSupersedesRejectedSideOnly(t *testing.T) {
	retry := judge("x-retry.jpg")
	green := judge("x.jpg")
	a := &applicant{levelName: LevelBasic, images: []*image{
		{id: 1, step: StepIdentity, docType: DocIDCard, subType: SideBack, country: "RUS", result: green},
		{id: 2, step: StepIdentity, docType: DocIDCard, subType: SideFront, country: "RUS", result: retry},
		{id: 3, step: StepIdentity, docType: DocIDCard, subType: SideBack, country: "RUS"},
	}}
	_, _, active := a.stepImages(StepIdentity)
	assert.Equal(t, []int64{2, 1, 3}, imageIDs(active), "nothing superseded yet; front first")

	a.images = append(a.images, &image{id: 4, step: StepIdentity, docType: DocIDCard, subType: SideFront, country: "RUS"})
	_, _, active = a.stepImages(StepIdentity)
	assert.Equal(t, []int64{4, 1, 3}, imageIDs(active), "rejected front superseded")
	assert.Equal(t, "SELFIE", a.missingDocs())

	// Switching documents: only the latest upload's document counts.
	a.images = append(a.images, &image{id: 5, step: StepIdentity, docType: DocDrivers, subType: SideFront, country: "RUS"})
	docType, _, active := a.stepImages(StepIdentity)
	assert.Equal(t, DocDrivers, docType)
	assert.Equal(t, []int64{5}, imageIDs(active))
	assert.Equal(t, "IDENTITY (DRIVERS BACK_SIDE), SELFIE", a.missingDocs())
}

func imageIDs(imgs []*image) []int64 {
	var out []int64
	for _, im := range imgs {
		out = append(out, im.id)
	}
	return out
}

func TestAggregate(t *testing.T) {
	assert.Equal(t, &ReviewResult{ReviewAnswer: AnswerGreen}, aggregate([]*ReviewResult{judge("a"), judge("b")}))
	got := aggregate([]*ReviewResult{judge("a-retry"), judge("b-FORGERY"), judge("c-retry")})
	assert.Equal(t, AnswerRed, got.ReviewAnswer)
	assert.Equal(t, RejectFinal, got.ReviewRejectType)
	assert.Equal(t, []string{LabelUnsatisfactoryPhotos, LabelForgery}, got.RejectLabels)
	assert.Equal(t, ModerationCommentRetry+" "+ModerationCommentForgery, got.ModerationComment)
	assert.Equal(t, RejectFinal, judge("forgery-retry").ReviewRejectType, "forgery wins over retry")
	assert.Equal(t, AnswerGreen, judge("blacklist").ReviewAnswer)
}

// TestRetryFactorCompressesTheRealSchedule: one factor turns IDnGO's own
// +5m +1h +5h +18h into a schedule a test can wait for.
func TestRetryFactorCompressesTheRealSchedule(t *testing.T) {
	s := New(Config{AppToken: "token", SecretKey: "secret", RetryFactor: 60})
	defer s.Close()
	assert.Equal(t, []time.Duration{5 * time.Second, time.Minute, 5 * time.Minute, 18 * time.Minute}, s.cfg.RetrySchedule)

	s = New(Config{AppToken: "token", SecretKey: "secret"})
	defer s.Close()
	assert.Equal(t, DefaultRetrySchedule, s.cfg.RetrySchedule, "no factor keeps the compressed default")
}
