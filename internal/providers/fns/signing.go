package fns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"idflow/internal/validate"
)

// AttributeContractorName is the only documented key of data.attributes
// (L297): the name of the document's sender.
const AttributeContractorName = "b2b_contractor_name"

// SigningDocument is one document to sign: its file name with extension and
// its content (sent as base64 "path").
type SigningDocument struct {
	Title   string
	Content []byte
}

// Attribute is one item of data.attributes: data about the document's sender.
type Attribute struct {
	Key   string `json:"key"`   // Key is the kind of data, e.g. AttributeContractorName.
	Value string `json:"value"` // Value is its value.
}

// SigningRequest sends documents to a consumer for signing (§1.2.3,
// scenarios Signing or SigningLegalEntity).
type SigningRequest struct {
	Consumer       string            // Consumer is the consumer UUID from the registration.
	Documents      []SigningDocument // Documents are 1..validate.MaxFNSDocuments files.
	Backref        string            // Backref is the link the user returns to after signing (optional).
	Sender         []Attribute       // Sender are the data.attributes about the sender (optional).
	LegalEntityINN string            // LegalEntityINN is the INN of the legal entity the documents are for; required when the consumer holds two or more legal-entity signatures, and then scenario SigningLegalEntity is used.
	Callback       string            // Callback is the callback URL (optional).
	ExternalID     string            // ExternalID is our transaction UUID (optional).
}

// signingDocument is one item of "documents" on the wire.
type signingDocument struct {
	Title string `json:"title"`
	Path  string `json:"path"` // base64 content
}

// signingData is the "data" block.
type signingData struct {
	Attributes []Attribute `json:"attributes"`
}

// SignDocuments sends documents for signing (POST /api/rb/workflow) with
// scenario Signing (82), or SigningLegalEntity (88) when LegalEntityINN is
// given. Titles are sanitised as the provider would (validate.SanitizeFNSTitle);
// the number of documents, the titles and the contents are checked before
// any call (ErrInvalidArgument). The answer lists the created documents.
func (s *Session) SignDocuments(ctx context.Context, req SigningRequest) (Workflow, error) {
	ref, err := consumerRef(req.Consumer)
	if err != nil {
		return Workflow{}, err
	}
	extra, err := signingFields(req.Documents, req.Backref, req.Sender)
	if err != nil {
		return Workflow{}, err
	}
	cw := CreateWorkflowRequest{Scenario: s.c.scenarios.Signing, Callback: req.Callback, ExternalID: req.ExternalID,
		Consumer: ref, Extra: extra}
	if inn := strings.TrimSpace(req.LegalEntityINN); inn != "" {
		cw.Scenario = s.c.scenarios.SigningLegalEntity
		cw.LegalEntity = &LegalEntity{INN: inn}
	}
	return s.CreateWorkflow(ctx, cw)
}

// signingFields checks and encodes the fields shared by both signing calls:
// documents, backref and data.
func signingFields(docs []SigningDocument, backref string, sender []Attribute) (map[string]json.RawMessage, error) {
	wire, err := encodeSigningDocuments(docs)
	if err != nil {
		return nil, err
	}
	extra := map[string]json.RawMessage{}
	extra["documents"], _ = json.Marshal(wire)
	if b := strings.TrimSpace(backref); b != "" {
		extra["backref"], _ = json.Marshal(b)
	}
	if len(sender) > 0 {
		for i, a := range sender {
			if strings.TrimSpace(a.Key) == "" {
				return nil, invalid("sender attribute " + strconv.Itoa(i+1) + ": key required")
			}
		}
		extra["data"], _ = json.Marshal(signingData{Attributes: sender})
	}
	return extra, nil
}

// encodeSigningDocuments checks 1..MaxFNSDocuments documents, sanitises and
// checks each title and encodes each content.
func encodeSigningDocuments(docs []SigningDocument) ([]signingDocument, error) {
	if len(docs) == 0 {
		return nil, invalid("no documents")
	}
	if len(docs) > validate.MaxFNSDocuments {
		return nil, invalid("more than " + strconv.Itoa(validate.MaxFNSDocuments) + " documents")
	}
	out := make([]signingDocument, len(docs))
	for i, d := range docs {
		n := "document " + strconv.Itoa(i+1) + ": "
		title := validate.SanitizeFNSTitle(strings.TrimSpace(d.Title))
		if err := validate.FNSTitle(title); err != nil {
			return nil, invalid(n + err.Error())
		}
		if len(d.Content) == 0 {
			return nil, invalid(n + "empty file")
		}
		out[i] = signingDocument{Title: title, Path: base64.StdEncoding.EncodeToString(d.Content)}
	}
	return out, nil
}

// SimplifiedSigningRequest sends documents knowing only the client's INN
// and phone (§1.3, POST /api/rb/workflow/fns).
type SimplifiedSigningRequest struct {
	Scenario       int               // Scenario is the scenario number; zero takes Scenarios.SimplifiedSigning (564, the document's entrepreneur scenario).
	INN            string            // INN is the client's INN (an entrepreneur's personal INN in the document's example).
	Phone          string            // Phone is the client's phone, "7" and 10 digits.
	Documents      []SigningDocument // Documents are 1..validate.MaxFNSDocuments files.
	Backref        string            // Backref is the link the user returns to after signing (optional).
	Sender         []Attribute       // Sender are the data.attributes about the sender (optional).
	LegalEntityINN string            // LegalEntityINN is the legal entity the documents are for (required when the client holds two or more legal-entity signatures).
	Callback       string            // Callback is the callback URL (optional).
	ExternalID     string            // ExternalID is our transaction UUID (optional).
}

// simplifiedSigningBody is the POST /api/rb/workflow/fns body.
type simplifiedSigningBody struct {
	Scenario    int             `json:"scenario"`
	INN         string          `json:"inn"`
	Phone       string          `json:"phone"`
	Callback    string          `json:"callback,omitempty"`
	ExternalID  string          `json:"external_id,omitempty"`
	Backref     json.RawMessage `json:"backref,omitempty"`
	Documents   json.RawMessage `json:"documents"`
	Data        json.RawMessage `json:"data,omitempty"`
	LegalEntity *LegalEntity    `json:"legal_entity,omitempty"`
}

// SignSimplified sends documents for signing to the client's latest app
// activation that holds the needed certificate (POST /api/rb/workflow/fns).
// The answer's Consumer.ID is the consumer the documents went to. No such
// client gives an error matching ErrNotFound («Клиент с такими данными не
// найден»). Documents are checked and titles sanitised as in SignDocuments.
func (s *Session) SignSimplified(ctx context.Context, req SimplifiedSigningRequest) (Workflow, error) {
	inn, phone := strings.TrimSpace(req.INN), strings.TrimSpace(req.Phone)
	if inn == "" || phone == "" {
		return Workflow{}, invalid("inn and phone required")
	}
	if req.Scenario < 0 {
		return Workflow{}, invalid("scenario number must be positive")
	}
	extra, err := signingFields(req.Documents, req.Backref, req.Sender)
	if err != nil {
		return Workflow{}, err
	}
	body := simplifiedSigningBody{Scenario: req.Scenario, INN: inn, Phone: phone, Callback: req.Callback,
		ExternalID: req.ExternalID, Backref: extra["backref"], Documents: extra["documents"], Data: extra["data"]}
	if body.Scenario == 0 {
		body.Scenario = s.c.scenarios.SimplifiedSigning
	}
	if le := strings.TrimSpace(req.LegalEntityINN); le != "" {
		body.LegalEntity = &LegalEntity{INN: le}
	}
	var w Workflow
	err = s.result(ctx, http.MethodPost, "/api/rb/workflow/fns", "POST /api/rb/workflow/fns", nil, body, &w)
	return w, err
}

// SignedDocuments lists the documents of a signing workflow with their
// links (GET /api/rb/workflow/{id}/document): Document.Path is the original
// file and, once signed, Document.Signature the signature (.p7s); fetch both
// with Session.Fetch. The list carries no signer information.
func (s *Session) SignedDocuments(ctx context.Context, workflowID int64) ([]Document, error) {
	if workflowID <= 0 {
		return nil, invalid("workflow id required")
	}
	var out struct {
		Documents []Document `json:"documents"`
	}
	err := s.result(ctx, http.MethodGet, workflowPath(workflowID, "document"), "GET /api/rb/workflow/{id}/document", nil, nil, &out)
	return out.Documents, err
}

// SignatureSource is one signature to merge: either its content (CMS, sent
// as base64_file) or an internal signature link (Document.Signature, sent
// as url); exactly one of them.
type SignatureSource struct {
	CMS []byte // CMS is a signature's DER content.
	URL string // URL is an internal link, e.g. "/api/rb/document/16569/signature/VIY52ZGQ.p7s".
}

// signatureItem is one item of "signatures" on the wire.
type signatureItem struct {
	Base64File string `json:"base64_file,omitempty"`
	URL        string `json:"url,omitempty"`
}

// MergedSignature is the answer of a signatures merge: the merged CMS as the
// provider sent it (base64).
type MergedSignature struct {
	Base64 string
}

// Bytes decodes the merged CMS (standard base64, padding optional, line
// breaks ignored).
func (m MergedSignature) Bytes() ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, m.Base64)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, &Error{Op: opMerge, Message: "merged signature is not base64"}
	}
	return b, nil
}

const opMerge = "POST /api/rb/signatures-merge"

// MergeSignatures combines signatures into one CMS (POST /api/rb/signatures-merge).
func (s *Session) MergeSignatures(ctx context.Context, sigs []SignatureSource) (MergedSignature, error) {
	if len(sigs) == 0 {
		return MergedSignature{}, invalid("no signatures")
	}
	items := make([]signatureItem, len(sigs))
	for i, sig := range sigs {
		u := strings.TrimSpace(sig.URL)
		if (len(sig.CMS) == 0) == (u == "") {
			return MergedSignature{}, invalid("signature " + strconv.Itoa(i+1) + ": exactly one of content and url")
		}
		if u != "" {
			items[i] = signatureItem{URL: u}
		} else {
			items[i] = signatureItem{Base64File: base64.StdEncoding.EncodeToString(sig.CMS)}
		}
	}
	body := struct {
		Signatures []signatureItem `json:"signatures"`
	}{items}
	resp, err := s.call(ctx, http.MethodPost, "/api/rb/signatures-merge", opMerge, nil, body)
	if err != nil {
		return MergedSignature{}, err
	}
	var out struct {
		Result string `json:"result"`
	}
	if err := decodeResult(resp, opMerge, &out); err != nil {
		return MergedSignature{}, err
	}
	if out.Result = strings.TrimSpace(out.Result); out.Result == "" {
		return MergedSignature{}, undecodable(opMerge, resp.status, "merge answer without result")
	}
	return MergedSignature{Base64: out.Result}, nil
}
