package fns

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Texts of the workflow search result (L2260–2290) and of the removal.
const (
	searchScenarioButton = "Получить!1" // sic, the document's example
	searchByAgentTitle   = "Очная идентификация"
	searchByAgentDetails = "Вам необходимо лично явиться в отделение Удостоверяющего центра для подтверждения вашей личности. При себе необходимо иметь паспорт."
	searchGroupTitle     = "Регистрация бизнеса"
	msgInteger           = "Требуется целочисленное значение."
)

// handleWorkflowSearch serves GET /api/rb/workflow?consumer={uuid},{uuid}&type=… (§1.11).
func (s *Sandbox) handleWorkflowSearch(w http.ResponseWriter, r *http.Request) {
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	q := r.URL.Query()
	var consumers map[string]bool
	if v := q.Get("consumer"); strings.TrimSpace(v) != "" {
		consumers = map[string]bool{}
		for _, id := range strings.Split(v, ",") {
			if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
				consumers[id] = true
			}
		}
	}
	typ := strings.TrimSpace(q.Get("type"))
	s.mu.Lock()
	defer s.unlock(r)
	res := []any{}
	for _, wf := range slices.Backward(s.order) { // newest first, as the example
		if wf.removed || (consumers != nil && !consumers[wf.consumer.id]) || (typ != "" && wf.typ != typ) {
			continue
		}
		res = append(res, wf.searchJSON())
	}
	writeResult(w, map[string]any{"count": len(res), "next": nil, "previous": nil, "results": res})
}

// searchJSON renders a workflow of the workflow search (L2236–2290).
func (w *workflow) searchJSON() map[string]any {
	var cert any
	if w.cert != nil {
		cert = w.cert.json()
	}
	scTitle := w.scenarioTitle()
	c := w.consumer
	var pnt any
	if c.point != nil {
		pnt = c.point
	}
	var company any
	if w.agent != nil || w.idpInfo != nil {
		company = map[string]any{"id": CompanyID, "name": partnerCompanyName, "inn": partnerCompanyINN, "ogrn": partnerCompanyOGRN}
	}
	m := map[string]any{"id": w.id, "type": w.typ, "state": w.state, "state_display": stateDisplay[w.state],
		"scenario": map[string]any{"id": w.scenario, "title": scTitle, "can_personal_identification": w.typ == TypeIdentification,
			"properties": map[string]any{"has_reservation": "true", "button_name": searchScenarioButton}},
		"consumer": map[string]any{"id": c.id, "last_name": string(c.person.LastName), "first_name": string(c.person.FirstName),
			"middle_name": nullable(c.person.MiddleName), "identification_point": pnt, "is_remotely_identified": false},
		"created": ts(w.created), "updated": ts(w.updated), "consumer_role_type": "natural_entity",
		"parent": idOrNil(w.parent), "can_remotely_identification": false, "certificate": cert,
		"is_rejectable": nil, "autosign": false, "group": map[string]any{"id": 1, "title": searchGroupTitle}, "company": company}
	if w.typ == TypeIdentification {
		m["extended"] = map[string]any{"identification": map[string]any{"identification_by_agent": map[string]any{
			"title": searchByAgentTitle, "details": searchByAgentDetails, "show": true}}}
	}
	return m
}

// handleWorkflowRemove serves PUT /api/rb/workflow/remove (§1.11): every
// id is tried on its own, and the answer is 200 with the ids that were
// removed and those that were not.
func (s *Sandbox) handleWorkflowRemove(w http.ResponseWriter, r *http.Request) {
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in struct {
		List *[]jstr `json:"workflow_id_list"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.List == nil {
		writeError(w, http.StatusBadRequest, map[string]any{"workflow_id_list": []string{msgRequired}})
		return
	}
	ids := make([]int64, 0, len(*in.List))
	for _, v := range *in.List {
		id, err := strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, map[string]any{"workflow_id_list": []string{msgInteger}})
			return
		}
		ids = append(ids, id)
	}
	s.mu.Lock()
	defer s.unlock(r)
	ok, bad := []int64{}, []int64{}
	for _, id := range ids {
		if s.remove(s.workflows[id]) {
			ok = append(ok, id)
		} else {
			bad = append(bad, id)
		}
	}
	writeResult(w, map[string]any{"workflow_id_list": ids, "success_id_list": ok, "error_id_list": bad})
}

// remove removes wf unless it is unknown, already removed or complete:
// its pending steps and undelivered callbacks are dropped and it is gone
// from /full, the search and every other call; the caller holds s.mu.
func (s *Sandbox) remove(wf *workflow) bool {
	if wf == nil || wf.removed || wf.state == StateComplete {
		return false
	}
	s.touch(wf.consumer)
	wf.removed = true
	wf.events = nil
	if s.byExternal[wf.externalID] == wf {
		delete(s.byExternal, wf.externalID)
	}
	return true
}

// removedWorkflow reports whether the callback of workflow id is to be
// dropped because the workflow was removed; the caller holds s.mu.
func (s *Sandbox) removedWorkflow(id int64) bool {
	wf := s.workflows[id]
	return wf != nil && wf.removed
}
