package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrintReadable(t *testing.T) {
	raw := json.RawMessage(`{
		"workflowId": "wf-1",
		"stage": "review",
		"note": "",
		"error": null,
		"attempts": 3,
		"ratio": 0.5,
		"bigId": 12345678901234567890,
		"done": false,
		"document": {
			"id": "doc_1",
			"title": "",
			"pages": 2,
			"meta": {"lang": "zh", "reviewer": null}
		},
		"steps": ["fetch", "", {"name": "ocr", "ok": true}],
		"last": "z"
	}`)
	want := `workflowId: wf-1
stage: review
attempts: 3
ratio: 0.5
bigId: 12345678901234567890
done: false
document:
  id: doc_1
  pages: 2
  meta:
    lang: zh
steps:
  - [0]: fetch
  - [2]:
    name: ocr
    ok: true
last: z
`
	var out bytes.Buffer
	require.NoError(t, printReadable(&out, raw))
	assert.Equal(t, want, out.String())
}

func TestPrintReadableTimestamps(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	raw := json.RawMessage(`{"startedAt": "2026-01-01T11:56:48.2Z", "deadline": "2026-01-01T14:09:00+02:00",
		"year": "2026", "count": 5}`)
	var out bytes.Buffer
	require.NoError(t, readablePrinter{w: &out, now: now}.print(raw))
	assert.Equal(t, `startedAt: 2026-01-01T11:56:48.2Z (3m12s ago)
deadline: 2026-01-01T14:09:00+02:00 (in 9m0s)
year: 2026
count: 5
`, out.String())
}

func TestPrintReadableTopLevelArray(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, printReadable(&out, json.RawMessage(`[{"a": 1}, "b", null]`)))
	assert.Equal(t, "- [0]:\n  a: 1\n- [1]: b\n", out.String())
}

func TestPrintReadableInvalidJSON(t *testing.T) {
	for _, raw := range []string{``, `{`, `{"a": 1`, `{"a": }`, `{1: 2}`, `[1,]`} {
		t.Run(raw, func(t *testing.T) {
			assert.Error(t, printReadable(io.Discard, json.RawMessage(raw)))
		})
	}
}

func TestWriteVerified(t *testing.T) {
	content := []byte("verified content")
	tests := []struct {
		name     string
		body     io.Reader
		wantSHA  string
		existing bool // a file is already at the path
		wantErr  string
	}{
		{name: "hash matches", body: bytes.NewReader(content), wantSHA: sha256Hex(content)},
		{name: "no hash to check", body: bytes.NewReader(content), wantSHA: ""},
		{name: "hash matches over an old file", body: bytes.NewReader(content), wantSHA: sha256Hex(content), existing: true},
		{name: "hash mismatch", body: bytes.NewReader(content), wantSHA: sha256Hex([]byte("other")), wantErr: "does not match"},
		{name: "uppercase is a mismatch", body: bytes.NewReader(content), wantSHA: strings.ToUpper(sha256Hex(content)), wantErr: "does not match"},
		{name: "mismatch over an old file", body: bytes.NewReader(content), wantSHA: "00", existing: true, wantErr: "does not match"},
		{name: "broken body", body: io.MultiReader(bytes.NewReader(content), errReader{}), wantSHA: sha256Hex(content), wantErr: "connection reset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.bin")
			if tt.existing {
				require.NoError(t, os.WriteFile(path, []byte("old content, longer than the new one"), 0o600))
			}
			n, err := writeVerified(tt.body, path, tt.wantSHA)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NoFileExists(t, path, "no corrupt copy is left behind")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, int64(len(content)), n)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, content, got)
		})
	}
}

func TestWriteVerifiedUnwritablePath(t *testing.T) {
	_, err := writeVerified(strings.NewReader("x"), filepath.Join(t.TempDir(), "no", "such", "dir"), "")
	assert.ErrorIs(t, err, os.ErrNotExist)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestDocumentsGetChecksSHA256 downloads from a gateway whose
// X-Document-Sha256 header does not match the body: the command fails and
// leaves no file behind.
func TestDocumentsGetChecksSHA256(t *testing.T) {
	content := []byte("tampered content")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken || r.URL.Path != "/v1/documents/doc_1" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		w.Header().Set("X-Document-Sha256", sha256Hex([]byte("original content")))
		_, _ = w.Write(content)
	}))
	t.Cleanup(srv.Close)
	useGateway(t, srv.URL, testToken)
	out := filepath.Join(t.TempDir(), "out.bin")

	r := run(t, "documents", "get", "doc_1", "-o", out)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "does not match its SHA-256")
	assert.NoFileExists(t, out)
}

// TestDocumentsGetNonJSONError covers a failure answer that is not the
// gateway's JSON (a proxy's page, say): the status is still reported.
func TestDocumentsGetNonJSONError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	useGateway(t, srv.URL, testToken)
	out := filepath.Join(t.TempDir(), "out.bin")

	r := run(t, "documents", "get", "doc_1", "-o", out)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "gateway answered 502 Bad Gateway")
	assert.NoFileExists(t, out)
}
