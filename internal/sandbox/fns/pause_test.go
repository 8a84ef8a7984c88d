package fns_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// pause is a scenario-134 body.
func pause(consumerID, callback string) map[string]any {
	return map[string]any{"scenario": 134, "consumer": consumerID, "callback": callback, "external_id": uuid.NewString()}
}

// badCreate posts body and returns the error object of its 400.
func (e *env) badCreate(body map[string]any) map[string]any {
	e.t.Helper()
	st, out := e.do("POST", "/api/rb/workflow", e.token, body)
	require.Equal(e.t, http.StatusBadRequest, st, "%v", out)
	return out["error"].(map[string]any)
}

func TestPauseRefusesConsumersNotReady(t *testing.T) {
	e := newEnv(t, nil)
	require.Equal(t, map[string]any{"consumer": []any{"Это поле обязательно."}}, e.badCreate(map[string]any{"scenario": 134}))
	require.Equal(t, map[string]any{"consumer": []any{"Недопустимый первичный ключ - объект не существует."}},
		e.badCreate(pause(uuid.NewString(), "")))
	pending, _ := e.create(registration("Иванов", ""))
	require.Equal(t, map[string]any{"consumer": []any{"Клиент не прошёл идентификацию"}},
		e.badCreate(pause(e.consumerOf(pending), "")))
	blocked, _ := e.create(registration(sandbox.LastNameSMEVSNILS, ""))
	e.advanceTo(step, blocked, "rejected")
	require.Equal(t, map[string]any{"consumer": []any{"Данный клиент заблокирован. Выполнение операции невозможно"}},
		e.badCreate(pause(e.consumerOf(blocked), "")))
}

func TestPauseCompletesWhenTheNextWorkflowStarts(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	id, _, _ := e.identified(rcv.srv.URL)
	consumerID := e.consumerOf(id)
	in := pause(consumerID, rcv.srv.URL)
	first, r := e.create(in)
	require.Equal(t, map[string]any{"id": float64(first), "scenario": float64(134), "consumer": consumerID,
		"external_id": in["external_id"], "group": float64(1), "space": float64(1), "title": "Ожидайте поступления документов",
		"state": "active", "created": r["created"], "updated": r["updated"]}, r, "the answer of L656–668")
	full := e.full(first, e.token)
	require.Equal(t, "blank", full["type"])
	require.Equal(t, "active", full["state"])
	require.Equal(t, "Активен", full["state_display"])
	st, body := e.do("GET", "/api/rb/workflow?type=blank&consumer="+consumerID, e.token, nil)
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, float64(1), result(t, body)["count"])

	// A repeated external_id answers the pause again and starts nothing (A1).
	again, r2 := e.create(in)
	require.Equal(t, first, again)
	require.Equal(t, "active", r2["state"])
	require.Equal(t, 2, e.sb.Creates(in["external_id"].(string)))

	// Another pause completes the first one, with its callback.
	second, _ := e.create(pause(consumerID, rcv.srv.URL))
	w, _ := e.sb.Workflow(first)
	require.Equal(t, "complete", w.State)
	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(first, "complete") == 1 }, waitFor, tick)
	cb := rcv.got()[len(rcv.got())-1].body
	require.Equal(t, map[string]any{"id": float64(first), "state": "complete", "type": "blank", "parent_id": nil,
		"consumer": consumerID, "child_id": nil, "external_id": in["external_id"], "error_code": nil, "error_message": nil}, cb)

	// Any scenario completes it: here an external activity.
	w, _ = e.sb.Workflow(second)
	require.Equal(t, "active", w.State)
	e.badCreate(activity(consumerID, "", "/relative"))
	w, _ = e.sb.Workflow(second)
	require.Equal(t, "active", w.State, "a refused create starts nothing")
	e.create(activity(consumerID, "", "https://partner.example/form"))
	w, _ = e.sb.Workflow(second)
	require.Equal(t, "complete", w.State)
	require.Equal(t, "complete", e.full(second, e.token)["state"])
	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(second, "complete") == 1 }, waitFor, tick)
	require.Equal(t, []string{"identification:installed", "identification:complete", "blank:complete", "blank:complete"}, rcv.states())
}
