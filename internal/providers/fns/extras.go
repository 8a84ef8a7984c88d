package fns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// PushNotification is a push to a consumer's app (§1.9). Only templates
// agreed with the provider beforehand are delivered.
type PushNotification struct {
	Title      string // Title is shown in bold.
	Message    string // Message is the body.
	WorkflowID int64  // WorkflowID is the workflow the app opens when the push is tapped (optional).
}

// pushBody is the push body; workflow_id is sent as a string, as in the example (L2616).
type pushBody struct {
	Title      string `json:"title"`
	Message    string `json:"message"`
	WorkflowID string `json:"workflow_id,omitempty"`
}

// Push sends a push notification to a consumer
// (POST /api/rb/consumer/{consumer_id}/push_notification/). No answer is
// documented: any 2xx is success and its body is ignored.
func (s *Session) Push(ctx context.Context, consumerID string, n PushNotification) error {
	consumerID = strings.TrimSpace(consumerID)
	if consumerID == "" {
		return invalid("consumer id required")
	}
	if strings.TrimSpace(n.Title) == "" || strings.TrimSpace(n.Message) == "" {
		return invalid("title and message required")
	}
	if n.WorkflowID < 0 {
		return invalid("workflow id must be positive")
	}
	body := pushBody{Title: n.Title, Message: n.Message}
	if n.WorkflowID > 0 {
		body.WorkflowID = strconv.FormatInt(n.WorkflowID, 10)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return invalid("push not encodable")
	}
	// The id is one path segment: escaped ("/" → "%2F") and kept escaped on the wire.
	const prefix, suffix = "/api/rb/consumer/", "/push_notification/"
	u := s.c.apiURL(prefix+consumerID+suffix, nil)
	u.RawPath = s.c.base.EscapedPath() + prefix + url.PathEscape(consumerID) + suffix
	_, err = s.authed(ctx, http.MethodPost, u, "POST /api/rb/consumer/{id}/push_notification/", b, maxResponseBytes)
	return err
}

// RevokeCertificate sends a signature certificate's revocation application,
// an XML file whose XSD the provider gives on request
// (POST /api/rb/certificate/revoke/; base64 in JSON). No answer is
// documented: any 2xx is success and its body is ignored.
func (s *Session) RevokeCertificate(ctx context.Context, applicationXML []byte) error {
	if len(applicationXML) == 0 {
		return invalid("empty revocation application")
	}
	body := struct {
		File string `json:"base64_encoded_xml_file"`
	}{base64.StdEncoding.EncodeToString(applicationXML)}
	_, err := s.call(ctx, http.MethodPost, "/api/rb/certificate/revoke/", "POST /api/rb/certificate/revoke/", nil, body)
	return err
}

// PauseRequest starts a pause (scenario Pause, type blank, §1.2.4): the app
// tells the user to wait; the blank workflow completes when the partner
// starts the next scenario.
type PauseRequest struct {
	Consumer   string // Consumer is the consumer UUID.
	Callback   string // Callback is the callback URL (optional).
	ExternalID string // ExternalID is our transaction UUID (optional).
}

// CreatePause starts a pause with the configured Pause scenario (134).
func (s *Session) CreatePause(ctx context.Context, req PauseRequest) (Workflow, error) {
	ref, err := consumerRef(req.Consumer)
	if err != nil {
		return Workflow{}, err
	}
	return s.CreateWorkflow(ctx, CreateWorkflowRequest{Scenario: s.c.scenarios.Pause, Callback: req.Callback,
		ExternalID: req.ExternalID, Consumer: ref})
}

// ExternalActivityRequest opens a web page inside the app (scenario
// ExternalActivity, §1.2.5). End it with
// ChangeState(CommandCompleteExternalActivity).
type ExternalActivityRequest struct {
	Consumer   string            // Consumer is the consumer UUID.
	URL        string            // URL is the page to open (absolute http or https).
	Headers    map[string]string // Headers are HTTP headers for the page (optional; devices may drop some).
	Callback   string            // Callback is the callback URL (optional).
	ExternalID string            // ExternalID is our transaction UUID (optional).
}

// CreateExternalActivity starts an external activity with the configured
// ExternalActivity scenario (102); url and headers are nested in
// "external_activity" as in the example (L607).
func (s *Session) CreateExternalActivity(ctx context.Context, req ExternalActivityRequest) (Workflow, error) {
	ref, err := consumerRef(req.Consumer)
	if err != nil {
		return Workflow{}, err
	}
	page := strings.TrimSpace(req.URL)
	if u, err := url.Parse(page); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Workflow{}, invalid("external activity url must be an absolute http(s) URL")
	}
	for k := range req.Headers {
		if strings.TrimSpace(k) == "" {
			return Workflow{}, invalid("empty header name")
		}
	}
	ea := struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers,omitempty"`
	}{page, req.Headers}
	raw, err := json.Marshal(ea)
	if err != nil {
		return Workflow{}, invalid("external activity not encodable")
	}
	return s.CreateWorkflow(ctx, CreateWorkflowRequest{Scenario: s.c.scenarios.ExternalActivity, Callback: req.Callback,
		ExternalID: req.ExternalID, Consumer: ref, Extra: map[string]json.RawMessage{"external_activity": raw}})
}

// ExtraSignatureRequest issues an additional signature for an existing
// consumer (scenario ExtraSignature, §1.2.2): an entrepreneur's (one per
// user) or a legal-entity representative's (several allowed).
type ExtraSignatureRequest struct {
	Consumer     string        // Consumer is the consumer UUID.
	Entrepreneur *Entrepreneur // Entrepreneur: the signature of an individual entrepreneur.
	LegalEntity  *LegalEntity  // LegalEntity: the signature of a legal-entity representative.
	Callback     string        // Callback is the callback URL (optional).
	ExternalID   string        // ExternalID is our transaction UUID (optional).
}

// CreateExtraSignature starts the issuance of an additional signature with
// the configured ExtraSignature scenario (84).
func (s *Session) CreateExtraSignature(ctx context.Context, req ExtraSignatureRequest) (Workflow, error) {
	ref, err := consumerRef(req.Consumer)
	if err != nil {
		return Workflow{}, err
	}
	if req.Entrepreneur != nil && req.LegalEntity != nil {
		return Workflow{}, invalid("at most one of entrepreneur and legal entity")
	}
	return s.CreateWorkflow(ctx, CreateWorkflowRequest{Scenario: s.c.scenarios.ExtraSignature, Callback: req.Callback,
		ExternalID: req.ExternalID, Consumer: ref, Entrepreneur: req.Entrepreneur, LegalEntity: req.LegalEntity})
}

// consumerRef encodes a consumer UUID as the JSON string "consumer" of the
// non-registration scenarios.
func consumerRef(id string) (json.RawMessage, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, invalid("consumer required")
	}
	b, _ := json.Marshal(id)
	return b, nil
}
