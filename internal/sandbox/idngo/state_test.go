package idngo_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/clocktest"
	sandbox "idflow/internal/sandbox/idngo"
)

// stateEnv is an env whose sandbox keeps its state in a file and runs on a
// fake clock, so that it can be restarted part-way and time can pass while
// it is down.
type stateEnv struct {
	*env
	cfg   sandbox.Config
	clock *clocktest.Clock
}

// newStateEnv serves a sandbox on a new state file with a fake clock showing now.
func newStateEnv(t *testing.T, mod func(*sandbox.Config)) *stateEnv {
	t.Helper()
	clock := clocktest.New(time.Now().UTC()) // UTC drops the monotonic reading, as a stored time has none
	cfg := sandbox.Config{AppToken: appToken, SecretKey: secretKey, WebhookSecret: whSecret,
		Clock: clock.Now, StatePath: filepath.Join(t.TempDir(), "sandboxes.db")}
	if mod != nil {
		mod(&cfg)
	}
	e := &stateEnv{env: &env{t: t, now: clock.Now}, cfg: cfg, clock: clock}
	e.open()
	return e
}

// open serves a sandbox opened on the state file.
func (e *stateEnv) open() {
	e.t.Helper()
	sb, err := sandbox.Open(e.cfg)
	require.NoError(e.t, err)
	e.sb, e.srv = sb, httptest.NewServer(sb.Handler())
	e.t.Cleanup(e.srv.Close)
	e.t.Cleanup(sb.Close)
}

// restart stops the sandbox as Ctrl-C would, lets down pass on the clock, and opens a new one.
func (e *stateEnv) restart(down time.Duration) {
	e.t.Helper()
	e.srv.Close()
	e.sb.Close()
	e.clock.Advance(down)
	e.open()
}

// reviewOf fetches the applicant's review object.
func (e *stateEnv) reviewOf(id string) map[string]any {
	e.t.Helper()
	res := e.call(http.MethodGet, "/resources/applicants/"+id+"/one", nil)
	require.Equal(e.t, http.StatusOK, res.code, string(res.raw))
	return res.body["review"].(map[string]any)
}

// types lists the types of deliveries in order.
func types(ds []delivery) []any {
	var out []any
	for _, d := range ds {
		out = append(out, d.payload["type"])
	}
	return out
}

func TestStateResumesReviewAndRetry(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError // applicantCreated fails once: its retry is due in an hour
		}
		return http.StatusOK
	})
	e := newStateEnv(t, func(c *sandbox.Config) {
		c.WebhookURL, c.ReviewDelay, c.RetrySchedule, c.DuplicateWebhooks = rcv.srv.URL, time.Hour, []time.Duration{time.Hour}, true
	})
	start := e.clock.Now()
	id := e.create("ext-state", "", map[string]any{"lastName": "Иванов"})
	passport := e.mustUpload(id, "PASSPORT", "", "passport.jpg")
	e.mustUpload(id, "SELFIE", "", "selfie.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	require.Eventually(t, func() bool { return e.sb.WebhookStats()[sandbox.WebhookApplicantCreated].Failed == 1 }, waitFor, tick)
	before, _ := e.sb.Applicant(id)
	require.Equal(t, sandbox.StatusPending, before.ReviewStatus)

	// Half-way through the review and the retry wait.
	e.restart(30 * time.Minute)
	after, ok := e.sb.Applicant(id)
	require.True(t, ok, "the applicant survives")
	assert.Equal(t, before, after, "images, attempt, review ids and results are kept")
	res := e.call(http.MethodGet, "/resources/applicants/-;externalUserId=ext-state/one", nil)
	require.Equal(t, http.StatusOK, res.code, "the externalUserId index survives")
	assert.Equal(t, id, res.body["id"])
	assert.Equal(t, http.StatusConflict, e.call(http.MethodPost, "/resources/applicants",
		map[string]any{"externalUserId": "ext-state"}).code)
	other := e.create("ext-other", sandbox.LevelIDOnly, nil)
	next := e.mustUpload(other, "PASSPORT", "", "p.jpg")
	assert.Equal(t, mustAtoi(t, passport)+2, mustAtoi(t, next), "image ids go on from the saved counter")
	time.Sleep(50 * time.Millisecond)
	assert.Empty(t, rcv.delivered("", id), "nothing about the applicant is due yet")
	assert.Equal(t, sandbox.StatusPending, e.reviewOf(id)["reviewStatus"])

	// An hour after pending: the review is decided and the retry sent at once.
	e.restart(30 * time.Minute)
	decidedAt := e.clock.Now()
	require.Eventually(t, func() bool { return len(rcv.delivered("", id)) == 4 }, waitFor, tick)
	require.Eventually(t, func() bool { return e.sb.WebhooksInFlight() == 0 }, waitFor, tick)
	got := rcv.delivered("", id)
	assert.Equal(t, []any{sandbox.WebhookApplicantCreated, sandbox.WebhookApplicantPending,
		sandbox.WebhookApplicantReviewed, sandbox.WebhookApplicantReviewed}, types(got), "in order, the duplicate too")
	assert.Equal(t, got[2].body, got[3].body)
	for _, d := range got {
		assert.Equal(t, digestOf(sandbox.DefaultDigestAlg, d.body), d.digest)
	}
	assert.Equal(t, start.Format("2006-01-02 15:04:05.000"), got[0].payload["createdAtMs"], "the retried event is the saved one")
	assert.Equal(t, map[string]any{"reviewAnswer": "GREEN"}, got[2].payload["reviewResult"])
	assert.Equal(t, decidedAt.Format("2006-01-02 15:04:05.000"), got[2].payload["createdAtMs"])
	review := e.reviewOf(id)
	assert.Equal(t, sandbox.StatusCompleted, review["reviewStatus"])
	assert.Equal(t, before.AttemptID, review["attemptId"])
	assert.Equal(t, start.Format("2006-01-02 15:04:05"), review["createDate"])
	assert.Equal(t, decidedAt.Format("2006-01-02 15:04:05"), review["reviewDate"])
	snap, _ := e.sb.Applicant(id)
	assert.Equal(t, 1, snap.Reviews)
	assert.Equal(t, 5, rcv.attempts()-len(rcv.delivered("", other)), "one failed attempt, four deliveries")

	// Delivered webhooks and decided reviews are not replayed by a later restart.
	e.restart(time.Hour)
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, rcv.delivered("", id), 4)
	snap, _ = e.sb.Applicant(id)
	assert.Equal(t, 1, snap.Reviews)
	assert.Zero(t, e.sb.WebhooksInFlight())
}

func TestStateResumesDuplicateAfterFailedReviewWebhook(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n == 3 { // created, pending, then the first applicantReviewed
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	e := newStateEnv(t, func(c *sandbox.Config) {
		c.WebhookURL, c.ReviewDelay, c.RetrySchedule, c.DuplicateWebhooks = rcv.srv.URL, 10*time.Millisecond, []time.Duration{time.Hour}, true
	})
	id := e.create("ext-dup", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "p.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)
	require.Eventually(t, func() bool { return e.sb.WebhookStats()[sandbox.WebhookApplicantReviewed].Failed == 1 }, waitFor, tick)
	assert.Equal(t, 2, e.sb.WebhooksInFlight(), "the retry and the duplicate")

	e.restart(59 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	assert.Len(t, rcv.delivered(sandbox.WebhookApplicantReviewed, id), 0, "the retry is not due yet; the duplicate waits behind it")

	e.restart(time.Minute)
	require.Eventually(t, func() bool { return len(rcv.delivered(sandbox.WebhookApplicantReviewed, id)) == 2 }, waitFor, tick)
	require.Eventually(t, func() bool { return e.sb.WebhooksInFlight() == 0 }, waitFor, tick)
	rcv.mu.Lock()
	failed := rcv.all[2]
	rcv.mu.Unlock()
	reviewed := rcv.delivered(sandbox.WebhookApplicantReviewed, id)
	assert.Equal(t, failed.body, reviewed[0].body, "the retry sends the saved body")
	assert.Equal(t, failed.body, reviewed[1].body, "so does the duplicate")
	assert.Equal(t, digestOf(sandbox.DefaultDigestAlg, failed.body), reviewed[1].digest)
	assert.Equal(t, 5, rcv.attempts())
	assert.Equal(t, sandbox.WebhookStat{Attempts: 2, Delivered: 2}, e.sb.WebhookStats()[sandbox.WebhookApplicantReviewed],
		"stats are not stored: they count this process's deliveries")
}

func TestStateResumesBlacklistReview(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newStateEnv(t, func(c *sandbox.Config) { c.WebhookURL, c.ReviewDelay = rcv.srv.URL, time.Hour })
	id := e.create("ext-bl", sandbox.LevelIDOnly, nil)
	e.mustUpload(id, "PASSPORT", "", "passport-blacklist.jpg")
	require.Equal(t, http.StatusOK, e.pending(id).code)

	e.restart(time.Hour)
	snap := e.waitReviews(id, 1)
	assert.Equal(t, sandbox.AnswerGreen, snap.Result.ReviewAnswer)
	assert.True(t, snap.BlacklistPlanned)
	// The GREEN webhook is delivered before the next close: one cut off by
	// the close would wait for a retry on the fake clock, and the count below
	// would depend on the machine's load.
	require.Eventually(t, func() bool { return len(rcv.delivered(sandbox.WebhookApplicantReviewed, id)) == 1 }, waitFor, tick)

	e.restart(sandbox.BlacklistFactor*time.Hour - time.Minute)
	time.Sleep(50 * time.Millisecond)
	snap, _ = e.sb.Applicant(id)
	assert.Equal(t, 1, snap.Reviews, "the BLACKLIST review is not due yet")

	e.restart(time.Minute)
	snap = e.waitReviews(id, 2)
	assert.Equal(t, sandbox.AnswerRed, snap.Result.ReviewAnswer)
	assert.Equal(t, []string{sandbox.LabelBlacklist}, snap.Result.RejectLabels)
	require.Eventually(t, func() bool { return len(rcv.delivered(sandbox.WebhookApplicantReviewed, id)) == 2 }, waitFor, tick)
	reviewed := rcv.delivered(sandbox.WebhookApplicantReviewed, id)
	assert.Equal(t, "GREEN", reviewed[0].payload["reviewResult"].(map[string]any)["reviewAnswer"])
	assert.Equal(t, "RED", reviewed[1].payload["reviewResult"].(map[string]any)["reviewAnswer"])

	e.restart(10 * time.Hour)
	time.Sleep(50 * time.Millisecond)
	snap, _ = e.sb.Applicant(id)
	assert.Equal(t, 2, snap.Reviews, "the BLACKLIST review comes once")
}

func TestNewRefusesStatePath(t *testing.T) {
	assert.Panics(t, func() { sandbox.New(sandbox.Config{StatePath: filepath.Join(t.TempDir(), "x.db")}) })
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
