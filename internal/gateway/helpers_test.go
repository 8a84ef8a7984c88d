package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"testing"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"idflow/internal/metrics"
	"idflow/internal/store"
)

// testToken is the API token every test gateway requires.
const testToken = "gateway-test-token-0123456789"

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// testGateway is a gateway served over real HTTP, with its store at hand.
type testGateway struct {
	t     *testing.T
	url   string
	store *store.Store
	gw    *Gateway
}

// option changes the gateway's dependencies before it is built.
type option func(*Deps)

func withMaxBytes(n int64) option { return func(d *Deps) { d.MaxDocumentBytes = n } }

func withTimeouts(t Timeouts) option { return func(d *Deps) { d.Timeouts = t } }

func withChecks(checks ...Check) option { return func(d *Deps) { d.ReadyChecks = checks } }

// newTestGateway opens the store at dbURL and serves a gateway over it; both
// are closed at cleanup (the server first).
func newTestGateway(t *testing.T, dbURL string, opts ...option) *testGateway {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() }) // some tests close it themselves
	m, err := metrics.New()
	require.NoError(t, err)
	deps := Deps{
		Store:            st,
		APIToken:         testToken,
		MaxDocumentBytes: 1 << 20,
		Logger:           zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel)),
		Metrics:          m,
	}
	for _, opt := range opts {
		opt(&deps)
	}
	gw := New(deps)
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = gw.Server()
	srv.Start()
	t.Cleanup(srv.Close)
	return &testGateway{t: t, url: srv.URL, store: st, gw: gw}
}

// newSQLiteGateway is newTestGateway on a fresh SQLite file.
func newSQLiteGateway(t *testing.T, opts ...option) *testGateway {
	t.Helper()
	return newTestGateway(t, storetest.SQLiteURL(t), opts...)
}

// send makes one request. It carries the test token unless header sets
// "Authorization" (to "" for none).
func (g *testGateway) send(method, target string, body io.Reader, header map[string]string) *http.Response {
	g.t.Helper()
	req, err := http.NewRequest(method, g.url+target, body)
	require.NoError(g.t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(g.t, err)
	g.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func (g *testGateway) get(target string) *http.Response {
	g.t.Helper()
	return g.send(http.MethodGet, target, nil, nil)
}

// putRaw uploads content as a raw body with ?title= (and ?owner= unless empty).
func (g *testGateway) putRaw(title, owner, mediaType string, content []byte) *http.Response {
	g.t.Helper()
	q := url.Values{"title": {title}}
	if owner != "" {
		q.Set("owner", owner)
	}
	return g.send(http.MethodPost, "/v1/documents?"+q.Encode(), bytes.NewReader(content),
		map[string]string{"Content-Type": mediaType})
}

// mustPut uploads content and returns the 201 answer.
func (g *testGateway) mustPut(title, owner, mediaType string, content []byte) documentResponse {
	g.t.Helper()
	return decodeJSON[documentResponse](g.t, g.putRaw(title, owner, mediaType, content), http.StatusCreated)
}

// owned lists the owner's documents straight from the store.
func (g *testGateway) owned(owner string) []store.Document {
	g.t.Helper()
	docs, err := g.store.ListDocuments(context.Background(), owner)
	require.NoError(g.t, err)
	return docs
}

// requireNothingStored fails unless the owner has no documents.
func (g *testGateway) requireNothingStored(owner string) {
	g.t.Helper()
	require.Empty(g.t, g.owned(owner), "documents stored for owner %q", owner)
}

func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}

// decodeJSON checks the status and the JSON content type, then decodes the body.
func decodeJSON[T any](t *testing.T, resp *http.Response, wantStatus int) T {
	t.Helper()
	body := readBody(t, resp)
	require.Equal(t, wantStatus, resp.StatusCode, "body: %s", body)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "body: %s", body)
	return v
}

// requireAPIError checks that resp is a JSON error with the status and code
// and a non-empty message, and returns the message.
func requireAPIError(t *testing.T, resp *http.Response, wantStatus int, wantCode string) string {
	t.Helper()
	body := decodeJSON[map[string]any](t, resp, wantStatus)
	require.Equal(t, wantCode, body["code"], "body: %v", body)
	msg, ok := body["error"].(string)
	require.True(t, ok, `"error" is not a string: %v`, body)
	require.NotEmpty(t, msg)
	assert.Len(t, body, 2, "an error body has exactly code and error: %v", body)
	return msg
}

// formPart is one part of a multipart/form-data body: a file part when
// filename or contentType is set, else a plain field.
type formPart struct {
	name, filename, contentType string
	content                     []byte
}

func filePart(filename, contentType string, content []byte) formPart {
	return formPart{name: "file", filename: filename, contentType: contentType, content: content}
}

func field(name, value string) formPart { return formPart{name: name, content: []byte(value)} }

// multipartBody encodes parts in order and returns the body and its Content-Type.
func multipartBody(t *testing.T, parts ...formPart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disposition := `form-data; name="` + p.name + `"`
		if p.filename != "" {
			disposition += `; filename="` + p.filename + `"`
		}
		h.Set("Content-Disposition", disposition)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = w.Write(p.content)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

// putMultipart uploads a multipart form; query is appended as is ("" for none).
func (g *testGateway) putMultipart(query string, parts ...formPart) *http.Response {
	g.t.Helper()
	body, contentType := multipartBody(g.t, parts...)
	return g.send(http.MethodPost, "/v1/documents"+query, bytes.NewReader(body),
		map[string]string{"Content-Type": contentType})
}

func jsonDecode(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}
