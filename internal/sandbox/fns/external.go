package fns

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
)

// External activity (scenario 102, §1.2.5).
const (
	TypeExternalActivity     = "external-activity"
	StateProcessingExternal  = "processing-external-activity"
	StateWaitExternalReview  = "wait-external-review"
	ScenarioExternalActivity = 102 // ScenarioExternalActivity opens a web page inside the app (L608).

	// ExternalReviewMarker in the page URL's path (any case) makes the
	// activity wait for the external system's review once the person has
	// opened the page (Config.ExternalActivityDelay after the create).
	ExternalReviewMarker = "sandbox-review"
	// ExternalRejectMarker in the page URL's path (any case) makes the
	// external system reject the activity once the person has opened the page.
	ExternalRejectMarker = "sandbox-reject"
	// ExternalRejectedMessage is the error_message of a rejected external
	// activity (the sandbox's text).
	ExternalRejectedMessage = "Внешняя система отклонила результат внешней активности"

	titleExternalActivity = "WebView 545" // sic, the example (L633)
	msgURL                = "Введите правильный URL."
	msgNotADict           = "Ожидался словарь элементов."
)

// externalActivity is the page of an external activity.
type externalActivity struct {
	id      int64
	url     string
	headers map[string]string
}

// json renders the external_activity block (L611–617).
func (a *externalActivity) json() map[string]any {
	h := map[string]string{}
	maps.Copy(h, a.headers)
	return map[string]any{"id": a.id, "url": a.url, "headers": h}
}

// activityBody is the {url, headers} of an external activity.
type activityBody struct {
	URL     jstr            `json:"url"`
	Headers json.RawMessage `json:"headers"`
}

// readActivity checks the page of an external activity: the nested
// external_activity block when there is one (the top-level url and
// headers are then ignored), else the top-level url and headers (A16); it
// adds the errors to e, under "external_activity" for the block.
func readActivity(in *createBody, e errs) *externalActivity {
	nested := len(in.ExternalActivity) > 0 && string(in.ExternalActivity) != "null"
	body := activityBody{URL: in.URL, Headers: in.Headers}
	if nested {
		body = activityBody{}
		if json.Unmarshal(in.ExternalActivity, &body) != nil {
			e.add("external_activity", msgNotADict)
			return nil
		}
	}
	fe := errs{}
	page := strings.TrimSpace(string(body.URL))
	if fe.required("url", body.URL) && !absoluteHTTP(page) {
		fe.add("url", msgURL)
	}
	headers, ok := readHeaders(body.Headers)
	if !ok {
		fe.add("headers", msgNotADict)
	}
	switch {
	case len(fe) == 0:
		return &externalActivity{url: page, headers: headers}
	case nested:
		e["external_activity"] = map[string]any(fe)
	default:
		maps.Copy(e, fe)
	}
	return nil
}

// absoluteHTTP reports whether u is an absolute http or https URL with a host.
func absoluteHTTP(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// readHeaders reads headers: absent or null, or a JSON object of string
// (or number) values.
func readHeaders(raw json.RawMessage) (map[string]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]string{}, true
	}
	var m map[string]jstr
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out, true
}

// createExternalActivity serves POST /api/rb/workflow for scenario 102;
// the caller holds s.mu.
func (s *Sandbox) createExternalActivity(w http.ResponseWriter, in *createBody, scenario int, ext string, e errs) {
	c := s.consumerOf(in.Consumer, e)
	page := readActivity(in, e)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	if consumerRefused(w, c, msgNotIdentified) {
		return
	}
	wf := s.newWorkflow(TypeExternalActivity, scenario, StateProcessingExternal, titleExternalActivity, c, in.Callback, ext)
	page.id = s.nextID()
	wf.activity = page
	s.addWorkflow(wf)
	if page.marker() != "" {
		s.scheduleEvent(wf, s.cfg.ExternalActivityDelay, evPageOpened)
	}
	s.advance()
	writeResult(w, wf.createJSON())
}

// marker is the test value in the page URL's path, or "".
func (a *externalActivity) marker() string {
	p, _ := url.Parse(a.url)
	path := strings.ToLower(p.Path)
	for _, m := range []string{ExternalRejectMarker, ExternalReviewMarker} {
		if strings.Contains(path, m) {
			return m
		}
	}
	return ""
}

// pageOpened is the person opening the page and acting on it, for a test
// value: the external system's review, or its rejection; the caller holds s.mu.
func (s *Sandbox) pageOpened(wf *workflow) {
	s.touch(wf.consumer)
	switch wf.activity.marker() {
	case ExternalReviewMarker:
		s.transition(wf, StateWaitExternalReview)
	case ExternalRejectMarker:
		wf.errorMessage = ptr(ExternalRejectedMessage)
		s.transition(wf, StateRejected)
	}
}

// completeExternalActivity serves the complete_external_activity command:
// from processing-external-activity or wait-external-review to complete
// (the answer of L1457–1483); the caller holds s.mu.
func (s *Sandbox) completeExternalActivity(w http.ResponseWriter, wf *workflow) {
	s.touch(wf.consumer)
	if wf.typ != TypeExternalActivity || (wf.state != StateProcessingExternal && wf.state != StateWaitExternalReview) {
		writeNonField(w, msgWrongState)
		return
	}
	wf.events = nil
	s.transition(wf, StateComplete)
	writeResult(w, map[string]any{"type": wf.typ, "error_message": nil, "error_code": nil, "updated": ts(wf.updated),
		"state": wf.state, "state_display": stateDisplay[wf.state], "message": nil, "idp_info": nil, "agent_info": nil,
		"documents": []any{}, "encrypted_documents": nil, "external_activity": wf.activity.json(), "agent_external_data": nil})
}
