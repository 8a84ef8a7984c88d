package mandarin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"idflow/internal/clocktest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/providers/mandarin"
	sandbox "idflow/internal/sandbox/mandarin"
)

const (
	merchant = "merchant-7"
	secret   = "top-secret"
	delay    = 3 * time.Minute
)

// startSandbox serves a sandbox and returns its URL and clock.
func startSandbox(t *testing.T) (string, *clocktest.Clock, *sandbox.Sandbox) {
	t.Helper()
	clock := clocktest.New(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	sb := sandbox.New(sandbox.Config{MerchantID: merchant, Secret: secret, SMEVDelay: delay, Clock: clock.Now})
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, clock, sb
}

func newClient(t *testing.T, baseURL, key string) *mandarin.Client {
	t.Helper()
	c, err := mandarin.New(mandarin.Config{BaseURL: baseURL, MerchantID: merchant, Secret: key, Timeout: 2 * time.Second})
	require.NoError(t, err)
	return c
}

// sharikov is the provider's public test identity.
func sharikov() mandarin.InitRequest {
	return mandarin.InitRequest{
		FirstName: sandbox.TestFirstName, Patronymic: sandbox.TestPatronymic, LastName: sandbox.TestLastName,
		PassportSeries: sandbox.TestPassportSeries, PassportNumber: sandbox.TestPassportNumber,
		SNILS: sandbox.TestSNILS, Phone: sandbox.TestPhone,
	}
}

// asError asserts that err is a *mandarin.Error and returns it.
func asError(t *testing.T, err error) *mandarin.Error {
	t.Helper()
	var e *mandarin.Error
	require.ErrorAs(t, err, &e)
	return e
}

func TestAuthHeaderPinned(t *testing.T) {
	// printf '%s' 'merchant-req-secret' | sha256sum
	want := "merchant-1397373221257a207b030e51105d926f33f5247749caaa6b460f934722c4bb05-req"
	assert.Equal(t, want, mandarin.AuthHeader("merchant", "req", "secret"))
}

func TestNewEnforcesHTTPS(t *testing.T) {
	ok := []string{
		"https://secure.mandarinpay.com", "https://secure.mandarinpay.com/", "https://example.com:8443/prefix",
		"http://127.0.0.1:8080", "http://127.9.9.9", "http://localhost:1234", "http://LOCALHOST", "http://[::1]:9000",
	}
	for _, u := range ok {
		_, err := mandarin.New(mandarin.Config{BaseURL: u, MerchantID: "m", Secret: "s"})
		assert.NoError(t, err, u)
	}
	bad := []string{
		"", "secure.mandarinpay.com", "http://secure.mandarinpay.com", "http://10.0.0.1", "http://localhost.evil.com",
		"http://128.0.0.1", "ftp://127.0.0.1", "://x", "https://", "http://[::2]",
	}
	for _, u := range bad {
		_, err := mandarin.New(mandarin.Config{BaseURL: u, MerchantID: "m", Secret: "s"})
		assert.Error(t, err, u)
	}
	_, err := mandarin.New(mandarin.Config{BaseURL: "https://x.example"})
	assert.Error(t, err, "merchant id and secret are required")
}

func TestHappyPathToVerified(t *testing.T) {
	url, clock, sb := startSandbox(t)
	c := newClient(t, url, secret)
	ctx := context.Background()

	id, err := c.InitIdentification(ctx, sharikov())
	require.NoError(t, err)
	require.NotEmpty(t, id)

	st, err := c.Status(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, id, st.ID)
	assert.Nil(t, st.PhoneVerified)
	assert.Nil(t, st.PersonVerified)
	assert.False(t, st.PhoneVerificationFinished || st.PersonVerificationFinished)
	assert.False(t, st.Passed())

	require.NoError(t, c.SubmitSMSCode(ctx, id, "123456"))
	st, err = c.Status(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, st.PhoneVerified)
	assert.False(t, *st.PhoneVerified)
	assert.True(t, st.PhoneVerificationFinished)

	require.NoError(t, c.SubmitSMSCode(ctx, id, sandbox.DefaultAcceptedCode))
	clock.Advance(delay)
	st, err = c.Status(ctx, id)
	require.NoError(t, err)
	assert.True(t, st.Passed())
	assert.True(t, st.PersonVerificationFinished)
	assert.False(t, st.PersonRejected())
	assert.Empty(t, st.PersonVerificationError)
	assert.Equal(t, 1, sb.SessionCount(), "every request used a fresh request id, or the sandbox would refuse a replay")
}

func TestPersonRejected(t *testing.T) {
	url, clock, _ := startSandbox(t)
	c := newClient(t, url, secret)
	req := sharikov()
	req.LastName = sandbox.LastNameNotFound
	id, err := c.InitIdentification(context.Background(), req)
	require.NoError(t, err)
	clock.Advance(delay)
	st, err := c.Status(context.Background(), id)
	require.NoError(t, err)
	assert.True(t, st.PersonRejected())
	assert.Equal(t, sandbox.ErrorTextPersonNotFound, st.PersonVerificationError)
}

func TestWrongSecretIsFinal(t *testing.T) {
	url, _, sb := startSandbox(t)
	c := newClient(t, url, "not-the-secret")
	_, err := c.InitIdentification(context.Background(), sharikov())
	e := asError(t, err)
	assert.Equal(t, http.StatusUnauthorized, e.StatusCode)
	assert.Equal(t, "Unauthorized", e.Message)
	assert.False(t, e.Retryable)
	assert.False(t, mandarin.IsRetryable(err))
	assert.Equal(t, "mandarin: HTTP 401: Unauthorized", err.Error())
	assert.Zero(t, sb.SessionCount())
}

func TestInvalidRequestIsFinal(t *testing.T) {
	url, _, sb := startSandbox(t)
	c := newClient(t, url, secret)
	req := sharikov()
	req.Phone = "89001234567"
	_, err := c.InitIdentification(context.Background(), req)
	e := asError(t, err)
	assert.Equal(t, http.StatusBadRequest, e.StatusCode)
	assert.Equal(t, "Invalid request", e.Message)
	assert.False(t, mandarin.IsRetryable(err))
	for _, pd := range []string{req.Phone, req.FirstName, req.LastName, req.Patronymic, req.SNILS, req.PassportNumber} {
		assert.NotContains(t, err.Error(), pd, "error text must not carry personal data")
	}
	assert.Zero(t, sb.SessionCount())
}

func TestSixthCodeRefused(t *testing.T) {
	url, _, sb := startSandbox(t)
	c := newClient(t, url, secret)
	ctx := context.Background()
	id, err := c.InitIdentification(ctx, sharikov())
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, c.SubmitSMSCode(ctx, id, fmt.Sprintf("55555%d", i)), "attempt %d", i+1)
	}
	err = c.SubmitSMSCode(ctx, id, sandbox.DefaultAcceptedCode)
	e := asError(t, err)
	assert.Equal(t, http.StatusBadRequest, e.StatusCode)
	assert.Equal(t, "Invalid request", e.Message)
	assert.False(t, mandarin.IsRetryable(err))
	n, _ := sb.Attempts(id)
	assert.Equal(t, 5, n)
}

func TestUnknownSessionIsFinal(t *testing.T) {
	url, _, _ := startSandbox(t)
	c := newClient(t, url, secret)
	_, err := c.Status(context.Background(), "794d3cc7-a2b4-4579-9173-bafc7d7dc29d")
	assert.Equal(t, http.StatusBadRequest, asError(t, err).StatusCode)
	assert.False(t, mandarin.IsRetryable(err))
}

// fixed serves every request with one status and body.
func fixed(t *testing.T, code int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStatusCodeClassification(t *testing.T) {
	tests := []struct {
		code      int
		body      string
		retryable bool
		message   string
	}{
		{500, `{"error":"Internal error"}`, true, "Internal error"},
		{502, `<html>bad gateway</html>`, true, "Bad Gateway"},
		{503, ``, true, "Service Unavailable"},
		{504, `{"error":""}`, true, "Gateway Timeout"},
		{429, `{"error":"Too many requests"}`, true, "Too many requests"},
		{408, ``, true, "Request Timeout"},
		{400, `{"error":"Invalid request"}`, false, "Invalid request"},
		{401, ``, false, "Unauthorized"},
		{403, `{"error":"Forbidden","extra":1}`, false, "Forbidden"},
		{404, `not found`, false, "Not Found"},
		{302, ``, false, "Found"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			c := newClient(t, fixed(t, tt.code, tt.body), secret)
			_, err := c.Status(context.Background(), "sid")
			e := asError(t, err)
			assert.Equal(t, tt.code, e.StatusCode)
			assert.Equal(t, tt.retryable, mandarin.IsRetryable(err))
			assert.Equal(t, tt.message, e.Message)
			assert.Contains(t, err.Error(), fmt.Sprint(tt.code))
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	target := fixed(t, 200, `{"id":"x"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv.URL, secret).InitIdentification(context.Background(), sharikov())
	e := asError(t, err)
	assert.Equal(t, http.StatusTemporaryRedirect, e.StatusCode)
	assert.False(t, e.Retryable)
}

func TestUndecodable200IsRetryable(t *testing.T) {
	for _, body := range []string{``, `not json`, `{"id":`, `{"phoneVerified":"yes"}`} {
		c := newClient(t, fixed(t, 200, body), secret)
		_, err := c.Status(context.Background(), "sid")
		e := asError(t, err)
		assert.Equal(t, 200, e.StatusCode, body)
		assert.True(t, mandarin.IsRetryable(err), body)
		assert.NotContains(t, err.Error(), "yes")
	}
	c := newClient(t, fixed(t, 200, `{"other":1}`), secret)
	_, err := c.InitIdentification(context.Background(), sharikov())
	assert.True(t, mandarin.IsRetryable(err), "a 200 without a session id")
}

func TestLenientDecoding(t *testing.T) {
	body := `{"id":"sid","phoneVerified":null,"phoneVerificationFinished":false,"personVerified":false,` +
		`"personVerificationFinished":true,"personVerificationError":null,"newField":{"a":[1]}}`
	c := newClient(t, fixed(t, 200, body), secret)
	st, err := c.Status(context.Background(), "sid")
	require.NoError(t, err)
	assert.Nil(t, st.PhoneVerified)
	require.NotNil(t, st.PersonVerified)
	assert.False(t, *st.PersonVerified)
	assert.True(t, st.PersonRejected())
	assert.Empty(t, st.PersonVerificationError)
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := newClient(t, url, secret)
	_, err := c.InitIdentification(context.Background(), sharikov())
	e := asError(t, err)
	assert.Zero(t, e.StatusCode)
	assert.True(t, mandarin.IsRetryable(err))
	assert.NotContains(t, err.Error(), sandbox.TestSNILS)
}

func TestTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, err := mandarin.New(mandarin.Config{BaseURL: srv.URL, MerchantID: merchant, Secret: secret, Timeout: 50 * time.Millisecond})
	require.NoError(t, err)
	_, err = c.Status(context.Background(), "sid")
	assert.True(t, mandarin.IsRetryable(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestEmptySessionIDIsNotSent(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, secret)
	for _, id := range []string{"", "  "} {
		_, err := c.Status(context.Background(), id)
		assert.ErrorIs(t, err, mandarin.ErrEmptySessionID)
		assert.ErrorIs(t, c.SubmitSMSCode(context.Background(), id, "000000"), mandarin.ErrEmptySessionID)
		assert.False(t, mandarin.IsRetryable(err))
	}
	assert.Zero(t, calls)
}

// captured is one request seen by a recording server.
type captured struct {
	method, path, rawPath, auth, contentType string
	body                                     map[string]any
}

func recorder(t *testing.T, reply string) (string, *[]captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := captured{method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(),
			auth: r.Header.Get("X-Auth"), contentType: r.Header.Get("Content-Type")}
		_ = json.NewDecoder(r.Body).Decode(&c.body)
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &got
}

func TestWireFormat(t *testing.T) {
	url, got := recorder(t, `{"id":"794d3cc7-a2b4-4579-9173-bafc7d7dc29d"}`)
	c := newClient(t, url+"/prefix/", secret)
	ctx := context.Background()
	req := sharikov()
	req.SNILS, req.INN = "", sandbox.TestINN // snils is sent even when empty
	_, err := c.InitIdentification(ctx, req)
	require.NoError(t, err)
	require.NoError(t, c.SubmitSMSCode(ctx, "a/b c", "000000"))
	_, err = c.Status(ctx, "sid")
	require.NoError(t, err)

	require.Len(t, *got, 3)
	post, put, get := (*got)[0], (*got)[1], (*got)[2]
	assert.Equal(t, "POST", post.method)
	assert.Equal(t, "/prefix/api/personidentification", post.path)
	assert.Equal(t, "application/json", post.contentType)
	assert.Equal(t, map[string]any{
		"firstName": req.FirstName, "patronymic": req.Patronymic, "lastName": req.LastName,
		"passportSeries": req.PassportSeries, "passportNumber": req.PassportNumber,
		"snils": "", "inn": req.INN, "phone": req.Phone,
	}, post.body)

	assert.Equal(t, "PUT", put.method)
	assert.Equal(t, "/prefix/api/personidentification/a%2Fb%20c", put.rawPath)
	assert.Equal(t, map[string]any{"smsCode": "000000"}, put.body)
	assert.Equal(t, "GET", get.method)
	assert.Equal(t, "/prefix/api/personidentification/sid", get.path)

	seen := map[string]bool{}
	for _, r := range *got {
		rest, ok := strings.CutPrefix(r.auth, merchant+"-")
		require.True(t, ok, r.auth)
		requestID := rest[65:]
		assert.Equal(t, mandarin.AuthHeader(merchant, requestID, secret), r.auth)
		assert.Len(t, requestID, 36, "a uuid")
		assert.False(t, seen[requestID], "request ids must be unique")
		seen[requestID] = true
		assert.NotContains(t, r.auth, secret)
	}
	c2 := newClient(t, url, secret)
	_, err = c2.InitIdentification(ctx, sharikov())
	require.NoError(t, err)
	assert.Equal(t, sandbox.TestSNILS, (*got)[3].body["snils"])
	assert.NotContains(t, (*got)[3].body, "inn", "an empty inn is omitted")
}

func TestInitRequestRedacts(t *testing.T) {
	req := sharikov()
	for _, s := range []string{fmt.Sprint(req), fmt.Sprintf("%+v", req), fmt.Sprintf("%#v", req), fmt.Sprintf("%v", &req)} {
		for _, pd := range []string{req.FirstName, req.LastName, req.SNILS, req.Phone, req.PassportNumber} {
			assert.NotContains(t, s, pd)
		}
	}
	assert.Equal(t, "mandarin.InitRequest{REDACTED}", req.LogValue().String())
}

func TestIsRetryable(t *testing.T) {
	assert.False(t, mandarin.IsRetryable(nil))
	assert.False(t, mandarin.IsRetryable(errors.New("x")))
	wrapped := fmt.Errorf("activity: %w", &mandarin.Error{StatusCode: 503, Retryable: true})
	assert.True(t, mandarin.IsRetryable(wrapped))
}

// TestReplayedRequestIDIsSignedAnew: Go's transport repeats a GET whose
// answer was lost with the same X-Auth, and Mandarin refuses a replayed
// request id with 401; the client signs anew, so the poll goes on, even
// when the retry is replayed too, while 401s in a row (bad credentials)
// end final.
func TestReplayedRequestIDIsSignedAnew(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Auth"))
		replayed := len(seen) <= 2
		mu.Unlock()
		if replayed {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"id":"sid","phoneCheck":{"status":"pending"}}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, secret)
	_, err := c.Status(context.Background(), "sid")
	require.NoError(t, err)
	require.Len(t, seen, 3)
	assert.NotEqual(t, seen[0], seen[1], "signed with a new request id")
	assert.NotEqual(t, seen[1], seen[2], "and again")

	_, err = newClient(t, fixed(t, 401, ``), secret).Status(context.Background(), "sid")
	assert.Equal(t, http.StatusUnauthorized, asError(t, err).StatusCode, "401s in a row are final")
}
