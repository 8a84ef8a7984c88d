package mandarin_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/clocktest"
	sandbox "idflow/internal/sandbox/mandarin"
)

// newStateEnv is newEnv with a state file at path.
func newStateEnv(t *testing.T, path string) *env {
	t.Helper()
	e := &env{t: t, clock: clocktest.New(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))}
	e.open(path)
	return e
}

// open serves a sandbox opened on path, keeping the clock and the request counter.
func (e *env) open(path string) {
	e.t.Helper()
	sb, err := sandbox.Open(sandbox.Config{MerchantID: merchant, Secret: secret, SMEVDelay: delay,
		Clock: e.clock.Now, StatePath: path})
	require.NoError(e.t, err)
	e.sb, e.srv = sb, httptest.NewServer(sb.Handler())
	e.t.Cleanup(e.srv.Close)
	e.t.Cleanup(sb.Close)
}

// restart stops the sandbox and its server, as Ctrl-C would, and opens a new one on path.
func (e *env) restart(path string) {
	e.t.Helper()
	e.srv.Close()
	e.sb.Close()
	e.open(path)
}

func TestStateSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandboxes.db")
	e := newStateEnv(t, path)
	id := e.init(person(sandbox.TestLastName))
	delayed := e.init(person(sandbox.LastNameDelayed))
	code, _ := e.sms(id, "123456")
	require.Equal(t, http.StatusOK, code)
	usedAuth := e.nextAuth()
	code, _ = e.call(http.MethodGet, "/api/personidentification/"+id, usedAuth, nil)
	require.Equal(t, http.StatusOK, code)
	e.clock.Advance(delay / 2)

	e.restart(path)
	assert.Equal(t, 2, e.sb.SessionCount())
	n, ok := e.sb.Attempts(id)
	require.True(t, ok, "the session survives")
	assert.Equal(t, 1, n)
	st := e.status(id)
	assert.Equal(t, false, st["phoneVerified"], "the wrong code's verdict survives")
	assert.Equal(t, true, st["phoneVerificationFinished"])
	assertPerson(t, st, false, nil, "")
	code, out := e.call(http.MethodGet, "/api/personidentification/"+id, usedAuth, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "a request id used before the restart stays used: %v", out)

	// SMEV answers delay after init, not after the restart.
	e.clock.Advance(delay/2 - time.Nanosecond)
	assertPerson(t, e.status(id), false, nil, "")
	e.clock.Advance(time.Nanosecond)
	assertPerson(t, e.status(id), true, true, "")
	assertPerson(t, e.status(delayed), false, nil, "")

	// The attempts go on counting from 1: four more, then the limit.
	for range sandbox.MaxSMSAttempts - 2 {
		code, _ = e.sms(id, "123456")
		require.Equal(t, http.StatusOK, code)
	}
	e.restart(path)
	code, _ = e.sms(id, sandbox.DefaultAcceptedCode)
	require.Equal(t, http.StatusOK, code, "the 5th attempt")
	n, _ = e.sb.Attempts(id)
	assert.Equal(t, sandbox.MaxSMSAttempts, n)
	assert.Equal(t, true, e.status(id)["phoneVerified"])

	e.restart(path)
	assert.Equal(t, true, e.status(id)["phoneVerified"], "the phone verdict survives")
	code, _ = e.sms(id, "123456")
	assert.Equal(t, http.StatusOK, code, "a verified phone ignores later codes")
	n, _ = e.sb.Attempts(id)
	assert.Equal(t, sandbox.MaxSMSAttempts, n)
	e.clock.Advance(10 * delay)
	assertPerson(t, e.status(delayed), true, true, "")
}

func TestStateLimitOfAttemptsSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandboxes.db")
	e := newStateEnv(t, path)
	id := e.init(person(sandbox.TestLastName))
	for range sandbox.MaxSMSAttempts {
		code, _ := e.sms(id, "123456")
		require.Equal(t, http.StatusOK, code)
	}
	e.restart(path)
	code, out := e.sms(id, sandbox.DefaultAcceptedCode)
	assert.Equal(t, http.StatusBadRequest, code, "the 6th attempt is refused after a restart too")
	assert.Equal(t, "Invalid request", out["error"])
	assert.Equal(t, false, e.status(id)["phoneVerified"])
}

func TestNewRefusesStatePath(t *testing.T) {
	assert.Panics(t, func() { sandbox.New(sandbox.Config{StatePath: filepath.Join(t.TempDir(), "x.db")}) })
}

func TestOpenWithoutStatePathIsInMemory(t *testing.T) {
	sb, err := sandbox.Open(sandbox.Config{MerchantID: merchant, Secret: secret})
	require.NoError(t, err)
	sb.Close()
	assert.Zero(t, sb.SessionCount())
}
