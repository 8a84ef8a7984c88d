package fns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"idflow/internal/sandbox/faults"
	"net/http"
	"slices"
	"sync"
	"time"

	"idflow/internal/sandbox/sandboxstate"
)

// Defaults of the sandbox.
const (
	DefaultSMEVDelay       = 1 * time.Second  // DefaultSMEVDelay is used when Config.SMEVDelay is zero.
	DefaultInstallDelay    = 2 * time.Second  // DefaultInstallDelay is used when Config.InstallDelay is zero.
	DefaultPKCS10Delay     = 1 * time.Second  // DefaultPKCS10Delay is used when Config.PKCS10Delay is zero.
	DefaultSecretKeyDelay  = 1 * time.Second  // DefaultSecretKeyDelay is used when Config.SecretKeyDelay is zero.
	DefaultIssueDelay      = 1 * time.Second  // DefaultIssueDelay is used when Config.IssueDelay is zero.
	DefaultCallbackTimeout = 60 * time.Second // DefaultCallbackTimeout is the document's 60 s (L2784).
	DefaultPollInterval    = 10 * time.Millisecond
	DefaultRetryFactor     = 1.0             // DefaultRetryFactor leaves DocumentRetrySchedule as it is.
	DefaultTemporaryBlock  = 24 * time.Hour  // DefaultTemporaryBlock is used when Config.TemporaryBlock is zero.
	DefaultSignDelay       = 2 * time.Second // DefaultSignDelay is used when Config.SignDelay is zero.
	DefaultSignRejectDelay = 1 * time.Second // DefaultSignRejectDelay is used when Config.SignRejectDelay is zero.
	// DefaultExternalActivityDelay is used when Config.ExternalActivityDelay is zero.
	DefaultExternalActivityDelay = 2 * time.Second

	ScenarioRegistration = 80 // ScenarioRegistration is the registration scenario (82 and 88 sign documents).
	CompanyID            = 1  // CompanyID is the partner's company (agents' "company").
)

// DocumentRetrySchedule is the wait before each redelivery of a callback:
// the document says only "at intervals, in total up to 2 days" (L2784), so
// the sandbox spreads ten retries over 43 h 51 min. Config.RetryFactor
// divides every step.
var DocumentRetrySchedule = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 16 * time.Hour,
}

// CountWorkflow counts the workflows created per external id (Config.Counts).
const CountWorkflow = "fns.workflow"

// ErrNotFound is returned by the helpers for an unknown workflow or consumer.
var ErrNotFound = errors.New("fns sandbox: not found")

// Config configures a Sandbox.
type Config struct {
	Username string // Username is the partner's (technical) account login.
	Password string // Password is its password.

	// Delays of the simulated SMEV checks and of the simulated person in
	// the app, by Config.Clock; 0 means the default, negative means at once.
	SMEVDelay      time.Duration // SMEVDelay is create → SMEV verdict.
	InstallDelay   time.Duration // InstallDelay is create → app installed ("installed" callback).
	PKCS10Delay    time.Duration // PKCS10Delay is installed (or child start) → the PKCS#10 request is sent.
	SecretKeyDelay time.Duration // SecretKeyDelay is wait-secret-key → certificate-issue of the child.
	IssueDelay     time.Duration // IssueDelay is certificate-issue → certificate issued.
	// SignDelay is a document-signing create → the person signs (or refuses).
	SignDelay time.Duration
	// SignRejectDelay is sign-rejected → rejected (A12).
	SignRejectDelay time.Duration
	// ExternalActivityDelay is an external activity's create → the person
	// has opened its page and acted on it (the URL test values then apply).
	ExternalActivityDelay time.Duration

	// RetryFactor compresses the callback redelivery schedule: each step of
	// RetrySchedule (nil: DocumentRetrySchedule) is divided by it; 0 means 1.
	RetryFactor   float64
	RetrySchedule []time.Duration // RetrySchedule overrides DocumentRetrySchedule; empty (non-nil) means no retries.

	CallbackTimeout time.Duration // CallbackTimeout bounds one delivery; 0 means DefaultCallbackTimeout.

	// IntermediateCallbacks also sends a callback for every intermediate
	// state (by default only the finals rejected, error, complete and
	// "installed" are sent, L2786).
	IntermediateCallbacks bool

	// TemporaryBlock is how long a consumer blocked "temporarily" (the test
	// last name LastNameTemporarily) stays so, by Config.Clock; 0 means
	// DefaultTemporaryBlock, negative means for ever.
	TemporaryBlock time.Duration

	Clock        func() time.Time // Clock is optional; nil means time.Now.
	PollInterval time.Duration    // PollInterval is how often the sandbox looks at Clock for due steps; 0 means 10 ms.
	HTTPClient   *http.Client     // HTTPClient sends callbacks; nil means a private client.
	// Counts, when set, counts the workflows created per external id
	// (CountWorkflow), so a test can find duplicates.
	Counts *faults.Counts

	// StatePath is the SQLite file the state is kept in across restarts
	// (see Open); "" keeps it in memory. New panics when it is set.
	StatePath string
}

// Sandbox is an in-memory fake of the FNS «Мобильная подпись» partner API.
type Sandbox struct {
	cfg       Config
	client    *http.Client
	ownClient bool
	ca        *testCA

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	seq        int64               // seq numbers workflows, documents, certificates (shared, as the ids are all integers)
	accounts   map[string]*account // by username
	tokens     map[string]*account
	agents     map[int64]*agent
	consumers  map[string]*consumer
	workflows  map[int64]*workflow
	order      []*workflow // workflows in creation order
	byExternal map[string]*workflow
	creates    map[string]int // creates counts POST /workflow calls per external_id, repeats included
	confDocs   map[int64]*confDoc
	scans      map[int64]*scan
	docs       map[int64]*signDoc // docs are the documents to sign, by id
	certs      map[int64]*certificate
	queues     map[string]*callbackQueue
	sent       []*callbackRecord
	pushes     []Push    // pushes are the push notifications received, in order
	stepAt     time.Time // stepAt is the due time of the step being applied, zero outside advance
	// nextDue is when advance next has something to do (a step, the end of
	// a temporary block); the zero time (a sandbox just opened) means now.
	nextDue time.Time

	state      *sandboxstate.Store // state is the state file, nil without one or once closed
	persistent bool                // persistent is set for the life of a sandbox opened with a state file
	savedFiles map[string]bool     // savedFiles are the fileKeys whose current content is written
	// What the next save writes (see touch), and what the last one did.
	byConsumer   map[string][]*workflow // byConsumer is each consumer's workflows, in creation order
	dirty        map[string]bool        // dirty are the consumers touched since the last save
	dirtyCreates map[string]bool        // dirtyCreates are the external ids whose create count changed
	savedGlobal  []byte                 // savedGlobal is the global record last written
	savedPushes  int                    // savedPushes is how many pushes are written
	legacyModel  bool                   // legacyModel: the file holds a whole-model record, to replace by parts
	savedParts   map[string][]byte      // savedParts are the parts last written, kept only when verifySaves
	savedCreates map[string]int         // savedCreates are the create counts written, kept only when verifySaves
}

// New returns a Sandbox with cfg's defaults filled in; it starts the
// goroutine that moves processes on as Config.Clock passes their due times.
// Its state is in memory only: it panics on a Config.StatePath (see Open).
func New(cfg Config) *Sandbox {
	if cfg.StatePath != "" {
		panic("fns sandbox: New with a StatePath; use Open")
	}
	s := newSandbox(cfg)
	s.start()
	return s
}

// SetPersonDelays sets every delay of the simulated SMEV checks and person
// to d (negative: at once).
func (c *Config) SetPersonDelays(d time.Duration) {
	for _, p := range []*time.Duration{&c.SMEVDelay, &c.InstallDelay, &c.PKCS10Delay, &c.SecretKeyDelay,
		&c.IssueDelay, &c.SignDelay, &c.SignRejectDelay, &c.ExternalActivityDelay} {
		*p = d
	}
}

// newSandbox returns a Sandbox with cfg's defaults filled in, not started.
func newSandbox(cfg Config) *Sandbox {
	fill := func(d *time.Duration, def time.Duration) {
		switch {
		case *d == 0:
			*d = def
		case *d < 0:
			*d = 0
		}
	}
	fill(&cfg.SMEVDelay, DefaultSMEVDelay)
	fill(&cfg.InstallDelay, DefaultInstallDelay)
	fill(&cfg.PKCS10Delay, DefaultPKCS10Delay)
	fill(&cfg.SecretKeyDelay, DefaultSecretKeyDelay)
	fill(&cfg.IssueDelay, DefaultIssueDelay)
	fill(&cfg.SignDelay, DefaultSignDelay)
	fill(&cfg.SignRejectDelay, DefaultSignRejectDelay)
	fill(&cfg.ExternalActivityDelay, DefaultExternalActivityDelay)
	if cfg.CallbackTimeout <= 0 {
		cfg.CallbackTimeout = DefaultCallbackTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.RetryFactor <= 0 {
		cfg.RetryFactor = DefaultRetryFactor
	}
	if cfg.TemporaryBlock == 0 {
		cfg.TemporaryBlock = DefaultTemporaryBlock
	}
	if cfg.RetrySchedule == nil {
		cfg.RetrySchedule = DocumentRetrySchedule
	}
	sched := make([]time.Duration, len(cfg.RetrySchedule))
	for i, d := range cfg.RetrySchedule {
		sched[i] = time.Duration(float64(d) / cfg.RetryFactor)
	}
	cfg.RetrySchedule = sched
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	ca, err := newTestCA(cfg.Clock())
	if err != nil {
		panic("fns sandbox: test CA: " + err.Error()) // crypto/rand failed
	}
	s := &Sandbox{
		cfg:        cfg,
		client:     cfg.HTTPClient,
		ca:         ca,
		seq:        2_050_000,
		accounts:   map[string]*account{},
		tokens:     map[string]*account{},
		agents:     map[int64]*agent{},
		consumers:  map[string]*consumer{},
		workflows:  map[int64]*workflow{},
		byExternal: map[string]*workflow{},
		creates:    map[string]int{},
		confDocs:   map[int64]*confDoc{},
		scans:      map[int64]*scan{},
		docs:       map[int64]*signDoc{},
		certs:      map[int64]*certificate{},
		queues:     map[string]*callbackQueue{},
		savedFiles: map[string]bool{},
		byConsumer: map[string][]*workflow{}, dirty: map[string]bool{}, dirtyCreates: map[string]bool{},
		savedParts: map[string][]byte{}, savedCreates: map[string]int{},
	}
	if s.client == nil {
		s.client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		s.ownClient = true
	}
	partner := &account{username: cfg.Username, password: cfg.Password, partner: true, token: newToken(), active: true}
	s.accounts[partner.username] = partner
	s.tokens[partner.token] = partner
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// start starts the process engine and the delivery of the callbacks
// already queued (restored by Open).
func (s *Sandbox) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, q := range s.queues {
		q.running = true
		s.wg.Add(1)
		go s.runQueue(key, q)
	}
	s.wg.Add(1)
	go s.pump()
}

// Close stops the process engine and callback deliveries, waits for their
// goroutines and closes the state file, if any. Undelivered callbacks are
// dropped (with a state file they stay in it, for the next Open). The
// handler keeps answering afterwards, but processes no longer move and
// changes are no longer saved. Every change was committed when it was
// made, so an error closing the file loses nothing and is not reported.
// Close is idempotent.
func (s *Sandbox) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
	s.mu.Lock()
	if s.state != nil {
		_ = s.state.Close()
		s.state = nil
	}
	s.mu.Unlock()
}

// pump applies due process steps every PollInterval.
func (s *Sandbox) pump() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			if s.advance() {
				_ = s.save() // the next save retries a failed one
			}
			s.mu.Unlock()
		}
	}
}

// now returns Config.Clock in UTC, or, while a scheduled step runs, the
// time it was due, so that chained steps keep their own delays.
func (s *Sandbox) now() time.Time {
	if !s.stepAt.IsZero() {
		return s.stepAt
	}
	return s.cfg.Clock().UTC()
}

// nextID returns a fresh integer id; the caller holds s.mu.
func (s *Sandbox) nextID() int64 {
	s.seq++
	return s.seq
}

// newToken returns 40 lowercase hex characters, like the document's token.
func newToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Creates returns how many POST /api/rb/workflow requests carried
// externalID, repeats included (a repeat never makes a second workflow).
func (s *Sandbox) Creates(externalID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates[externalID]
}

// WorkflowCount returns how many workflows exist, children included and
// removed ones not.
func (s *Sandbox) WorkflowCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, wf := range s.workflows {
		if !wf.removed {
			n++
		}
	}
	return n
}

// WorkflowSnapshot is a copy of a workflow's state for tests.
type WorkflowSnapshot struct {
	ID            int64
	Type          string
	State         string
	ExternalID    string
	ConsumerID    string
	ConsumerState string
	ParentID      int64 // 0 when none
	ChildID       int64 // 0 when none
	ErrorMessage  string
	Removed       bool // Removed is set once PUT /api/rb/workflow/remove removed it.
}

// Workflow returns a copy of a workflow's state, and whether it exists
// (a removed workflow still does, with Removed set).
func (s *Sandbox) Workflow(id int64) (WorkflowSnapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.advance() {
		_ = s.save() // the next save retries a failed one
	}
	w, ok := s.workflows[id]
	if !ok {
		return WorkflowSnapshot{}, false
	}
	snap := WorkflowSnapshot{ID: w.id, Type: w.typ, State: w.state, ExternalID: w.externalID,
		ConsumerID: w.consumer.id, ConsumerState: w.consumer.state, Removed: w.removed}
	if w.parent != nil {
		snap.ParentID = w.parent.id
	}
	if w.child != nil {
		snap.ChildID = w.child.id
	}
	if w.errorMessage != nil {
		snap.ErrorMessage = *w.errorMessage
	}
	return snap, true
}

// CACertificate returns the DER of the sandbox's test CA certificate, which
// signs every certificate the sandbox issues.
func (s *Sandbox) CACertificate() []byte { return slices.Clone(s.ca.cert.Raw) }

// Reactivate simulates the person installing and activating the app again
// on their own (L78, L96–97): a new consumer with the same personal data,
// state "unvalidated", with no workflow. It returns the new consumer id.
func (s *Sandbox) Reactivate(consumerID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.consumers[consumerID]
	if !ok {
		return "", ErrNotFound
	}
	n := s.newConsumer(c.person)
	if err := s.save(); err != nil {
		return "", err
	}
	return n.id, nil
}
