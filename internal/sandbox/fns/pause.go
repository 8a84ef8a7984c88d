package fns

import "net/http"

// Pause (scenario 134, type blank, §1.2.4).
const (
	TypeBlank     = "blank"
	StateActive   = "active" // StateActive is a pause's state until the next workflow of its consumer starts.
	ScenarioPause = 134      // ScenarioPause tells the person to wait (L643).

	titlePause = "Ожидайте поступления документов"

	// msgNotIdentified refuses scenarios 84, 102 and 134 for a consumer
	// whose registration is not complete (the sandbox's text, A17).
	msgNotIdentified = "Клиент не прошёл идентификацию"
)

// newWorkflow returns a workflow of a scenario after registration, created
// now and not yet added; the caller holds s.mu.
func (s *Sandbox) newWorkflow(typ string, scenario int, state, title string, c *consumer, callback jstr, ext string) *workflow {
	now := s.now()
	return &workflow{id: s.nextID(), typ: typ, scenario: scenario, state: state, title: title, consumer: c,
		callback: string(callback), externalID: ext, created: now, updated: now, searchedBy: map[string]bool{}}
}

// createPause serves POST /api/rb/workflow for scenario 134: a blank
// workflow, active until the next workflow of its consumer starts; the
// caller holds s.mu.
func (s *Sandbox) createPause(w http.ResponseWriter, in *createBody, scenario int, ext string, e errs) {
	c := s.consumerOf(in.Consumer, e)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	if consumerRefused(w, c, msgNotIdentified) {
		return
	}
	wf := s.newWorkflow(TypeBlank, scenario, StateActive, titlePause, c, in.Callback, ext)
	s.addWorkflow(wf)
	writeResult(w, wf.createJSON())
}

// completePauses completes c's active pauses, as a new workflow of c
// starts (A18); the caller holds s.mu.
func (s *Sandbox) completePauses(c *consumer) {
	for _, wf := range s.order {
		if wf.typ == TypeBlank && wf.state == StateActive && !wf.removed && wf.consumer == c {
			s.transition(wf, StateComplete)
		}
	}
}
