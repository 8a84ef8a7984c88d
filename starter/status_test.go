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
		"review": {"reviewer": null, "labels": [], "comment": ""},
		"steps": ["fetch", "", {"name": "ocr", "ok": true}, {"empty": ""}],
		"labels": ["A", "B"],
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
  - fetch
  - name: ocr
    ok: true
labels:
  - A
  - B
last: z
`
	var out bytes.Buffer
	require.NoError(t, printReadable(&out, raw))
	assert.Equal(t, want, out.String())
	assert.NotContains(t, out.String(), "[0]")
}

func TestPrintReadableNestedLists(t *testing.T) {
	raw := json.RawMessage(`{"rejectedSteps": [
		{"step": "IDENTITY", "rejectedImageIds": [11, 12], "moderationComment": "blurred"},
		{"step": "SELFIE", "rejectLabels": ["BAD_SELFIE"]}
	]}`)
	var out bytes.Buffer
	require.NoError(t, printReadable(&out, raw))
	assert.Equal(t, `rejectedSteps:
  - step: IDENTITY
    rejectedImageIds:
      - 11
      - 12
    moderationComment: blurred
  - step: SELFIE
    rejectLabels:
      - BAD_SELFIE
`, out.String())
}

// timestamps prints raw at now in UTC.
func timestamps(t *testing.T, raw string) string {
	t.Helper()
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	require.NoError(t, readablePrinter{w: &out, now: now, loc: time.UTC}.print(json.RawMessage(raw)))
	return out.String()
}

func TestPrintReadableTimestampsWhileOpen(t *testing.T) {
	assert.Equal(t, `outcome: pending
startedAt: 2026-01-01 11:56:48 UTC (3m 12s ago)
deadline: 2026-01-01 12:09:00 UTC (in 9m)
monitorUntil: 2026-12-31 23:59:53 UTC (in 364d 11h)
decidedAt: 2025-12-29 09:00:00 UTC (3d 3h ago)
year: 2026
count: 5
`, timestamps(t, `{"outcome": "pending", "startedAt": "2026-01-01T11:56:48.2Z", "deadline": "2026-01-01T14:09:00+02:00",
		"monitorUntil": "2026-12-31T23:59:53Z", "decidedAt": "2025-12-29T09:00:00Z", "year": "2026", "count": 5}`))
	assert.Contains(t, timestamps(t, `{"outcome": "challenged", "expectedBy": "2026-01-01T16:30:00Z"}`),
		"expectedBy: 2026-01-01 16:30:00 UTC (in 4h 30m)\n")
}

// TestPrintReadableTimestampsOnceFinished: a finished process counts
// nothing down (a deadline it no longer waits for means nothing); past
// times still say how long ago.
func TestPrintReadableTimestampsOnceFinished(t *testing.T) {
	for _, outcome := range []string{"accepted", "rejected", "expired", "failed", "canceled", "revoked"} {
		out := timestamps(t, `{"outcome": "`+outcome+`", "deadline": "2026-01-01T12:12:00Z", "decidedAt": "2026-01-01T11:55:00Z",
			"monitorUntil": "2027-01-01T12:00:00Z"}`)
		assert.Contains(t, out, "deadline: 2026-01-01 12:12:00 UTC\n", outcome)
		assert.Contains(t, out, "decidedAt: 2026-01-01 11:55:00 UTC (5m ago)\n", outcome)
		assert.Contains(t, out, "monitorUntil: 2027-01-01 12:00:00 UTC\n", outcome)
		assert.NotContains(t, out, "(in ", outcome)
	}
}

func TestPrintReadableWaiting(t *testing.T) {
	assert.Equal(t, `process: SimplifiedIdentification
stage: awaiting-sms-code-and-smev
outcome: pending
waiting: SMS code (submit-sms-code update) from person, until 12:12 (in 12m)
phone:
  verified: false
  attemptsUsed: 0
  attemptsLeft: 5
`, timestamps(t, `{"process": "SimplifiedIdentification", "stage": "awaiting-sms-code-and-smev", "outcome": "pending",
		"waiting": [{"for": "SMS code (submit-sms-code update)", "from": "person", "until": "2026-01-01T12:12:00Z"}],
		"phone": {"verified": false, "attemptsUsed": 0, "attemptsLeft": 5}}`))

	assert.Equal(t, `outcome: pending
waiting:
  - SMS code (submit-sms-code update) from person, until 12:12 (in 12m)
  - SMEV answer from provider, until 17:00 (in 5h)
  - review from provider, until 2026-01-15 12:00 (in 14d)
`, timestamps(t, `{"outcome": "pending", "waiting": [
		{"for": "SMS code (submit-sms-code update)", "from": "person", "until": "2026-01-01T12:12:00Z"},
		{"for": "SMEV answer", "from": "provider", "until": "2026-01-01T17:00:00Z"},
		{"for": "review", "from": "provider", "until": "2026-01-15T12:00:00Z"}]}`))
}

func TestPrintReadableFailedShowsTheErrorUnderTheOutcome(t *testing.T) {
	assert.Equal(t, `process: KYCVerification
stage: uploading-documents
outcome: failed
error: IDnGO refused the document: 400 bad image
reason: ProviderRejected
attempt: 1
`, timestamps(t, `{"process": "KYCVerification", "stage": "uploading-documents", "outcome": "failed",
		"reason": "ProviderRejected", "error": "IDnGO refused the document: 400 bad image", "attempt": 1}`))
	assert.Contains(t, timestamps(t, `{"outcome": "failed", "reason": "Failure"}`),
		"outcome: failed\nerror: (no error text recorded; see the workflow in the UI)\n")
	assert.Equal(t, "outcome: rejected\nerror: not a failure\n",
		timestamps(t, `{"outcome": "rejected", "error": "not a failure"}`), "printed where it is")
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		400 * time.Millisecond:          "0s",
		40 * time.Second:                "40s",
		5 * time.Minute:                 "5m",
		3*time.Minute + 12*time.Second:  "3m 12s",
		12*time.Minute + 59*time.Second: "12m",
		5*time.Hour + 10*time.Minute:    "5h 10m",
		24 * time.Hour:                  "1d",
		51 * time.Hour:                  "2d 3h",
		8759*time.Hour + 59*time.Minute + 53*time.Second: "364d 23h",
	} {
		assert.Equal(t, want, humanDuration(d), d.String())
	}
}

func TestPrintReadableTopLevelArray(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, printReadable(&out, json.RawMessage(`[{"a": 1, "b": 2}, "b", null]`)))
	assert.Equal(t, "- a: 1\n  b: 2\n- b\n", out.String())
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
			n, err := writeVerifiedTo(tt.body, path, tt.wantSHA, io.Discard)
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
	_, err := writeVerifiedTo(strings.NewReader("x"), filepath.Join(t.TempDir(), "no", "such", "dir"), "", io.Discard)
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
