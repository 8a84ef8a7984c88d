package fns

import (
	"crypto/ecdsa"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Workflow types and states (wire spelling, with hyphens).
const (
	TypeIdentification     = "identification"
	TypeCertificateIssuing = "certificate-issuing"

	StateWaitPKCS10          = "wait-pkcs10"
	StateWaitIdentification  = "wait-consumer-identification"
	StateWaitSecretKey       = "wait-secret-key"
	StateCertificateIssue    = "certificate-issue"
	StateWaitScanUpload      = "wait-scan-upload"
	StateComplete            = "complete"
	StateRejected            = "rejected"
	StateError               = "error"
	StateInstalled           = "installed" // StateInstalled is a callback-only state.
	ConsumerUnvalidated      = "unvalidated"
	ConsumerIdentified       = "identified"
	ConsumerBlocked          = "blocked"
	ConsumerTemporarily      = "temporarily"
	CertAuth                 = "auth"
	CertSign                 = "sign"
	CertRequestCreated       = "request-created"
	CertIssued               = "issued"
	ConfDocCreated           = "created"
	ConfDocReceived          = "received"
	titleIdentification      = "Пройдите идентификацию"
	titleIdentificationFull  = "Пройдите идентификации" // sic, the /full example (L1061)
	titleIdentificationDone  = "Идентификация завершена"
	titleCertificateIssuing  = "Получите сертификат КЭП"
	titleCertificateIssued   = "Сертификат КЭП выпущен"
	scanPhotoTitle           = "Фотография клиента с подписанным сертификатом в руках"
	scanFormTitle            = "Скан подписанного сертификата КЭП ФЛ"
	confDocPassportTitle     = "Скан паспорта"
	identificationByAgent    = "Личное обращение в пункт идентификации"
	partnerCompanyName       = "Заказчик"
	partnerCompanyINN        = "3123456448"
	partnerCompanyOGRN       = "1193123017042"
	defaultIdentificationPnt = "Центр идентификации"
)

// stateDisplay is the state_display of each state (the document's where it has one).
var stateDisplay = map[string]string{
	StateWaitPKCS10:         "Ожидание запроса на сертификат",
	StateWaitIdentification: "Ожидание идентификации клиента",
	StateWaitSecretKey:      "Ожидание ключа защиты",
	StateCertificateIssue:   "Выпуск сертификата",
	StateWaitScanUpload:     "Ожидание загрузки документов",
	StateWaitSignature:      "Ожидание подписания документов",
	StateSignRejected:       "Отказ от подписания",
	StateActive:             "Активен",
	StateProcessingExternal: "Работа с внешним порталом",
	StateWaitExternalReview: "Ожидание ревью оператора внешней системы",
	StateComplete:           "Завершено",
	StateRejected:           "Отклонено",
	StateError:              "Ошибка",
}

// finalStates are the states callbacks are sent for by default (L2786).
func isFinal(state string) bool {
	return state == StateComplete || state == StateRejected || state == StateError
}

// jstr is a "numeric" or text field: a JSON string or number, kept as text.
type jstr string

func (j *jstr) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*j = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*j = jstr(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*j = jstr(n.String())
	return nil
}

// address is a consumer's or legal entity's address.
type address struct {
	Type      jstr `json:"type"`
	Index     jstr `json:"index"`
	Region    jstr `json:"region"`
	District  jstr `json:"district"`
	City      jstr `json:"city"`
	Street    jstr `json:"street"`
	House     jstr `json:"house"`
	Housing   jstr `json:"housing"`
	Building  jstr `json:"building"`
	Apartment jstr `json:"apartment"`
}

// identity is a passport.
type identity struct {
	Type      jstr `json:"type"`
	Series    jstr `json:"series"`
	Number    jstr `json:"number"`
	IssueCode jstr `json:"issue_code"`
	IssuedBy  jstr `json:"issued_by"`
	Issued    jstr `json:"issued"`
}

// person is the consumer block of a registration.
type person struct {
	Citizenship jstr       `json:"citizenship"`
	LastName    jstr       `json:"last_name"`
	FirstName   jstr       `json:"first_name"`
	MiddleName  jstr       `json:"middle_name"`
	Gender      jstr       `json:"gender"`
	Birthed     jstr       `json:"birthed"`
	SNILS       jstr       `json:"snils"`
	INN         jstr       `json:"inn"`
	Phone       jstr       `json:"phone"`
	Addresses   []address  `json:"addresses"`
	Identities  []identity `json:"identities"`
}

// fullName is "Фамилия Имя Отчество".
func (p *person) fullName() string {
	return strings.Join(strings.Fields(string(p.LastName+" "+p.FirstName+" "+p.MiddleName)), " ")
}

// entrepreneur is the ИП block.
type entrepreneur struct {
	OGRNIP jstr `json:"ogrnip"`
}

// legalEntity is the ЮЛ block.
type legalEntity struct {
	Name      jstr      `json:"name"`
	OGRN      jstr      `json:"ogrn"`
	INN       jstr      `json:"inn"`
	KPP       jstr      `json:"kpp"`
	Division  jstr      `json:"division"`
	Position  jstr      `json:"position"`
	Addresses []address `json:"addresses"`
}

// consumer is one activation of the app by a person.
type consumer struct {
	id           string
	seq          int64 // seq orders consumers by activation
	person       person
	entrepreneur *entrepreneur
	legalEntity  *legalEntity
	state        string
	created      time.Time
	updated      time.Time
	point        *point
	certs        []*certificate
	// legalEntities are the legal entities of the signatures scenario 84
	// issued (consumer search lists them after the registration's one).
	legalEntities []*legalEntity
	blockedUntil  time.Time // blockedUntil ends a temporary block; zero when it never ends
	// signKeys are the person's signing (КЭП) private keys by certificate id,
	// made and kept by the simulated app; persisted, never served.
	signKeys map[int64]*ecdsa.PrivateKey
}

// newConsumer registers a consumer; the caller holds s.mu.
func (s *Sandbox) newConsumer(p person) *consumer {
	now := s.now()
	c := &consumer{id: uuid.NewString(), seq: s.nextID(), person: p, state: ConsumerUnvalidated, created: now, updated: now,
		signKeys: map[int64]*ecdsa.PrivateKey{}}
	s.consumers[c.id] = c
	s.touch(c)
	return c
}

// point is an identification point.
type point struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	ExternalID *string `json:"external_id"`
	Address    string  `json:"-"`
}

// points are the sandbox's identification points.
var points = map[int64]*point{
	1: {ID: 1, Name: defaultIdentificationPnt, Address: "г. Москва, ул. Тестовая, д. 1"},
	4: {ID: 4, Name: "Пункт идентификации № 4", Address: "г. Ижевск, ул. Пушкинская, д. 4"},
}

// certificate is an auth (TLS) or sign (КЭП) certificate of a consumer.
type certificate struct {
	id          int64
	typ         string
	state       string
	isConfirmed bool
	csr         []byte // csr is the PKCS#10 DER
	subject     map[string]string
	der         []byte // der is the issued certificate, nil until issued
	notAfter    time.Time
	serial      string
	issuer      map[string]string
}

// confDoc is a confirmation document of an identification.
type confDoc struct {
	id       int64
	workflow *workflow
	title    string // file name, "" until uploaded
	content  []byte
	state    string
	created  time.Time
	updated  time.Time
}

// scan is a document scan of a certificate issuance.
type scan struct {
	id       int64
	workflow *workflow
	docTitle string
	template bool
	title    string
	content  []byte
	created  time.Time
	updated  time.Time
}

// event is a scheduled step of a workflow.
type event struct {
	at   time.Time
	kind string
}

// Event kinds.
const (
	evSMEV         = "smev"
	evInstalled    = "installed"
	evPKCS10       = "pkcs10"
	evSecretKey    = "secret-key"
	evIssue        = "issue"
	evSign         = "sign"          // evSign: the person signs or refuses a document-signing workflow.
	evSignRejected = "sign-rejected" // evSignRejected: sign-rejected → rejected.
	evPageOpened   = "page-opened"   // evPageOpened: the person opens an external activity's page.
)

// workflow is an identification or certificate-issuing process.
type workflow struct {
	id           int64
	typ          string
	scenario     int
	state        string
	title        string
	consumer     *consumer
	callback     string
	externalID   string
	created      time.Time
	updated      time.Time
	parent       *workflow
	child        *workflow
	errorMessage *string
	smevFailure  string // smevFailure is the SMEV message the checks will end with, "" when they pass
	temporarily  bool   // temporarily blocks the consumer temporarily at the SMEV step
	cert         *certificate
	confDocs     []*confDoc
	scans        []*scan
	docs         []*signDoc      // docs are a document-signing workflow's documents
	searchedBy   map[string]bool // usernames of the agents whose identification search found it
	agent        *agent
	point        *point
	idpInfo      *string
	agentInfo    *string
	agentExtra   *string
	events       []event
	removed      bool // removed is set by PUT /workflow/remove
	// entrepreneur or legalEntity is whom a scenario-84 signature is for.
	entrepreneur *entrepreneur
	legalEntity  *legalEntity
	activity     *externalActivity // activity is the page of an external activity (scenario 102)
}

// schedule adds a step of w at now+d; the caller holds s.mu.
func (s *Sandbox) scheduleEvent(w *workflow, d time.Duration, kind string) {
	s.touch(w.consumer)
	at := s.now().Add(d)
	w.events = append(w.events, event{at: at, kind: kind})
	s.dueAt(at)
}

// dueAt tells advance that something falls due at at; the caller holds s.mu.
func (s *Sandbox) dueAt(at time.Time) {
	if at.Before(s.nextDue) {
		s.nextDue = at
	}
}

// ts formats a response timestamp (RFC 3339 UTC with microseconds).
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// nullable returns nil for "" and s otherwise, for JSON null.
func nullable(s jstr) any {
	if s == "" {
		return nil
	}
	return string(s)
}

// regionNames gives full_region for the regions of the document's examples.
var regionNames = map[string]string{
	"18": "Удмуртская Республика", "52": "Нижегородская область", "77": "г. Москва", "78": "г. Санкт-Петербург",
	"50": "Московская область", "31": "Белгородская область",
}

// addressJSON renders an address as the responses do.
func addressJSON(a address) map[string]any {
	m := map[string]any{"type": string(a.Type), "index": nullable(a.Index), "region": string(a.Region),
		"city": string(a.City), "street": nullable(a.Street), "house": nullable(a.House),
		"apartment": nullable(a.Apartment)}
	for k, v := range map[string]jstr{"district": a.District, "housing": a.Housing, "building": a.Building} {
		if v != "" {
			m[k] = string(v)
		}
	}
	full := string(a.Region)
	if n, ok := regionNames[full]; ok {
		full += " " + n
	}
	m["full_region"] = full
	switch {
	case a.Street != "" && a.House != "":
		m["full_street"] = string(a.Street) + ", д. " + string(a.House)
	case a.Street != "" && a.Apartment != "":
		m["full_street"] = string(a.Street) + ", кв. " + string(a.Apartment)
	case a.Street != "":
		m["full_street"] = string(a.Street)
	}
	return m
}

// identityJSON renders a passport.
func identityJSON(i identity) map[string]any {
	return map[string]any{"type": string(i.Type), "series": string(i.Series), "number": string(i.Number),
		"issue_code": string(i.IssueCode), "issued_by": string(i.IssuedBy), "issued": string(i.Issued)}
}

// consumerJSON renders the consumer object of the create response and /full.
func (c *consumer) json() map[string]any {
	p := &c.person
	addrs := make([]any, 0, len(p.Addresses))
	for _, a := range p.Addresses {
		addrs = append(addrs, addressJSON(a))
	}
	ids := make([]any, 0, len(p.Identities))
	for _, i := range p.Identities {
		ids = append(ids, identityJSON(i))
	}
	m := map[string]any{"id": c.id, "last_name": string(p.LastName), "first_name": string(p.FirstName),
		"middle_name": nullable(p.MiddleName), "gender": string(p.Gender), "birthed": string(p.Birthed),
		"snils": string(p.SNILS), "inn": string(p.INN), "phone": string(p.Phone), "addresses": addrs,
		"identities": ids, "space": 1, "identification_info": nil, "created": ts(c.created),
		"updated": ts(c.updated), "state": c.state, "is_remotely_identified": false}
	if p.Citizenship != "" {
		m["citizenship"] = string(p.Citizenship)
	}
	return m
}

// searchJSON renders the consumer of consumer search (§1.12).
func (c *consumer) searchJSON() map[string]any {
	m := c.json()
	var ent any
	if c.entrepreneur != nil {
		ent = map[string]any{"ogrnip": string(c.entrepreneur.OGRNIP)}
	}
	m["entrepreneur"] = ent
	les := []any{}
	for _, le := range c.allLegalEntities() {
		les = append(les, legalEntityJSON(le))
	}
	m["legal_entities"] = les
	certs := []any{}
	for _, ce := range c.certs {
		certs = append(certs, ce.json())
	}
	m["certificates"] = certs
	if c.point != nil {
		m["identification_point"] = c.point
	} else {
		m["identification_point"] = nil
	}
	return m
}

// allLegalEntities are the registration's legal entity, then those of the
// signatures scenario 84 issued, one per INN.
func (c *consumer) allLegalEntities() []*legalEntity {
	var out []*legalEntity
	seen := map[jstr]bool{}
	for _, le := range append([]*legalEntity{c.legalEntity}, c.legalEntities...) {
		if le != nil && !seen[le.INN] {
			seen[le.INN] = true
			out = append(out, le)
		}
	}
	return out
}

// legalEntityJSON renders a legal entity.
func legalEntityJSON(le *legalEntity) map[string]any {
	addrs := []any{}
	for _, a := range le.Addresses {
		addrs = append(addrs, addressJSON(a))
	}
	return map[string]any{"name": string(le.Name), "ogrn": string(le.OGRN), "inn": string(le.INN),
		"kpp": nullable(le.KPP), "division": nullable(le.Division), "position": string(le.Position), "addresses": addrs}
}

// json renders a certificate object (§1.6).
func (c *certificate) json() map[string]any {
	m := map[string]any{"id": c.id, "type": c.typ, "state": c.state, "is_received": c.csr != nil,
		"is_confirmed": c.isConfirmed, "not_after": nil, "certificate_data": nil, "request_data": nil,
		"request_link": nil, "certificate_link": nil, "key_pair_id": c.id}
	if c.csr != nil {
		m["request_data"] = map[string]any{"subject": c.subject}
		m["request_link"] = "/api/rb/certificate/" + strconv.FormatInt(c.id, 10) + "/request_file"
	}
	if c.der != nil {
		m["not_after"] = c.notAfter.UTC().Format(time.RFC3339)
		m["certificate_data"] = map[string]any{"issuer": c.issuer, "serial": c.serial, "subject": c.subject}
		m["certificate_link"] = "/api/rb/certificate/" + strconv.FormatInt(c.id, 10) + "/certificate_file"
	}
	return m
}

// scenarioTitle is the scenario title of /full and workflow search.
func (w *workflow) scenarioTitle() string {
	switch {
	case w.scenario == ScenarioExtraSignature:
		return w.holderTitle(titleEntrepreneurCert, titleLegalEntityCert)
	case w.typ == TypeCertificateIssuing:
		return titleCertificateIssuing
	case w.typ == TypeDocumentSigning:
		return titleDocumentSigning
	case w.typ == TypeBlank:
		return titlePause
	case w.typ == TypeExternalActivity:
		return titleExternalActivity
	}
	return titleIdentificationFull
}

// idOrNil is a workflow's id, or nil.
func idOrNil(w *workflow) any {
	if w == nil {
		return nil
	}
	return w.id
}

// children is the children list of w.
func (w *workflow) children() []int64 {
	if w.child == nil {
		return []int64{}
	}
	return []int64{w.child.id}
}

// createJSON renders the create response (L390–434; additional signature
// L456–471; signing L497–533; external activity L622–640; pause L656–668).
func (w *workflow) createJSON() map[string]any {
	m := map[string]any{"id": w.id, "scenario": w.scenario, "consumer": w.consumer.id, "callback": nullable(jstr(w.callback)),
		"external_id": w.externalID, "group": 1, "space": 1, "title": w.title, "state": w.state,
		"created": ts(w.created), "updated": ts(w.updated)}
	switch {
	case w.typ == TypeDocumentSigning:
		docs := make([]any, 0, len(w.docs))
		for _, d := range w.docs {
			docs = append(docs, d.json(false))
		}
		m["space"], m["documents"] = 2, docs
	case w.scenario == ScenarioExtraSignature:
		m["space"] = 2
	case w.typ == TypeExternalActivity:
		m["external_activity"] = w.activity.json()
	case w.typ == TypeBlank:
		delete(m, "callback") // the example (L656–668) has none
	default: // registration: the identification and its child
		m["consumer"] = w.consumer.json()
	}
	return m
}

// agentJSON is the agent block of /full and callbacks.
func (w *workflow) agentJSON() any {
	if w.agent == nil {
		return nil
	}
	a := w.agent
	return map[string]any{"username": a.username, "last_name": a.lastName, "first_name": a.firstName, "middle_name": nullable(jstr(a.middleName))}
}

// pointJSON is the identification point block, or nil.
func (w *workflow) pointJSON() any {
	if w.point == nil {
		return nil
	}
	return w.point
}

// fullJSON renders GET /workflow/{id}/full (L1052–1232).
func (w *workflow) fullJSON() map[string]any {
	var errMsg any
	if w.errorMessage != nil {
		errMsg = *w.errorMessage
	}
	var cert any
	if w.cert != nil {
		cert = w.cert.json()
	}
	var ent, le any
	if e := w.holderEntrepreneur(); e != nil {
		ent = map[string]any{"ogrnip": string(e.OGRNIP)}
	}
	if l := w.holderLegalEntity(); l != nil {
		le = legalEntityJSON(l)
	}
	scTitle := w.scenarioTitle()
	var company any
	if w.agent != nil || w.idpInfo != nil {
		company = map[string]any{"id": CompanyID, "name": partnerCompanyName, "inn": partnerCompanyINN, "ogrn": partnerCompanyOGRN}
	}
	m := map[string]any{"id": w.id, "type": w.typ, "state": w.state, "state_display": stateDisplay[w.state],
		"scenario": map[string]any{"id": w.scenario, "title": scTitle, "can_personal_identification": w.typ == TypeIdentification,
			"company": map[string]any{"id": CompanyID, "name": partnerCompanyName, "inn": partnerCompanyINN, "ogrn": partnerCompanyOGRN}},
		"consumer_role_type": "natural_entity", "consumer": w.consumer.json(), "entrepreneur": ent, "legal_entity": le,
		"certificate": cert, "created": ts(w.created), "updated": ts(w.updated), "parent": idOrNil(w.parent),
		"children": w.children(), "title": w.title, "is_remotely_identified": false, "can_remotely_identification": false,
		"space_name": "fns", "company": company, "agent": w.agentJSON(), "identification_point": w.pointJSON(),
		"can_download_final_report": false, "external_id": w.externalID, "error_message": errMsg, "error_code": nil,
		"idp_info": w.idpInfo, "agent_info": w.agentInfo, "agent_external_data": w.agentExtra}
	if w.typ == TypeIdentification {
		m["extended"] = map[string]any{"identification": map[string]any{"identification_by_agent": map[string]any{
			"title": identificationByAgent, "show": true}}}
	}
	if w.activity != nil {
		m["external_activity"] = w.activity.json()
	}
	return m
}

// holderEntrepreneur is the entrepreneur /full shows: a scenario-84
// workflow's own, else the consumer's.
func (w *workflow) holderEntrepreneur() *entrepreneur {
	if w.scenario == ScenarioExtraSignature {
		return w.entrepreneur
	}
	return w.consumer.entrepreneur
}

// holderLegalEntity is the legal entity /full shows: a scenario-84
// workflow's own, else the consumer's registration one.
func (w *workflow) holderLegalEntity() *legalEntity {
	if w.scenario == ScenarioExtraSignature {
		return w.legalEntity
	}
	return w.consumer.legalEntity
}
