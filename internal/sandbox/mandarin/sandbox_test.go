package mandarin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"idflow/internal/clocktest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/mandarin"
)

const (
	merchant = "merchant-42"
	secret   = "s3cret"
	delay    = 2 * time.Minute
)

// env is a sandbox behind an httptest server with a fake clock.
type env struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	clock *clocktest.Clock
	reqN  atomic.Int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := clocktest.New(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))
	sb := sandbox.New(sandbox.Config{MerchantID: merchant, Secret: secret, SMEVDelay: delay, Clock: clock.Now})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, sb: sb, srv: srv, clock: clock}
}

// xAuth computes the header independently of the sandbox and client code.
func xAuth(merchantID, requestID, key string) string {
	sum := sha256.Sum256([]byte(merchantID + "-" + requestID + "-" + key))
	return merchantID + "-" + hex.EncodeToString(sum[:]) + "-" + requestID
}

// nextAuth returns a valid header with a fresh request id.
func (e *env) nextAuth() string {
	return xAuth(merchant, "req-"+strconv.FormatInt(e.reqN.Add(1), 10), secret)
}

// call sends a request with the given X-Auth ("" for none) and decodes the JSON answer.
func (e *env) call(method, path, auth string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if auth != "" {
		req.Header.Set("X-Auth", auth)
	}
	resp, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, out
}

// person returns a valid identity with the given last name.
func person(lastName string) map[string]string {
	return map[string]string{
		"firstName": sandbox.TestFirstName, "patronymic": sandbox.TestPatronymic, "lastName": lastName,
		"passportSeries": sandbox.TestPassportSeries, "passportNumber": sandbox.TestPassportNumber,
		"snils": sandbox.TestSNILS, "phone": sandbox.TestPhone,
	}
}

// init creates a session and returns its id.
func (e *env) init(body map[string]string) string {
	e.t.Helper()
	code, out := e.call(http.MethodPost, "/api/personidentification", e.nextAuth(), body)
	require.Equal(e.t, http.StatusOK, code, out)
	id, _ := out["id"].(string)
	require.NotEmpty(e.t, id)
	return id
}

func (e *env) status(id string) map[string]any {
	e.t.Helper()
	code, out := e.call(http.MethodGet, "/api/personidentification/"+id, e.nextAuth(), nil)
	require.Equal(e.t, http.StatusOK, code, out)
	return out
}

func (e *env) sms(id, smsCode string) (int, map[string]any) {
	e.t.Helper()
	return e.call(http.MethodPut, "/api/personidentification/"+id, e.nextAuth(), map[string]string{"smsCode": smsCode})
}

// assertPerson checks the person part of a status; verified nil means JSON null.
func assertPerson(t *testing.T, st map[string]any, finished bool, verified any, errText string) {
	t.Helper()
	assert.Equal(t, finished, st["personVerificationFinished"], "finished")
	assert.Equal(t, verified, st["personVerified"], "verified")
	assert.Equal(t, errText, st["personVerificationError"], "error text")
	assert.Contains(t, st, "personVerified", "personVerified must be present, null when pending")
}

func TestForcedOutcomes(t *testing.T) {
	tests := []struct {
		lastName string
		after    time.Duration // after is when SMEV answers; 0 means never.
		verified bool
		errText  string
	}{
		{sandbox.TestLastName, delay, true, ""},
		{sandbox.LastNameNotFound, delay, false, sandbox.ErrorTextPersonNotFound},
		{sandbox.LastNameNotFoundLatin, delay, false, sandbox.ErrorTextPersonNotFound},
		{"несуществующий", delay, false, sandbox.ErrorTextPersonNotFound},
		{" NOTFOUND ", delay, false, sandbox.ErrorTextPersonNotFound},
		{sandbox.LastNameSlow, 0, false, ""},
		{"slow", 0, false, ""},
		{"ДОЛГОВ", 0, false, ""},
		{sandbox.LastNameDelayed, 10 * delay, true, ""},
		{"DELAYED", 10 * delay, true, ""},
		{"медленный", 10 * delay, true, ""},
		{"Notfoundish", delay, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.lastName, func(t *testing.T) {
			e := newEnv(t)
			id := e.init(person(tt.lastName))
			st := e.status(id)
			assert.Equal(t, id, st["id"])
			assertPerson(t, st, false, nil, "")
			if tt.after == 0 {
				e.clock.Advance(1000 * time.Hour)
				assertPerson(t, e.status(id), false, nil, "")
				return
			}
			e.clock.Advance(tt.after - time.Nanosecond)
			assertPerson(t, e.status(id), false, nil, "")
			e.clock.Advance(time.Nanosecond)
			assertPerson(t, e.status(id), true, tt.verified, tt.errText)
		})
	}
}

func TestChecksumMissIsRegistryMissNot400(t *testing.T) {
	tests := []struct {
		name, snils, inn string
		verified         bool
	}{
		{"bad SNILS", sandbox.ChecksumMissSNILS, "", false},
		{"bad INN only", "", sandbox.ChecksumMissINN, false},
		{"good INN only", "", sandbox.TestINN, true},
		{"contract INN example", "", "501716749325", true},
		{"bad SNILS, good INN", sandbox.ChecksumMissSNILS, sandbox.TestINN, true},
		{"both bad", sandbox.ChecksumMissSNILS, sandbox.ChecksumMissINN, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := person(sandbox.TestLastName)
			p["snils"], p["inn"] = tt.snils, tt.inn
			id := e.init(p)
			e.clock.Advance(delay)
			errText := ""
			if !tt.verified {
				errText = sandbox.ErrorTextRegistryMiss
			}
			assertPerson(t, e.status(id), true, tt.verified, errText)
		})
	}
}

func TestNotFoundWinsOverRegistryMiss(t *testing.T) {
	e := newEnv(t)
	p := person(sandbox.LastNameNotFound)
	p["snils"] = sandbox.ChecksumMissSNILS
	id := e.init(p)
	e.clock.Advance(delay)
	assertPerson(t, e.status(id), true, false, sandbox.ErrorTextPersonNotFound)
}

func TestInvalidInitIs400(t *testing.T) {
	tests := map[string]func(p map[string]string){
		"phone without plus": func(p map[string]string) { p["phone"] = "79001234567" },
		"phone short":        func(p map[string]string) { p["phone"] = "+7900123456" },
		"phone +8":           func(p map[string]string) { p["phone"] = "+89001234567" },
		"no phone":           func(p map[string]string) { delete(p, "phone") },
		"blank first name":   func(p map[string]string) { p["firstName"] = "  " },
		"no patronymic":      func(p map[string]string) { p["patronymic"] = "" },
		"no last name":       func(p map[string]string) { delete(p, "lastName") },
		"series 3 digits":    func(p map[string]string) { p["passportSeries"] = "111" },
		"number letters":     func(p map[string]string) { p["passportNumber"] = "11111a" },
		"snils with dashes":  func(p map[string]string) { p["snils"] = "112-233-445 95" },
		"snils 10 digits":    func(p map[string]string) { p["snils"] = "1122334459" },
		"inn 10 digits":      func(p map[string]string) { p["snils"], p["inn"] = "", "7830002293" },
		"neither snils/inn":  func(p map[string]string) { p["snils"] = "" },
		"bad inn with snils": func(p map[string]string) { p["inn"] = "12345" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			p := person(sandbox.TestLastName)
			mutate(p)
			code, out := e.call(http.MethodPost, "/api/personidentification", e.nextAuth(), p)
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Equal(t, map[string]any{"error": "Invalid request"}, out)
			assert.Zero(t, e.sb.SessionCount())
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		e := newEnv(t)
		code, out := e.call(http.MethodPost, "/api/personidentification", e.nextAuth(), `{"firstName":`)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "Invalid request", out["error"])
	})
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	e := newEnv(t)
	code, _ := e.call(http.MethodPost, "/api/personidentification", e.nextAuth(),
		map[string]any{"firstName": "Иван", "patronymic": "Иванович", "lastName": "Иванов",
			"passportSeries": "1111", "passportNumber": "111111", "snils": "19033603123",
			"phone": "+79001234567", "extra": 1})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, e.sb.SessionCount())
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	valid := xAuth(merchant, "fixed-id", secret)
	hash := valid[len(merchant)+1 : len(merchant)+65]
	tests := map[string]string{
		"missing":        "",
		"garbage":        "hello",
		"no request id":  merchant + "-" + hash + "-",
		"no separator":   merchant + "-" + hash + "fixed-id",
		"wrong secret":   xAuth(merchant, "r1", "other"),
		"wrong merchant": xAuth("merchant-43", "r2", secret),
		"short hash":     merchant + "-" + hash[:63] + "-fixed-id",
		"upper-case hex": merchant + "-" + string(bytes.ToUpper([]byte(hash))) + "-fixed-id",
		"merchant only":  merchant,
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			code, out := e.call(http.MethodPost, "/api/personidentification", header, person(sandbox.TestLastName))
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Equal(t, map[string]any{"error": "Unauthorized"}, out)
		})
	}
	code, _ := e.call(http.MethodGet, "/api/personidentification/x", "", nil)
	assert.Equal(t, http.StatusUnauthorized, code, "auth is checked before the session lookup")
	assert.Zero(t, e.sb.SessionCount())

	code, _ = e.call(http.MethodPost, "/api/personidentification", valid, person(sandbox.TestLastName))
	assert.Equal(t, http.StatusOK, code, "a failed attempt must not burn the request id")
}

func TestReplayedRequestIDRejected(t *testing.T) {
	e := newEnv(t)
	header := xAuth(merchant, "once", secret)
	code, out := e.call(http.MethodPost, "/api/personidentification", header, person(sandbox.TestLastName))
	require.Equal(t, http.StatusOK, code)
	id := out["id"].(string)

	code, out = e.call(http.MethodGet, "/api/personidentification/"+id, header, nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, "Unauthorized", out["error"])
	code, _ = e.call(http.MethodPost, "/api/personidentification", header, person(sandbox.TestLastName))
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, 1, e.sb.SessionCount())

	// A request id is used up even when the request itself is refused with 400.
	bad := xAuth(merchant, "bad-body", secret)
	code, _ = e.call(http.MethodPost, "/api/personidentification", bad, "{")
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = e.call(http.MethodPost, "/api/personidentification", bad, person(sandbox.TestLastName))
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestSMSFlow(t *testing.T) {
	e := newEnv(t)
	id := e.init(person(sandbox.TestLastName))
	st := e.status(id)
	assert.Nil(t, st["phoneVerified"])
	assert.Contains(t, st, "phoneVerified")
	assert.Equal(t, false, st["phoneVerificationFinished"])

	code, out := e.sms(id, "123456")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, id, out["id"])
	st = e.status(id)
	assert.Equal(t, false, st["phoneVerified"])
	assert.Equal(t, true, st["phoneVerificationFinished"])

	code, _ = e.sms(id, sandbox.DefaultAcceptedCode)
	require.Equal(t, http.StatusOK, code)
	st = e.status(id)
	assert.Equal(t, true, st["phoneVerified"])
	assert.Equal(t, true, st["phoneVerificationFinished"])
	n, ok := e.sb.Attempts(id)
	assert.True(t, ok)
	assert.Equal(t, 2, n)

	for range 6 { // after verification codes are accepted, not counted, and change nothing
		code, _ = e.sms(id, "999999")
		assert.Equal(t, http.StatusOK, code)
	}
	assert.Equal(t, true, e.status(id)["phoneVerified"])
	n, _ = e.sb.Attempts(id)
	assert.Equal(t, 2, n)
}

func TestSMSAttemptLimit(t *testing.T) {
	e := newEnv(t)
	id := e.init(person(sandbox.TestLastName))
	for i := range sandbox.MaxSMSAttempts - 1 {
		code, _ := e.sms(id, "11111"+strconv.Itoa(i))
		require.Equal(t, http.StatusOK, code, "attempt %d", i+1)
	}
	code, _ := e.sms(id, sandbox.DefaultAcceptedCode)
	require.Equal(t, http.StatusOK, code, "the 5th attempt is allowed")
	assert.Equal(t, true, e.status(id)["phoneVerified"])

	id = e.init(person(sandbox.TestLastName))
	for range sandbox.MaxSMSAttempts {
		code, _ := e.sms(id, "123456")
		require.Equal(t, http.StatusOK, code)
	}
	code, out := e.sms(id, sandbox.DefaultAcceptedCode)
	assert.Equal(t, http.StatusBadRequest, code, "the 6th attempt is refused, even with the right code")
	assert.Equal(t, "Invalid request", out["error"])
	assert.Equal(t, false, e.status(id)["phoneVerified"])
	n, _ := e.sb.Attempts(id)
	assert.Equal(t, sandbox.MaxSMSAttempts, n)
}

func TestSMSInvalid(t *testing.T) {
	e := newEnv(t)
	id := e.init(person(sandbox.TestLastName))
	for _, c := range []string{"", "123", "123456789", "12a456", "+12345"} {
		code, out := e.sms(id, c)
		assert.Equal(t, http.StatusBadRequest, code, "code %q", c)
		assert.Equal(t, "Invalid request", out["error"])
	}
	code, _ := e.call(http.MethodPut, "/api/personidentification/"+id, e.nextAuth(), "not json")
	assert.Equal(t, http.StatusBadRequest, code)
	n, _ := e.sb.Attempts(id)
	assert.Zero(t, n, "malformed codes do not use up attempts")
	assert.Nil(t, e.status(id)["phoneVerified"])

	code, _ = e.sms("794d3cc7-a2b4-4579-9173-bafc7d7dc29d", "000000")
	assert.Equal(t, http.StatusBadRequest, code, "unknown session")
	code, out := e.call(http.MethodGet, "/api/personidentification/794d3cc7-a2b4-4579-9173-bafc7d7dc29d", e.nextAuth(), nil)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "Invalid request", out["error"])
	_, ok := e.sb.Attempts("nope")
	assert.False(t, ok)
}

func TestCustomAcceptedCodeAndDefaults(t *testing.T) {
	clock := clocktest.New(time.Unix(0, 0))
	sb := sandbox.New(sandbox.Config{MerchantID: merchant, Secret: secret, AcceptedCode: "4321", Clock: clock.Now})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	e := &env{t: t, sb: sb, srv: srv, clock: clock}
	id := e.init(person(sandbox.TestLastName))
	_, _ = e.sms(id, sandbox.DefaultAcceptedCode)
	assert.Equal(t, false, e.status(id)["phoneVerified"])
	_, _ = e.sms(id, "4321")
	assert.Equal(t, true, e.status(id)["phoneVerified"])

	clock.Advance(sandbox.DefaultSMEVDelay - time.Millisecond)
	assert.Equal(t, false, e.status(id)["personVerificationFinished"])
	clock.Advance(time.Millisecond)
	assert.Equal(t, true, e.status(id)["personVerified"])
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	code, _ := e.call(http.MethodDelete, "/api/personidentification/x", e.nextAuth(), nil)
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	code, _ = e.call(http.MethodGet, "/api/other", e.nextAuth(), nil)
	assert.Equal(t, http.StatusNotFound, code)
}

func TestConcurrentSessions(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			p := person(sandbox.TestLastName)
			raw, _ := json.Marshal(p)
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/personidentification", bytes.NewReader(raw))
			req.Header.Set("X-Auth", e.nextAuth())
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			var out struct{ ID string }
			_ = json.NewDecoder(resp.Body).Decode(&out)
			ids[i] = out.ID
		})
	}
	wg.Wait()
	assert.Equal(t, len(ids), e.sb.SessionCount())
	seen := map[string]bool{}
	for _, id := range ids {
		assert.NotEmpty(t, id)
		assert.False(t, seen[id], "session ids must be unique")
		seen[id] = true
	}
}
