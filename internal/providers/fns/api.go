package fns

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxPages bounds how many pages a paginated listing follows.
const maxPages = 100

// CreateWorkflowRequest is the POST /api/rb/workflow body for any scenario.
// Consumer is a full consumer object (registration) or a JSON string with a
// consumer UUID (other scenarios); the caller builds and validates it.
// Extra carries scenario-specific fields (documents, backref, data,
// external_activity, …) verbatim; its keys must not repeat the named fields.
type CreateWorkflowRequest struct {
	Scenario     int                        // Scenario is the scenario number (see Client.Scenarios).
	Callback     string                     // Callback is the callback URL of this workflow (optional).
	ExternalID   string                     // ExternalID is our transaction UUID, against repeated submission (optional).
	Consumer     json.RawMessage            // Consumer is the consumer object or "uuid".
	Entrepreneur *Entrepreneur              // Entrepreneur is set when the client is an individual entrepreneur.
	LegalEntity  *LegalEntity               // LegalEntity is set when the client represents a legal entity.
	Extra        map[string]json.RawMessage // Extra are further top-level fields.
}

// MarshalJSON writes the request with scenario as a number.
func (r CreateWorkflowRequest) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Extra)+6)
	for k, v := range r.Extra {
		m[k] = v
	}
	m["scenario"] = r.Scenario
	if r.Callback != "" {
		m["callback"] = r.Callback
	}
	if r.ExternalID != "" {
		m["external_id"] = r.ExternalID
	}
	if len(r.Consumer) > 0 {
		m["consumer"] = r.Consumer
	}
	if r.Entrepreneur != nil {
		m["entrepreneur"] = r.Entrepreneur
	}
	if r.LegalEntity != nil {
		m["legal_entity"] = r.LegalEntity
	}
	return json.Marshal(m)
}

// RegistrationRequest starts a client registration (scenario Registration, §1.2.1).
type RegistrationRequest struct {
	Consumer     json.RawMessage // Consumer is the full consumer object, built and validated by the caller.
	Entrepreneur *Entrepreneur   // Entrepreneur: if the client is an individual entrepreneur.
	LegalEntity  *LegalEntity    // LegalEntity: if the client represents a legal entity.
	Callback     string          // Callback is the callback URL (optional).
	ExternalID   string          // ExternalID is our transaction UUID (optional).
}

// CreateWorkflow starts a workflow (POST /api/rb/workflow) and returns it.
func (s *Session) CreateWorkflow(ctx context.Context, req CreateWorkflowRequest) (Workflow, error) {
	if req.Scenario <= 0 {
		return Workflow{}, invalid("scenario number required")
	}
	if len(bytes.TrimSpace(req.Consumer)) == 0 {
		return Workflow{}, invalid("consumer required")
	}
	if !json.Valid(req.Consumer) {
		return Workflow{}, invalid("consumer is not valid JSON")
	}
	for k := range req.Extra {
		switch k {
		case "scenario", "callback", "external_id", "consumer", "entrepreneur", "legal_entity":
			return Workflow{}, invalid("extra field repeats a named field: " + k)
		}
	}
	var w Workflow
	err := s.result(ctx, http.MethodPost, "/api/rb/workflow", "POST /api/rb/workflow", nil, req, &w)
	return w, err
}

// Register starts a client registration with the configured registration
// scenario. The answer carries the workflow id and the consumer (object with
// its UUID: w.Consumer.ID).
func (s *Session) Register(ctx context.Context, req RegistrationRequest) (Workflow, error) {
	if req.Entrepreneur != nil && req.LegalEntity != nil {
		return Workflow{}, invalid("at most one of entrepreneur and legal entity")
	}
	return s.CreateWorkflow(ctx, CreateWorkflowRequest{Scenario: s.c.scenarios.Registration, Callback: req.Callback,
		ExternalID: req.ExternalID, Consumer: req.Consumer, Entrepreneur: req.Entrepreneur, LegalEntity: req.LegalEntity})
}

// GetWorkflowFull returns the extended data of a workflow (GET /api/rb/workflow/{id}/full).
func (s *Session) GetWorkflowFull(ctx context.Context, workflowID int64) (Workflow, error) {
	if workflowID <= 0 {
		return Workflow{}, invalid("workflow id required")
	}
	var w Workflow
	err := s.result(ctx, http.MethodGet, workflowPath(workflowID, "full"), "GET /api/rb/workflow/{id}/full", nil, nil, &w)
	return w, err
}

// IdentificationSearchConsumer identifies the client in an identification search.
type IdentificationSearchConsumer struct {
	Phone      string     `json:"phone"`
	SNILS      string     `json:"snils,omitempty"`
	Identities []Identity `json:"identities,omitempty"` // passport: type, series, number
}

// SearchIdentification finds the client's registration request under an
// agent's account (POST /api/rb/workflow/identification/search/); only
// after it the request is available to that agent. Identification can go on
// only when the result's state is StateWaitConsumerIdentification. No
// request gives an error matching ErrNotFound («Поток работ не найден»).
func (s *Session) SearchIdentification(ctx context.Context, consumer IdentificationSearchConsumer) (Workflow, error) {
	if strings.TrimSpace(consumer.Phone) == "" {
		return Workflow{}, invalid("phone required")
	}
	if consumer.SNILS == "" && len(consumer.Identities) == 0 {
		return Workflow{}, invalid("snils or identities required")
	}
	body := struct {
		Consumer IdentificationSearchConsumer `json:"consumer"`
	}{consumer}
	var w Workflow
	err := s.result(ctx, http.MethodPost, "/api/rb/workflow/identification/search/",
		"POST /api/rb/workflow/identification/search/", nil, body, &w)
	return w, err
}

// ConfirmationDocuments lists the confirmation documents of an
// identification workflow (GET /api/rb/workflow/{id}/confirmation-document).
func (s *Session) ConfirmationDocuments(ctx context.Context, workflowID int64) ([]ConfirmationDocument, error) {
	if workflowID <= 0 {
		return nil, invalid("workflow id required")
	}
	var out struct {
		ConfirmationDocuments []ConfirmationDocument `json:"confirmation_documents"`
	}
	err := s.result(ctx, http.MethodGet, workflowPath(workflowID, "confirmation-document"),
		"GET /api/rb/workflow/{id}/confirmation-document", nil, nil, &out)
	return out.ConfirmationDocuments, err
}

// fileUpload is the body of the confirmation-document and document-scan uploads.
type fileUpload struct {
	Title string `json:"title"`
	Path  string `json:"path"` // base64 content
}

// UploadConfirmationDocument uploads the file of a confirmation document
// (PUT /api/rb/confirmation-document/{id}; JSON with base64 content).
func (s *Session) UploadConfirmationDocument(ctx context.Context, documentID int64, title string, content []byte) (ConfirmationDocument, error) {
	body, err := newFileUpload(documentID, title, content)
	if err != nil {
		return ConfirmationDocument{}, err
	}
	var d ConfirmationDocument
	err = s.result(ctx, http.MethodPut, "/api/rb/confirmation-document/"+strconv.FormatInt(documentID, 10),
		"PUT /api/rb/confirmation-document/{id}", nil, body, &d)
	return d, err
}

func newFileUpload(id int64, title string, content []byte) (fileUpload, error) {
	if id <= 0 {
		return fileUpload{}, invalid("document id required")
	}
	if strings.TrimSpace(title) == "" {
		return fileUpload{}, invalid("file name required")
	}
	if len(content) == 0 {
		return fileUpload{}, invalid("empty file")
	}
	return fileUpload{Title: strings.TrimSpace(title), Path: base64.StdEncoding.EncodeToString(content)}, nil
}

// StateChange is the body of PUT /api/rb/workflow/{id}/state. Under an
// agent's personal account: Command and, if the agent works at several
// points, IdentificationPoint. Under the partner (technical) account, IdpInfo
// and AgentInfo are required for CommandIdentify.
type StateChange struct {
	Command             StateCommand `json:"state"`
	IdentificationPoint int64        `json:"identification_point,omitempty"`
	IdpInfo             string       `json:"idp_info,omitempty"`            // name of the identifying legal entity
	AgentInfo           string       `json:"agent_info,omitempty"`          // full name of the identifying agent
	AgentExternalData   string       `json:"agent_external_data,omitempty"` // extra data about the agent
}

// ChangeState sends a state command (identify, scan_confirm_received,
// complete_external_activity) to a workflow.
func (s *Session) ChangeState(ctx context.Context, workflowID int64, change StateChange) (StateChangeResult, error) {
	if workflowID <= 0 {
		return StateChangeResult{}, invalid("workflow id required")
	}
	switch change.Command {
	case CommandIdentify, CommandScanConfirmReceived, CommandCompleteExternalActivity:
	default:
		return StateChangeResult{}, invalid("unknown state command")
	}
	var out StateChangeResult
	err := s.result(ctx, http.MethodPut, workflowPath(workflowID, "state"), "PUT /api/rb/workflow/{id}/state", nil, change, &out)
	return out, err
}

// DocumentScans lists the scans a certificate-issuing workflow asks for
// (GET /api/rb/workflow/{id}/document-scan).
func (s *Session) DocumentScans(ctx context.Context, workflowID int64) (DocumentScans, error) {
	if workflowID <= 0 {
		return DocumentScans{}, invalid("workflow id required")
	}
	var out DocumentScans
	err := s.result(ctx, http.MethodGet, workflowPath(workflowID, "document-scan"),
		"GET /api/rb/workflow/{id}/document-scan", nil, nil, &out)
	return out, err
}

// UploadDocumentScan uploads one scan (PUT /api/rb/document-scan/{id}; JSON
// with base64 content). Confirm with ChangeState(CommandScanConfirmReceived).
func (s *Session) UploadDocumentScan(ctx context.Context, scanID int64, title string, content []byte) (DocumentScan, error) {
	body, err := newFileUpload(scanID, title, content)
	if err != nil {
		return DocumentScan{}, err
	}
	var d DocumentScan
	err = s.result(ctx, http.MethodPut, "/api/rb/document-scan/"+strconv.FormatInt(scanID, 10),
		"PUT /api/rb/document-scan/{id}", nil, body, &d)
	return d, err
}

// UploadCertificate sends the certificate of a certificate-issuing workflow
// (PUT /api/rb/workflow/{id}/certificate; base64 in JSON). The provider
// answers 204; any 2xx is success.
func (s *Session) UploadCertificate(ctx context.Context, workflowID int64, certificate []byte) error {
	if workflowID <= 0 {
		return invalid("workflow id required")
	}
	if len(certificate) == 0 {
		return invalid("empty certificate")
	}
	body := struct {
		Certificate string `json:"certificate"`
	}{base64.StdEncoding.EncodeToString(certificate)}
	_, err := s.call(ctx, http.MethodPut, workflowPath(workflowID, "certificate"), "PUT /api/rb/workflow/{id}/certificate", nil, body)
	return err
}

// SearchWorkflows lists workflows (GET /api/rb/workflow?consumer=…&type=…),
// following "next" links; consumerIDs should be all the client's consumer
// UUIDs; both filters are optional.
func (s *Session) SearchWorkflows(ctx context.Context, consumerIDs []string, typ WorkflowType) ([]Workflow, error) {
	q := url.Values{}
	if len(consumerIDs) > 0 {
		q.Set("consumer", strings.Join(consumerIDs, ","))
	}
	if typ != "" {
		// The document's only example writes the type as the wire does.
		q.Set("type", string(WorkflowType(NormalizeName(string(typ)))))
	}
	return collectPages[Workflow](ctx, s, "/api/rb/workflow", "GET /api/rb/workflow", q)
}

// RemoveWorkflows removes workflows (PUT /api/rb/workflow/remove). The answer
// tells which ids were removed and which were not (completed signing
// workflows and removed ones cannot be).
func (s *Session) RemoveWorkflows(ctx context.Context, workflowIDs []int64) (RemoveResult, error) {
	if len(workflowIDs) == 0 {
		return RemoveResult{}, invalid("no workflow ids")
	}
	body := struct {
		IDs []int64 `json:"workflow_id_list"`
	}{workflowIDs}
	var out RemoveResult
	err := s.result(ctx, http.MethodPut, "/api/rb/workflow/remove", "PUT /api/rb/workflow/remove", nil, body, &out)
	return out, err
}

// ConsumerSearch is the body of POST /api/rb/consumer/search.
type ConsumerSearch struct {
	LastName   string     `json:"last_name"`
	FirstName  string     `json:"first_name"`
	MiddleName string     `json:"middle_name,omitempty"` // may be empty if the passport has none
	Birthed    string     `json:"birthed,omitempty"`
	SNILS      string     `json:"snils,omitempty"`
	INN        string     `json:"inn,omitempty"`
	Phone      string     `json:"phone"`
	Identities []Identity `json:"identities,omitempty"`
}

// SearchConsumers finds the client's consumers (one per app activation) in
// the partner's subscriber base; none found is an empty list, not an error.
func (s *Session) SearchConsumers(ctx context.Context, q ConsumerSearch) ([]Consumer, error) {
	if strings.TrimSpace(q.LastName) == "" || strings.TrimSpace(q.FirstName) == "" || strings.TrimSpace(q.Phone) == "" {
		return nil, invalid("last name, first name and phone required")
	}
	var out []Consumer
	err := s.result(ctx, http.MethodPost, "/api/rb/consumer/search", "POST /api/rb/consumer/search", nil, q, &out)
	return out, err
}

// AgentRequest is the body of POST /api/rb/staff/agent.
type AgentRequest struct {
	Username             string   `json:"username"`
	Password             string   `json:"password"`
	LastName             string   `json:"last_name"`
	FirstName            string   `json:"first_name"`
	MiddleName           string   `json:"middle_name"`
	Email                string   `json:"email,omitempty"`
	Phone                string   `json:"phone"`
	UnstructuredIdentity string   `json:"unstructured_identity"`
	SNILS                string   `json:"snils"`
	Position             string   `json:"position"`
	Company              int64    `json:"company"`
	Permissions          []string `json:"permissions"`
	IdentificationPoints []int64  `json:"identification_points"`
}

// CreateAgent creates an agent account (POST /api/rb/staff/agent). The answer
// carries the agent's own token: use Client.As(agent.Credentials()) (plus the
// password, to allow renewal) for calls under the agent's account.
func (s *Session) CreateAgent(ctx context.Context, req AgentRequest) (Agent, error) {
	if req.Username == "" || req.Password == "" {
		return Agent{}, invalid("username and password required")
	}
	var a Agent
	err := s.result(ctx, http.MethodPost, "/api/rb/staff/agent", "POST /api/rb/staff/agent", nil, req, &a)
	return a, err
}

// AgentUpdate is the body of PUT /api/rb/staff/agent/{id}: the mandatory
// fields and the changed ones.
type AgentUpdate struct {
	Username   string `json:"username"`
	Password   string `json:"password,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	IsActive   *bool  `json:"is_active,omitempty"`
}

// UpdateAgent changes an agent account.
func (s *Session) UpdateAgent(ctx context.Context, agentID int64, upd AgentUpdate) (Agent, error) {
	if agentID <= 0 {
		return Agent{}, invalid("agent id required")
	}
	if upd.Username == "" {
		return Agent{}, invalid("username required")
	}
	var a Agent
	err := s.result(ctx, http.MethodPut, "/api/rb/staff/agent/"+strconv.FormatInt(agentID, 10),
		"PUT /api/rb/staff/agent/{id}", nil, upd, &a)
	return a, err
}

// BlockAgent blocks an agent account: UpdateAgent with is_active false.
func (s *Session) BlockAgent(ctx context.Context, agentID int64, upd AgentUpdate) (Agent, error) {
	inactive := false
	upd.IsActive = &inactive
	return s.UpdateAgent(ctx, agentID, upd)
}

// ListAgents lists the agent accounts (GET /api/rb/staff/agent), following "next" links.
func (s *Session) ListAgents(ctx context.Context) ([]Agent, error) {
	return collectPages[Agent](ctx, s, "/api/rb/staff/agent", "GET /api/rb/staff/agent", nil)
}

// result makes a JSON call and decodes its {"result": …} into out.
func (s *Session) result(ctx context.Context, method, path, op string, query url.Values, body, out any) error {
	resp, err := s.call(ctx, method, path, op, query, body)
	if err != nil {
		return err
	}
	return decodeResult(resp, op, out)
}

// collectPages reads a paginated listing, following "next" (resolved like
// any link, so it must stay on the base URL's host), at most maxPages pages.
func collectPages[T any](ctx context.Context, s *Session, path, op string, query url.Values) ([]T, error) {
	u := s.c.apiURL(path, query)
	var all []T
	for range maxPages {
		resp, err := s.authed(ctx, http.MethodGet, u, op, nil, maxResponseBytes)
		if err != nil {
			return nil, err
		}
		var p page[T]
		if err := decodeResult(resp, op, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Results...)
		if strings.TrimSpace(p.Next) == "" {
			return all, nil
		}
		if u, err = s.c.ResolveLink(p.Next); err != nil {
			return nil, err
		}
	}
	return all, nil
}

func workflowPath(id int64, tail string) string {
	return "/api/rb/workflow/" + strconv.FormatInt(id, 10) + "/" + tail
}
