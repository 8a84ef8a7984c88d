package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"idflow/internal/validate"
)

// The /v1/fns routes over FNS workflows and consumers: workflow search by
// consumer, removal, and consumer search (document §1.11, §1.12).

// FNSSearch is the part of FNSAdmin these routes use.
type FNSSearch interface {
	// SearchWorkflows lists the workflows of the consumers (of one type when typ is set).
	SearchWorkflows(ctx context.Context, consumerIDs []string, typ string) ([]FNSWorkflowSummary, error)
	// RemoveWorkflows removes workflows; FNS says which it could not remove.
	RemoveWorkflows(ctx context.Context, ids []int64) (FNSRemoveResult, error)
	// SearchConsumers finds a person's consumers (one per app activation).
	SearchConsumers(ctx context.Context, q FNSConsumerQuery) ([]FNSConsumerSummary, error)
}

// FNSWorkflowSummary is one FNS workflow as the search lists it.
type FNSWorkflowSummary struct {
	ID         int64   `json:"id"`
	Type       string  `json:"type"`
	State      string  `json:"state"`
	Scenario   int64   `json:"scenario,omitempty"`
	ConsumerID string  `json:"consumer_id,omitempty"`
	Parent     []int64 `json:"parent,omitempty"`
	Created    string  `json:"created,omitempty"`
	Updated    string  `json:"updated,omitempty"`
}

// FNSRemoveResult is FNS's answer to a removal: partial success is normal.
type FNSRemoveResult struct {
	Requested []int64 `json:"requested"`
	Removed   []int64 `json:"removed"`
	Failed    []int64 `json:"failed"`
}

// FNSConsumerQuery is a checked consumer search: names and phone
// required, the rest narrows it.
type FNSConsumerQuery struct {
	LastName, FirstName, MiddleName, Birthed string
	SNILS, INN, Phone                        string
}

// String hides the person's data from fmt.
func (q FNSConsumerQuery) String() string { return "gateway.FNSConsumerQuery{REDACTED}" }

// GoString hides it from %#v.
func (q FNSConsumerQuery) GoString() string { return q.String() }

// FNSConsumerSummary is one consumer found: its id, states and
// certificates, never the person's data (the caller has those).
type FNSConsumerSummary struct {
	ID                   string                  `json:"id"`
	State                string                  `json:"state"`
	Created              string                  `json:"created,omitempty"`
	IsRemotelyIdentified bool                    `json:"is_remotely_identified"`
	Entrepreneur         bool                    `json:"entrepreneur"`
	LegalEntities        int                     `json:"legal_entities"`
	Certificates         []FNSCertificateSummary `json:"certificates"`
}

// FNSCertificateSummary is one certificate of a consumer.
type FNSCertificateSummary struct {
	ID          int64  `json:"id"`
	Type        string `json:"type"`
	State       string `json:"state"`
	IsConfirmed bool   `json:"is_confirmed"`
	NotAfter    string `json:"not_after,omitempty"`
}

// maxFNSSearchBody bounds the search and removal bodies.
const maxFNSSearchBody = 16 << 10

// maxFNSRemove bounds one removal.
const maxFNSRemove = 100

func (g *Gateway) registerFNSWorkflows() {
	g.mux.Handle("GET /v1/fns/workflows", g.authorized(g.withFNS(g.searchFNSWorkflows)))
	g.mux.Handle("POST /v1/fns/workflows/remove", g.authorized(g.withFNS(g.removeFNSWorkflows)))
	g.mux.Handle("POST /v1/fns/consumers/search", g.authorized(g.withFNS(g.searchFNSConsumers)))
}

// searchFNSWorkflows: GET /v1/fns/workflows?consumer=ID[,ID…][&type=identification].
func (g *Gateway) searchFNSWorkflows(w http.ResponseWriter, r *http.Request) {
	var ids []string
	for _, v := range r.URL.Query()["consumer"] {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "consumer: at least one consumer id required (all of the person's)")
		return
	}
	found, err := g.deps.FNS.SearchWorkflows(r.Context(), ids, strings.TrimSpace(r.URL.Query().Get("type")))
	if err != nil {
		g.fnsFailed(w, "search FNS workflows", "not found at FNS", err)
		return
	}
	if found == nil {
		found = []FNSWorkflowSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"workflows": found})
}

// removeFNSWorkflows: POST /v1/fns/workflows/remove {"ids": [..]}. FNS
// removes what it can: the answer lists both, with 200.
func (g *Gateway) removeFNSWorkflows(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDs []int64 `json:"ids"`
	}
	if !readJSONBody(w, r, &body) {
		return
	}
	switch {
	case len(body.IDs) == 0:
		writeError(w, http.StatusBadRequest, "bad_request", "ids: at least one FNS workflow id required")
		return
	case len(body.IDs) > maxFNSRemove:
		writeError(w, http.StatusBadRequest, "bad_request", "ids: at most 100 per removal")
		return
	}
	for _, id := range body.IDs {
		if id <= 0 {
			writeError(w, http.StatusBadRequest, "bad_request", "ids: must be positive")
			return
		}
	}
	res, err := g.deps.FNS.RemoveWorkflows(r.Context(), body.IDs)
	if err != nil {
		g.fnsFailed(w, "remove FNS workflows", "not found at FNS", err)
		return
	}
	g.deps.Logger.Info("FNS workflows removed", zap.Int64s("removed", res.Removed), zap.Int64s("failed", res.Failed))
	writeJSON(w, http.StatusOK, res)
}

// searchFNSConsumers: POST /v1/fns/consumers/search with the person's data
// in the body (never in the URL, so never in access logs).
func (g *Gateway) searchFNSConsumers(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LastName   string `json:"last_name"`
		FirstName  string `json:"first_name"`
		MiddleName string `json:"middle_name"`
		Birthed    string `json:"birthed"`
		SNILS      string `json:"snils"`
		INN        string `json:"inn"`
		Phone      string `json:"phone"`
	}
	if !readJSONBody(w, r, &body) {
		return
	}
	q := FNSConsumerQuery{LastName: strings.TrimSpace(body.LastName), FirstName: strings.TrimSpace(body.FirstName),
		MiddleName: strings.TrimSpace(body.MiddleName), Birthed: strings.TrimSpace(body.Birthed)}
	var fields validate.FieldErrors
	if q.LastName == "" {
		fields.Add("last_name", "required")
	}
	if q.FirstName == "" {
		fields.Add("first_name", "required")
	}
	q.Phone = checked(&fields, "phone", body.Phone, true, validate.NormalizePhoneFNS, validate.PhoneFNS)
	q.SNILS = checked(&fields, "snils", body.SNILS, false, validate.NormalizeSNILS, validate.SNILS)
	q.INN = checked(&fields, "inn", body.INN, false, strings.TrimSpace, validate.PersonINN)
	if q.Birthed != "" {
		fields.Check("birthed", validate.Date(q.Birthed))
	}
	if len(fields) > 0 {
		fe := make([]FieldError, 0, len(fields))
		for _, f := range fields {
			fe = append(fe, FieldError{Field: f.Field, Message: f.Message})
		}
		writeJSON(w, http.StatusBadRequest, fieldsError{Code: "bad_request", Message: fieldsSummary(fe), Fields: fe})
		return
	}
	found, err := g.deps.FNS.SearchConsumers(r.Context(), q)
	if err != nil {
		g.fnsFailed(w, "search FNS consumers", "not found at FNS", err)
		return
	}
	if found == nil {
		found = []FNSConsumerSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"consumers": found})
}

// checked normalises one identifier, noting a bad or missing one.
func checked(fields *validate.FieldErrors, field, value string, required bool, normalize func(string) string, check func(string) error) string {
	value = strings.TrimSpace(value)
	if value == "" {
		if required {
			fields.Add(field, "required")
		}
		return ""
	}
	n := normalize(value)
	fields.Check(field, check(n))
	return n
}

// readJSONBody decodes one bounded JSON object, answering 400 or 413 itself.
func readJSONBody(w http.ResponseWriter, r *http.Request, into any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFNSSearchBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the body is too large")
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_request", "the body could not be read")
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil || dec.More() {
		writeError(w, http.StatusBadRequest, "bad_request", "the body must be one JSON object of the documented fields")
		return false
	}
	return true
}
