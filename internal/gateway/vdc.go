package gateway

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"idflow/internal/store"
	"idflow/internal/validate"
	"idflow/workflows/onboarding"
	"idflow/workflows/proofing"
)

// The issuer API (Google Wallet's issuer-hosted Digital Credentials API,
// provider document vdc-getProofingStatus.ru.txt and NOTES.md): every
// method is POST /api/v1/vdc/{method}; proofUser, getProofingStatus,
// cancelProofing and healthCheck are served. Business outcomes are
// statuses, never errors; an ErrorResponse carries exactly one error kind.
// Choices the documents leave open:
//   - invalidApiVersion, missingRequiredField and invalidFieldValue answer
//     400, invalidIdentifier 404, invalidState 409;
//   - a method this issuer does not serve (provisionCredential,
//     getCredentialStatus, anything else) answers 404 invalidFieldValue;
//   - while the database or Temporal cannot be reached the answer is 503
//     with Retry-After and the gateway's usual error body (no error kind
//     fits an outage; the wallet retries);
//   - with neither a shared secret nor client certificates configured the
//     API is off: 404 as for any unknown route.

// Proofings starts and cancels onboardings; the worker implements it with
// its Temporal client.
type Proofings interface {
	// StartOnboarding starts the proofing's onboarding, or finds it
	// started (idempotent on the proofing id).
	StartOnboarding(ctx context.Context, in onboarding.Input) error
	// CancelOnboarding asks the onboarding workflow to cancel.
	CancelOnboarding(ctx context.Context, workflowID string) error
}

// SupportedAPIVersion is the issuer API version served (any minor).
var SupportedAPIVersion = APIVersion{Major: 1, Minor: 0}

// APIVersion is requestMetadata.version.
type APIVersion struct {
	Major int `json:"major"`
	Minor int `json:"minor"`
}

type requestMetadata struct {
	RequestID string      `json:"requestId"`
	Version   *APIVersion `json:"version"`
	IssuerID  string      `json:"issuerId,omitempty"`
}

type responseMetadata struct {
	RequestID string `json:"requestId"`
}

// vdcRequest holds the fields of every served method.
type vdcRequest struct {
	RequestMetadata   *requestMetadata     `json:"requestMetadata"`
	DeviceReferenceID string               `json:"deviceReferenceId"`
	ProofingID        string               `json:"proofingId"`
	Evidence          *onboarding.Evidence `json:"evidence"`
}

// maxVDCBody bounds a request: ids and document references only.
const maxVDCBody = 256 << 10

// vdcError is an ErrorResponse to send: its HTTP status, kind and detail.
type vdcError struct {
	status      int
	kind        string
	detail      any
	description string
	cause       error // logged under the issuerErrorIdentifier, never sent
}

func (e *vdcError) Error() string { return e.kind + ": " + e.description }

func missingField(name string) *vdcError {
	return &vdcError{status: http.StatusBadRequest, kind: "missingRequiredField", description: "missing required field: " + name}
}

func invalidField(description string) *vdcError {
	return &vdcError{status: http.StatusBadRequest, kind: "invalidFieldValue", description: description}
}

// errUnknownProofing is the one answer for a proofing that does not
// exist and for one that belongs to another device: nobody learns that a
// proofing id exists.
var errUnknownProofing = &vdcError{status: http.StatusNotFound, kind: "invalidIdentifier",
	description: "no proofing with this proofingId for this deviceReferenceId"}

// errUnavailable marks an outage: 503, retried by the wallet.
var errUnavailable = errors.New("unavailable")

func (g *Gateway) registerVDC() {
	g.mux.HandleFunc("POST /api/v1/vdc/{method}", g.vdc)
}

func (g *Gateway) vdcEnabled() bool { return g.deps.VDCSecret != "" || g.deps.VDCClientCerts }

// vdcAuthenticated accepts the shared secret (Authorization: Bearer) or a
// client certificate the TLS handshake verified against the configured CA.
func (g *Gateway) vdcAuthenticated(r *http.Request) bool {
	if g.deps.VDCClientCerts && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return true
	}
	if g.deps.VDCSecret == "" {
		return false
	}
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	return found && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(token), []byte(g.deps.VDCSecret)) == 1
}

func (g *Gateway) vdc(w http.ResponseWriter, r *http.Request) {
	if !g.vdcEnabled() {
		writeError(w, http.StatusNotFound, "not_found", "no such route")
		return
	}
	if !g.vdcAuthenticated(r) {
		w.WriteHeader(http.StatusUnauthorized) // no details for the unauthenticated
		return
	}
	var req vdcRequest
	meta, err := decodeVDC(w, r, &req)
	if err == nil {
		var answer any
		answer, err = g.vdcMethod(r.Context(), r.PathValue("method"), meta, req)
		if err == nil {
			writeJSON(w, http.StatusOK, answer)
			return
		}
	}
	g.writeVDCError(w, meta, err)
}

// decodeVDC reads the body and checks requestMetadata; the metadata
// returned is there for the answer even when the rest is not.
func decodeVDC(w http.ResponseWriter, r *http.Request, req *vdcRequest) (responseMetadata, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxVDCBody))
	if err != nil {
		return responseMetadata{}, invalidField(fmt.Sprintf("request body unreadable or over %d bytes", maxVDCBody))
	}
	if err := json.Unmarshal(body, req); err != nil {
		// A value of the wrong type leaves the rest decoded: the answer can
		// still echo the request id, and names the field (never its value).
		var typeErr *json.UnmarshalTypeError
		var echo responseMetadata
		if req.RequestMetadata != nil {
			echo.RequestID = req.RequestMetadata.RequestID
		}
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return echo, invalidField(fmt.Sprintf("%s: want a JSON %s", typeErr.Field, typeErr.Type.Kind()))
		}
		return echo, invalidField("request body is not the method's JSON object")
	}
	m := req.RequestMetadata
	switch {
	case m == nil:
		return responseMetadata{}, missingField("requestMetadata")
	case m.RequestID == "":
		return responseMetadata{}, missingField("requestMetadata.requestId")
	case m.Version == nil:
		return responseMetadata{RequestID: m.RequestID}, missingField("requestMetadata.version")
	case m.Version.Major != SupportedAPIVersion.Major:
		return responseMetadata{RequestID: m.RequestID}, &vdcError{status: http.StatusBadRequest, kind: "invalidApiVersion",
			detail:      map[string]APIVersion{"requestVersion": *m.Version, "expectedVersion": SupportedAPIVersion},
			description: fmt.Sprintf("API version %d.%d is not supported; expected %d.x", m.Version.Major, m.Version.Minor, SupportedAPIVersion.Major)}
	}
	return responseMetadata{RequestID: m.RequestID}, nil
}

func (g *Gateway) vdcMethod(ctx context.Context, method string, meta responseMetadata, req vdcRequest) (any, error) {
	switch method {
	case "healthCheck":
		return g.healthCheck(ctx, meta)
	case "proofUser":
		return g.proofUser(ctx, meta, req)
	case "getProofingStatus":
		return g.getProofingStatus(ctx, meta, req)
	case "cancelProofing":
		return g.cancelProofing(ctx, meta, req)
	}
	return nil, &vdcError{status: http.StatusNotFound, kind: "invalidFieldValue", description: "method not served by this issuer"}
}

func (g *Gateway) healthCheck(ctx context.Context, meta responseMetadata) (any, error) {
	st := g.st.Load()
	if st == nil {
		return nil, errUnavailable
	}
	if err := st.Ping(ctx); err != nil {
		return nil, errors.Join(errUnavailable, err)
	}
	return map[string]any{"responseMetadata": meta}, nil
}

func (g *Gateway) proofUser(ctx context.Context, meta responseMetadata, req vdcRequest) (any, error) {
	if err := requireIDs(req); err != nil {
		return nil, err
	}
	if req.Evidence == nil {
		return nil, missingField("evidence")
	}
	if err := req.Evidence.Validate(); err != nil {
		return nil, evidenceError(err)
	}
	st, err := g.vdcDeps()
	if err != nil {
		return nil, err
	}
	p, _, err := st.CreateProofing(ctx, store.Proofing{ProofingID: req.ProofingID, DeviceReferenceID: req.DeviceReferenceID,
		WorkflowID: onboarding.WorkflowID(req.ProofingID)})
	switch {
	case errors.Is(err, store.ErrInvalid):
		return nil, invalidField("proofingId and deviceReferenceId must be printable text")
	case err != nil:
		return nil, errors.Join(errUnavailable, err)
	case p.DeviceReferenceID != req.DeviceReferenceID:
		return nil, errUnknownProofing
	}
	// Started again on every call: a first call that stored the proofing
	// and then failed leaves nothing half done.
	err = g.deps.Proofings.StartOnboarding(ctx, onboarding.Input{ProofingID: req.ProofingID,
		DeviceReferenceID: req.DeviceReferenceID, Evidence: *req.Evidence})
	if err != nil {
		return nil, errors.Join(errUnavailable, err)
	}
	return map[string]any{"responseMetadata": meta, "proofingId": req.ProofingID}, nil
}

// evidenceError names the evidence's bad fields (paths, never values).
func evidenceError(err error) *vdcError {
	var fields validate.FieldErrors
	if errors.As(err, &fields) && len(fields) > 0 && fields[0].Message == "required" {
		return missingField(fields[0].Field)
	}
	return invalidField("invalid evidence: " + err.Error())
}

func requireIDs(req vdcRequest) error {
	if req.DeviceReferenceID == "" {
		return missingField("deviceReferenceId")
	}
	if req.ProofingID == "" {
		return missingField("proofingId")
	}
	return nil
}

// vdcDeps is the store, and the Temporal side, once they are there.
func (g *Gateway) vdcDeps() (*store.Store, error) {
	st := g.st.Load()
	if st == nil || g.deps.Proofings == nil {
		return nil, errUnavailable
	}
	return st, nil
}

// lookupProofing finds the device's proofing: unknown and another
// device's are the same invalidIdentifier.
func (g *Gateway) lookupProofing(ctx context.Context, req vdcRequest) (store.Proofing, error) {
	if err := requireIDs(req); err != nil {
		return store.Proofing{}, err
	}
	st := g.st.Load()
	if st == nil {
		return store.Proofing{}, errUnavailable
	}
	p, err := st.GetProofing(ctx, req.ProofingID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return p, errUnknownProofing
	case err != nil:
		return p, errors.Join(errUnavailable, err)
	case subtle.ConstantTimeCompare([]byte(p.DeviceReferenceID), []byte(req.DeviceReferenceID)) != 1:
		return p, errUnknownProofing
	}
	return p, nil
}

// getProofingStatus answers from the projection alone: it keeps answering
// while no worker runs.
func (g *Gateway) getProofingStatus(ctx context.Context, meta responseMetadata, req vdcRequest) (any, error) {
	p, err := g.lookupProofing(ctx, req)
	if err != nil {
		return nil, err
	}
	return map[string]any{"responseMetadata": meta, "proofingStatus": p.Status}, nil
}

// cancelProofing cancels a pending or challenged proofing; once canceled
// it answers the same again; any other status cannot be cancelled.
func (g *Gateway) cancelProofing(ctx context.Context, meta responseMetadata, req vdcRequest) (any, error) {
	p, err := g.lookupProofing(ctx, req)
	if err != nil {
		return nil, err
	}
	var status proofing.Status
	if err := json.Unmarshal(p.Status, &status); err != nil {
		return nil, errors.Join(errUnavailable, err)
	}
	switch {
	case status.Key() == proofing.KeyCanceled:
	case status.Open():
		if g.deps.Proofings == nil {
			return nil, errUnavailable
		}
		if err := g.deps.Proofings.CancelOnboarding(ctx, p.WorkflowID); err != nil {
			return nil, errors.Join(errUnavailable, err)
		}
	default:
		return nil, &vdcError{status: http.StatusConflict, kind: "invalidState",
			description: "a proofing that is " + status.Key() + " cannot be cancelled"}
	}
	return map[string]any{"responseMetadata": meta}, nil
}

func (g *Gateway) writeVDCError(w http.ResponseWriter, meta responseMetadata, err error) {
	id := newErrorID()
	var ve *vdcError
	if !errors.As(err, &ve) {
		g.deps.Logger.Warn("issuer API unavailable", zap.String("issuerErrorIdentifier", id), zap.Error(err))
		w.Header().Set("Retry-After", webhookRetryAfter)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the issuer cannot answer now; retry later ("+id+")")
		return
	}
	g.deps.Logger.Info("issuer API error", zap.String("issuerErrorIdentifier", id), zap.String("kind", ve.kind),
		zap.String("description", ve.description), zap.Error(ve.cause))
	detail := ve.detail
	if detail == nil {
		detail = struct{}{}
	}
	writeJSON(w, ve.status, map[string]any{"responseMetadata": meta, "errorDescription": ve.description,
		"issuerErrorIdentifier": id, ve.kind: detail})
}

func newErrorID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "err_" + hex.EncodeToString(b)
}
