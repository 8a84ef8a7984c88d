package idngo

import (
	"context"
	"errors"
	"fmt"
	"idflow/internal/sandbox/faults"
	"net/http"
	"slices"
	"sync"
	"time"

	"idflow/internal/sandbox/sandboxstate"
)

// Defaults and limits of the sandbox.
const (
	DefaultReviewDelay = 2 * time.Second  // DefaultReviewDelay is used when Config.ReviewDelay is zero.
	DefaultDigestAlg   = DigestSHA256     // DefaultDigestAlg is used when Config.DigestAlg is empty.
	WebhookTimeout     = 5 * time.Second  // WebhookTimeout is how long a receiver may take to answer one delivery.
	BlacklistFactor    = 2                // BlacklistFactor × ReviewDelay after a GREEN review, a FileMarkerBlacklist applicant is blacklisted.
	ClockSkew          = 60 * time.Second // ClockSkew is the largest accepted |X-App-Access-Ts − Clock()|.
	MaxFileBytes       = 64 << 20         // MaxFileBytes is the largest accepted image (errorCode 1002 above it).
	ClientID           = "idngo-sandbox"  // ClientID is the clientId reported in applicant JSON.
)

// DefaultRetrySchedule is the compressed webhook redelivery schedule used when
// Config.RetrySchedule is nil and Config.RetryFactor is 0.
var DefaultRetrySchedule = []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second, 10 * time.Second}

// RealRetrySchedule is IDnGO's own redelivery schedule (NOTES.md), which
// Config.RetryFactor compresses.
var RealRetrySchedule = []time.Duration{5 * time.Minute, time.Hour, 5 * time.Hour, 18 * time.Hour}

// Webhook digest algorithms (X-Payload-Digest-Alg).
const (
	DigestSHA1   = "HMAC_SHA1_HEX"   // DigestSHA1 signs webhooks with HMAC-SHA1.
	DigestSHA256 = "HMAC_SHA256_HEX" // DigestSHA256 signs webhooks with HMAC-SHA256.
	DigestSHA512 = "HMAC_SHA512_HEX" // DigestSHA512 signs webhooks with HMAC-SHA512.
)

// Levels served by the sandbox.
const (
	LevelBasic  = "basic-kyc-level" // LevelBasic requires IDENTITY and SELFIE; it is used when levelName is absent.
	LevelIDOnly = "id-only-level"   // LevelIDOnly requires IDENTITY only.
)

// Verification steps (idDocSetType) and document types.
const (
	StepIdentity = "IDENTITY" // StepIdentity takes PASSPORT, ID_CARD, DRIVERS or RESIDENCE_PERMIT.
	StepSelfie   = "SELFIE"   // StepSelfie takes SELFIE.

	DocPassport        = "PASSPORT"         // DocPassport is one-sided.
	DocIDCard          = "ID_CARD"          // DocIDCard needs FRONT_SIDE and BACK_SIDE.
	DocDrivers         = "DRIVERS"          // DocDrivers needs FRONT_SIDE and BACK_SIDE.
	DocResidencePermit = "RESIDENCE_PERMIT" // DocResidencePermit needs FRONT_SIDE and BACK_SIDE.
	DocSelfie          = "SELFIE"           // DocSelfie is one-sided.

	SideFront = "FRONT_SIDE" // SideFront is the idDocSubType of a front side.
	SideBack  = "BACK_SIDE"  // SideBack is the idDocSubType of a back side.
)

// Review statuses, answers and reject types.
const (
	StatusInit      = "init"      // StatusInit is the status of a new applicant.
	StatusPending   = "pending"   // StatusPending is the status while a review runs.
	StatusCompleted = "completed" // StatusCompleted is the status once reviewResult is set.

	AnswerGreen = "GREEN" // AnswerGreen approves.
	AnswerRed   = "RED"   // AnswerRed rejects.

	RejectRetry = "RETRY" // RejectRetry lets the applicant upload again.
	RejectFinal = "FINAL" // RejectFinal ends the applicant's verification.
)

// Reject labels produced by the review engine.
const (
	LabelUnsatisfactoryPhotos = "UNSATISFACTORY_PHOTOS" // LabelUnsatisfactoryPhotos rejects a FileMarkerRetry image.
	LabelForgery              = "FORGERY"               // LabelForgery rejects a FileMarkerForgery image or a LastNameFraud applicant.
	LabelBlacklist            = "BLACKLIST"             // LabelBlacklist is the later review of a FileMarkerBlacklist applicant.
)

// Test values that steer the review engine (see the package documentation).
const (
	FileMarkerRetry     = "retry"     // FileMarkerRetry in an image's file name rejects it RED/RETRY.
	FileMarkerForgery   = "forgery"   // FileMarkerForgery in an image's file name rejects it RED/FINAL.
	FileMarkerBlacklist = "blacklist" // FileMarkerBlacklist in an image's file name makes a GREEN applicant RED/FINAL later.
	LastNameFraud       = "Fraud"     // LastNameFraud as info/fixedInfo lastName rejects the applicant RED/FINAL.
)

// Comments attached to the engine's rejections. moderationComment may be shown
// to the user; clientComment is internal.
const (
	ModerationCommentRetry     = "Фото документа нечёткое. Загрузите, пожалуйста, новое фото."
	ClientCommentRetry         = "Blurry photo, low DPI (sandbox)."
	ModerationCommentForgery   = "Мы не можем подтвердить подлинность документа."
	ClientCommentForgery       = "Signs of document tampering (sandbox)."
	ModerationCommentBlacklist = "К сожалению, мы не можем вас верифицировать."
	ClientCommentBlacklist     = "Applicant matched a blacklist (sandbox)."
)

// Webhook types sent by the sandbox.
const (
	WebhookApplicantCreated  = "applicantCreated"  // WebhookApplicantCreated follows applicant creation.
	WebhookApplicantPending  = "applicantPending"  // WebhookApplicantPending follows status/pending.
	WebhookApplicantReviewed = "applicantReviewed" // WebhookApplicantReviewed follows every completed review.
)

// Side effects counted in Config.Counts.
const (
	CountApplicant = "idngo.applicant" // CountApplicant: applicants created, per external user id.
	CountUpload    = "idngo.upload"    // CountUpload: images added, per applicant/attempt/type/side.
	CountReview    = "idngo.review"    // CountReview: reviews requested, per applicant/attempt.
)

// ErrNotFound is returned by the helpers for an unknown applicant id.
var ErrNotFound = errors.New("idngo sandbox: applicant not found")

// Config configures a Sandbox.
type Config struct {
	AppToken  string // AppToken is the only X-App-Token accepted.
	SecretKey string // SecretKey signs X-App-Access-Sig.

	WebhookURL    string // WebhookURL receives webhooks; "" sends none.
	WebhookSecret string // WebhookSecret keys X-Payload-Digest.
	DigestAlg     string // DigestAlg is DigestSHA1, DigestSHA256 or DigestSHA512; "" means DefaultDigestAlg.

	ReviewDelay   time.Duration   // ReviewDelay is pending → decision; 0 means DefaultReviewDelay, negative means at once.
	RetrySchedule []time.Duration // RetrySchedule is the wait before each redelivery; nil means DefaultRetrySchedule, empty means no retries.
	// RetryFactor, when positive and RetrySchedule is nil, makes the
	// schedule RealRetrySchedule with every step divided by it.
	RetryFactor float64

	// DuplicateWebhooks delivers every applicantReviewed webhook twice with
	// the same body (and so the same correlationId), as the real service may.
	DuplicateWebhooks bool

	Clock func() time.Time // Clock is optional; nil means time.Now.
	// Counts, when set, counts applicants created (per external user id),
	// images uploaded (per applicant, attempt, document and side) and
	// reviews requested (per applicant and attempt): see the Count* kinds.
	Counts     *faults.Counts
	HTTPClient *http.Client // HTTPClient sends webhooks; nil means a private client.

	// StatePath is an SQLite file (see internal/sandbox/sandboxstate, which
	// other sandboxes may share) keeping the applicants, their scheduled
	// reviews and the undelivered webhooks across restarts; "" keeps them in
	// memory only. It needs Open.
	StatePath string
}

// Sandbox is a fake of the IDnGO KYC API, in memory or backed by a state file.
type Sandbox struct {
	cfg            Config
	client         *http.Client
	ownClient      bool
	webhookTimeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	applicants  map[string]*applicant
	byExternal  map[string]string
	nextImageID int64
	timers      map[*task]struct{}
	queues      map[string]*webhookQueue
	stats       map[string]*WebhookStat // stats are this process's deliveries; they are not stored.

	state    *sandboxstate.Store // state is nil without Config.StatePath and once Close is done.
	unsaved  []*webhookEvent     // unsaved are the events enqueued since the last persist.
	eventSeq int64               // eventSeq numbers the events, in enqueueing order.
}

// New returns an in-memory Sandbox with cfg's defaults filled in. It panics
// on an unknown DigestAlg, which is a configuration error, and when
// cfg.StatePath is set, which needs Open.
func New(cfg Config) *Sandbox {
	if cfg.StatePath != "" {
		panic("idngo sandbox: Config.StatePath needs Open")
	}
	return newSandbox(cfg)
}

// newSandbox returns an empty Sandbox with cfg's defaults filled in; it
// panics on an unknown DigestAlg.
func newSandbox(cfg Config) *Sandbox {
	switch cfg.DigestAlg {
	case "":
		cfg.DigestAlg = DefaultDigestAlg
	case DigestSHA1, DigestSHA256, DigestSHA512:
	default:
		panic(fmt.Sprintf("idngo sandbox: unknown DigestAlg %q", cfg.DigestAlg))
	}
	switch {
	case cfg.ReviewDelay == 0:
		cfg.ReviewDelay = DefaultReviewDelay
	case cfg.ReviewDelay < 0:
		cfg.ReviewDelay = 0
	}
	switch {
	case cfg.RetrySchedule == nil && cfg.RetryFactor > 0:
		for _, d := range RealRetrySchedule {
			cfg.RetrySchedule = append(cfg.RetrySchedule, time.Duration(float64(d)/cfg.RetryFactor))
		}
	case cfg.RetrySchedule == nil:
		cfg.RetrySchedule = slices.Clone(DefaultRetrySchedule)
	default:
		cfg.RetrySchedule = slices.Clone(cfg.RetrySchedule)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	s := &Sandbox{
		cfg:            cfg,
		client:         cfg.HTTPClient,
		webhookTimeout: WebhookTimeout,
		applicants:     map[string]*applicant{},
		byExternal:     map[string]string{},
		nextImageID:    1_000_000_000,
		timers:         map[*task]struct{}{},
		queues:         map[string]*webhookQueue{},
		stats:          map[string]*WebhookStat{},
	}
	if s.client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		s.client = &http.Client{Transport: transport}
		s.ownClient = true
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Close stops the review engine and webhook deliveries and waits for their
// goroutines to end, then closes the state file, if any. Queued webhooks and
// scheduled reviews are dropped, or, with a state file, left there for the
// next Open. The handler keeps answering afterwards, but reviews are no
// longer decided, webhooks no longer sent and changes no longer saved.
// Every change was committed when it was made, so an error closing the file
// loses nothing and is not reported. Close is idempotent.
func (s *Sandbox) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closed = true
	for t := range s.timers {
		s.cancelTask(t)
	}
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
	s.mu.Lock()
	st := s.state
	s.state = nil
	s.mu.Unlock()
	if st != nil {
		_ = st.Close()
	}
}

// task is a scheduled callback tracked so that Close can stop it.
type task struct {
	timer *time.Timer
	due   time.Time // due is when fn runs, by Config.Clock.
}

// dueTime returns when t runs, or the zero time for a nil t.
func (t *task) dueTime() time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.due
}

// schedule runs fn with s.mu held at due by Config.Clock (at once when due
// has passed), unless cancelled or closed first; the caller holds s.mu. It
// returns nil once the sandbox is closed.
func (s *Sandbox) schedule(due time.Time, fn func()) *task {
	if s.closed {
		return nil
	}
	t := &task{due: due}
	s.timers[t] = struct{}{}
	s.wg.Add(1)
	t.timer = time.AfterFunc(max(due.Sub(s.cfg.Clock()), 0), func() {
		defer s.wg.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, live := s.timers[t]; !live || s.closed {
			return
		}
		delete(s.timers, t)
		fn()
	})
	return t
}

// cancelTask stops t if it has not run yet; the caller holds s.mu. A nil t is ignored.
func (s *Sandbox) cancelTask(t *task) {
	if t == nil {
		return
	}
	if _, live := s.timers[t]; !live {
		return
	}
	delete(s.timers, t)
	if t.timer.Stop() {
		s.wg.Done()
	}
}

// Blacklist gives a later RED/FINAL [BLACKLIST] review to an applicant (at
// any status; a running review is cancelled) and sends applicantReviewed.
// It returns ErrNotFound for an unknown applicant, or the error of saving
// the change in the state file.
func (s *Sandbox) Blacklist(applicantID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.applicants[applicantID]
	if !ok {
		return ErrNotFound
	}
	s.blacklist(a)
	return s.persist(a)
}

// Applicant returns a copy of an applicant's state, and whether it exists.
func (s *Sandbox) Applicant(applicantID string) (ApplicantSnapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.applicants[applicantID]
	if !ok {
		return ApplicantSnapshot{}, false
	}
	return a.snapshot(), true
}

// ApplicantCount returns the number of applicants created so far.
func (s *Sandbox) ApplicantCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.applicants)
}

// ReviewResult is a review's outcome, as in applicant JSON, webhooks and
// requiredIdDocsStatus.
type ReviewResult struct {
	ReviewAnswer      string   `json:"reviewAnswer"`
	RejectLabels      []string `json:"rejectLabels,omitempty"`
	ReviewRejectType  string   `json:"reviewRejectType,omitempty"`
	ModerationComment string   `json:"moderationComment,omitempty"`
	ClientComment     string   `json:"clientComment,omitempty"`
}

// clone returns a deep copy of r (nil for nil).
func (r *ReviewResult) clone() *ReviewResult {
	if r == nil {
		return nil
	}
	c := *r
	c.RejectLabels = slices.Clone(r.RejectLabels)
	return &c
}

// isRetry reports whether r is RED/RETRY.
func (r *ReviewResult) isRetry() bool {
	return r != nil && r.ReviewAnswer == AnswerRed && r.ReviewRejectType == RejectRetry
}

// isFinal reports whether r is RED/FINAL.
func (r *ReviewResult) isFinal() bool {
	return r != nil && r.ReviewAnswer == AnswerRed && r.ReviewRejectType == RejectFinal
}

// ApplicantSnapshot is a copy of an applicant's state for tests and operators.
type ApplicantSnapshot struct {
	ID             string
	ExternalUserID string
	InspectionID   string
	LevelName      string
	CreatedAt      time.Time

	ReviewStatus string        // init, pending or completed
	ReviewID     string        // ReviewID changes with every attempt and every later review
	AttemptID    string        // AttemptID changes with every pending
	AttemptCnt   int           // AttemptCnt counts pendings (and testCompleted outside a review)
	Result       *ReviewResult // Result is the last review's outcome; nil unless completed
	Reviews      int           // Reviews counts completed reviews, later ones included

	Steps  map[string]*ReviewResult // Steps is each step's result of the last review that judged it
	Images []ImageSnapshot          // Images lists every upload in order

	BlacklistPlanned bool // BlacklistPlanned tells that a FileMarkerBlacklist review is scheduled or done
}

// ImageSnapshot is one uploaded image.
type ImageSnapshot struct {
	ID           int64
	Step         string
	IDDocType    string
	IDDocSubType string
	Country      string
	FileName     string
	Size         int
	Active       bool          // Active is false once superseded by a later upload or another document of the step
	Result       *ReviewResult // Result is nil until the image is judged
}
