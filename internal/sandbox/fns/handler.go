package fns

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Test values: a registration whose consumer.last_name is one of these
// fails the SMEV check of that name after Config.SMEVDelay (compared
// trimmed and case-insensitively).
const (
	LastNameSMEVSNILS    = "Смэвснилс"   // LastNameSMEVSNILS fails «Валидация ФИО-СНИЛС».
	LastNameSMEVINN      = "Смэвинн"     // LastNameSMEVINN fails «Валидация ФИО-ИНН ФЛ».
	LastNameSMEVPassport = "Смэвпаспорт" // LastNameSMEVPassport fails «Проверка действительности паспорта».

	// LastNameTemporarily blocks the consumer "temporarily" (§1.12) at the
	// SMEV step, for Config.TemporaryBlock.
	LastNameTemporarily = "Временный"
)

// TemporarilyBlockedMessage is the error_message of the identification
// rejected because its consumer was blocked temporarily (the sandbox's text).
const TemporarilyBlockedMessage = "Клиент временно заблокирован"

// isTemporarily reports whether a last name is the temporary-block test value.
func isTemporarily(lastName jstr) bool {
	return strings.EqualFold(strings.TrimSpace(string(lastName)), LastNameTemporarily)
}

// The documented SMEV messages (§2.4, L2919, L2935, L2952).
const (
	SMEVSNILSMessage    = "Не пройдены проверки: Валидация ФИО-СНИЛС"
	SMEVINNMessage      = "Не пройдены проверки: Валидация ФИО-ИНН ФЛ"
	SMEVPassportMessage = "Не пройдены проверки: Проверка действительности паспорта"
)

// smevFailureOf returns the SMEV message a last name steers to, or "".
func smevFailureOf(lastName jstr) string {
	switch strings.ToLower(strings.TrimSpace(string(lastName))) {
	case strings.ToLower(LastNameSMEVSNILS):
		return SMEVSNILSMessage
	case strings.ToLower(LastNameSMEVINN):
		return SMEVINNMessage
	case strings.ToLower(LastNameSMEVPassport):
		return SMEVPassportMessage
	}
	return ""
}

// Handler returns the HTTP handler of the partner API.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rb/auth", s.handleAuth)
	mux.HandleFunc("POST /api/rb/auth/{$}", s.handleAuth)
	a := func(pattern string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.authed(h)) }
	a("POST /api/rb/workflow", s.handleCreate)
	a("POST /api/rb/workflow/{$}", s.handleCreate)
	a("POST /api/rb/workflow/fns", s.handleSimplifiedSigning)
	a("POST /api/rb/workflow/fns/{$}", s.handleSimplifiedSigning)
	a("GET /api/rb/workflow", s.handleWorkflowSearch)
	a("GET /api/rb/workflow/{$}", s.handleWorkflowSearch)
	a("PUT /api/rb/workflow/remove", s.handleWorkflowRemove)
	a("PUT /api/rb/workflow/remove/{$}", s.handleWorkflowRemove)
	a("GET /api/rb/workflow/{id}/full", s.handleFull)
	a("POST /api/rb/workflow/identification/search", s.handleIdentificationSearch)
	a("POST /api/rb/workflow/identification/search/{$}", s.handleIdentificationSearch)
	a("GET /api/rb/workflow/{id}/confirmation-document", s.handleConfDocList)
	a("PUT /api/rb/confirmation-document/{id}", s.handleConfDocUpload)
	a("GET /api/rb/confirmation-document/{id}/path/{title}", s.handleConfDocFile)
	a("GET /api/rb/confirmation-document/{id}/template", s.handleConfDocTemplate)
	a("GET /api/rb/confirmation-document/{id}/template-text", s.handleConfDocTemplate)
	a("GET /api/rb/confirmation-document/{id}/template-tex", s.handleConfDocTemplate)
	a("PUT /api/rb/workflow/{id}/state", s.handleState)
	a("GET /api/rb/workflow/{id}/document-scan", s.handleScanList)
	a("GET /api/rb/workflow/{id}/document", s.handleSignedDocuments)
	a("GET /api/rb/document/{id}/path/{title}", s.handleDocumentFile)
	a("GET /api/rb/document/{id}/signature/{name}", s.handleSignatureFile)
	a("POST /api/rb/signatures-merge", s.handleSignaturesMerge)
	a("POST /api/rb/signatures-merge/{$}", s.handleSignaturesMerge)
	a("PUT /api/rb/document-scan/{id}", s.handleScanUpload)
	a("GET /api/rb/document-scan/{id}/path/{title}", s.handleScanFile)
	a("GET /api/rb/document-scan/{id}/template", s.handleScanTemplate)
	a("GET /api/rb/document-scan/{id}/template-text", s.handleScanTemplate)
	a("PUT /api/rb/workflow/{id}/certificate", s.handleCertificateUpload)
	a("GET /api/rb/certificate/{id}/certificate_file", s.handleCertificateFile)
	a("GET /api/rb/certificate/{id}/request_file", s.handleCertificateFile)
	a("POST /api/rb/consumer/{consumer_id}/push_notification", s.handlePush)
	a("POST /api/rb/consumer/{consumer_id}/push_notification/{$}", s.handlePush)
	a("POST /api/rb/certificate/revoke", s.handleRevoke)
	a("POST /api/rb/certificate/revoke/{$}", s.handleRevoke)
	a("POST /api/rb/consumer/search", s.handleConsumerSearch)
	a("POST /api/rb/consumer/search/{$}", s.handleConsumerSearch)
	a("POST /api/rb/staff/agent", s.handleAgentCreate)
	a("POST /api/rb/staff/agent/{$}", s.handleAgentCreate)
	a("GET /api/rb/staff/agent", s.handleAgentList)
	a("GET /api/rb/staff/agent/{$}", s.handleAgentList)
	a("PUT /api/rb/staff/agent/{id}", s.handleAgentUpdate)
	return mux
}

// createBody is the POST /api/rb/workflow body of every scenario.
type createBody struct {
	Scenario     jstr            `json:"scenario"`
	Callback     jstr            `json:"callback"`
	ExternalID   jstr            `json:"external_id"`
	Consumer     json.RawMessage `json:"consumer"`     // Consumer is the person (80) or a consumer UUID (the others).
	Entrepreneur *entrepreneur   `json:"entrepreneur"` // Entrepreneur (80, 84) is the ИП block.
	LegalEntity  *legalEntity    `json:"legal_entity"` // LegalEntity (80, 84, 82/88) is the ЮЛ block.
	Backref      jstr            `json:"backref"`      // Backref (82/88) is accepted and not used.
	Data         json.RawMessage `json:"data"`         // Data (82/88) is accepted and not used.
	Documents    json.RawMessage `json:"documents"`    // Documents are those to sign (82/88).
	// ExternalActivity (102) is {url, headers}, the example's form (L607);
	// URL and Headers, the table's top-level form (L316–321), stand in for it (A16).
	ExternalActivity json.RawMessage `json:"external_activity"`
	URL              jstr            `json:"url"`
	Headers          json.RawMessage `json:"headers"`
}

// creator creates the workflow of a scenario after registration from a
// validated external id ext and the common fields' errors e; it answers
// itself; the caller holds s.mu.
type creator func(s *Sandbox, w http.ResponseWriter, in *createBody, scenario int, ext string, e errs)

// creators are the scenarios after registration, by number.
var creators = map[int]creator{
	ScenarioDocumentSigning:   (*Sandbox).createSigning,
	ScenarioDocumentSigningLE: (*Sandbox).createSigning,
	ScenarioExtraSignature:    (*Sandbox).createExtraSignature,
	ScenarioExternalActivity:  (*Sandbox).createExternalActivity,
	ScenarioPause:             (*Sandbox).createPause,
}

// beginCreate starts a create as the partner: it decodes the body into
// in, takes s.mu and answers a repeated external id with the workflow it
// made. On ok the caller holds s.mu and defers s.unlock(r); else beginCreate
// answered (and left the lock).
func (s *Sandbox) beginCreate(w http.ResponseWriter, r *http.Request, in any, externalID *jstr) (string, bool) {
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return "", false
	}
	if !decode(w, r, in) {
		return "", false
	}
	ext := strings.TrimSpace(string(*externalID))
	s.mu.Lock()
	if ext != "" {
		s.creates[ext]++
		s.dirtyCreates[ext] = true
		if wf, ok := s.byExternal[ext]; ok {
			writeResult(w, wf.createJSON())
			s.unlock(r)
			return "", false
		}
	}
	return ext, true
}

// handleCreate serves POST /api/rb/workflow: scenario 80, and 82/88 (createSigning).
func (s *Sandbox) handleCreate(w http.ResponseWriter, r *http.Request) {
	var in createBody
	ext, ok := s.beginCreate(w, r, &in, &in.ExternalID)
	if !ok {
		return
	}
	defer s.unlock(r)
	e := errs{}
	scenario := 0
	if e.required("scenario", in.Scenario) {
		n, err := strconv.Atoi(string(in.Scenario))
		if err != nil || (n != ScenarioRegistration && creators[n] == nil) {
			e.add("scenario", msgUnknownScenario)
		}
		scenario = n
	}
	if ext != "" && !validUUID(ext) {
		e.add("external_id", msgUUID)
	}
	if create := creators[scenario]; create != nil {
		if ext == "" {
			ext = uuid.NewString()
		}
		create(s, w, &in, scenario, ext, e)
		return
	}
	var p person
	if len(in.Consumer) == 0 || string(in.Consumer) == "null" {
		e.add("consumer", msgRequired)
	} else if err := json.Unmarshal(in.Consumer, &p); err != nil {
		e.add("consumer", msgBadJSON)
	} else if pe := validatePerson(&p); len(pe) > 0 {
		e["consumer"] = map[string]any(pe)
	}
	if in.Entrepreneur != nil && in.LegalEntity != nil {
		e.add("non_field_errors", "Укажите либо entrepreneur, либо legal_entity")
	}
	if in.Entrepreneur != nil {
		if ee := validateEntrepreneur(in.Entrepreneur); len(ee) > 0 {
			e["entrepreneur"] = map[string]any(ee)
		}
	}
	if in.LegalEntity != nil {
		if le := validateLegalEntity(in.LegalEntity); len(le) > 0 {
			e["legal_entity"] = map[string]any(le)
		}
	}
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	if s.isBlocked(&p) {
		writeError(w, http.StatusBadRequest, map[string]any{"consumer": []string{msgBlocked}})
		return
	}
	if ext == "" {
		ext = uuid.NewString()
	}
	c := s.newConsumer(p)
	c.entrepreneur, c.legalEntity = in.Entrepreneur, in.LegalEntity
	now := s.now()
	wf := &workflow{id: s.nextID(), typ: TypeIdentification, scenario: ScenarioRegistration, state: StateWaitPKCS10,
		title: titleIdentification, consumer: c, callback: string(in.Callback), externalID: ext, created: now, updated: now,
		smevFailure: smevFailureOf(p.LastName), temporarily: isTemporarily(p.LastName), searchedBy: map[string]bool{}}
	s.addWorkflow(wf)
	s.scheduleEvent(wf, s.cfg.SMEVDelay, evSMEV)
	s.scheduleEvent(wf, s.cfg.InstallDelay, evInstalled)
	s.advance()
	writeResult(w, wf.createJSON())
}

// addWorkflow registers wf, which completes its consumer's active pauses
// (A18); the caller holds s.mu.
func (s *Sandbox) addWorkflow(wf *workflow) {
	s.cfg.Counts.Add(CountWorkflow, wf.externalID)
	s.completePauses(wf.consumer)
	s.workflows[wf.id] = wf
	s.order = append(s.order, wf)
	s.byConsumer[wf.consumer.id] = append(s.byConsumer[wf.consumer.id], wf)
	s.touch(wf.consumer)
	if wf.externalID != "" {
		s.byExternal[wf.externalID] = wf
	}
}

// isBlocked reports whether a blocked or temporarily blocked consumer
// shares p's SNILS, INN or passport series and number; the caller holds s.mu.
func (s *Sandbox) isBlocked(p *person) bool {
	for _, c := range s.consumers {
		if c.state != ConsumerBlocked && c.state != ConsumerTemporarily {
			continue
		}
		q := &c.person
		if q.SNILS == p.SNILS || q.INN == p.INN {
			return true
		}
		for _, a := range q.Identities {
			for _, b := range p.Identities {
				if a.Series == b.Series && a.Number == b.Number {
					return true
				}
			}
		}
	}
	return false
}

// pathID parses the integer path value name.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil
}

// visible returns the workflow of the path for the caller: the partner sees
// every workflow, an agent those its identification search found (and
// their children); a removed workflow is 404 «Поток работ не найден». It
// answers 404 itself; the caller holds s.mu.
func (s *Sandbox) visible(w http.ResponseWriter, r *http.Request) *workflow {
	id, ok := pathID(r, "id")
	wf := s.workflows[id]
	if ok && wf != nil && wf.removed {
		writeDetail(w, http.StatusNotFound, msgWorkflowNotFound)
		return nil
	}
	if !ok || wf == nil || !s.canSee(caller(r), wf) {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return nil
	}
	s.touch(wf.consumer) // what the caller may see, the handler may change
	return wf
}

// canSee reports whether acc may act on wf; the caller holds s.mu.
func (s *Sandbox) canSee(acc *account, wf *workflow) bool {
	if wf.removed {
		return false
	}
	if acc.partner {
		return true
	}
	root := wf
	for root.parent != nil {
		root = root.parent
	}
	return root.searchedBy[acc.username]
}

// handleFull serves GET /api/rb/workflow/{id}/full.
func (s *Sandbox) handleFull(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	if wf := s.visible(w, r); wf != nil {
		writeResult(w, wf.fullJSON())
	}
}
