package idngo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Request size limits.
const (
	maxRequestBytes  = MaxFileBytes + 1<<20 // maxRequestBytes caps a whole request (a file plus multipart overhead).
	maxMetadataBytes = 64 << 10             // maxMetadataBytes caps the metadata part.
)

// externalIDPrefix marks an applicant lookup by externalUserId in the path.
const externalIDPrefix = "-;externalUserId="

// Upload error codes and names (errorCode, errorName).
const (
	ErrCodeDuplicateDocument = 1000 // ErrCodeDuplicateDocument answers a file the applicant already has.
	ErrCodeFileTooBig        = 1002 // ErrCodeFileTooBig answers an image over MaxFileBytes.
	ErrCodeEmptyFile         = 1003 // ErrCodeEmptyFile answers an empty or missing content part.
	ErrCodeFinalReject       = 1009 // ErrCodeFinalReject answers uploads (and pending) after a RED/FINAL review.
	ErrCodeDocTypeNotInDocs  = 1010 // ErrCodeDocTypeNotInDocs answers an idDocType the level does not take.
)

// apiError is the error body.
type apiError struct {
	Description   string `json:"description"`
	Code          int    `json:"code"`
	CorrelationID string `json:"correlationId"`
	ErrorCode     int    `json:"errorCode,omitempty"`
	ErrorName     string `json:"errorName,omitempty"`
}

// bodyHandler serves an authenticated request whose raw body was read.
type bodyHandler func(w http.ResponseWriter, r *http.Request, body []byte)

// Handler returns the HTTP handler of the sandbox (see the package documentation for the endpoints).
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /resources/applicants", s.authed(s.handleCreate))
	mux.HandleFunc("POST /resources/applicants/{id}/info/idDoc", s.authed(s.handleUpload))
	mux.HandleFunc("PATCH /resources/applicants/{id}/fixedInfo", s.authed(s.handleFixedInfo))
	mux.HandleFunc("POST /resources/applicants/{id}/status/pending", s.authed(s.handlePending))
	mux.HandleFunc("POST /resources/applicants/{id}/status/testCompleted", s.authed(s.handleTestCompleted))
	mux.HandleFunc("GET /resources/applicants/{id}/one", s.authed(s.handleGet))
	mux.HandleFunc("GET /resources/applicants/{id}/requiredIdDocsStatus", s.authed(s.handleDocsStatus))
	mux.HandleFunc("POST /sandbox/applicants/{id}/blacklist", s.authed(s.handleBlacklist))
	mux.HandleFunc("GET /sandbox/applicants/{id}", s.authed(s.handleSnapshot))
	return mux
}

// authed reads the raw body once and answers 401 unless the request is signed.
func (s *Sandbox) authed(next bodyHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			if errors.As(err, new(*http.MaxBytesError)) {
				writeError(w, http.StatusRequestEntityTooLarge, "Request is too big", ErrCodeFileTooBig, "file-too-big")
				return
			}
			writeError(w, http.StatusBadRequest, "Cannot read the request body", 0, "")
			return
		}
		if !s.authorized(r, body) {
			writeError(w, http.StatusUnauthorized, "Invalid signature", 0, "")
			return
		}
		next(w, r, body)
	}
}

// createBody is the body of POST /resources/applicants.
type createBody struct {
	ExternalUserID string         `json:"externalUserId"`
	Info           map[string]any `json:"info"`
	FixedInfo      map[string]any `json:"fixedInfo"`
	Email          string         `json:"email"`
	Phone          string         `json:"phone"`
}

// handleCreate creates an applicant at a level.
func (s *Sandbox) handleCreate(w http.ResponseWriter, r *http.Request, body []byte) {
	levelName := r.URL.Query().Get("levelName")
	if levelName == "" {
		levelName = LevelBasic
	}
	if _, ok := levels[levelName]; !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Level '%s' not found", levelName), 0, "")
		return
	}
	var in createBody
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body", 0, "")
		return
	}
	if strings.TrimSpace(in.ExternalUserID) == "" {
		writeError(w, http.StatusBadRequest, "externalUserId is required", 0, "")
		return
	}
	s.mu.Lock()
	if id, dup := s.byExternal[in.ExternalUserID]; dup {
		s.mu.Unlock()
		writeError(w, http.StatusConflict,
			fmt.Sprintf("Applicant with external user id '%s' already exists: %s", in.ExternalUserID, id), 0, "")
		return
	}
	now := s.cfg.Clock()
	a := &applicant{
		id:             newHexID(),
		inspectionID:   newHexID(),
		externalUserID: in.ExternalUserID,
		levelName:      levelName,
		createdAt:      now,
		email:          in.Email,
		phone:          in.Phone,
		info:           in.Info,
		fixedInfo:      in.FixedInfo,
		steps:          map[string]*ReviewResult{},
		reviewID:       newShortID(),
		attemptID:      newShortID(),
		reviewStatus:   StatusInit,
		createDate:     now,
	}
	s.applicants[a.id] = a
	s.byExternal[a.externalUserID] = a.id
	s.cfg.Counts.Add(CountApplicant, a.externalUserID)
	s.enqueueWebhook(a, WebhookApplicantCreated)
	err := s.persist(a)
	out := a.toJSON()
	s.mu.Unlock()
	if err != nil {
		writeSaveError(w)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// idDocMetadata is the part of the metadata the sandbox interprets.
type idDocMetadata struct {
	IDDocType    string `json:"idDocType"`
	IDDocSubType string `json:"idDocSubType"`
	Country      string `json:"country"`
}

// upload is a parsed idDoc request.
type upload struct {
	raw      map[string]any
	meta     idDocMetadata
	fileName string
	size     int
	digest   string
	hasFile  bool
}

// parseUpload reads the multipart body of an idDoc upload, returning an error description.
func parseUpload(r *http.Request, body []byte) (upload, string) {
	var up upload
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return up, "Content-Type must be multipart/form-data"
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var metadata []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, "Malformed multipart body"
		}
		switch part.FormName() {
		case "metadata":
			metadata, err = io.ReadAll(io.LimitReader(part, maxMetadataBytes+1))
			if err != nil || len(metadata) > maxMetadataBytes {
				return up, "Malformed metadata part"
			}
		case "content":
			h := sha256.New()
			n, err := io.Copy(h, part)
			if err != nil {
				return up, "Malformed content part"
			}
			up.fileName, up.size, up.hasFile, up.digest = part.FileName(), int(n), true, hex.EncodeToString(h.Sum(nil))
		}
		_ = part.Close()
	}
	if metadata == nil {
		return up, "metadata part is required"
	}
	if json.Unmarshal(metadata, &up.raw) != nil || json.Unmarshal(metadata, &up.meta) != nil || up.raw == nil {
		return up, "metadata must be a JSON object"
	}
	m := up.meta
	switch {
	case m.IDDocType == "":
		return up, "idDocType is required"
	case !isAlpha3(m.Country):
		return up, "country must be an ISO 3166-1 alpha-3 code"
	case m.IDDocSubType != "" && m.IDDocSubType != SideFront && m.IDDocSubType != SideBack:
		return up, "idDocSubType must be FRONT_SIDE or BACK_SIDE"
	}
	return up, ""
}

// isAlpha3 reports whether s is three uppercase ASCII letters.
func isAlpha3(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range len(s) {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// handleUpload adds an image to a step.
func (s *Sandbox) handleUpload(w http.ResponseWriter, r *http.Request, body []byte) {
	up, problem := parseUpload(r, body)
	if problem != "" {
		writeError(w, http.StatusBadRequest, problem, 0, "")
		return
	}
	s.mu.Lock()
	a, ok := s.applicants[r.PathValue("id")]
	var step string
	if ok {
		step = levels[a.levelName].stepOf(up.meta.IDDocType)
	}
	switch {
	case !ok:
		s.mu.Unlock()
		writeNotFound(w)
		return
	case a.final():
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Applicant has a final reject", ErrCodeFinalReject, "applicant-with-final-reject")
		return
	case a.reviewStatus == StatusPending:
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Applicant is being reviewed; documents cannot be added", 0, "")
		return
	case step == "":
		s.mu.Unlock()
		writeError(w, http.StatusConflict,
			fmt.Sprintf("Document type %s is not required at level %s", up.meta.IDDocType, a.levelName),
			ErrCodeDocTypeNotInDocs, "doc-type-not-in-req-docs")
		return
	case !up.hasFile || up.size == 0:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "The file is empty", ErrCodeEmptyFile, "empty-file")
		return
	case up.size > MaxFileBytes:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "The file is too big", ErrCodeFileTooBig, "file-too-big")
		return
	case a.hasImage(up.digest):
		// As IDnGO does: the same file again (say, an upload retried after
		// its answer was lost) adds nothing.
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Duplicate document", ErrCodeDuplicateDocument, "duplicate-document")
		return
	}
	s.nextImageID++
	im := &image{
		id: s.nextImageID, step: step, docType: up.meta.IDDocType, subType: up.meta.IDDocSubType,
		country: up.meta.Country, fileName: up.fileName, size: up.size, digest: up.digest,
	}
	a.images = append(a.images, im)
	s.cfg.Counts.Add(CountUpload, fmt.Sprintf("%s/%d/%s/%s", a.id, a.attemptCnt, im.docType, im.subType))
	err := s.persist(a, s.imageCounterOp())
	s.mu.Unlock()
	if err != nil {
		writeSaveError(w)
		return
	}

	out := up.raw
	if r.Header.Get("X-Return-Doc-Warnings") == "true" {
		out["errors"], out["warnings"] = []string{}, []string{}
	}
	w.Header().Set("X-Image-Id", strconv.FormatInt(im.id, 10))
	writeJSON(w, http.StatusOK, out)
}

// handleFixedInfo merges fields into fixedInfo (a null value removes the field).
func (s *Sandbox) handleFixedInfo(w http.ResponseWriter, r *http.Request, body []byte) {
	var patch map[string]any
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		writeError(w, http.StatusBadRequest, "Body must be a JSON object", 0, "")
		return
	}
	s.mu.Lock()
	a, ok := s.applicants[r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		writeNotFound(w)
		return
	}
	if a.fixedInfo == nil {
		a.fixedInfo = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(a.fixedInfo, k)
		} else {
			a.fixedInfo[k] = v
		}
	}
	err := s.persist(a)
	out := a.toJSON()
	s.mu.Unlock()
	if err != nil {
		writeSaveError(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handlePending submits the applicant for review.
func (s *Sandbox) handlePending(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.applicants[r.PathValue("id")]
	if !ok {
		writeNotFound(w)
		return
	}
	if a.final() {
		writeError(w, http.StatusConflict, "Applicant has a final reject", ErrCodeFinalReject, "applicant-with-final-reject")
		return
	}
	if a.reviewStatus == StatusPending {
		writeError(w, http.StatusConflict, "Applicant is already being reviewed", 0, "")
		return
	}
	if missing := a.missingDocs(); missing != "" {
		writeError(w, http.StatusConflict, "Required documents are missing: "+missing, 0, "")
		return
	}
	s.submit(a)
	if err := s.persist(a); err != nil {
		writeSaveError(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ok": 1})
}

// handleTestCompleted sets a review by hand.
func (s *Sandbox) handleTestCompleted(w http.ResponseWriter, r *http.Request, body []byte) {
	var in testCompletedBody
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON body", 0, "")
		return
	}
	switch {
	case in.ReviewAnswer == AnswerRed && in.ReviewRejectType == "":
		in.ReviewRejectType = RejectRetry
	case in.ReviewAnswer == AnswerRed && in.ReviewRejectType != RejectRetry && in.ReviewRejectType != RejectFinal:
		writeError(w, http.StatusBadRequest, "reviewRejectType must be RETRY or FINAL", 0, "")
		return
	case in.ReviewAnswer != AnswerRed && in.ReviewAnswer != AnswerGreen:
		writeError(w, http.StatusBadRequest, "reviewAnswer must be GREEN or RED", 0, "")
		return
	}
	s.mu.Lock()
	a, ok := s.applicants[r.PathValue("id")]
	var err error
	if ok {
		s.testCompleted(a, in)
		err = s.persist(a)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeNotFound(w)
		return
	case err != nil:
		writeSaveError(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ok": 1})
}

// lookup finds an applicant by id or by "-;externalUserId=X"; the caller holds s.mu.
func (s *Sandbox) lookup(ref string) (*applicant, bool) {
	if ext, ok := strings.CutPrefix(ref, externalIDPrefix); ok {
		ref = s.byExternal[ext]
	}
	a, ok := s.applicants[ref]
	return a, ok
}

// handleGet returns the applicant resource.
func (s *Sandbox) handleGet(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	a, ok := s.lookup(r.PathValue("id"))
	var out applicantJSON
	if ok {
		out = a.toJSON()
	}
	s.mu.Unlock()
	if !ok {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleDocsStatus returns requiredIdDocsStatus.
func (s *Sandbox) handleDocsStatus(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	a, ok := s.applicants[r.PathValue("id")]
	var out map[string]*stepStatusJSON
	if ok {
		out = a.docsStatus()
	}
	s.mu.Unlock()
	if !ok {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleBlacklist is the HTTP form of Blacklist.
func (s *Sandbox) handleBlacklist(w http.ResponseWriter, r *http.Request, _ []byte) {
	switch err := s.Blacklist(r.PathValue("id")); {
	case errors.Is(err, ErrNotFound):
		writeNotFound(w)
		return
	case err != nil:
		writeSaveError(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"ok": 1})
}

// handleSnapshot is the HTTP form of Applicant.
func (s *Sandbox) handleSnapshot(w http.ResponseWriter, r *http.Request, _ []byte) {
	snap, ok := s.Applicant(r.PathValue("id"))
	if !ok {
		writeNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// writeNotFound answers 404 for an unknown applicant.
func writeNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "Applicant not found", 0, "")
}

// writeSaveError answers 500 when a change could not be written to the state
// file. The change is made in memory all the same (and written with the
// applicant's next change).
func writeSaveError(w http.ResponseWriter) {
	writeError(w, http.StatusInternalServerError, "Cannot save the sandbox state", 0, "")
}

// writeError answers an IDnGO error body.
func writeError(w http.ResponseWriter, code int, description string, errorCode int, errorName string) {
	writeJSON(w, code, apiError{
		Description:   description,
		Code:          code,
		CorrelationID: "req-" + uuid.NewString(),
		ErrorCode:     errorCode,
		ErrorName:     errorName,
	})
}

// writeJSON answers v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
