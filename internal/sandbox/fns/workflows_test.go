package fns_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// signed drives a registration to a completed certificate-issuing child
// and returns the identification and child ids.
func (e *env) signed(callback string) (id, child int64) {
	t := e.t
	t.Helper()
	id, child, agentTok := e.identified(callback)
	e.advanceTo(3*step, child, "wait-scan-upload")
	st, body := e.do("GET", path("workflow", child, "document-scan"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	for _, s := range result(t, body)["scans"].([]any) {
		st, body = e.do("PUT", path("document-scan", s.(map[string]any)["id"]), agentTok, map[string]any{"title": "Cert.jpg", "path": "/9j/4AAQ"})
		require.Equal(t, 200, st, "%v", body)
	}
	st, body = e.do("PUT", path("workflow", child, "state"), e.token, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 200, st, "%v", body)
	return id, child
}

// searchWorkflows runs GET /api/rb/workflow with query and returns the result ids.
func (e *env) searchWorkflows(query string) (map[string]any, []int64) {
	e.t.Helper()
	st, body := e.do("GET", "/api/rb/workflow"+query, e.token, nil)
	require.Equal(e.t, 200, st, "%v", body)
	r := result(e.t, body)
	var ids []int64
	for _, x := range r["results"].([]any) {
		ids = append(ids, int64(x.(map[string]any)["id"].(float64)))
	}
	require.EqualValues(e.t, len(ids), r["count"])
	require.Nil(e.t, r["next"])
	require.Nil(e.t, r["previous"])
	return r, ids
}

// removeWorkflows runs PUT /api/rb/workflow/remove and returns its result.
func (e *env) removeWorkflows(ids ...int64) map[string]any {
	e.t.Helper()
	if ids == nil {
		ids = []int64{}
	}
	st, body := e.do("PUT", "/api/rb/workflow/remove", e.token, map[string]any{"workflow_id_list": ids})
	require.Equal(e.t, 200, st, "%v", body)
	return result(e.t, body)
}

// consumerOf is the consumer id of workflow id.
func (e *env) consumerOf(id int64) string {
	w, ok := e.sb.Workflow(id)
	require.True(e.t, ok)
	return w.ConsumerID
}

func TestWorkflowSearchByConsumerAndType(t *testing.T) {
	e := newEnv(t, nil)
	done, child, agentTok := e.identified("")
	a, _ := e.create(registration("Иванов", ""))
	b, _ := e.create(registration("Иванов", ""))
	ca, cb, cd := e.consumerOf(a), e.consumerOf(b), e.consumerOf(done)

	r, ids := e.searchWorkflows("?consumer=" + ca + "," + cb + "&type=identification")
	require.Equal(t, []int64{b, a}, ids) // newest first, as the example
	got := r["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"created", "updated"} {
		require.NotEmpty(t, got[k])
		delete(got, k)
	}
	require.Equal(t, map[string]any{"id": float64(b), "type": "identification", "state": "wait-pkcs10",
		"state_display": "Ожидание запроса на сертификат",
		"scenario": map[string]any{"id": float64(80), "title": "Пройдите идентификации", "can_personal_identification": true,
			"properties": map[string]any{"has_reservation": "true", "button_name": "Получить!1"}},
		"consumer": map[string]any{"id": cb, "last_name": "Иванов", "first_name": "Иван", "middle_name": "Иванович",
			"identification_point": nil, "is_remotely_identified": false},
		"consumer_role_type": "natural_entity", "parent": nil, "can_remotely_identification": false,
		"extended": map[string]any{"identification": map[string]any{"identification_by_agent": map[string]any{
			"title": "Очная идентификация", "show": true,
			"details": "Вам необходимо лично явиться в отделение Удостоверяющего центра для подтверждения вашей личности. При себе необходимо иметь паспорт."}}},
		"certificate": nil, "is_rejectable": nil, "autosign": false,
		"group": map[string]any{"id": float64(1), "title": "Регистрация бизнеса"}, "company": nil}, got)

	// The identified consumer: its identification and its certificate-issuing child.
	r, ids = e.searchWorkflows("?consumer=" + cd)
	require.Equal(t, []int64{child, done}, ids)
	kid := r["results"].([]any)[0].(map[string]any)
	require.Equal(t, "certificate-issuing", kid["type"])
	require.Equal(t, float64(done), kid["parent"])
	require.NotContains(t, kid, "extended")
	idf := r["results"].([]any)[1].(map[string]any)
	require.Equal(t, "complete", idf["state"])
	require.Equal(t, "auth", idf["certificate"].(map[string]any)["type"])
	require.Equal(t, "Центр идентификации", idf["consumer"].(map[string]any)["identification_point"].(map[string]any)["name"])
	_, ids = e.searchWorkflows("?consumer=" + cd + "&type=certificate-issuing")
	require.Equal(t, []int64{child}, ids)
	_, ids = e.searchWorkflows("?type=identification")
	require.Equal(t, []int64{b, a, done}, ids)
	_, ids = e.searchWorkflows("/")
	require.Equal(t, []int64{b, a, child, done}, ids)
	_, ids = e.searchWorkflows("?consumer=6e408708-f912-4af5-bf7d-1efeb0a64cf8")
	require.Empty(t, ids)

	st, body := e.do("GET", "/api/rb/workflow?consumer="+cd, agentTok, nil)
	require.Equal(t, http.StatusForbidden, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "У вас недостаточно прав для выполнения данного действия."}}, body)
}

func TestWorkflowRemoveStopsTheProcess(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	id, _ := e.create(registration("Иванов", rcv.srv.URL))
	keep, _ := e.create(registration("Иванов", rcv.srv.URL))
	require.Equal(t, map[string]any{"workflow_id_list": []any{float64(id)}, "success_id_list": []any{float64(id)},
		"error_id_list": []any{}}, e.removeWorkflows(id))

	st, body := e.do("GET", path("workflow", id, "full"), e.token, nil)
	require.Equal(t, http.StatusNotFound, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Поток работ не найден"}}, body)
	st, _ = e.do("GET", path("workflow", id, "confirmation-document"), e.token, nil)
	require.Equal(t, http.StatusNotFound, st)
	_, ids := e.searchWorkflows("?consumer=" + e.consumerOf(id) + "," + e.consumerOf(keep))
	require.Equal(t, []int64{keep}, ids)

	// The other goes on to wait for the agent; the removed one neither moves nor calls back.
	e.advanceTo(3*step, keep, "wait-consumer-identification")
	require.Eventually(t, func() bool { return len(rcv.states()) == 1 }, waitFor, tick)
	require.Equal(t, float64(keep), rcv.got()[0].body["id"])
	e.clock.Advance(10 * step)
	require.Never(t, func() bool { return len(rcv.got()) > 1 }, 50*tick, tick)
	w, _ := e.sb.Workflow(id)
	require.True(t, w.Removed)
	require.Equal(t, "wait-pkcs10", w.State)
	require.Equal(t, 1, e.sb.WorkflowCount())

	// Removed twice: an error, still 200.
	require.Equal(t, map[string]any{"workflow_id_list": []any{float64(id)}, "success_id_list": []any{},
		"error_id_list": []any{float64(id)}}, e.removeWorkflows(id))
}

func TestWorkflowRemoveDropsUndeliveredCallbacks(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return 500 })
	e := newEnv(t, func(c *sandbox.Config) { c.RetrySchedule = []time.Duration{time.Second} })
	id, _ := e.create(registration(sandbox.LastNameSMEVINN, rcv.srv.URL))
	e.advanceTo(step, id, "rejected")
	require.Eventually(t, func() bool { return e.sb.Callbacks()[0].Attempts == 1 }, waitFor, tick)
	require.Equal(t, []any{float64(id)}, e.removeWorkflows(id)["success_id_list"]) // a rejected workflow can be removed
	e.clock.Advance(time.Second)
	require.Eventually(t, func() bool { return e.sb.Callbacks()[0].Dropped }, waitFor, tick)
	require.Equal(t, 1, e.sb.Callbacks()[0].Attempts)
	require.Len(t, rcv.got(), 1)
}

func TestWorkflowRemovePartial(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	done, signed := e.signed(rcv.srv.URL)
	open, _ := e.create(registration("Иванов", rcv.srv.URL))
	require.Equal(t, map[string]any{"workflow_id_list": []any{float64(open), float64(signed)},
		"success_id_list": []any{float64(open)}, "error_id_list": []any{float64(signed)}}, e.removeWorkflows(open, signed))
	require.Equal(t, "complete", e.full(signed, e.token)["state"])

	// Nor a completed identification (it issued a certificate), nor an
	// unknown id, nor one given twice.
	other, _ := e.create(registration("Иванов", ""))
	require.Equal(t, map[string]any{"workflow_id_list": []any{float64(done), float64(other), 999.0, float64(other)},
		"success_id_list": []any{float64(other)}, "error_id_list": []any{float64(done), 999.0, float64(other)}},
		e.removeWorkflows(done, other, 999, other))
	e.full(done, e.token)

	// A certificate-issuing child not yet complete can be removed; it stops there.
	e = newEnv(t, nil)
	_, child, _ := e.identified("")
	require.Equal(t, []any{float64(child)}, e.removeWorkflows(child)["success_id_list"])
	e.clock.Advance(10 * step)
	require.Never(t, func() bool { w, _ := e.sb.Workflow(child); return w.State != "wait-pkcs10" }, 50*tick, tick)
}

func TestWorkflowRemoveValidationAndRights(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.create(registration("Иванов", ""))
	st, body := e.do("PUT", "/api/rb/workflow/remove", e.token, map[string]any{})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"workflow_id_list": []any{"Это поле обязательно."}}}, body)
	st, body = e.do("PUT", "/api/rb/workflow/remove", e.token, map[string]any{"workflow_id_list": []any{"x"}})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"workflow_id_list": []any{"Требуется целочисленное значение."}}}, body)
	require.Equal(t, map[string]any{"workflow_id_list": []any{}, "success_id_list": []any{}, "error_id_list": []any{}}, e.removeWorkflows([]int64{}...))

	_, agentTok := e.newAgent("agent_remover", "16145625759", []string{"consumer_identify", "create_new_agent"}, []int{1})
	st, body = e.do("PUT", "/api/rb/workflow/remove/", agentTok, map[string]any{"workflow_id_list": []int64{id}})
	require.Equal(t, http.StatusForbidden, st)
	require.True(t, strings.HasPrefix(body["error"].(map[string]any)["detail"].(string), "У вас недостаточно прав"))
	e.full(id, e.token)
}
