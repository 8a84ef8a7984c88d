package idngo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/providers/idngo"
)

const (
	appToken  = "app-token-1"
	secretKey = "secret"
	fixedTs   = int64(1700000000)
)

// call is one request the fake provider received, after its signature was checked.
type call struct {
	Method      string
	RequestURI  string
	ContentType string
	Body        []byte
}

// fakeProvider is an httptest server that checks the IDnGO auth headers of
// every request over the raw bytes it received and then runs handle.
type fakeProvider struct {
	t      *testing.T
	srv    *httptest.Server
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
	// allowBadAuth answers a bad signature with 401 without failing the test.
	allowBadAuth bool

	mu    sync.Mutex
	calls []call
}

func newFakeProvider(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeProvider {
	t.Helper()
	f := &fakeProvider{t: t, handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if !assert.NoError(f.t, err) {
		return
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-App-Access-Ts"), 10, 64)
	want := idngo.Sign(secretKey, ts, r.Method, r.RequestURI, body)
	if err != nil || r.Header.Get("X-App-Token") != appToken || r.Header.Get("X-App-Access-Sig") != want {
		if !f.allowBadAuth {
			f.t.Errorf("bad auth for %s %s", r.Method, r.RequestURI)
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"description":"Invalid signature","code":401,"correlationId":"c-401"}`)
		return
	}
	assert.Equal(f.t, fixedTs, ts, "X-App-Access-Ts comes from Config.Now")
	assert.Equal(f.t, "application/json", r.Header.Get("Accept"))
	for _, vs := range r.Header {
		for _, v := range vs {
			assert.NotContains(f.t, v, secretKey, "the secret key must not be sent")
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{Method: r.Method, RequestURI: r.RequestURI, ContentType: r.Header.Get("Content-Type"), Body: body})
	f.mu.Unlock()
	f.handle(w, r, body)
}

func (f *fakeProvider) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func newClient(t *testing.T, baseURL string) *idngo.Client {
	t.Helper()
	c, err := idngo.New(idngo.Config{
		BaseURL: baseURL, AppToken: appToken, SecretKey: secretKey, Timeout: 2 * time.Second,
		Now: func() time.Time { return time.Unix(fixedTs, 0) },
	})
	require.NoError(t, err)
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// asError asserts that err is an *idngo.Error and returns it.
func asError(t *testing.T, err error) *idngo.Error {
	t.Helper()
	var e *idngo.Error
	require.ErrorAs(t, err, &e)
	return e
}

const applicantJSON = `{
  "id": "5b594ade0a975a36c9349e66",
  "createdAt": "2025-03-01 09:00:00",
  "clientId": "coolClient",
  "inspectionId": "5b594ade0a975a36c9379e67",
  "externalUserId": "u1",
  "levelName": "basic-kyc-level",
  "info": {"firstName": "Ivan", "lastName": "Petrov", "dob": "1990-01-02", "country": "RUS",
           "idDocs": [{"idDocType": "PASSPORT", "country": "RUS"}], "unknownNumber": 5},
  "fixedInfo": {"firstName": "Ivan", "phone": "+79990000000"},
  "requiredIdDocs": {"docSets": [{"idDocSetType": "IDENTITY", "types": ["PASSPORT", "ID_CARD"]},
                                 {"idDocSetType": "SELFIE", "types": ["SELFIE"]}]},
  "review": {"reviewId": "rev1", "attemptId": "att1", "attemptCnt": 2, "levelName": "basic-kyc-level",
             "createDate": "2025-03-01 09:01:00+0000", "reviewDate": "2025-03-01 09:05:00+0000",
             "reviewStatus": "completed", "priority": 0,
             "reviewResult": {"reviewAnswer": "RED", "reviewRejectType": "RETRY",
                              "rejectLabels": ["BAD_SELFIE"], "moderationComment": "Retake the selfie.",
                              "clientComment": "face mismatch"}},
  "type": "individual"
}`

func TestSignPinned(t *testing.T) {
	// printf '%s' '1700000000POST/resources/applicants?levelName=basic-kyc-level{"externalUserId":"u1"}' | openssl dgst -sha256 -hmac 'secret'
	assert.Equal(t, "03d18bcd1fcc3950a0a5896e714d10154001f939a675da34a27da16c4d300d28",
		idngo.Sign("secret", 1700000000, "POST", "/resources/applicants?levelName=basic-kyc-level", []byte(`{"externalUserId":"u1"}`)))
	// printf '%s' '1700000000GET/idngo/resources/applicants/-;externalUserId=a%2Fb/one' | openssl dgst -sha256 -hmac 'secret'
	assert.Equal(t, "a19e4592467ada9ba016c5d361aba67671276b60e2a8c659e5bf8d5bffff2454",
		idngo.Sign("secret", 1700000000, "GET", "/idngo/resources/applicants/-;externalUserId=a%2Fb/one", nil))
}

func TestNewEnforcesHTTPS(t *testing.T) {
	ok := []string{
		"https://api.idngo.example", "https://api.idngo.example/", "https://example.com:8443/prefix",
		"http://127.0.0.1:8090", "http://127.0.0.1:8090/idngo", "http://127.9.9.9", "http://localhost:1234",
		"http://LOCALHOST", "http://[::1]:9000",
	}
	for _, u := range ok {
		_, err := idngo.New(idngo.Config{BaseURL: u, AppToken: "t", SecretKey: "s"})
		assert.NoError(t, err, u)
	}
	bad := []string{
		"", "api.idngo.example", "http://api.idngo.example", "http://10.0.0.1", "http://localhost.evil.com",
		"http://128.0.0.1", "ftp://127.0.0.1", "://x", "https://", "http://[::2]", "https://user:pw@api.idngo.example",
	}
	for _, u := range bad {
		_, err := idngo.New(idngo.Config{BaseURL: u, AppToken: "t", SecretKey: "s"})
		assert.Error(t, err, u)
	}
	_, err := idngo.New(idngo.Config{BaseURL: "https://x.example", AppToken: "t"})
	assert.Error(t, err, "secret key is required")
	_, err = idngo.New(idngo.Config{BaseURL: "https://x.example", SecretKey: "s"})
	assert.Error(t, err, "app token is required")
}

func TestCreateApplicantSignsPinnedRequest(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, applicantJSON)
	})
	c := newClient(t, f.srv.URL)

	// The exact request of the pinned signature: the client must send the same header.
	var gotSig string
	f.handle = func(w http.ResponseWriter, r *http.Request, body []byte) {
		gotSig = r.Header.Get("X-App-Access-Sig")
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		writeJSON(w, http.StatusOK, applicantJSON)
	}
	a, err := c.CreateApplicant(context.Background(), "basic-kyc-level", "u1", nil)
	require.NoError(t, err)
	assert.Equal(t, "03d18bcd1fcc3950a0a5896e714d10154001f939a675da34a27da16c4d300d28", gotSig)

	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, http.MethodPost, calls[0].Method)
	assert.Equal(t, "/resources/applicants?levelName=basic-kyc-level", calls[0].RequestURI)
	assert.JSONEq(t, `{"externalUserId":"u1"}`, string(calls[0].Body))

	assert.Equal(t, "5b594ade0a975a36c9349e66", a.ID)
	assert.Equal(t, "2025-03-01 09:00:00", a.CreatedAt)
	assert.Equal(t, "u1", a.ExternalUserID)
	assert.Equal(t, "5b594ade0a975a36c9379e67", a.InspectionID)
	assert.Equal(t, "basic-kyc-level", a.LevelName)
	require.NotNil(t, a.Info)
	assert.Equal(t, idngo.ApplicantInfo{FirstName: "Ivan", LastName: "Petrov", DOB: "1990-01-02", Country: "RUS"}, *a.Info)
	require.NotNil(t, a.FixedInfo)
	assert.Equal(t, "+79990000000", a.FixedInfo.Phone)
	require.NotNil(t, a.RequiredIDDocs)
	require.Len(t, a.RequiredIDDocs.DocSets, 2)
	assert.Equal(t, []string{"PASSPORT", "ID_CARD"}, a.RequiredIDDocs.DocSets[0].Types)
	require.NotNil(t, a.Review)
	assert.Equal(t, idngo.Review{
		ReviewID: "rev1", AttemptID: "att1", AttemptCnt: 2, LevelName: "basic-kyc-level",
		CreateDate: "2025-03-01 09:01:00+0000", ReviewDate: "2025-03-01 09:05:00+0000", ReviewStatus: idngo.ReviewStatusCompleted,
		ReviewResult: &idngo.ReviewResult{ReviewAnswer: idngo.AnswerRed, ReviewRejectType: idngo.RejectRetry,
			RejectLabels: []string{"BAD_SELFIE"}, ModerationComment: "Retake the selfie.", ClientComment: "face mismatch"},
	}, *a.Review)
}

func TestCreateApplicantSendsInfo(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusCreated, applicantJSON)
	})
	c := newClient(t, f.srv.URL)
	info := &idngo.ApplicantInfo{FirstName: "Иван", LastName: "Петров", MiddleName: "Сергеевич", DOB: "1990-01-02",
		Country: "RUS", Nationality: "RUS", Phone: "+79990000000"}
	_, err := c.CreateApplicant(context.Background(), "level a&b", "user 1", info)
	require.NoError(t, err)
	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, "/resources/applicants?levelName=level+a%26b", calls[0].RequestURI)
	assert.JSONEq(t, `{"externalUserId":"user 1","info":{"firstName":"Иван","lastName":"Петров","middleName":"Сергеевич",
		"dob":"1990-01-02","country":"RUS","nationality":"RUS","phone":"+79990000000"}}`, string(calls[0].Body))

	_, err = c.CreateApplicant(context.Background(), "basic", "u2", &idngo.ApplicantInfo{LastName: "Petrov"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"externalUserId":"u2","info":{"lastName":"Petrov"}}`, string(f.Calls()[1].Body), "empty fields omitted")
}

func TestCreateApplicantConflictReturnsExisting(t *testing.T) {
	var creates, gets int
	var mu sync.Mutex
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/resources/applicants":
			creates++
			writeJSON(w, http.StatusConflict, `{"description":"Applicant with external user id 'u1' already exists: 5b594ade0a975a36c9349e66","code":409,"correlationId":"c-1"}`)
		case r.Method == http.MethodGet && r.RequestURI == "/resources/applicants/-;externalUserId=u1/one":
			gets++
			writeJSON(w, http.StatusOK, applicantJSON)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.RequestURI)
			w.WriteHeader(http.StatusTeapot)
		}
	})
	c := newClient(t, f.srv.URL)
	a, err := c.CreateApplicant(context.Background(), "basic-kyc-level", "u1", &idngo.ApplicantInfo{FirstName: "Ivan"})
	require.NoError(t, err)
	assert.Equal(t, "5b594ade0a975a36c9349e66", a.ID)
	assert.Equal(t, "u1", a.ExternalUserID)
	assert.Equal(t, 1, creates, "exactly one create")
	assert.Equal(t, 1, gets, "exactly one lookup")
}

func TestCreateApplicantConflictLookupFails(t *testing.T) {
	lookupStatus := http.StatusNotFound
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if r.Method == http.MethodPost {
			writeJSON(w, http.StatusConflict, `{"description":"Applicant already exists","code":409,"correlationId":"c-2"}`)
			return
		}
		writeJSON(w, lookupStatus, `{"description":"not found","code":`+strconv.Itoa(lookupStatus)+`}`)
	})
	c := newClient(t, f.srv.URL)

	_, err := c.CreateApplicant(context.Background(), "basic", "u1", nil)
	e := asError(t, err)
	assert.Equal(t, http.StatusConflict, e.StatusCode, "a final lookup failure returns the original conflict")
	assert.True(t, idngo.IsConflict(err))
	assert.False(t, idngo.IsRetryable(err))

	lookupStatus = http.StatusServiceUnavailable
	_, err = c.CreateApplicant(context.Background(), "basic", "u1", nil)
	assert.Equal(t, http.StatusServiceUnavailable, asError(t, err).StatusCode)
	assert.True(t, idngo.IsRetryable(err), "a transient lookup failure is retryable")
}

func TestCreateApplicantDeletedConflictIsFinal(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusConflict, `{"description":"Applicant is marked as deleted","code":409,"correlationId":"c-3","errorCode":1008,"errorName":"applicant-marked-as-deleted"}`)
	})
	c := newClient(t, f.srv.URL)
	_, err := c.CreateApplicant(context.Background(), "basic", "u1", nil)
	e := asError(t, err)
	assert.Equal(t, idngo.ErrCodeApplicantMarkedAsDeleted, e.ErrorCode)
	assert.Len(t, f.Calls(), 1, "no lookup for a deleted applicant")
}

func TestErrorStatuses(t *testing.T) {
	cases := []struct {
		status    int
		body      string
		retryable bool
		desc      string
		errorCode int
		errorName string
	}{
		{400, `{"description":"Invalid dob","code":400,"correlationId":"c-400"}`, false, "Invalid dob", 0, ""},
		{401, `{"description":"Invalid signature","code":401,"correlationId":"c-401"}`, false, "Invalid signature", 0, ""},
		{404, `{"description":"Applicant not found","code":404,"correlationId":"c-404"}`, false, "Applicant not found", 0, ""},
		{409, `{"description":"Applicant has final reject","code":409,"correlationId":"c-409","errorCode":1009,"errorName":"applicant-with-final-reject"}`,
			false, "Applicant has final reject", 1009, "applicant-with-final-reject"},
		{408, `{"description":"timeout","code":408}`, true, "timeout", 0, ""},
		{429, `{"description":"Too many requests","code":429,"correlationId":"c-429"}`, true, "Too many requests", 0, ""},
		{500, `{"description":"Internal error","code":500,"correlationId":"c-500"}`, true, "Internal error", 0, ""},
		{503, `<html>busy</html>`, true, "Service Unavailable", 0, ""},
		{502, ``, true, "Bad Gateway", 0, ""},
		{418, `not json`, false, "I'm a teapot", 0, ""},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				writeJSON(w, tc.status, tc.body)
			})
			c := newClient(t, f.srv.URL)
			_, err := c.GetApplicant(context.Background(), "5b594ade0a975a36c9349e66")
			e := asError(t, err)
			assert.Equal(t, tc.status, e.StatusCode)
			assert.Equal(t, tc.desc, e.Description)
			assert.Equal(t, tc.errorCode, e.ErrorCode)
			assert.Equal(t, tc.errorName, e.ErrorName)
			assert.Equal(t, tc.retryable, e.Retryable)
			assert.Equal(t, tc.retryable, idngo.IsRetryable(err))
			assert.Equal(t, tc.status == 404, idngo.IsNotFound(err))
			assert.Equal(t, tc.status == 409, idngo.IsConflict(err))
			assert.Equal(t, tc.errorCode, idngo.ErrorCodeOf(err))
			assert.Contains(t, err.Error(), "idngo: HTTP "+strconv.Itoa(tc.status)+": "+tc.desc)
		})
	}
}

func TestErrorString(t *testing.T) {
	e := &idngo.Error{StatusCode: 409, Description: "Applicant has final reject", CorrelationID: "c-1",
		ErrorCode: 1009, ErrorName: "applicant-with-final-reject"}
	assert.Equal(t, "idngo: HTTP 409: Applicant has final reject (errorCode 1009 applicant-with-final-reject, correlationId c-1)", e.Error())
	assert.Equal(t, "idngo: HTTP 404: Not Found", (&idngo.Error{StatusCode: 404, Description: "Not Found"}).Error())
}

func TestErrorDescriptionTruncatedAndCleaned(t *testing.T) {
	long := strings.Repeat("я", 400) // 800 bytes
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, 400, `{"description":"line1\nline2 `+long+`","code":400}`)
	})
	_, err := newClient(t, f.srv.URL).GetApplicant(context.Background(), "x")
	e := asError(t, err)
	assert.LessOrEqual(t, len(e.Description), 300+len("…"))
	assert.True(t, strings.HasPrefix(e.Description, "line1 line2 я"))
	assert.NotContains(t, err.Error(), "\n")
}

func TestUndecodableSuccessIsRetryable(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/requiredIdDocsStatus"):
			writeJSON(w, http.StatusOK, `[not json`)
		case strings.HasSuffix(r.URL.Path, "/status/pending"):
			writeJSON(w, http.StatusOK, `{"ok":0}`)
		case strings.HasSuffix(r.URL.Path, "/one") && strings.Contains(r.URL.Path, "empty"):
			writeJSON(w, http.StatusOK, `{}`)
		default:
			writeJSON(w, http.StatusOK, `<html>`)
		}
	})
	c := newClient(t, f.srv.URL)
	ctx := context.Background()
	_, err := c.GetApplicant(ctx, "a1")
	assert.True(t, idngo.IsRetryable(err), "%v", err)
	assert.Equal(t, 200, asError(t, err).StatusCode)
	_, err = c.GetApplicant(ctx, "empty")
	assert.True(t, idngo.IsRetryable(err), "an applicant without id is unusable")
	_, err = c.RequiredIDDocsStatus(ctx, "a1")
	assert.True(t, idngo.IsRetryable(err))
	assert.True(t, idngo.IsRetryable(c.RequestCheck(ctx, "a1")))
	_, err = c.PatchFixedInfo(ctx, "a1", idngo.ApplicantInfo{FirstName: "Ivan"})
	assert.True(t, idngo.IsRetryable(err))
	_, err = c.CreateApplicant(ctx, "basic", "u1", nil)
	assert.True(t, idngo.IsRetryable(err))
}

func TestNetworkErrorsAreRetryable(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {})
	url := f.srv.URL
	f.srv.Close()
	c := newClient(t, url)
	_, err := c.GetApplicant(context.Background(), "a1")
	e := asError(t, err)
	assert.Equal(t, 0, e.StatusCode)
	assert.True(t, idngo.IsRetryable(err))
	assert.NotContains(t, err.Error(), "/resources/applicants", "no URL in transport errors")
	_, err = c.CreateApplicant(context.Background(), "basic", "u1", &idngo.ApplicantInfo{FirstName: "Ivan"})
	assert.True(t, idngo.IsRetryable(err))
	assert.NotContains(t, err.Error(), "Ivan")
}

func TestTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, err := idngo.New(idngo.Config{BaseURL: f.srv.URL, AppToken: appToken, SecretKey: secretKey,
		Timeout: 100 * time.Millisecond, Now: func() time.Time { return time.Unix(fixedTs, 0) }})
	require.NoError(t, err)
	_, err = c.GetApplicant(context.Background(), "a1")
	assert.True(t, idngo.IsRetryable(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRedirectNotFollowed(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		http.Redirect(w, r, "https://evil.example/", http.StatusFound)
	})
	_, err := newClient(t, f.srv.URL).GetApplicant(context.Background(), "a1")
	assert.Equal(t, http.StatusFound, asError(t, err).StatusCode)
	assert.False(t, idngo.IsRetryable(err))
}

func TestAddIDDocumentMultipart(t *testing.T) {
	content := append([]byte("\xff\xd8\xff\xe0 jpeg bytes \r\n--not-a-boundary\x00\x01"), bytes.Repeat([]byte{0xAB}, 5000)...)
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		// The signature was checked over body, the exact raw bytes; parse the same bytes.
		// (assert, not require: this runs on the server's goroutine.)
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if !assert.NoError(t, err) || !assert.Equal(t, "multipart/form-data", mt) {
			return
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])

		p, err := mr.NextPart()
		if !assert.NoError(t, err) {
			return
		}
		assert.Equal(t, "metadata", p.FormName())
		assert.Empty(t, p.FileName())
		meta, err := io.ReadAll(p)
		assert.NoError(t, err)
		assert.JSONEq(t, `{"idDocType":"PASSPORT","idDocSubType":"FRONT_SIDE","country":"RUS","number":"4510123456"}`, string(meta))

		p, err = mr.NextPart()
		if !assert.NoError(t, err) {
			return
		}
		assert.Equal(t, "content", p.FormName())
		assert.Equal(t, "passport_1_.jpg", p.FileName())
		assert.Equal(t, "image/jpeg", p.Header.Get("Content-Type"))
		got, err := io.ReadAll(p)
		assert.NoError(t, err)
		assert.Equal(t, content, got)

		_, err = mr.NextPart()
		assert.ErrorIs(t, err, io.EOF)

		w.Header().Set("X-Image-Id", "1163521450")
		writeJSON(w, http.StatusOK, `{"idDocType":"PASSPORT","idDocSubType":"FRONT_SIDE","country":"RUS","number":"4510123456","extra":true}`)
	})
	c := newClient(t, f.srv.URL+"/")
	meta := idngo.IDDocMetadata{IDDocType: idngo.DocTypePassport, IDDocSubType: idngo.DocFrontSide, Country: "RUS", Number: "4510123456"}
	img, err := c.AddIDDocument(context.Background(), "5b594ade0a975a36c9349e66", meta, "passport\"1\".jpg", content)
	require.NoError(t, err)
	assert.Equal(t, int64(1163521450), img.ImageID)
	assert.Equal(t, meta, img.Metadata)

	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, http.MethodPost, calls[0].Method)
	assert.Equal(t, "/resources/applicants/5b594ade0a975a36c9349e66/info/idDoc", calls[0].RequestURI)
	assert.True(t, strings.HasPrefix(calls[0].ContentType, "multipart/form-data; boundary="))

	assert.NotContains(t, fmt.Sprint(img), "4510123456", "document number redacted")
	assert.NotContains(t, fmt.Sprintf("%+v %#v %#v", img, meta, img), "4510123456")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("uploaded", "image", img, "meta", meta)
	assert.NotContains(t, buf.String(), "4510123456")
	assert.Contains(t, buf.String(), "1163521450")
}

func TestAddIDDocumentWithoutImageID(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, `garbage`)
	})
	meta := idngo.IDDocMetadata{IDDocType: idngo.DocTypeSelfie, Country: "RUS"}
	img, err := newClient(t, f.srv.URL).AddIDDocument(context.Background(), "a1", meta, "", []byte("png"))
	require.NoError(t, err, "a 2xx upload is not retried (it would add a second image)")
	assert.Equal(t, int64(0), img.ImageID)
	assert.Equal(t, meta, img.Metadata)
}

func TestAddIDDocumentErrors(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusConflict, `{"description":"Document with the same hash already exists","code":409,"correlationId":"c-dup","errorCode":1000,"errorName":"duplicate-document"}`)
	})
	c := newClient(t, f.srv.URL)
	ctx := context.Background()
	meta := idngo.IDDocMetadata{IDDocType: idngo.DocTypePassport, Country: "RUS", Number: "4510123456"}
	secretContent := []byte("SECRET-FILE-CONTENT")
	_, err := c.AddIDDocument(ctx, "a1", meta, "ivan-petrov.jpg", secretContent)
	e := asError(t, err)
	assert.Equal(t, idngo.ErrCodeDuplicateDocument, e.ErrorCode)
	assert.False(t, idngo.IsRetryable(err))
	for _, s := range []string{"SECRET-FILE-CONTENT", "4510123456", "ivan-petrov"} {
		assert.NotContains(t, err.Error(), s)
	}

	_, err = c.AddIDDocument(ctx, "a1", meta, "x.jpg", nil)
	assert.ErrorIs(t, err, idngo.ErrInvalidArgument)
	_, err = c.AddIDDocument(ctx, "a1", idngo.IDDocMetadata{Country: "RUS"}, "x.jpg", secretContent)
	assert.ErrorIs(t, err, idngo.ErrInvalidArgument)
	_, err = c.AddIDDocument(ctx, " ", meta, "x.jpg", secretContent)
	assert.ErrorIs(t, err, idngo.ErrInvalidArgument)
	assert.False(t, idngo.IsRetryable(err))
	assert.Len(t, f.Calls(), 1, "invalid arguments send nothing")
}

func TestPatchFixedInfo(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, applicantJSON)
	})
	c := newClient(t, f.srv.URL)
	a, err := c.PatchFixedInfo(context.Background(), "5b594ade0a975a36c9349e66", idngo.ApplicantInfo{FirstName: "Ivan", DOB: "1990-01-02"})
	require.NoError(t, err)
	assert.Equal(t, "5b594ade0a975a36c9349e66", a.ID)
	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, http.MethodPatch, calls[0].Method)
	assert.Equal(t, "/resources/applicants/5b594ade0a975a36c9349e66/fixedInfo", calls[0].RequestURI)
	assert.Equal(t, "application/json", calls[0].ContentType)
	assert.JSONEq(t, `{"firstName":"Ivan","dob":"1990-01-02"}`, string(calls[0].Body))

	// An answer with the fixedInfo object alone is accepted too.
	f.handle = func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, `{"firstName":"Ivan","dob":"1990-01-02"}`)
	}
	a, err = c.PatchFixedInfo(context.Background(), "app-2", idngo.ApplicantInfo{FirstName: "Ivan"})
	require.NoError(t, err)
	assert.Equal(t, "app-2", a.ID)
	require.NotNil(t, a.FixedInfo)
	assert.Equal(t, "1990-01-02", a.FixedInfo.DOB)
}

func TestRequestCheck(t *testing.T) {
	status := http.StatusOK
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		if status == http.StatusOK {
			writeJSON(w, status, `{"ok":1}`)
			return
		}
		writeJSON(w, status, `{"description":"Required documents are missing","code":409,"correlationId":"c-p"}`)
	})
	c := newClient(t, f.srv.URL)
	require.NoError(t, c.RequestCheck(context.Background(), "5b594ade0a975a36c9349e66"))
	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, http.MethodPost, calls[0].Method)
	assert.Equal(t, "/resources/applicants/5b594ade0a975a36c9349e66/status/pending", calls[0].RequestURI)
	assert.Empty(t, calls[0].Body)

	status = http.StatusConflict
	err := c.RequestCheck(context.Background(), "5b594ade0a975a36c9349e66")
	assert.True(t, idngo.IsConflict(err))
	assert.False(t, idngo.IsRetryable(err))
	assert.Equal(t, "Required documents are missing", asError(t, err).Description)
	assert.Equal(t, "c-p", asError(t, err).CorrelationID)
}

func TestGetApplicantByExternalUserIDEscapesAndSignsPrefixedPath(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, applicantJSON)
	})
	c := newClient(t, f.srv.URL+"/idngo")
	_, err := c.GetApplicantByExternalUserID(context.Background(), "user/1;x?y")
	require.NoError(t, err)
	_, err = c.GetApplicant(context.Background(), "5b594ade0a975a36c9349e66")
	require.NoError(t, err)
	calls := f.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, http.MethodGet, calls[0].Method)
	assert.Equal(t, "/idngo/resources/applicants/-;externalUserId=user%2F1%3Bx%3Fy/one", calls[0].RequestURI)
	assert.Empty(t, calls[0].ContentType)
	assert.Equal(t, "/idngo/resources/applicants/5b594ade0a975a36c9349e66/one", calls[1].RequestURI)

	_, err = c.GetApplicantByExternalUserID(context.Background(), "")
	assert.ErrorIs(t, err, idngo.ErrInvalidArgument)
	_, err = c.GetApplicant(context.Background(), "..")
	assert.ErrorIs(t, err, idngo.ErrInvalidArgument)
}

func TestRequiredIDDocsStatus(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, `{
		  "IDENTITY": {
		    "reviewResult": {"reviewAnswer": "RED", "moderationComment": "Upload the back side."},
		    "country": "RUS", "idDocType": "ID_CARD", "imageIds": [1163521450, 1163521451],
		    "imageReviewResults": {
		      "1163521450": {"reviewAnswer": "GREEN"},
		      "1163521451": {"reviewAnswer": "RED", "rejectLabels": ["UNSATISFACTORY_PHOTOS"], "reviewRejectType": "RETRY",
		                     "moderationComment": "Blurry photo.", "clientComment": "blur"}
		    },
		    "forbidden": false, "stepStatuses": null
		  },
		  "SELFIE": null,
		  "PROOF_OF_RESIDENCE": {"reviewResult": {"reviewAnswer": "GREEN"}, "country": "RUS", "idDocType": "UTILITY_BILL", "imageIds": [7]}
		}`)
	})
	st, err := newClient(t, f.srv.URL).RequiredIDDocsStatus(context.Background(), "5b594ade0a975a36c9349e66")
	require.NoError(t, err)
	assert.Equal(t, "/resources/applicants/5b594ade0a975a36c9349e66/requiredIdDocsStatus", f.Calls()[0].RequestURI)
	require.Len(t, st, 3)
	sel, ok := st[idngo.StepSelfie]
	assert.True(t, ok, "a null step is present")
	assert.Nil(t, sel)

	id := st[idngo.StepIdentity]
	require.NotNil(t, id)
	assert.Equal(t, "RUS", id.Country)
	assert.Equal(t, idngo.DocTypeIDCard, id.IDDocType)
	assert.Equal(t, []int64{1163521450, 1163521451}, id.ImageIDs)
	require.NotNil(t, id.ReviewResult)
	assert.Equal(t, idngo.AnswerRed, id.ReviewResult.ReviewAnswer)
	assert.Equal(t, "Upload the back side.", id.ReviewResult.ModerationComment)
	require.Len(t, id.ImageReviewResults, 2)
	assert.Equal(t, idngo.ImageReview{ReviewAnswer: idngo.AnswerRed, RejectLabels: []string{"UNSATISFACTORY_PHOTOS"},
		ReviewRejectType: idngo.RejectRetry, ModerationComment: "Blurry photo.", ClientComment: "blur"},
		id.ImageReviewResults["1163521451"])
	r, ok := id.ImageReview(1163521450)
	assert.True(t, ok)
	assert.Equal(t, idngo.AnswerGreen, r.ReviewAnswer)
	_, ok = sel.ImageReview(1)
	assert.False(t, ok, "nil step is safe")
}

func TestTestCompleted(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, `{"ok":1}`)
	})
	err := newClient(t, f.srv.URL).TestCompleted(context.Background(), "5b594ade0a975a36c9349e66", idngo.ReviewResult{
		ReviewAnswer: idngo.AnswerRed, ReviewRejectType: idngo.RejectFinal, RejectLabels: []string{"FORGERY"},
		ModerationComment: "We could not verify you.", ClientComment: "forged passport",
	})
	require.NoError(t, err)
	calls := f.Calls()
	require.Len(t, calls, 1)
	assert.Equal(t, http.MethodPost, calls[0].Method)
	assert.Equal(t, "/resources/applicants/5b594ade0a975a36c9349e66/status/testCompleted", calls[0].RequestURI)
	assert.JSONEq(t, `{"reviewAnswer":"RED","reviewRejectType":"FINAL","rejectLabels":["FORGERY"],
		"moderationComment":"We could not verify you.","clientComment":"forged passport"}`, string(calls[0].Body))
	assert.JSONEq(t, `{"reviewAnswer":"GREEN"}`, mustJSON(t, idngo.ReviewResult{ReviewAnswer: idngo.AnswerGreen}))
}

func TestWrongSecretGets401(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		t.Error("a badly signed request must not reach the handler")
	})
	f.allowBadAuth = true
	c, err := idngo.New(idngo.Config{BaseURL: f.srv.URL, AppToken: appToken, SecretKey: "wrong", Now: func() time.Time { return time.Unix(fixedTs, 0) }})
	require.NoError(t, err)
	_, err = c.GetApplicant(context.Background(), "a1")
	e := asError(t, err)
	assert.Equal(t, http.StatusUnauthorized, e.StatusCode)
	assert.Equal(t, "Invalid signature", e.Description)
	assert.Equal(t, "c-401", e.CorrelationID)
	assert.False(t, idngo.IsRetryable(err))
	assert.NotContains(t, err.Error(), "wrong")
}

func TestPersonalDataRedacted(t *testing.T) {
	info := idngo.ApplicantInfo{FirstName: "Ivan", LastName: "Petrov", DOB: "1990-01-02", Phone: "+79990000000"}
	a := idngo.Applicant{ID: "app1", ExternalUserID: "u1", Info: &info, FixedInfo: &info,
		Review: &idngo.Review{ReviewStatus: "completed", ReviewResult: &idngo.ReviewResult{ReviewAnswer: "GREEN"}}}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("x", "info", info, "applicant", a, "ptr", &info)
	logger = slog.New(slog.NewTextHandler(&buf, nil))
	logger.Info("x", "info", info, "applicant", a)
	out := buf.String() + fmt.Sprintf("%v %+v %#v %s %v %+v", info, info, info, info, a, a)
	for _, s := range []string{"Ivan", "Petrov", "1990-01-02", "+7999"} {
		assert.NotContains(t, out, s)
	}
	assert.Contains(t, out, "app1")
	assert.Contains(t, out, "GREEN")
}

func TestErrorDoesNotLeakRequestData(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusBadRequest, `{"description":"Invalid request","code":400,"correlationId":"c-bad"}`)
	})
	_, err := newClient(t, f.srv.URL).CreateApplicant(context.Background(), "basic", "u1",
		&idngo.ApplicantInfo{FirstName: "Ivan", LastName: "Petrov", Phone: "+79990000000"})
	require.Error(t, err)
	for _, s := range []string{"Ivan", "Petrov", "+7999", "externalUserId", secretKey, appToken} {
		assert.NotContains(t, err.Error(), s)
	}
	assert.False(t, errors.Is(err, idngo.ErrInvalidArgument))
}

func TestConcurrentUse(t *testing.T) {
	f := newFakeProvider(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		writeJSON(w, http.StatusOK, applicantJSON)
	})
	c := newClient(t, f.srv.URL)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := c.GetApplicant(context.Background(), "app"+strconv.Itoa(i))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Len(t, f.Calls(), 8)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
