package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store"
)

func TestPutAndGetDocument(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		content := randomBytes(t, 3000)

		doc := g.mustPut("scan 1.pdf", "", "application/pdf", content)
		assert.True(t, strings.HasPrefix(doc.ID, "doc_"), "id %q", doc.ID)
		assert.Equal(t, sha256Hex(content), doc.SHA256)
		assert.Equal(t, int64(len(content)), doc.Size)
		assert.Equal(t, "application/pdf", doc.MediaType)
		assert.Equal(t, "scan 1.pdf", doc.Title)
		assert.Equal(t, "api", doc.Owner, "the default owner")
		created, err := time.Parse(time.RFC3339Nano, doc.CreatedAt)
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now(), created, time.Hour)

		resp := g.get("/v1/documents/" + doc.ID)
		got := readBody(t, resp)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, content, got)
		assert.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
		assert.Equal(t, doc.SHA256, resp.Header.Get("X-Document-Sha256"))
		assert.Equal(t, strconv.Itoa(len(content)), resp.Header.Get("Content-Length"))
		assert.Equal(t, "attachment; filename*=UTF-8''scan%201.pdf", resp.Header.Get("Content-Disposition"))

		info := decodeJSON[documentResponse](t, g.get("/v1/documents/"+doc.ID+"/info"), http.StatusOK)
		assert.Equal(t, doc, info)

		stored, storedContent, err := g.store.GetDocument(context.Background(), doc.ID)
		require.NoError(t, err)
		assert.Equal(t, content, storedContent)
		assert.Equal(t, doc.SHA256, stored.SHA256)
	})
}

func TestPutDocumentMediaType(t *testing.T) {
	tests := []struct{ contentType, want string }{
		{"", store.DefaultMediaType},
		{"text/plain", "text/plain"},
		{"Text/Plain; charset=utf-8", "text/plain; charset=utf-8"}, // type lower-cased, parameters kept
		{"image/png", "image/png"},
	}
	g := newSQLiteGateway(t)
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			doc := g.mustPut("file", "", tt.contentType, []byte("content of "+tt.contentType))
			assert.Equal(t, tt.want, doc.MediaType)
			resp := g.get("/v1/documents/" + doc.ID)
			assert.Equal(t, tt.want, resp.Header.Get("Content-Type"))
		})
	}
}

func TestPutDocumentIsIdempotent(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		content := []byte("the same bytes")
		first := g.mustPut("a.txt", "", "text/plain", content)
		second := g.mustPut("a.txt", "", "text/plain", content)
		assert.Equal(t, first, second)
		assert.Len(t, g.owned("api"), 1)

		renamed := g.mustPut("b.txt", "", "text/plain", content)
		assert.NotEqual(t, first.ID, renamed.ID, "another title is another document")
		assert.Equal(t, first.SHA256, renamed.SHA256)
	})
}

func TestListDocumentsByOwner(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		a1 := g.mustPut("a1.txt", "alice", "text/plain", []byte("alice one"))
		b1 := g.mustPut("b1.txt", "bob", "text/plain", []byte("bob one"))
		a2 := g.mustPut("a2.txt", "alice", "text/plain", []byte("alice two"))
		api := g.mustPut("x.txt", "", "text/plain", []byte("default owner"))

		list := func(query string) []documentResponse {
			t.Helper()
			body := decodeJSON[map[string][]documentResponse](t, g.get("/v1/documents"+query), http.StatusOK)
			require.Contains(t, body, "documents")
			return body["documents"]
		}
		assert.Equal(t, []documentResponse{a1, a2}, list("?owner=alice"))
		assert.Equal(t, []documentResponse{b1}, list("?owner=bob"))
		assert.Equal(t, []documentResponse{api}, list(""), "no owner lists the default owner")

		resp := g.get("/v1/documents?owner=nobody")
		body := readBody(t, resp)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `{"documents": []}`, string(body), "an empty list, not null")
	})
}

// TestListDocumentsPages: a list is bounded and pages on with ?after=.
func TestListDocumentsPages(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		var all []documentResponse
		for i := range 5 {
			all = append(all, g.mustPut(fmt.Sprintf("p%d.txt", i), "pager", "text/plain", []byte(fmt.Sprint("page ", i))))
		}
		type page struct {
			Documents []documentResponse `json:"documents"`
			Next      string             `json:"next"`
		}
		var got []documentResponse
		after := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 5)
			p := decodeJSON[page](t, g.get("/v1/documents?owner=pager&limit=2&after="+after), http.StatusOK)
			got = append(got, p.Documents...)
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		assert.Equal(t, all, got, "every document once, in order")
		requireAPIError(t, g.get("/v1/documents?limit=0"), http.StatusBadRequest, "bad_limit")
		requireAPIError(t, g.get("/v1/documents?limit=5000"), http.StatusBadRequest, "bad_limit")
	})
}

// TestDocumentsAreServedInert: what comes back is never sniffed or rendered.
func TestDocumentsAreServedInert(t *testing.T) {
	g := newSQLiteGateway(t)
	doc := g.mustPut("page.html", "", "text/html", []byte("<script>alert(1)</script>"))
	resp := g.get("/v1/documents/" + doc.ID)
	readBody(t, resp)
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "sandbox", resp.Header.Get("Content-Security-Policy"))
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;"))
}

func TestPutMultipart(t *testing.T) {
	content := []byte("%PDF-1.7 multipart content")
	tests := []struct {
		name          string
		parts         []formPart
		wantTitle     string
		wantMediaType string
	}{
		{
			name:      "file then fields",
			parts:     []formPart{filePart("upload.bin", "application/octet-stream", content), field("title", "Contract"), field("mediaType", "application/pdf")},
			wantTitle: "Contract", wantMediaType: "application/pdf",
		},
		{
			name:      "fields then file",
			parts:     []formPart{field("mediaType", "application/pdf"), field("title", "Contract"), filePart("upload.bin", "application/octet-stream", content)},
			wantTitle: "Contract", wantMediaType: "application/pdf",
		},
		{
			name:      "file name as title, part type as media type",
			parts:     []formPart{filePart("contract.pdf", "application/pdf", content)},
			wantTitle: "contract.pdf", wantMediaType: "application/pdf",
		},
		{
			name:      "file without type",
			parts:     []formPart{filePart("contract.pdf", "", content), field("title", "Contract")},
			wantTitle: "Contract", wantMediaType: store.DefaultMediaType,
		},
		{
			name:      "unknown fields are ignored",
			parts:     []formPart{field("comment", "ignored"), filePart("c.pdf", "application/pdf", content)},
			wantTitle: "c.pdf", wantMediaType: "application/pdf",
		},
	}
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				doc := decodeJSON[documentResponse](t, g.putMultipart("?owner=multi", tt.parts...), http.StatusCreated)
				assert.Equal(t, tt.wantTitle, doc.Title)
				assert.Equal(t, tt.wantMediaType, doc.MediaType)
				assert.Equal(t, "multi", doc.Owner)
				assert.Equal(t, sha256Hex(content), doc.SHA256)
				assert.Equal(t, int64(len(content)), doc.Size)

				_, got, err := g.store.GetDocument(context.Background(), doc.ID)
				require.NoError(t, err)
				assert.Equal(t, content, got)
			})
		}
	})
}

func TestPutMultipartRejected(t *testing.T) {
	tests := []struct {
		name        string
		parts       []formPart
		wantMessage string
	}{
		{
			name:        "two file parts",
			parts:       []formPart{filePart("a.txt", "text/plain", []byte("a")), filePart("b.txt", "text/plain", []byte("b"))},
			wantMessage: "more than one file part",
		},
		{
			name:        "no file part",
			parts:       []formPart{field("title", "a.txt"), field("mediaType", "text/plain")},
			wantMessage: `without a "file" part`,
		},
		{"no parts at all", nil, `without a "file" part`},
		{"empty file", []formPart{filePart("a.txt", "text/plain", nil)}, "empty document"},
		{"no title", []formPart{{name: "file", contentType: "text/plain", content: []byte("a")}}, "missing title"},
		{
			name:        "title too long",
			parts:       []formPart{field("title", strings.Repeat("t", maxTitleLength+1)), filePart("a.txt", "text/plain", []byte("a"))},
			wantMessage: "title longer than",
		},
	}
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				msg := requireAPIError(t, g.putMultipart("?owner=multi", tt.parts...), http.StatusBadRequest, "bad_upload")
				assert.Contains(t, msg, tt.wantMessage)
				g.requireNothingStored("multi")
			})
		}
	})
}

func TestPutMultipartMalformed(t *testing.T) {
	g := newSQLiteGateway(t)
	for name, contentType := range map[string]string{
		"no boundary":    "multipart/form-data",
		"wrong boundary": "multipart/form-data; boundary=nope",
	} {
		t.Run(name, func(t *testing.T) {
			body, _ := multipartBody(t, filePart("a.txt", "text/plain", []byte("a")))
			resp := g.send(http.MethodPost, "/v1/documents?owner=multi", bytes.NewReader(body),
				map[string]string{"Content-Type": contentType})
			requireAPIError(t, resp, http.StatusBadRequest, "bad_upload")
			g.requireNothingStored("multi")
		})
	}
}

func TestPutDocumentRejected(t *testing.T) {
	tests := []struct {
		name, query, contentType string
		body                     []byte
		wantMessage              string
	}{
		{"empty body", "?title=a.txt", "text/plain", nil, "empty document"},
		{"missing title", "", "text/plain", []byte("content"), "missing title"},
		{"empty title", "?title=", "text/plain", []byte("content"), "missing title"},
		{"title too long", "?title=" + strings.Repeat("t", maxTitleLength+1), "text/plain", []byte("content"), "title longer than"},
		{"title not UTF-8", "?title=%FF", "text/plain", []byte("content"), "title"},
		{"title with NUL", "?title=a%00b", "text/plain", []byte("content"), "title"},
		{"owner too long", "?title=a.txt&owner=" + strings.Repeat("o", store.MaxOwnerLen+1), "text/plain", []byte("content"), "owner"},
		{"media type too long", "?title=a.txt", "text/" + strings.Repeat("x", store.MaxMediaTypeLen), []byte("content"), "media type"},
	}
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := g.send(http.MethodPost, "/v1/documents"+tt.query, bytes.NewReader(tt.body),
					map[string]string{"Content-Type": tt.contentType})
				msg := requireAPIError(t, resp, http.StatusBadRequest, "bad_upload")
				assert.Contains(t, msg, tt.wantMessage)
				g.requireNothingStored("api")
			})
		}
	})
}

func TestPutDocumentSizeLimit(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name       string
		body       func(t *testing.T) ([]byte, string)
		wantStatus int
	}{
		{"raw at the limit", raw(limit), http.StatusCreated},
		{"raw one byte over", raw(limit + 1), http.StatusRequestEntityTooLarge},
		{"raw far over", raw(8 << 20), http.StatusRequestEntityTooLarge},
		{"multipart at the limit", multi(limit), http.StatusCreated},
		{"multipart one byte over", multi(limit + 1), http.StatusRequestEntityTooLarge},
		{"multipart far over", multi(4 << 20), http.StatusRequestEntityTooLarge},
	}
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL, withMaxBytes(limit))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				owner := url.QueryEscape(tt.name)
				body, contentType := tt.body(t)
				resp := g.send(http.MethodPost, "/v1/documents?title=big.bin&owner="+owner,
					bytes.NewReader(body), map[string]string{"Content-Type": contentType})
				if tt.wantStatus == http.StatusCreated {
					doc := decodeJSON[documentResponse](t, resp, http.StatusCreated)
					assert.Equal(t, int64(limit), doc.Size)
					assert.Len(t, g.owned(tt.name), 1)
					return
				}
				msg := requireAPIError(t, resp, http.StatusRequestEntityTooLarge, "document_too_large")
				assert.Contains(t, msg, "1024 bytes")
				g.requireNothingStored(tt.name)
			})
		}
	})
}

// raw makes a raw upload body of n bytes.
func raw(n int) func(t *testing.T) ([]byte, string) {
	return func(t *testing.T) ([]byte, string) { return randomBytes(t, n), "application/octet-stream" }
}

// multi makes a multipart upload whose file part holds n bytes.
func multi(n int) func(t *testing.T) ([]byte, string) {
	return func(t *testing.T) ([]byte, string) {
		return multipartBody(t, filePart("big.bin", "application/octet-stream", randomBytes(t, n)))
	}
}

func TestUnknownDocument(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		g.mustPut("a.txt", "", "text/plain", []byte("some document"))
		for _, target := range []string{
			"/v1/documents/doc_00000000-0000-7000-8000-000000000000",
			"/v1/documents/doc_00000000-0000-7000-8000-000000000000/info",
			"/v1/documents/not-an-id",
			"/v1/documents/" + url.PathEscape("'; DROP TABLE documents; --"),
		} {
			t.Run(target, func(t *testing.T) {
				msg := requireAPIError(t, g.get(target), http.StatusNotFound, "not_found")
				assert.Equal(t, "no such document", msg)
			})
		}
		assert.Len(t, g.owned("api"), 1)
	})
}

// TestStoreFailure closes the store under the gateway: every documents call
// answers 500 store_failed, without details.
func TestStoreFailure(t *testing.T) {
	g := newSQLiteGateway(t)
	doc := g.mustPut("a.txt", "", "text/plain", []byte("content"))
	require.NoError(t, g.store.Close())
	tests := []struct {
		name string
		send func() *http.Response
	}{
		{"put", func() *http.Response { return g.putRaw("b.txt", "", "text/plain", []byte("other")) }},
		{"get", func() *http.Response { return g.get("/v1/documents/" + doc.ID) }},
		{"info", func() *http.Response { return g.get("/v1/documents/" + doc.ID + "/info") }},
		{"list", func() *http.Response { return g.get("/v1/documents") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := requireAPIError(t, tt.send(), http.StatusInternalServerError, "store_failed")
			assert.Contains(t, msg, "retry later")
			assert.NotContains(t, msg, "closed")
		})
	}
}

// TestErrorResponsesAreJSON sends one request per error the gateway answers
// itself; requireAPIError checks each is JSON with exactly "code" and "error".
func TestErrorResponsesAreJSON(t *testing.T) {
	g := newSQLiteGateway(t, withMaxBytes(16))
	tests := []struct {
		name       string
		send       func() *http.Response
		wantStatus int
		wantCode   string
	}{
		{"unauthorized", func() *http.Response {
			return g.send(http.MethodGet, "/v1/documents", nil, map[string]string{"Authorization": ""})
		}, http.StatusUnauthorized, "unauthorized"},
		{"bad upload", func() *http.Response {
			return g.putRaw("", "", "text/plain", []byte("x"))
		}, http.StatusBadRequest, "bad_upload"},
		{"too large", func() *http.Response {
			return g.putRaw("a", "", "text/plain", bytes.Repeat([]byte("x"), 17))
		}, http.StatusRequestEntityTooLarge, "document_too_large"},
		{"not found", func() *http.Response {
			return g.get("/v1/documents/doc_missing")
		}, http.StatusNotFound, "not_found"},
		{"unknown route", func() *http.Response {
			return g.get("/v2/nothing")
		}, http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireAPIError(t, tt.send(), tt.wantStatus, tt.wantCode)
		})
	}
}

// TestConcurrentIdenticalUploads checks that parallel uploads of one document
// all answer 201 with the same id.
func TestConcurrentIdenticalUploads(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, dbURL string) {
		g := newTestGateway(t, dbURL)
		content := randomBytes(t, 512)
		const n = 8
		ids := make(chan string, n)
		errs := make(chan error, n)
		for range n {
			go func() {
				req, err := http.NewRequest(http.MethodPost, g.url+"/v1/documents?title=same.bin", bytes.NewReader(content))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- errors.New(resp.Status)
					return
				}
				var doc documentResponse
				if err := jsonDecode(resp, &doc); err != nil {
					errs <- err
					return
				}
				ids <- doc.ID
			}()
		}
		seen := map[string]bool{}
		for range n {
			select {
			case id := <-ids:
				seen[id] = true
			case err := <-errs:
				t.Fatal(err)
			}
		}
		assert.Len(t, seen, 1)
		assert.Len(t, g.owned("api"), 1)
	})
}
