package idngo_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/idngo"
)

const (
	appToken  = "sbx-app-token"
	secretKey = "sbx-secret-key"
	whSecret  = "sbx-webhook-secret"
	delay     = 60 * time.Millisecond
	waitFor   = 5 * time.Second
	tick      = 5 * time.Millisecond
)

// signature computes X-App-Access-Sig independently of the sandbox.
func signature(secret, ts, method, uri string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + method + uri))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// delivery is one webhook request seen by the receiver.
type delivery struct {
	body    []byte
	digest  string
	alg     string
	status  int
	payload map[string]any
}

// receiver is an httptest webhook endpoint; fail decides the status of attempt n (from 1).
type receiver struct {
	mu   sync.Mutex
	all  []delivery
	fail func(n int) int
	srv  *httptest.Server
}

func newReceiver(t *testing.T, fail func(n int) int) *receiver {
	t.Helper()
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{body: body, digest: req.Header.Get("X-Payload-Digest"), alg: req.Header.Get("X-Payload-Digest-Alg"), status: http.StatusOK}
		_ = json.Unmarshal(body, &d.payload)
		r.mu.Lock()
		if r.fail != nil {
			d.status = r.fail(len(r.all) + 1)
		}
		r.all = append(r.all, d)
		r.mu.Unlock()
		w.WriteHeader(d.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// delivered returns the successfully answered deliveries, optionally of one type and applicant.
func (r *receiver) delivered(typ, applicantID string) []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivery
	for _, d := range r.all {
		if d.status/100 != 2 {
			continue
		}
		if typ != "" && d.payload["type"] != typ {
			continue
		}
		if applicantID != "" && d.payload["applicantId"] != applicantID {
			continue
		}
		out = append(out, d)
	}
	return out
}

// attempts returns how many requests the receiver saw.
func (r *receiver) attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

// env is a sandbox behind an httptest server.
type env struct {
	t   *testing.T
	sb  *sandbox.Sandbox
	srv *httptest.Server
	now func() time.Time // now signs requests; nil means time.Now
}

// signTime is the time requests are signed with: the sandbox's clock when it has a fake one.
func (e *env) signTime() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

func newEnv(t *testing.T, mod func(*sandbox.Config)) *env {
	t.Helper()
	cfg := sandbox.Config{AppToken: appToken, SecretKey: secretKey, WebhookSecret: whSecret, ReviewDelay: delay,
		RetrySchedule: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}}
	if mod != nil {
		mod(&cfg)
	}
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	return &env{t: t, sb: sb, srv: srv}
}

// response is a decoded answer.
type response struct {
	code   int
	header http.Header
	body   map[string]any
	raw    []byte
}

// send signs (with secret at ts, over signURI) and sends a request to uri.
func (e *env) send(method, uri, signURI string, body []byte, contentType, secret string, ts time.Time) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+uri, bytes.NewReader(body))
	require.NoError(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	tsText := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("X-App-Token", appToken)
	req.Header.Set("X-App-Access-Ts", tsText)
	req.Header.Set("X-App-Access-Sig", signature(secret, tsText, method, signURI, body))
	return e.roundTrip(req)
}

// roundTrip sends req as is and decodes the answer.
func (e *env) roundTrip(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	out := response{code: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// call sends a correctly signed request with a JSON body (nil for none).
func (e *env) call(method, uri string, v any) response {
	e.t.Helper()
	var body []byte
	ct := ""
	if v != nil {
		var err error
		body, err = json.Marshal(v)
		require.NoError(e.t, err)
		ct = "application/json"
	}
	return e.send(method, uri, uri, body, ct, secretKey, e.signTime())
}

// create makes an applicant and returns its id.
func (e *env) create(externalUserID, levelName string, info map[string]any) string {
	e.t.Helper()
	uri := "/resources/applicants"
	if levelName != "" {
		uri += "?levelName=" + levelName
	}
	res := e.call(http.MethodPost, uri, map[string]any{"externalUserId": externalUserID, "info": info})
	require.Equal(e.t, http.StatusCreated, res.code, string(res.raw))
	return res.body["id"].(string)
}

// multipartBody builds an idDoc upload body.
func multipartBody(t *testing.T, metadata map[string]any, fileName string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	meta, err := json.Marshal(metadata)
	require.NoError(t, err)
	require.NoError(t, mw.WriteField("metadata", string(meta)))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="content"; filename="`+fileName+`"`)
	h.Set("Content-Type", "image/jpeg")
	part, err := mw.CreatePart(h)
	require.NoError(t, err)
	_, err = part.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

// upload sends one image; side may be "".
func (e *env) upload(id, docType, side, fileName string) response {
	e.t.Helper()
	meta := map[string]any{"idDocType": docType, "country": "RUS"}
	if side != "" {
		meta["idDocSubType"] = side
	}
	// Each file its own bytes: the same bytes again are a duplicate-document.
	body, ct := multipartBody(e.t, meta, fileName, []byte("\xff\xd8\xff fake jpeg bytes of "+docType+side+fileName))
	uri := "/resources/applicants/" + id + "/info/idDoc"
	return e.send(http.MethodPost, uri, uri, body, ct, secretKey, e.signTime())
}

// mustUpload uploads and returns the X-Image-Id.
func (e *env) mustUpload(id, docType, side, fileName string) string {
	e.t.Helper()
	res := e.upload(id, docType, side, fileName)
	require.Equal(e.t, http.StatusOK, res.code, string(res.raw))
	imageID := res.header.Get("X-Image-Id")
	require.NotEmpty(e.t, imageID)
	return imageID
}

// pending submits the applicant.
func (e *env) pending(id string) response {
	e.t.Helper()
	return e.call(http.MethodPost, "/resources/applicants/"+id+"/status/pending", nil)
}

// waitReviews waits until the applicant has n completed reviews and is not pending.
func (e *env) waitReviews(id string, n int) sandbox.ApplicantSnapshot {
	e.t.Helper()
	var snap sandbox.ApplicantSnapshot
	require.Eventually(e.t, func() bool {
		snap, _ = e.sb.Applicant(id)
		return snap.Reviews >= n && snap.ReviewStatus == sandbox.StatusCompleted
	}, waitFor, tick)
	return snap
}

// docsStatus fetches requiredIdDocsStatus.
func (e *env) docsStatus(id string) map[string]any {
	e.t.Helper()
	res := e.call(http.MethodGet, "/resources/applicants/"+id+"/requiredIdDocsStatus", nil)
	require.Equal(e.t, http.StatusOK, res.code, string(res.raw))
	return res.body
}

// digestOf computes a webhook digest independently of the sandbox.
func digestOf(alg string, body []byte) string {
	var h func() hash.Hash
	switch alg {
	case "HMAC_SHA1_HEX":
		h = sha1.New
	case "HMAC_SHA256_HEX":
		h = sha256.New
	case "HMAC_SHA512_HEX":
		h = sha512.New
	default:
		return ""
	}
	mac := hmac.New(h, []byte(whSecret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// tryCall is a goroutine-safe signed request: failures are reported with t.Errorf.
func (e *env) tryCall(t *testing.T, method, uri string, body []byte, contentType string) response {
	req, err := http.NewRequest(method, e.srv.URL+uri, bytes.NewReader(body))
	if err != nil {
		t.Errorf("new request: %v", err)
		return response{}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-App-Token", appToken)
	req.Header.Set("X-App-Access-Ts", ts)
	req.Header.Set("X-App-Access-Sig", signature(secretKey, ts, method, uri, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, uri, err)
		return response{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{code: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// multipartBodyNoFail builds a one-sided document upload without a *testing.T.
func multipartBodyNoFail(docType string) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("metadata", `{"idDocType":"`+docType+`","country":"KAZ"}`)
	part, _ := mw.CreateFormFile("content", strings.ToLower(docType)+".png")
	_, _ = part.Write([]byte("png of " + docType))
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
