package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestDocumentsPutAndGet(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	dir := t.TempDir()
	files := []struct {
		path      string
		content   []byte
		mediaType string // from the extension
	}{
		{filepath.Join(dir, "notes.txt"), []byte("hello, idflow\n"), "text/plain; charset=utf-8"}, // from the .txt extension
		{filepath.Join(dir, "scan.pdf"), []byte("%PDF-1.7\x00\x01\x02 binary \xff\xfe"), "application/pdf"},
	}
	var paths []string
	for _, f := range files {
		writeFile(t, dir, filepath.Base(f.path), f.content)
		paths = append(paths, f.path)
	}

	put := run(t, append([]string{"documents", "put"}, paths...)...)
	require.Equal(t, 0, put.code, put.stderr)
	lines := strings.Split(strings.TrimSuffix(put.stdout, "\n"), "\n")
	require.Len(t, lines, len(paths), "one line per file: %q", put.stdout)

	for i, f := range files {
		fields := strings.Split(lines[i], "\t")
		require.Len(t, fields, 3, "ID\\tSHA256\\tFILE: %q", lines[i])
		id, sum, file := fields[0], fields[1], fields[2]
		assert.Equal(t, f.path, file)
		assert.Equal(t, sha256Hex(f.content), sum)

		doc, content, err := gw.store.GetDocument(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, f.content, content)
		assert.Equal(t, filepath.Base(f.path), doc.Title, "the title is the base name")
		assert.Equal(t, f.mediaType, doc.MediaType)
		assert.Equal(t, "api", doc.Owner)

		out := filepath.Join(t.TempDir(), "out.bin")
		get := run(t, "documents", "get", id, "-o", out)
		require.Equal(t, 0, get.code, get.stderr)
		assert.Empty(t, get.stdout)
		assert.Equal(t, fmt.Sprintf("%s: %d bytes written to %s\n", id, len(f.content), out), get.stderr)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, f.content, got)
	}
}

func TestDocumentsPutFlags(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	path := writeFile(t, t.TempDir(), "data", []byte("flagged"))

	r := run(t, "documents", "put", "--owner", "alice", "--media-type", "application/json", path)
	require.Equal(t, 0, r.code, r.stderr)
	docs, err := gw.store.ListDocuments(context.Background(), "alice")
	require.NoError(t, err)
	require.Len(t, docs, 1)
	assert.Equal(t, "application/json", docs[0].MediaType)
	assert.Equal(t, "data", docs[0].Title)
	assert.True(t, strings.HasPrefix(r.stdout, docs[0].ID+"\t"), r.stdout)
}

func TestDocumentsGetToStdout(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	path := writeFile(t, t.TempDir(), "a.txt", []byte("to stdout"))
	put := run(t, "documents", "put", path)
	require.Equal(t, 0, put.code, put.stderr)
	id, _, _ := strings.Cut(put.stdout, "\t")

	// "-o -" writes to the process's stdout (not the command's), so send
	// that to a file for the duration of the command.
	captured, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	require.NoError(t, err)
	defer captured.Close()
	stdout := os.Stdout
	os.Stdout = captured
	get := run(t, "documents", "get", id, "-o", "-")
	os.Stdout = stdout
	require.Equal(t, 0, get.code, get.stderr)
	assert.Empty(t, get.stderr, "no progress message when writing to stdout")
	got, err := os.ReadFile(captured.Name())
	require.NoError(t, err)
	assert.Equal(t, "to stdout", string(got))
}

func TestDocumentsFailures(t *testing.T) {
	gw := startGateway(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "a.txt", []byte("content"))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name, url, token string
		args             []string
		wantStderr       []string
	}{
		{
			name: "get unknown id", url: gw.url, token: testToken,
			args:       []string{"documents", "get", "doc_missing", "-o", filepath.Join(dir, "out")},
			wantStderr: []string{"404 Not Found", "no such document"},
		},
		{
			name: "put with wrong token", url: gw.url, token: "wrong-token-0123456789",
			args:       []string{"documents", "put", file},
			wantStderr: []string{file, "401 Unauthorized", "invalid bearer token"},
		},
		{
			name: "get with wrong token", url: gw.url, token: "wrong-token-0123456789",
			args:       []string{"documents", "get", "doc_missing", "-o", filepath.Join(dir, "out")},
			wantStderr: []string{"401 Unauthorized", "invalid bearer token"},
		},
		{
			name: "put missing file", url: gw.url, token: testToken,
			args:       []string{"documents", "put", filepath.Join(dir, "missing.txt")},
			wantStderr: []string{"missing.txt", "no such file"},
		},
		{
			name: "put empty file", url: gw.url, token: testToken,
			args:       []string{"documents", "put", writeFile(t, dir, "empty.txt", nil)},
			wantStderr: []string{"400 Bad Request", "empty document"},
		},
		{
			name: "gateway unreachable", url: closed.URL, token: testToken,
			args:       []string{"documents", "put", file},
			wantStderr: []string{"unreachable", "IDFLOW_GATEWAY_URL"},
		},
		{
			name: "malformed gateway URL", url: "ftp://127.0.0.1", token: testToken,
			args:       []string{"documents", "put", file},
			wantStderr: []string{"IDFLOW_GATEWAY_URL", "http://"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			useGateway(t, tt.url, tt.token)
			r := run(t, tt.args...)
			assert.Equal(t, 1, r.code)
			assert.True(t, strings.HasPrefix(r.stderr, "starter: "), r.stderr)
			for _, want := range tt.wantStderr {
				assert.Contains(t, r.stderr, want)
			}
			assert.NotContains(t, r.stderr, "--help", "not a usage error")
			assert.NoFileExists(t, filepath.Join(dir, "out"))
		})
	}
	docs, err := gw.store.ListDocuments(context.Background(), "api")
	require.NoError(t, err)
	assert.Empty(t, docs)
}

func TestDocumentsPutStopsAtFirstFailure(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", []byte("good"))
	r := run(t, "documents", "put", good, filepath.Join(dir, "missing.txt"), good)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, 1, strings.Count(r.stdout, "\n"), "the first file was stored and printed: %q", r.stdout)
	assert.Contains(t, r.stderr, "missing.txt")
}

func TestTokenFromDevDir(t *testing.T) {
	gw := startGateway(t)
	devDir := useGateway(t, gw.url, "")
	writeFile(t, devDir, "api-token", []byte(testToken+"\n"))
	path := writeFile(t, t.TempDir(), "a.txt", []byte("dev token"))

	r := run(t, "documents", "put", path)
	require.Equal(t, 0, r.code, r.stderr)
	docs, err := gw.store.ListDocuments(context.Background(), "api")
	require.NoError(t, err)
	assert.Len(t, docs, 1)
}

func TestEnvironmentTokenWinsOverDevDir(t *testing.T) {
	gw := startGateway(t)
	devDir := useGateway(t, gw.url, testToken)
	writeFile(t, devDir, "api-token", []byte("stale-dev-token-0123456789\n"))
	r := run(t, "documents", "put", writeFile(t, t.TempDir(), "a.txt", []byte("env token")))
	assert.Equal(t, 0, r.code, r.stderr)
}

func TestNoToken(t *testing.T) {
	gw := startGateway(t)
	devDir := useGateway(t, gw.url, "")
	for _, args := range [][]string{
		{"documents", "put", writeFile(t, t.TempDir(), "a.txt", []byte("x"))},
		{"documents", "get", "doc_x", "-o", filepath.Join(t.TempDir(), "out")},
	} {
		r := run(t, args...)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "IDFLOW_API_TOKEN")
		assert.Contains(t, r.stderr, filepath.Join(devDir, "api-token"))
	}
}

func TestUsageErrors(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	tests := []struct {
		name       string
		args       []string
		wantStderr string
		help       string // the command whose help the hint names
	}{
		{"put without files", []string{"documents", "put"}, "requires at least 1 arg", "documents put"},
		{"get without id", []string{"documents", "get", "-o", "out"}, "accepts 1 arg", "documents get"},
		{"get with two ids", []string{"documents", "get", "a", "b", "-o", "out"}, "accepts 1 arg", "documents get"},
		{"get without -o", []string{"documents", "get", "doc_x"}, `required flag(s) "output" not set`, "documents get"},
		{"unknown command", []string{"bogus"}, `unknown command "bogus"`, ""},
		{"unknown documents command", []string{"documents", "bogus"}, `unknown command "bogus"`, "documents"},
		{"unknown workflows command", []string{"workflows", "bogus"}, `unknown command "bogus"`, "workflows"},
		{"unknown kyc command", []string{"kyc", "bogus"}, `unknown command "bogus"`, "kyc"},
		{"unknown inbox command", []string{"inbox", "bogus"}, `unknown command "bogus"`, "inbox"},
		{"unknown flag", []string{"documents", "put", "--bogus", "a.txt"}, "unknown flag: --bogus", "documents put"},
		{"unknown root flag", []string{"--bogus"}, "unknown flag: --bogus", ""},
		{"unknown shorthand", []string{"documents", "get", "doc_x", "-x"}, "unknown shorthand flag: 'x'", "documents get"},
		{"flag without value", []string{"documents", "get", "doc_x", "-o"}, "flag needs an argument", "documents get"},
		{"status without id", []string{"status"}, "accepts 1 arg", "status"},
		{"workflows list with args", []string{"workflows", "list", "extra"}, `unknown command "extra"`, "workflows list"},
		{"sms-code without code", []string{"sms-code", "wf"}, "accepts 2 arg", "sms-code"},
		{"identify with args", []string{"identify", "extra"}, `unknown command "extra"`, "identify"},
		{"bad duration", []string{"identify", "--sms-timeout", "soon"}, `invalid argument "soon"`, "identify"},
		{"kyc resubmit without id", []string{"kyc", "resubmit"}, "accepts 1 arg", "kyc resubmit"},
		{"inbox list bad limit type", []string{"inbox", "list", "--limit", "many"}, `invalid argument "many"`, "inbox list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tt.wantStderr)
			assert.Contains(t, r.stderr, "Run '"+strings.TrimSpace("go run ./starter "+tt.help)+" --help' for usage.")
			assert.Empty(t, r.stdout)
		})
	}
}

func TestExecute(t *testing.T) {
	// execute is executeWith on the process's streams; its exit codes are the same.
	assert.Equal(t, 2, execute(context.Background(), []string{"bogus"}))
}

func TestHelp(t *testing.T) {
	// Help needs no gateway, no token and no Temporal.
	useGateway(t, "http://127.0.0.1:1", "")
	tests := []struct {
		args     []string
		wantText string
	}{
		{[]string{"--help"}, "starter [command]"},
		{[]string{"help"}, "starter [command]"},
		{[]string{"documents", "--help"}, "starter documents [command]"},
		{[]string{"documents", "put", "--help"}, "starter documents put FILE..."},
		{[]string{"documents", "get", "--help"}, "starter documents get ID -o FILE"},
		{[]string{"documents", "get", "-h"}, "--output"},
		{[]string{"workflows", "--help"}, "starter workflows [command]"},
		{[]string{"workflows", "list", "--help"}, "starter workflows list"},
		{[]string{"status", "--help"}, "starter status WORKFLOW_ID"},
		{[]string{"help", "documents", "put"}, "starter documents put FILE..."},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, tt.args...)
			assert.Equal(t, 0, r.code)
			assert.Contains(t, r.stdout, "Usage:")
			assert.Contains(t, r.stdout, tt.wantText)
			assert.Empty(t, r.stderr)
		})
	}
}

func TestGroupWithoutSubcommandPrintsHelp(t *testing.T) {
	useGateway(t, "http://127.0.0.1:1", "")
	for _, group := range []string{"documents", "workflows"} {
		r := run(t, group)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Available Commands:")
	}
}
