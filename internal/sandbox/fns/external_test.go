package fns_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// activity is a scenario-102 body in the example's nested form (L602–617).
func activity(consumerID, callback, url string) map[string]any {
	return map[string]any{"scenario": 102, "consumer": consumerID, "callback": callback,
		"external_activity": map[string]any{"url": url, "headers": map[string]any{"MyAuthHeader": "asd123mnbb--htdgDsdg+J3vfsjhfsff"}}}
}

// completeActivity sends complete_external_activity (spelled as given) to id.
func (e *env) completeActivity(id int64, tok, command string) (int, map[string]any) {
	e.t.Helper()
	return e.do("PUT", path("workflow", id, "state"), tok, map[string]any{"state": command})
}

func TestExternalActivityCompletedByThePartner(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	ident, _, agentTok := e.identified(rcv.srv.URL)
	consumerID := e.consumerOf(ident)
	const page = "https://www.whatismybrowser.com/detect/what-http-headers-is-my-browser-sending"
	id, r := e.create(activity(consumerID, rcv.srv.URL, page))
	ea := r["external_activity"].(map[string]any)
	require.NotZero(t, ea["id"])
	require.Equal(t, map[string]any{"id": ea["id"], "url": page, "headers": map[string]any{"MyAuthHeader": "asd123mnbb--htdgDsdg+J3vfsjhfsff"}}, ea)
	require.Equal(t, "WebView 545", r["title"])
	require.Equal(t, "processing-external-activity", r["state"])
	require.Equal(t, float64(102), r["scenario"])
	require.Equal(t, consumerID, r["consumer"])
	require.Equal(t, float64(1), r["space"])
	full := e.full(id, e.token)
	require.Equal(t, "external-activity", full["type"])
	require.Equal(t, "Работа с внешним порталом", full["state_display"])
	require.Equal(t, ea, full["external_activity"])

	// Without a test value the page is opened and nothing else happens.
	e.clock.Advance(10 * step)
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "processing-external-activity", w.State)

	// Agents may not end it; nor may it end another workflow.
	st, body := e.completeActivity(id, agentTok, "complete_external_activity")
	require.Equal(t, http.StatusForbidden, st, "%v", body)
	st, body = e.completeActivity(ident, e.token, "complete_external_activity")
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"non_field_errors": []any{"Действие недоступно в текущем статусе потока работ"}}, body["error"])

	st, body = e.completeActivity(id, e.token, "complete-external-activity") // the table's spelling too
	require.Equal(t, 200, st, "%v", body)
	res := result(t, body)
	require.Equal(t, map[string]any{"type": "external-activity", "error_message": nil, "error_code": nil,
		"updated": res["updated"], "state": "complete", "state_display": "Завершено", "message": nil, "idp_info": nil,
		"agent_info": nil, "documents": []any{}, "encrypted_documents": nil, "external_activity": ea,
		"agent_external_data": nil}, res, "the answer of L1457–1483")
	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(id, "complete") == 1 }, waitFor, tick)
	require.Equal(t, "external-activity:complete", rcv.states()[len(rcv.states())-1])
	st, _ = e.completeActivity(id, e.token, "complete_external_activity")
	require.Equal(t, 400, st, "complete is final")
}

func TestExternalActivityTopLevelFieldsAndErrors(t *testing.T) {
	e := newEnv(t, nil)
	ident, _, _ := e.identified("")
	consumerID := e.consumerOf(ident)
	_, r := e.create(map[string]any{"scenario": "102", "consumer": consumerID, "url": "http://partner.example/a",
		"headers": map[string]any{"X-Token": "t1"}}) // the table's top-level form (A16)
	require.Equal(t, map[string]any{"X-Token": "t1"}, r["external_activity"].(map[string]any)["headers"])
	require.Equal(t, "http://partner.example/a", r["external_activity"].(map[string]any)["url"])
	both := activity(consumerID, "", "https://partner.example/nested")
	both["url"] = "https://partner.example/top"
	_, r = e.create(both)
	require.Equal(t, "https://partner.example/nested", r["external_activity"].(map[string]any)["url"], "the nested block wins")

	require.Equal(t, map[string]any{"url": []any{"Это поле обязательно."}},
		e.badCreate(map[string]any{"scenario": 102, "consumer": consumerID}))
	require.Equal(t, map[string]any{"external_activity": map[string]any{"url": []any{"Введите правильный URL."}}},
		e.badCreate(activity(consumerID, "", "/form")))
	require.Equal(t, map[string]any{"external_activity": map[string]any{"url": []any{"Введите правильный URL."}}},
		e.badCreate(activity(consumerID, "", "ftp://partner.example/form")))
	require.Equal(t, map[string]any{"headers": []any{"Ожидался словарь элементов."}},
		e.badCreate(map[string]any{"scenario": 102, "consumer": consumerID, "url": "https://partner.example/",
			"headers": []any{"X-Token: t1"}}))
	require.Equal(t, map[string]any{"external_activity": []any{"Ожидался словарь элементов."}},
		e.badCreate(map[string]any{"scenario": 102, "consumer": consumerID, "external_activity": "https://partner.example/"}))
	pending, _ := e.create(registration("Петров", ""))
	require.Equal(t, map[string]any{"consumer": []any{"Клиент не прошёл идентификацию"}},
		e.badCreate(activity(e.consumerOf(pending), "", "https://partner.example/")))
}

func TestExternalActivityReviewedThenCompleted(t *testing.T) {
	e := newEnv(t, func(c *sandbox.Config) { c.ExternalActivityDelay = 3 * step })
	ident, _, _ := e.identified("")
	id, _ := e.create(activity(e.consumerOf(ident), "", "https://partner.example/"+sandbox.ExternalReviewMarker+"/42"))
	e.clock.Advance(3*step - 1)
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "processing-external-activity", w.State)
	e.advanceTo(1, id, "wait-external-review")
	require.Equal(t, "Ожидание ревью оператора внешней системы", e.full(id, e.token)["state_display"])
	st, body := e.completeActivity(id, e.token, "complete_external_activity")
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, "complete", result(t, body)["state"])
}

func TestExternalActivityRejected(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	ident, _, _ := e.identified(rcv.srv.URL)
	id, _ := e.create(activity(e.consumerOf(ident), rcv.srv.URL, "https://partner.example/Sandbox-Reject"))
	e.advanceTo(sandbox.DefaultExternalActivityDelay, id, "rejected")
	w, _ := e.sb.Workflow(id)
	require.Equal(t, sandbox.ExternalRejectedMessage, w.ErrorMessage)
	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(id, "rejected") == 1 }, waitFor, tick)
	cb := rcv.got()[len(rcv.got())-1].body
	require.Equal(t, "external-activity", cb["type"])
	require.Equal(t, sandbox.ExternalRejectedMessage, cb["error_message"])
	st, body := e.completeActivity(id, e.token, "complete_external_activity")
	require.Equal(t, 400, st, "%v", body)
}
