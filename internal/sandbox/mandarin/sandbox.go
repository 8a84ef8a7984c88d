package mandarin

import (
	"idflow/internal/sandbox/faults"
	"strings"
	"sync"
	"time"

	"idflow/internal/sandbox/sandboxstate"
)

// Defaults and limits of the sandbox.
const (
	DefaultSMEVDelay    = 2 * time.Second // DefaultSMEVDelay is used when Config.SMEVDelay is zero.
	DefaultAcceptedCode = "000000"        // DefaultAcceptedCode is the SMS code accepted by default.
	MaxSMSAttempts      = 5               // MaxSMSAttempts is the number of SMS codes allowed per session.
	DelayedFactor       = 10              // DelayedFactor multiplies SMEVDelay for the "delayed" last names.
	ReplayWindow        = 10000           // ReplayWindow is how many accepted request ids are remembered.
)

// Last names that force an SMEV outcome (matched trimmed and case-insensitively).
const (
	LastNameNotFound      = "Несуществующий" // LastNameNotFound makes SMEV answer "not found".
	LastNameNotFoundLatin = "Notfound"       // LastNameNotFoundLatin is the Latin form of LastNameNotFound.
	LastNameSlow          = "Долгов"         // LastNameSlow makes SMEV never answer.
	LastNameSlowLatin     = "Slow"           // LastNameSlowLatin is the Latin form of LastNameSlow.
	LastNameDelayed       = "Медленный"      // LastNameDelayed makes SMEV answer after DelayedFactor × SMEVDelay.
	LastNameDelayedLatin  = "Delayed"        // LastNameDelayedLatin is the Latin form of LastNameDelayed.
)

// SMEV error texts returned in personVerificationError.
const (
	ErrorTextPersonNotFound = "Сведения о физическом лице не найдены" // ErrorTextPersonNotFound answers the "not found" last names.
	ErrorTextRegistryMiss   = "Сведения не найдены"                   // ErrorTextRegistryMiss answers a checksum-failing SNILS/INN.
)

// A valid test identity (Mandarin's public one) and checksum-failing identifiers.
const (
	TestFirstName      = "Полиграф"     // TestFirstName is the public test first name.
	TestPatronymic     = "Полиграфович" // TestPatronymic is the public test patronymic.
	TestLastName       = "Шариков"      // TestLastName is the public test last name.
	TestPassportSeries = "1111"         // TestPassportSeries is a well-formed passport series.
	TestPassportNumber = "111111"       // TestPassportNumber is a well-formed passport number.
	TestSNILS          = "11223344595"  // TestSNILS passes the SNILS checksum.
	TestINN            = "500100732259" // TestINN passes the 12-digit INN checksums.
	TestPhone          = "+79001234567" // TestPhone is a well-formed phone.
	ChecksumMissSNILS  = "11223344596"  // ChecksumMissSNILS is well-formed but fails the checksum.
	ChecksumMissINN    = "500100732258" // ChecksumMissINN is well-formed but fails the checksum.
)

// Config configures a Sandbox.
type Config struct {
	MerchantID   string           // MerchantID is the only merchant accepted in X-Auth.
	Secret       string           // Secret is the merchant secret for X-Auth.
	SMEVDelay    time.Duration    // SMEVDelay is the SMEV answer time; 0 means DefaultSMEVDelay, negative means none.
	AcceptedCode string           // AcceptedCode is the right SMS code; "" means DefaultAcceptedCode.
	Clock        func() time.Time // Clock is optional; nil means time.Now.
	// Counts, when set, counts the sessions created ("mandarin.session",
	// by a digest of the person's data), so a test can find duplicates.
	Counts *faults.Counts

	// StatePath is an SQLite file (see internal/sandbox/sandboxstate, which
	// other sandboxes may share) keeping the sessions and the replay guard
	// across restarts; "" keeps them in memory only. It needs Open.
	StatePath string
}

// Sandbox is a fake of the identification API, in memory or backed by a state file.
type Sandbox struct {
	cfg       Config
	mu        sync.Mutex
	sessions  map[string]*session
	replay    replayGuard
	state     *sandboxstate.Store // state is nil without Config.StatePath and after Close.
	replaySeq int64               // replaySeq orders the stored request ids.
}

// New returns an in-memory Sandbox with cfg's defaults filled in. It panics
// when cfg.StatePath is set, which needs Open.
func New(cfg Config) *Sandbox {
	if cfg.StatePath != "" {
		panic("mandarin sandbox: Config.StatePath needs Open")
	}
	return newSandbox(cfg)
}

// newSandbox returns an empty Sandbox with cfg's defaults filled in.
func newSandbox(cfg Config) *Sandbox {
	switch {
	case cfg.SMEVDelay == 0:
		cfg.SMEVDelay = DefaultSMEVDelay
	case cfg.SMEVDelay < 0:
		cfg.SMEVDelay = 0
	}
	if cfg.AcceptedCode == "" {
		cfg.AcceptedCode = DefaultAcceptedCode
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Sandbox{cfg: cfg, sessions: map[string]*session{}, replay: newReplayGuard(ReplayWindow)}
}

// SessionCount returns the number of sessions created so far.
func (s *Sandbox) SessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Attempts returns how many SMS codes were counted for a session, and whether it exists.
func (s *Sandbox) Attempts(sessionID string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[sessionID]
	if !ok {
		return 0, false
	}
	return sess.attempts, true
}

// timing is how long SMEV takes for a session.
type timing int

const (
	timingNormal timing = iota
	timingDelayed
	timingNever
)

// session is the sandbox's state for one identification.
type session struct {
	created      time.Time
	timing       timing
	notFound     bool // notFound is forced by the last name.
	registryMiss bool // registryMiss comes from a checksum-failing SNILS/INN.
	attempts     int
	phoneChecked bool // phoneChecked tells that at least one code was checked.
	phoneOK      bool // phoneOK tells that the accepted code was entered.
}

// classify derives a session's forced SMEV behaviour from the last name.
func classify(lastName string) (timing, bool) {
	n := strings.TrimSpace(lastName)
	is := func(a, b string) bool { return strings.EqualFold(n, a) || strings.EqualFold(n, b) }
	switch {
	case is(LastNameNotFound, LastNameNotFoundLatin):
		return timingNormal, true
	case is(LastNameSlow, LastNameSlowLatin):
		return timingNever, false
	case is(LastNameDelayed, LastNameDelayedLatin):
		return timingDelayed, false
	}
	return timingNormal, false
}

// statusBody is the GET answer.
type statusBody struct {
	ID                         string `json:"id"`
	PhoneVerified              *bool  `json:"phoneVerified"`
	PhoneVerificationFinished  bool   `json:"phoneVerificationFinished"`
	PersonVerified             *bool  `json:"personVerified"`
	PersonVerificationFinished bool   `json:"personVerificationFinished"`
	PersonVerificationError    string `json:"personVerificationError"`
}

// status computes the session's state as seen at now.
func (s *Sandbox) status(id string, sess *session, now time.Time) statusBody {
	b := statusBody{ID: id, PhoneVerificationFinished: sess.phoneChecked}
	if sess.phoneChecked {
		b.PhoneVerified = new(sess.phoneOK)
	}
	if !s.smevDone(sess, now) {
		return b
	}
	b.PersonVerificationFinished = true
	switch {
	case sess.notFound:
		b.PersonVerified, b.PersonVerificationError = new(false), ErrorTextPersonNotFound
	case sess.registryMiss:
		b.PersonVerified, b.PersonVerificationError = new(false), ErrorTextRegistryMiss
	default:
		b.PersonVerified = new(true)
	}
	return b
}

// smevDone reports whether the session's SMEV check has finished at now.
func (s *Sandbox) smevDone(sess *session, now time.Time) bool {
	delay := s.cfg.SMEVDelay
	switch sess.timing {
	case timingNever:
		return false
	case timingDelayed:
		delay *= DelayedFactor
	}
	return !now.Before(sess.created.Add(delay))
}
