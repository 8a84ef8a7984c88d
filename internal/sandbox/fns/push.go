package fns

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Push is a push notification the partner sent to a consumer's app (§1.9).
type Push struct {
	ConsumerID string
	Title      string
	Message    string
	WorkflowID int64     // WorkflowID is the workflow the app opens from the push; 0 when none.
	At         time.Time // At is when it was received, by Config.Clock.
}

// Pushes returns the pushes sent to a consumer, in order.
func (s *Sandbox) Pushes(consumerID string) []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Push
	for _, p := range s.pushes {
		if p.ConsumerID == consumerID {
			out = append(out, p)
		}
	}
	return out
}

// handlePush serves POST /api/rb/consumer/{consumer_id}/push_notification/:
// 200 {"result":{}} (A23) once recorded; the app is simulated, so nothing
// is shown anywhere.
func (s *Sandbox) handlePush(w http.ResponseWriter, r *http.Request) {
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in struct {
		Title      jstr `json:"title"`
		Message    jstr `json:"message"`
		WorkflowID jstr `json:"workflow_id"`
	}
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	c := s.consumers[r.PathValue("consumer_id")]
	if c == nil {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	e := errs{}
	e.required("title", in.Title)
	e.required("message", in.Message)
	wfID := s.pushWorkflow(c, in.WorkflowID, e)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	s.pushes = append(s.pushes, Push{ConsumerID: c.id, Title: string(in.Title), Message: string(in.Message),
		WorkflowID: wfID, At: s.now()})
	writeResult(w, map[string]any{})
}

// pushWorkflow checks the optional workflow_id of a push (a number or a
// string of digits, L2616): a workflow of c that was not removed; it adds
// the error to e; the caller holds s.mu.
func (s *Sandbox) pushWorkflow(c *consumer, v jstr, e errs) int64 {
	raw := strings.TrimSpace(string(v))
	if raw == "" {
		return 0
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		e.add("workflow_id", msgInteger)
		return 0
	}
	if wf := s.workflows[id]; wf == nil || wf.removed || wf.consumer != c {
		e.add("workflow_id", `Недопустимый первичный ключ "`+raw+`" - объект не существует.`)
		return 0
	}
	return id
}
