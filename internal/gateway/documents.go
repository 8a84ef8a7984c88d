package gateway

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"go.uber.org/zap"

	"idflow/internal/store"

	"crypto/sha256"
	"encoding/hex"
)

const (
	defaultOwner   = "api"
	maxTitleLength = 255
	// multipartSlack covers part headers and small form fields around the file.
	multipartSlack = 64 << 10
)

// documentResponse is what the documents API answers for one document.
type documentResponse struct {
	ID        string `json:"id"`
	SHA256    string `json:"sha256"`
	Owner     string `json:"owner"`
	Subject   string `json:"subject,omitempty"`
	Title     string `json:"title"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	CreatedAt string `json:"createdAt"`
}

func toResponse(d store.Document) documentResponse {
	return documentResponse{ID: d.ID, SHA256: d.SHA256, Owner: d.Owner, Subject: d.Subject, Title: d.Title,
		MediaType: d.MediaType, Size: d.Size, CreatedAt: d.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
}

// upload is a document as received, before it is stored.
type upload struct {
	title, mediaType string
	content          []byte
}

// putDocument stores a raw body (?title=...&owner=..., Content-Type = media
// type) or a multipart form (a "file" part, optional "title" and "mediaType"
// fields). Nothing is stored unless the whole document is valid.
func (g *Gateway) putDocument(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	limit := g.deps.MaxDocumentBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartSlack)
	up, err := g.readUpload(r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge), err == nil && int64(len(up.content)) > limit:
		writeError(w, http.StatusRequestEntityTooLarge, "document_too_large",
			fmt.Sprintf("document exceeds the limit of %d bytes (IDFLOW_DOCUMENT_MAX_BYTES)", limit))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_upload", err.Error())
		return
	}
	if msg := up.problem(); msg != "" {
		writeError(w, http.StatusBadRequest, "bad_upload", msg)
		return
	}
	owner := r.URL.Query().Get("owner")
	if owner == "" {
		owner = defaultOwner
	}
	// subject names the person the document is about (default: its owner):
	// one key seals all of a subject's documents, and erasing it erases them.
	// An upload with neither owner nor subject is its own subject (named by
	// its content, so the same upload again is the same document): owner-less
	// uploads of different persons never share a key.
	subj := r.URL.Query().Get("subject")
	if subj == "" && owner == defaultOwner {
		sum := sha256.Sum256(up.content)
		subj = "api-" + hex.EncodeToString(sum[:12])
	}
	doc, err := st.PutDocument(r.Context(), store.NewDocument{
		Owner: owner, Subject: subj, Title: up.title, MediaType: up.mediaType, Content: up.content,
	})
	if errors.Is(err, store.ErrErased) {
		writeError(w, http.StatusGone, "subject_erased", "the subject was erased: its data is not kept again under the same id")
		return
	}
	if errors.Is(err, store.ErrInvalid) {
		// The store's own checks (owner, media type, text encoding): a client error.
		writeError(w, http.StatusBadRequest, "bad_upload", err.Error())
		return
	}
	if err != nil {
		g.deps.Logger.Error("store document", zap.Error(err))
		writeError(w, http.StatusInternalServerError, "store_failed", "the document could not be stored; retry later")
		return
	}
	g.deps.Logger.Info("document stored", zap.String("documentId", doc.ID), zap.Int64("size", doc.Size))
	writeJSON(w, http.StatusCreated, toResponse(doc))
}

func (up upload) problem() string {
	switch {
	case len(up.content) == 0:
		return "empty document: the body has no content"
	case up.title == "":
		return "missing title: pass ?title=... or a multipart file name"
	case len(up.title) > maxTitleLength:
		return fmt.Sprintf("title longer than %d bytes", maxTitleLength)
	}
	return ""
}

func (g *Gateway) readUpload(r *http.Request) (upload, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "multipart/form-data" {
		return g.readMultipart(multipart.NewReader(r.Body, params["boundary"]))
	}
	content, err := io.ReadAll(r.Body)
	// Parameters such as charset are kept; the type itself is lower-cased.
	return upload{title: r.URL.Query().Get("title"), mediaType: mime.FormatMediaType(mediaType, params), content: content}, err
}

// readMultipart reads the "file" part and the optional fields in any order.
func (g *Gateway) readMultipart(mr *multipart.Reader) (upload, error) {
	var up upload
	var sawFile bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, err
		}
		switch part.FormName() {
		case "file":
			if sawFile {
				return up, errors.New("more than one file part: upload one document per request")
			}
			sawFile = true
			if up.title == "" {
				up.title = part.FileName()
			}
			if up.mediaType == "" {
				up.mediaType = part.Header.Get("Content-Type")
			}
			if up.content, err = io.ReadAll(part); err != nil {
				return up, err
			}
		case "title":
			up.title, err = readField(part)
		case "mediaType":
			up.mediaType, err = readField(part)
		}
		if err != nil {
			return up, err
		}
	}
	if !sawFile {
		return up, errors.New(`multipart upload without a "file" part`)
	}
	return up, nil
}

func readField(p *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, maxTitleLength+1))
	return string(b), err
}

func (g *Gateway) getDocument(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	doc, content, err := st.GetDocument(r.Context(), r.PathValue("id"))
	if !g.found(w, err) {
		return
	}
	w.Header().Set("Content-Type", doc.MediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Header().Set("X-Document-Sha256", doc.SHA256)
	// Stored bytes come from anyone with the token: a browser must neither
	// guess another type (an HTML "image") nor render them in place.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(doc.Title))
	_, _ = w.Write(content)
}

func (g *Gateway) documentInfo(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	doc, err := st.DocumentInfo(r.Context(), r.PathValue("id"))
	if g.found(w, err) {
		writeJSON(w, http.StatusOK, toResponse(doc))
	}
}

func (g *Gateway) listDocuments(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	q := r.URL.Query()
	owner := q.Get("owner")
	if owner == "" {
		owner = defaultOwner
	}
	limit := store.DefaultDocumentPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxDocumentPage {
			writeError(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit must be 1 to %d", store.MaxDocumentPage))
			return
		}
		limit = n
	}
	docs, err := st.ListDocumentsPage(r.Context(), owner, q.Get("after"), limit)
	if !g.found(w, err) {
		return
	}
	out := make([]documentResponse, 0, len(docs))
	for _, d := range docs {
		out = append(out, toResponse(d))
	}
	page := map[string]any{"documents": out}
	if len(docs) == limit {
		page["next"] = docs[len(docs)-1].ID // ?after= for the next page
	}
	writeJSON(w, http.StatusOK, page)
}

// found answers 404 or 500 for a store error and reports whether to go on.
func (g *Gateway) found(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such document")
	case errors.Is(err, store.ErrErased):
		writeError(w, http.StatusGone, "subject_erased", "the document's subject was erased")
	case errors.Is(err, store.ErrTampered):
		g.deps.Logger.Error("read document: sealed content does not verify", zap.Error(err))
		writeError(w, http.StatusInternalServerError, "document_corrupt", "the stored document does not verify")
	default:
		g.deps.Logger.Error("read document", zap.Error(err))
		writeError(w, http.StatusInternalServerError, "store_failed", "the document could not be read; retry later")
	}
	return false
}
