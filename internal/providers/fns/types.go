package fns

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// ID is an integer id (workflow, document, scan, certificate, agent, point,
// company). Decoding accepts a number or a numeric string; anything else is 0.
type ID int64

// UnmarshalJSON accepts 123 and "123".
func (id *ID) UnmarshalJSON(b []byte) error {
	s, _ := lenientString(b)
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		n = 0
	}
	*id = ID(n)
	return nil
}

// IDList is a list of ids; decoding accepts an array, a single id
// (child_id) or null.
type IDList []int64

// UnmarshalJSON accepts [1, 2], 1, "1" and null.
func (l *IDList) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var items []ID
		if json.Unmarshal(b, &items) != nil {
			return nil
		}
		for _, id := range items {
			if id != 0 {
				*l = append(*l, int64(id))
			}
		}
		return nil
	}
	var id ID
	_ = id.UnmarshalJSON(b)
	if id != 0 {
		*l = IDList{int64(id)}
	}
	return nil
}

// ConsumerRef is a "consumer" field: a UUID string (create responses,
// callbacks) or a full object (scenario-80 create, /full, searches). ID is
// set in both cases; Consumer only for the object.
type ConsumerRef struct {
	ID       string
	Consumer *Consumer
}

// UnmarshalJSON accepts "uuid", {…} and null.
func (r *ConsumerRef) UnmarshalJSON(b []byte) error {
	*r = ConsumerRef{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var c Consumer
		if decodeLenient(b, &c) == nil {
			r.Consumer, r.ID = &c, c.ID
		}
		return nil
	}
	s, _ := lenientString(b)
	r.ID = strings.TrimSpace(s)
	return nil
}

// MarshalJSON writes the UUID string.
func (r ConsumerRef) MarshalJSON() ([]byte, error) { return json.Marshal(r.ID) }

// ScenarioRef is a "scenario" field: a number (create responses) or an object
// (/full, workflow search). ID is set in both cases.
type ScenarioRef struct {
	ID                        int                        `json:"id"`
	Title                     string                     `json:"title,omitempty"`
	CanPersonalIdentification bool                       `json:"can_personal_identification,omitempty"`
	Company                   *Company                   `json:"company,omitempty"`
	Properties                map[string]json.RawMessage `json:"properties,omitempty"`
}

// UnmarshalJSON accepts 80, "80", {…} and null.
func (r *ScenarioRef) UnmarshalJSON(b []byte) error {
	*r = ScenarioRef{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		type plain ScenarioRef
		var p plain
		_ = decodeLenient(b, &p)
		*r = ScenarioRef(p)
		return nil
	}
	var id ID
	_ = id.UnmarshalJSON(b)
	r.ID = int(id)
	return nil
}

// Certificates is a list of certificates; decoding accepts an array
// ("certificates"), a single object ("certificate") or null.
type Certificates []Certificate

// UnmarshalJSON accepts [{…}], {…} and null.
func (l *Certificates) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '[':
		var items []Certificate
		_ = decodeLenient(b, &items)
		*l = items
	case len(b) > 0 && b[0] == '{':
		var c Certificate
		if decodeLenient(b, &c) == nil {
			*l = Certificates{c}
		}
	}
	return nil
}

// LegalEntities is a list of legal entities; decoding accepts an array
// ("legal_entities"), a single object ("legal_entity") or null.
type LegalEntities []LegalEntity

// UnmarshalJSON accepts [{…}], {…} and null.
func (l *LegalEntities) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '[':
		var items []LegalEntity
		_ = decodeLenient(b, &items)
		*l = items
	case len(b) > 0 && b[0] == '{':
		var e LegalEntity
		if decodeLenient(b, &e) == nil {
			*l = LegalEntities{e}
		}
	}
	return nil
}

// Address is a consumer or legal-entity address. Numeric fields are strings
// (leading zeros matter).
type Address struct {
	Type       string `json:"type"` // "permanent" (consumer) or "legal"
	Index      string `json:"index,omitempty"`
	Region     string `json:"region"`
	District   string `json:"district,omitempty"`
	City       string `json:"city"`
	Street     string `json:"street,omitempty"`
	House      string `json:"house,omitempty"`
	Housing    string `json:"housing,omitempty"`
	Building   string `json:"building,omitempty"`
	Apartment  string `json:"apartment,omitempty"`
	FullRegion string `json:"full_region,omitempty"` // response only: "18 Удмуртская Республика"
	FullStreet string `json:"full_street,omitempty"` // response only: "Мира, д. 17"
}

// Identity is an identity document (passport).
type Identity struct {
	Type      string `json:"type"` // "internal-passport"
	Series    string `json:"series,omitempty"`
	Number    string `json:"number,omitempty"`
	IssueCode string `json:"issue_code,omitempty"`
	IssuedBy  string `json:"issued_by,omitempty"`
	Issued    string `json:"issued,omitempty"` // YYYY-MM-DD
}

// Entrepreneur is the individual-entrepreneur block.
type Entrepreneur struct {
	OGRNIP string `json:"ogrnip"`
}

// LegalEntity is the legal-entity block.
type LegalEntity struct {
	Name      string    `json:"name,omitempty"`
	OGRN      string    `json:"ogrn,omitempty"`
	INN       string    `json:"inn,omitempty"`
	KPP       string    `json:"kpp,omitempty"`
	Division  string    `json:"division,omitempty"`
	Position  string    `json:"position,omitempty"`
	Addresses []Address `json:"addresses,omitempty"`
}

// Company is a company reference; decoding accepts an object or a bare id.
type Company struct {
	ID   ID     `json:"id"`
	Name string `json:"name,omitempty"`
	INN  string `json:"inn,omitempty"`
	OGRN string `json:"ogrn,omitempty"`
}

// UnmarshalJSON accepts {…}, 1 and "1".
func (c *Company) UnmarshalJSON(b []byte) error {
	*c = Company{}
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		type plain Company
		var p plain
		_ = decodeLenient(b, &p)
		*c = Company(p)
		c.Name = strings.TrimSpace(c.Name)
		return nil
	}
	return c.ID.UnmarshalJSON(b)
}

// IdentificationPoint is a service point; decoding accepts an object or a bare id.
type IdentificationPoint struct {
	ID         ID     `json:"id"`
	Name       string `json:"name,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Address    string `json:"address,omitempty"`
}

// UnmarshalJSON accepts {…}, 1 and "1".
func (p *IdentificationPoint) UnmarshalJSON(b []byte) error {
	*p = IdentificationPoint{}
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		type plain IdentificationPoint
		var v plain
		_ = decodeLenient(b, &v)
		*p = IdentificationPoint(v)
		p.Name = strings.TrimSpace(p.Name)
		return nil
	}
	return p.ID.UnmarshalJSON(b)
}

// Certificate is a TLS ("auth") or КЭП ("sign") certificate. RequestLink and
// CertificateLink are relative links for Session.Fetch.
type Certificate struct {
	ID              ID              `json:"id"`
	Type            string          `json:"type"`  // CertificateAuth or CertificateSign
	State           string          `json:"state"` // CertificateRequestCreated or CertificateIssued
	IsReceived      bool            `json:"is_received"`
	IsConfirmed     bool            `json:"is_confirmed"`
	NotAfter        string          `json:"not_after,omitempty"`
	RequestData     json.RawMessage `json:"request_data,omitempty"`
	CertificateData json.RawMessage `json:"certificate_data,omitempty"`
	RequestLink     string          `json:"request_link,omitempty"`
	CertificateLink string          `json:"certificate_link,omitempty"`
	KeyPairID       string          `json:"key_pair_id,omitempty"`
}

// Consumer is a consumer (one app activation of a person) as the provider
// returns it. Names are trimmed on decoding (the provider may add spaces).
type Consumer struct {
	ID                   string               `json:"id"`
	LastName             string               `json:"last_name"`
	FirstName            string               `json:"first_name"`
	MiddleName           string               `json:"middle_name"`
	Gender               string               `json:"gender,omitempty"`
	Birthed              string               `json:"birthed,omitempty"`
	SNILS                string               `json:"snils,omitempty"`
	INN                  string               `json:"inn,omitempty"`
	Phone                string               `json:"phone,omitempty"`
	Addresses            []Address            `json:"addresses,omitempty"`
	Identities           []Identity           `json:"identities,omitempty"`
	Space                int                  `json:"space,omitempty"`
	IdentificationInfo   json.RawMessage      `json:"identification_info,omitempty"`
	Created              string               `json:"created,omitempty"`
	Updated              string               `json:"updated,omitempty"`
	State                string               `json:"state,omitempty"` // ConsumerUnvalidated, ConsumerIdentified, …
	IsRemotelyIdentified bool                 `json:"is_remotely_identified,omitempty"`
	Entrepreneur         *Entrepreneur        `json:"entrepreneur,omitempty"`
	LegalEntities        LegalEntities        `json:"legal_entities,omitempty"`
	Certificates         Certificates         `json:"certificates,omitempty"`
	IdentificationPoint  *IdentificationPoint `json:"identification_point,omitempty"`
}

// UnmarshalJSON decodes leniently and trims the names and the state.
func (c *Consumer) UnmarshalJSON(b []byte) error {
	type plain Consumer
	var p plain
	if err := decodeLenient(b, &p); err != nil {
		return err
	}
	*c = Consumer(p)
	c.ID = strings.TrimSpace(c.ID)
	c.LastName = strings.TrimSpace(c.LastName)
	c.FirstName = strings.TrimSpace(c.FirstName)
	c.MiddleName = strings.TrimSpace(c.MiddleName)
	c.State = strings.TrimSpace(c.State)
	return nil
}

// SignCertificate returns the consumer's first КЭП certificate, preferring a confirmed one.
func (c Consumer) SignCertificate() (Certificate, bool) {
	var found *Certificate
	for i := range c.Certificates {
		cert := &c.Certificates[i]
		if cert.Type != CertificateSign {
			continue
		}
		if cert.IsConfirmed {
			return *cert, true
		}
		if found == nil {
			found = cert
		}
	}
	if found == nil {
		return Certificate{}, false
	}
	return *found, true
}

// Document is a document of a signing workflow. Path and Signature are
// relative links for Session.Fetch.
type Document struct {
	ID            ID              `json:"id"`
	Title         string          `json:"title"`
	Description   string          `json:"description,omitempty"`
	Type          string          `json:"type,omitempty"` // "not-rejectable", "normal"
	Path          string          `json:"path,omitempty"`
	Signature     string          `json:"signature,omitempty"`
	Visualization json.RawMessage `json:"visualization,omitempty"`
	IsViewed      bool            `json:"is_viewed"`
	Encrypted     bool            `json:"encrypted"`
	Created       string          `json:"created,omitempty"`
	Updated       string          `json:"updated,omitempty"`
}

// ExternalActivity is the page of an external-activity workflow.
type ExternalActivity struct {
	ID      ID              `json:"id"`
	URL     string          `json:"url"`
	Headers json.RawMessage `json:"headers,omitempty"`
}

// Agent is an agent account (§1.13). Token is only in the create response.
type Agent struct {
	ID                   ID                    `json:"id"`
	Username             string                `json:"username"`
	LastName             string                `json:"last_name,omitempty"`
	FirstName            string                `json:"first_name,omitempty"`
	MiddleName           string                `json:"middle_name,omitempty"`
	Email                string                `json:"email,omitempty"`
	Phone                string                `json:"phone,omitempty"`
	SNILS                string                `json:"snils,omitempty"`
	Position             string                `json:"position,omitempty"`
	UnstructuredIdentity string                `json:"unstructured_identity,omitempty"`
	Token                string                `json:"token,omitempty"`
	Company              *Company              `json:"company,omitempty"`
	IdentificationPoints []IdentificationPoint `json:"identification_points,omitempty"`
	Permissions          []string              `json:"permissions,omitempty"`
	IsActive             *bool                 `json:"is_active,omitempty"`
}

// Credentials returns the agent's credentials for Client.As: its username
// and the token of the create response (add the password to let the client
// re-authenticate when the token expires).
func (a Agent) Credentials() Credentials {
	return Credentials{Username: a.Username, Token: a.Token}
}

// AgentRef is the agent who identified a consumer (in /full and callbacks).
type AgentRef struct {
	Username   string `json:"username"`
	LastName   string `json:"last_name,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
}

// Workflow is a workflow as returned by create, /full, identification search
// and workflow search; each fills a different subset of the fields.
type Workflow struct {
	ID                        ID                   `json:"id"`
	Type                      WorkflowType         `json:"type,omitempty"`
	State                     State                `json:"state,omitempty"`
	StateDisplay              string               `json:"state_display,omitempty"`
	Title                     string               `json:"title,omitempty"`
	Scenario                  ScenarioRef          `json:"scenario"`
	Consumer                  ConsumerRef          `json:"consumer"`
	ConsumerRoleType          string               `json:"consumer_role_type,omitempty"`
	Callback                  string               `json:"callback,omitempty"`
	ExternalID                string               `json:"external_id,omitempty"`
	Group                     json.RawMessage      `json:"group,omitempty"` // a number (create) or {id, title} (search)
	Space                     json.RawMessage      `json:"space,omitempty"`
	SpaceName                 string               `json:"space_name,omitempty"`
	Created                   string               `json:"created,omitempty"`
	Updated                   string               `json:"updated,omitempty"`
	Documents                 []Document           `json:"documents,omitempty"`
	ExternalActivity          *ExternalActivity    `json:"external_activity,omitempty"`
	Entrepreneur              *Entrepreneur        `json:"entrepreneur,omitempty"`
	LegalEntity               LegalEntities        `json:"legal_entity,omitempty"`
	Certificate               Certificates         `json:"certificate,omitempty"`
	Certificates              Certificates         `json:"certificates,omitempty"`
	Extended                  json.RawMessage      `json:"extended,omitempty"`
	Parent                    IDList               `json:"parent,omitempty"`
	ParentIDField             IDList               `json:"parent_id,omitempty"`
	Children                  IDList               `json:"children,omitempty"`
	ChildID                   IDList               `json:"child_id,omitempty"`
	Agent                     *AgentRef            `json:"agent,omitempty"`
	Company                   *Company             `json:"company,omitempty"`
	IdentificationPoint       *IdentificationPoint `json:"identification_point,omitempty"`
	IsRemotelyIdentified      bool                 `json:"is_remotely_identified,omitempty"`
	CanRemotelyIdentification bool                 `json:"can_remotely_identification,omitempty"`
	CanDownloadFinalReport    bool                 `json:"can_download_final_report,omitempty"`
	IsRejectable              *bool                `json:"is_rejectable,omitempty"`
	Autosign                  bool                 `json:"autosign,omitempty"`
	ErrorCode                 json.RawMessage      `json:"error_code,omitempty"`
	ErrorMessage              string               `json:"error_message,omitempty"`
}

// ChildIDs returns the ids of the linked child workflows, from "children" and "child_id".
func (w Workflow) ChildIDs() []int64 { return mergeIDs(w.Children, w.ChildID) }

// ParentID returns the parent workflow id, from "parent" or "parent_id".
func (w Workflow) ParentID() (int64, bool) {
	ids := mergeIDs(w.Parent, w.ParentIDField)
	if len(ids) == 0 {
		return 0, false
	}
	return ids[0], true
}

// AllCertificates returns the certificates of "certificate" and "certificates".
func (w Workflow) AllCertificates() []Certificate {
	return append(append([]Certificate(nil), w.Certificate...), w.Certificates...)
}

func mergeIDs(lists ...IDList) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, l := range lists {
		for _, id := range l {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// StateChangeResult is the answer of a state change (§1.4.4).
type StateChangeResult struct {
	Type              WorkflowType      `json:"type"`
	State             State             `json:"state"`
	StateDisplay      string            `json:"state_display,omitempty"`
	Updated           string            `json:"updated,omitempty"`
	Message           string            `json:"message,omitempty"`
	ErrorMessage      string            `json:"error_message,omitempty"`
	ErrorCode         json.RawMessage   `json:"error_code,omitempty"`
	IdpInfo           string            `json:"idp_info,omitempty"`
	AgentInfo         string            `json:"agent_info,omitempty"`
	AgentExternalData string            `json:"agent_external_data,omitempty"`
	Documents         []Document        `json:"documents,omitempty"`
	ExternalActivity  *ExternalActivity `json:"external_activity,omitempty"`
}

// ConfirmationDocument is a confirmation document of an identification
// workflow (§1.4.3). TemplateURL, TemplateTextURL and Path are relative links.
// The upload answer nests these fields inside "document"; decoding lifts them.
type ConfirmationDocument struct {
	ID              ID     `json:"id"`
	DocumentTitle   string `json:"-"`               // the kind of document asked for, e.g. «Скан паспорта» (document.title)
	State           string `json:"state,omitempty"` // "created", "received"
	Type            string `json:"type,omitempty"`  // "internal-passport"
	Created         string `json:"created,omitempty"`
	Updated         string `json:"updated,omitempty"`
	TemplateURL     string `json:"template_url,omitempty"`
	TemplateTextURL string `json:"template_text_url,omitempty"`
	Title           string `json:"title,omitempty"` // the uploaded file's name
	Path            string `json:"path,omitempty"`
}

// UnmarshalJSON decodes the list shape and the nested upload-answer shape.
func (d *ConfirmationDocument) UnmarshalJSON(b []byte) error {
	type plain ConfirmationDocument
	var outer struct {
		plain
		Document json.RawMessage `json:"document"`
	}
	if err := decodeLenient(b, &outer); err != nil {
		return err
	}
	*d = ConfirmationDocument(outer.plain)
	if len(outer.Document) == 0 || isNull(outer.Document) {
		return nil
	}
	var inner plain
	_ = decodeLenient(outer.Document, &inner)
	// The upload answer repeats "title": first the kind of document, then
	// the file name (L1332, L1339); encoding/json would keep only the last.
	if titles := topLevelStrings(outer.Document, "title"); len(titles) > 1 {
		d.DocumentTitle = titles[0]
		if d.Title == "" {
			d.Title = titles[len(titles)-1]
		}
	} else {
		d.DocumentTitle = inner.Title
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&d.State, inner.State)
	fill(&d.Type, inner.Type)
	fill(&d.Created, inner.Created)
	fill(&d.Updated, inner.Updated)
	fill(&d.TemplateURL, inner.TemplateURL)
	fill(&d.TemplateTextURL, inner.TemplateTextURL)
	fill(&d.Path, inner.Path)
	if d.Title == "" && inner.Path != "" {
		// The nested answer has no title of its own besides document.title;
		// the file name is the last path element.
		d.Title = lastPathElement(inner.Path)
	}
	return nil
}

// topLevelStrings returns every string value of key in a JSON object, in
// order (duplicate keys included); nil if raw is not an object.
func topLevelStrings(raw json.RawMessage, key string) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		if k, _ := t.(string); k == key {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

func lastPathElement(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// DocumentScan is a scan asked for by a certificate-issuing workflow (§1.5).
type DocumentScan struct {
	ID               ID     `json:"id"`
	DocumentTitle    string `json:"document_title,omitempty"`
	TemplateURL      string `json:"template_url,omitempty"`
	TemplateTextURL  string `json:"template_text_url,omitempty"`
	DocumentReceived bool   `json:"document_received"`
	Title            string `json:"title,omitempty"`
	Path             string `json:"path,omitempty"`
	Created          string `json:"created,omitempty"`
	Updated          string `json:"updated,omitempty"`
}

// DocumentScans is the scan list of a workflow with its links.
type DocumentScans struct {
	Scans            []DocumentScan `json:"scans"`
	ID               ID             `json:"id"`
	ParentID         IDList         `json:"parent_id,omitempty"`
	ChildID          IDList         `json:"child_id,omitempty"`
	ConsumerID       string         `json:"consumer_id,omitempty"`
	ConsumerRoleType string         `json:"consumer_role_type,omitempty"`
}

// RemoveResult is the answer of a workflow removal: which ids were removed.
type RemoveResult struct {
	WorkflowIDList []int64 `json:"workflow_id_list"`
	SuccessIDList  []int64 `json:"success_id_list"`
	ErrorIDList    []int64 `json:"error_id_list"`
}

// page is a paginated result.
type page[T any] struct {
	Count    int    `json:"count"`
	Next     string `json:"next"`
	Previous string `json:"previous"`
	Results  []T    `json:"results"`
}
