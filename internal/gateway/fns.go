package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"idflow/internal/store"
	"idflow/internal/validate"
)

// FNS agent permissions (the document's values).
const (
	FNSPermissionCreateAgent = "create_new_agent"
	FNSPermissionIdentify    = "consumer_identify"
)

// maxFNSAgentBody bounds a POST /v1/fns/agents body.
const maxFNSAgentBody = 64 << 10

// FNSAdmin administers the partner's FNS account for operators: the worker
// holds the partner credentials, operators and the starter never do. The
// gateway checks the input before any call; implementations map FNS's
// answers to *FNSRejection, ErrFNSNotFound and ErrFNSUnavailable.
type FNSAdmin interface {
	// CreateAgent creates an agent under the partner account and keeps its
	// id, username and token in st.
	CreateAgent(ctx context.Context, st *store.Store, a FNSAgentCreate) (FNSAgentCreated, error)
	// ListAgents lists the partner's agents as FNS does.
	ListAgents(ctx context.Context) ([]FNSAgentSummary, error)
	// BlockAgent blocks an agent (is_active false); ErrFNSNotFound for an
	// unknown id. st may name the agent's username.
	BlockAgent(ctx context.Context, st *store.Store, id int64) error
	// Template returns the printable form of a certificate-issuing workflow:
	// the first document scan with a template; ErrFNSNoTemplate if there is
	// none yet, ErrFNSNotFound for an unknown workflow.
	Template(ctx context.Context, workflowID int64) (FNSFile, error)
	FNSSearch
}

// FNSAgentCreate is a checked POST /v1/fns/agents body.
type FNSAgentCreate struct {
	Username, Password                     string
	LastName, FirstName, MiddleName, Email string
	Phone, UnstructuredIdentity, SNILS     string // SNILS is normalised to 11 digits
	Position                               string
	Company                                int64
	Permissions                            []string
	IdentificationPoints                   []int64
}

// String hides the agent's data and password from fmt.
func (a FNSAgentCreate) String() string { return "gateway.FNSAgentCreate{REDACTED}" }

// GoString hides them from %#v.
func (a FNSAgentCreate) GoString() string { return a.String() }

// FNSAgentCreated is what FNS answered for a new agent, without its secrets.
type FNSAgentCreated struct {
	ID                   string   `json:"id"`
	Username             string   `json:"username"`
	Permissions          []string `json:"permissions"`
	IdentificationPoints []int64  `json:"identification_points"`
}

// FNSAgentSummary is one agent of FNS's list.
type FNSAgentSummary struct {
	ID                   string  `json:"id"`
	Username             string  `json:"username"`
	LastName             string  `json:"last_name"`
	FirstName            string  `json:"first_name"`
	MiddleName           string  `json:"middle_name"`
	IsActive             bool    `json:"is_active"`
	IdentificationPoints []int64 `json:"identification_points"`
}

// FNSFile is a file fetched from FNS.
type FNSFile struct {
	Content     []byte
	ContentType string
}

// Errors an FNSAdmin returns (wrapped or not).
var (
	// ErrFNSNotFound: FNS knows no such agent or workflow (404 not_found).
	ErrFNSNotFound = errors.New("fns: not found")
	// ErrFNSNoTemplate: the workflow has no printable form yet (404 no_template).
	ErrFNSNoTemplate = errors.New("fns: no template yet")
	// ErrFNSUnavailable: FNS could not be reached, answered 5xx or refused
	// the partner credentials (502 fns_unavailable).
	ErrFNSUnavailable = errors.New("fns: unavailable")
)

// FNSRejection is FNS's own refusal of a request (400 fns_rejected): its
// texts with their field paths. It must not carry the request's values.
type FNSRejection struct {
	Message string
	Fields  []FieldError
}

func (e *FNSRejection) Error() string { return "fns: rejected: " + e.Message }

// FieldError is one bad field of a request, named by its JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// fieldsError is the body of a 400 naming fields.
type fieldsError struct {
	Code    string       `json:"code"`
	Message string       `json:"error"`
	Fields  []FieldError `json:"fields"`
}

// registerFNS adds the /v1/fns routes.
func (g *Gateway) registerFNS() {
	g.mux.Handle("POST /v1/fns/agents", g.authorized(g.withFNS(g.createFNSAgent)))
	g.mux.Handle("GET /v1/fns/agents", g.authorized(g.withFNS(g.listFNSAgents)))
	g.mux.Handle("POST /v1/fns/agents/{id}/block", g.authorized(g.withFNS(g.blockFNSAgent)))
	g.mux.Handle("GET /v1/fns/workflows/{id}/template", g.authorized(g.withFNS(g.fnsTemplate)))
	g.registerFNSWorkflows()
}

// withFNS answers 503 fns_not_configured when the worker has no FNS client.
func (g *Gateway) withFNS(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if g.deps.FNS == nil {
			writeError(w, http.StatusServiceUnavailable, "fns_not_configured",
				"FNS is not configured on this worker (IDFLOW_FNS_BASE_URL, IDFLOW_FNS_USERNAME, IDFLOW_FNS_PASSWORD)")
			return
		}
		next(w, r)
	}
}

func (g *Gateway) createFNSAgent(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFNSAgentBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the body exceeds "+strconv.Itoa(maxFNSAgentBody)+" bytes")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "bad_request", "the body could not be read")
		return
	}
	in, fields := parseFNSAgent(raw)
	if len(fields) > 0 {
		writeJSON(w, http.StatusBadRequest, fieldsError{Code: "bad_request", Message: fieldsSummary(fields), Fields: fields})
		return
	}
	created, err := g.deps.FNS.CreateAgent(r.Context(), st, in)
	if err != nil {
		g.fnsFailed(w, "create FNS agent", "not found at FNS", err)
		return
	}
	g.deps.Logger.Info("FNS agent created", zap.String("agentId", created.ID))
	writeJSON(w, http.StatusCreated, created)
}

func (g *Gateway) listFNSAgents(w http.ResponseWriter, r *http.Request) {
	agents, err := g.deps.FNS.ListAgents(r.Context())
	if err != nil {
		g.fnsFailed(w, "list FNS agents", "not found at FNS", err)
		return
	}
	if agents == nil {
		agents = []FNSAgentSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
}

func (g *Gateway) blockFNSAgent(w http.ResponseWriter, r *http.Request) {
	st := g.store(w)
	if st == nil {
		return
	}
	id, ok := positiveID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such FNS agent")
		return
	}
	if err := g.deps.FNS.BlockAgent(r.Context(), st, id); err != nil {
		g.fnsFailed(w, "block FNS agent", "no such FNS agent", err, zap.Int64("agentId", id))
		return
	}
	g.deps.Logger.Info("FNS agent blocked", zap.Int64("agentId", id))
	writeJSON(w, http.StatusOK, map[string]any{"id": strconv.FormatInt(id, 10), "is_active": false})
}

func (g *Gateway) fnsTemplate(w http.ResponseWriter, r *http.Request) {
	id, ok := positiveID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such FNS workflow")
		return
	}
	f, err := g.deps.FNS.Template(r.Context(), id)
	if err != nil {
		g.fnsFailed(w, "fetch FNS template", "no such FNS workflow", err, zap.Int64("fnsWorkflowId", id))
		return
	}
	ct := f.ContentType
	mediaType, _, perr := mime.ParseMediaType(ct)
	if ct == "" || perr != nil {
		ct, mediaType = "application/octet-stream", "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Content)))
	// FNS's bytes: a browser must neither guess another type nor render them in place.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Content-Disposition", `attachment; filename="fns-`+strconv.FormatInt(id, 10)+`-template`+templateExt(mediaType)+`"`)
	_, _ = w.Write(f.Content)
}

func templateExt(mediaType string) string {
	switch mediaType {
	case "text/html":
		return ".html"
	case "text/plain":
		return ".txt"
	case "application/pdf":
		return ".pdf"
	}
	return ""
}

// fnsFailed answers an FNSAdmin error. Only the error's kind, the FNS
// status and field paths are logged: FNS's texts may quote the request.
func (g *Gateway) fnsFailed(w http.ResponseWriter, what, notFound string, err error, logFields ...zap.Field) {
	var rej *FNSRejection
	switch {
	case errors.As(err, &rej):
		paths := make([]string, 0, len(rej.Fields))
		for _, f := range rej.Fields {
			paths = append(paths, f.Field)
		}
		g.deps.Logger.Warn(what+": FNS refused", append(logFields, zap.Strings("fields", paths))...)
		fields := rej.Fields
		if fields == nil {
			fields = []FieldError{}
		}
		writeJSON(w, http.StatusBadRequest, fieldsError{Code: "fns_rejected", Message: "FNS refused the request: " + rej.Message, Fields: fields})
	case errors.Is(err, ErrFNSNoTemplate):
		writeError(w, http.StatusNotFound, "no_template", "the FNS workflow has no printable form yet")
	case errors.Is(err, ErrFNSNotFound):
		writeError(w, http.StatusNotFound, "not_found", notFound)
	case errors.Is(err, errStoreFailed):
		g.deps.Logger.Error(what+": store", append(logFields, zap.Error(err))...)
		writeError(w, http.StatusInternalServerError, "store_failed", err.Error())
	default:
		// ErrFNSUnavailable and anything unexpected: the cause is an
		// adapter's value-free error (status, op), logged as such.
		g.deps.Logger.Warn(what+": FNS unavailable", append(logFields, zap.Error(err))...)
		writeError(w, http.StatusBadGateway, "fns_unavailable", "FNS could not be reached or failed; retry later")
	}
}

// errStoreFailed marks an adapter's store failure (500 store_failed, its
// message shown): see StoreFailed.
var errStoreFailed = errors.New("store failed")

// StoreFailed wraps a store failure of an FNSAdmin whose message is fit
// for the operator (no personal data), answered 500 store_failed.
func StoreFailed(message string, cause error) error {
	return &storeFailure{msg: message, cause: cause}
}

type storeFailure struct {
	msg   string
	cause error
}

func (e *storeFailure) Error() string { return e.msg }
func (e *storeFailure) Unwrap() []error {
	return []error{errStoreFailed, e.cause}
}

func positiveID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func fieldsSummary(fields []FieldError) string {
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// fnsAgentFields are the body's fields in the document's order.
var fnsAgentFields = []string{"username", "password", "last_name", "first_name", "middle_name", "email", "phone",
	"unstructured_identity", "snils", "position", "company", "permissions", "identification_points"}

// parseFNSAgent checks a POST /v1/fns/agents body and reports every bad
// field at once; messages never quote the values.
func parseFNSAgent(raw []byte) (FNSAgentCreate, []FieldError) {
	var fe []FieldError
	add := func(field, msg string) { fe = append(fe, FieldError{Field: field, Message: msg}) }
	var body map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&body); err != nil || body == nil || dec.More() {
		add("", "the body must be one JSON object")
		return FNSAgentCreate{}, fe
	}
	var keys []string
	for k := range body {
		if !slices.Contains(fnsAgentFields, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(k, "unknown field")
	}
	str := func(field string, required, trim bool) string {
		v, ok := body[field]
		if !ok || string(v) == "null" {
			if required {
				add(field, "required")
			}
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			add(field, "must be a string")
			return ""
		}
		if strings.TrimSpace(s) == "" {
			if required {
				add(field, "required")
			}
			return ""
		}
		if trim {
			s = strings.TrimSpace(s)
		}
		return s
	}
	var in FNSAgentCreate
	in.Username = str("username", true, true)
	in.Password = str("password", true, false)
	in.LastName = str("last_name", true, true)
	in.FirstName = str("first_name", true, true)
	in.MiddleName = str("middle_name", true, true)
	if in.Email = str("email", false, true); in.Email != "" && (!strings.Contains(in.Email, "@") || strings.ContainsAny(in.Email, " \t\r\n")) {
		add("email", "invalid format")
	}
	if in.Phone = str("phone", true, true); in.Phone != "" {
		if err := validate.PhoneFNS(in.Phone); err != nil {
			add("phone", "invalid format: want 7 and 10 digits")
		}
	}
	in.UnstructuredIdentity = str("unstructured_identity", true, true)
	if in.SNILS = str("snils", true, true); in.SNILS != "" {
		if err := validate.SNILS(in.SNILS); err != nil {
			var ve *validate.Error
			msg := "invalid"
			if errors.As(err, &ve) {
				msg = ve.Kind.Error()
				if ve.Detail != "" {
					msg += ": " + ve.Detail
				}
			}
			add("snils", msg)
		}
		in.SNILS = validate.NormalizeSNILS(in.SNILS)
	}
	in.Position = str("position", true, true)
	if v, ok := body["company"]; !ok || string(v) == "null" {
		add("company", "required")
	} else if n, ok := jsonID(v); !ok {
		add("company", "must be a positive integer id")
	} else {
		in.Company = n
	}
	var perms []json.RawMessage
	if v, ok := body["permissions"]; !ok || string(v) == "null" {
		add("permissions", "required: at least one of "+FNSPermissionCreateAgent+", "+FNSPermissionIdentify)
	} else if json.Unmarshal(v, &perms) != nil {
		add("permissions", "must be a list of strings")
	} else if len(perms) == 0 {
		add("permissions", "required: at least one of "+FNSPermissionCreateAgent+", "+FNSPermissionIdentify)
	} else {
		for i, p := range perms {
			var s string
			if json.Unmarshal(p, &s) != nil || (s != FNSPermissionCreateAgent && s != FNSPermissionIdentify) {
				add("permissions["+strconv.Itoa(i)+"]", "must be "+FNSPermissionCreateAgent+" or "+FNSPermissionIdentify)
				continue
			}
			if !slices.Contains(in.Permissions, s) {
				in.Permissions = append(in.Permissions, s)
			}
		}
	}
	var points []json.RawMessage
	if v, ok := body["identification_points"]; !ok || string(v) == "null" {
		add("identification_points", "required: at least one identification point id")
	} else if json.Unmarshal(v, &points) != nil {
		add("identification_points", "must be a list of ids")
	} else if len(points) == 0 {
		add("identification_points", "required: at least one identification point id")
	} else {
		for i, p := range points {
			n, ok := jsonID(p)
			if !ok {
				add("identification_points["+strconv.Itoa(i)+"]", "must be a positive integer id")
				continue
			}
			if !slices.Contains(in.IdentificationPoints, n) {
				in.IdentificationPoints = append(in.IdentificationPoints, n)
			}
		}
	}
	return in, fe
}

// jsonID accepts a positive integer as a JSON number or a string of digits.
func jsonID(v json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(v, &s) != nil {
		s = string(bytes.TrimSpace(v))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
