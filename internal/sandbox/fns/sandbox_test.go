package fns_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

func TestAuthTokenAndBasic(t *testing.T) {
	e := newEnv(t, nil)
	require.Len(t, e.token, 40)

	// The same token again, as DRF's token auth does.
	st, body := e.do("POST", "/api/rb/auth", "", map[string]any{"username": partnerUser, "password": partnerPass})
	require.Equal(t, 200, st)
	require.Equal(t, e.token, result(t, body)["token"])

	st, body = e.do("POST", "/api/rb/auth", "", map[string]any{"username": partnerUser, "password": "wrong"})
	require.Equal(t, http.StatusUnauthorized, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Недопустимые имя пользователя или пароль."}}, body)

	st, body = e.do("POST", "/api/rb/auth", "", map[string]any{"username": partnerUser})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"password": []any{"Это поле обязательно."}}}, body)

	st, body = e.do("POST", "/api/rb/staff/agent", "bad-token", map[string]any{})
	require.Equal(t, http.StatusUnauthorized, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Недопустимый токен."}}, body)

	st, body = e.do("GET", "/api/rb/staff/agent", "", nil)
	require.Equal(t, http.StatusUnauthorized, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Учетные данные не были предоставлены."}}, body)

	// Basic auth on every call.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/rb/staff/agent", nil)
	req.SetBasicAuth(partnerUser, partnerPass)
	st, body = e.send(req)
	require.Equal(t, 200, st, "%v", body)
	require.EqualValues(t, 0, result(t, body)["count"])

	req, _ = http.NewRequest("GET", e.srv.URL+"/api/rb/staff/agent", nil)
	req.SetBasicAuth(partnerUser, "nope")
	st, body = e.send(req)
	require.Equal(t, http.StatusUnauthorized, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Недопустимые имя пользователя или пароль."}}, body)
}

func TestCreateRegistration(t *testing.T) {
	e := newEnv(t, nil)
	in := registration("Иванов", "")
	in["scenario"] = "80" // the sandbox accepts the scenario as a string too
	id, r := e.create(in)
	require.Equal(t, "wait-pkcs10", r["state"])
	require.EqualValues(t, 80, r["scenario"])
	require.Equal(t, "Пройдите идентификацию", r["title"])
	require.Equal(t, in["external_id"], r["external_id"])
	c := r["consumer"].(map[string]any)
	require.Equal(t, "unvalidated", c["state"])
	require.Equal(t, "18 Удмуртская Республика", c["addresses"].([]any)[0].(map[string]any)["full_region"])
	require.Len(t, c["id"], 36)

	full := e.full(id, e.token)
	require.Equal(t, "identification", full["type"])
	require.Equal(t, "wait-pkcs10", full["state"])
	require.Equal(t, []any{}, full["children"])
	require.Nil(t, full["parent"])
	require.Nil(t, full["certificate"])
	require.Equal(t, "natural_entity", full["consumer_role_type"])

	// Without external_id the server makes one.
	delete(in, "external_id")
	_, r2 := e.create(in)
	require.Len(t, r2["external_id"], 36)
}

func TestCreateIdempotentByExternalID(t *testing.T) {
	e := newEnv(t, nil)
	in := registration("Иванов", "")
	id, first := e.create(in)
	id2, again := e.create(in)
	require.Equal(t, id, id2)
	require.Equal(t, first["consumer"].(map[string]any)["id"], again["consumer"].(map[string]any)["id"])
	// A repeat with different (even invalid) data still answers the original workflow.
	in["consumer"].(map[string]any)["snils"] = "1"
	id3, _ := e.create(in)
	require.Equal(t, id, id3)
	require.Equal(t, 3, e.sb.Creates(in["external_id"].(string)))
	require.Equal(t, 1, e.sb.WorkflowCount())
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t, nil)
	in := registration("Иванов", "")
	c := in["consumer"].(map[string]any)
	delete(c, "birthed")
	delete(c["addresses"].([]any)[0].(map[string]any), "city")
	delete(c["identities"].([]any)[0].(map[string]any), "issued")
	st, body := e.do("POST", "/api/rb/workflow", e.token, in)
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"consumer": map[string]any{
		"birthed":    []any{"Это поле обязательно."},
		"addresses":  []any{map[string]any{"city": []any{"Это поле обязательно."}}},
		"identities": []any{map[string]any{"issued": []any{"Это поле обязательно."}}},
	}}}, body)

	in = registration("Иванов", "")
	c = in["consumer"].(map[string]any)
	c["snils"], c["inn"] = "12362931138", "312324014517"
	st, body = e.do("POST", "/api/rb/workflow", e.token, in)
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"consumer": map[string]any{
		"snils": []any{"Неправильный формат СНИЛС"}, "inn": []any{"Неправильный формат ИНН"}}}}, body)

	in = registration("Иванов", "")
	in["consumer"].(map[string]any)["phone"] = "+79001234567"
	st, body = e.do("POST", "/api/rb/workflow", e.token, in)
	require.Equal(t, 400, st)
	require.Contains(t, body["error"].(map[string]any)["consumer"], "phone")
	require.Equal(t, 0, e.sb.WorkflowCount())
}

func TestSMEVRejectionsBlockTheConsumer(t *testing.T) {
	for _, tt := range []struct{ lastName, message string }{
		{sandbox.LastNameSMEVSNILS, "Не пройдены проверки: Валидация ФИО-СНИЛС"},
		{sandbox.LastNameSMEVINN, "Не пройдены проверки: Валидация ФИО-ИНН ФЛ"},
		{sandbox.LastNameSMEVPassport, "Не пройдены проверки: Проверка действительности паспорта"},
	} {
		t.Run(tt.lastName, func(t *testing.T) {
			rcv := newReceiver(t, nil)
			e := newEnv(t, nil)
			in := registration(tt.lastName, rcv.srv.URL)
			id, r := e.create(in)
			consumerID := r["consumer"].(map[string]any)["id"]
			e.advanceTo(step, id, "rejected")
			w, _ := e.sb.Workflow(id)
			require.Equal(t, "blocked", w.ConsumerState)
			require.Equal(t, tt.message, w.ErrorMessage)
			require.Eventually(t, func() bool { return len(rcv.states()) == 1 }, waitFor, tick)
			require.Equal(t, map[string]any{"id": float64(id), "state": "rejected", "type": "identification",
				"parent_id": nil, "consumer": consumerID, "child_id": nil, "external_id": in["external_id"],
				"error_code": nil, "error_message": tt.message}, rcv.got()[0].body)

			// The same person again (new external_id, other last name): blocked.
			again := registration("Иванов", "")
			st, body := e.do("POST", "/api/rb/workflow", e.token, again)
			require.Equal(t, 400, st)
			require.Equal(t, map[string]any{"error": map[string]any{"consumer": []any{
				"Данный клиент заблокирован. Выполнение операции невозможно"}}}, body)
			// Nor does the app go on for a rejected workflow.
			e.clock.Advance(10 * step)
			require.Never(t, func() bool { w, _ := e.sb.Workflow(id); return w.State != "rejected" }, 50*tick, tick)
			require.Equal(t, "blocked", e.full(id, e.token)["consumer"].(map[string]any)["state"])
			require.True(t, strings.HasPrefix(tt.message, "Не пройдены проверки: "))
		})
	}
}

func TestCreateEntrepreneurAndLegalEntity(t *testing.T) {
	e := newEnv(t, nil)
	in := registration("Иванов", "")
	in["entrepreneur"] = map[string]any{"ogrnip": "319240000120000"} // the document's IP example fails its checksum
	st, body := e.do("POST", "/api/rb/workflow", e.token, in)
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"entrepreneur": map[string]any{"ogrnip": []any{"Неправильный формат ОГРНИП"}}}}, body)
	in["entrepreneur"] = map[string]any{"ogrnip": "321032700015430"}
	_, r := e.create(in)
	require.Equal(t, "wait-pkcs10", r["state"])

	in = registration("Иванов", "")
	in["legal_entity"] = map[string]any{"name": "ООО Ромашка", "ogrn": "1193123017042", "inn": "3123456448", "position": "директор",
		"addresses": []any{map[string]any{"type": "legal", "region": "31", "city": "Белгород"}}}
	st, body = e.do("POST", "/api/rb/workflow", e.token, in)
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"legal_entity": map[string]any{"kpp": []any{"Это поле обязательно."}}}}, body)
	in["legal_entity"].(map[string]any)["kpp"] = "312301001"
	id, _ := e.create(in)
	require.Equal(t, "ООО Ромашка", e.full(id, e.token)["legal_entity"].(map[string]any)["name"])
}

func TestSMEVRejectsWhileWaitingForTheAgent(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.SMEVDelay = 10 * step })
	id, _ := e.create(registration(sandbox.LastNameSMEVSNILS, rcv.srv.URL))
	e.advanceTo(3*step, id, "wait-consumer-identification")
	e.advanceTo(7*step, id, "rejected")
	require.Eventually(t, func() bool { return len(rcv.states()) == 2 }, waitFor, tick)
	require.Equal(t, []string{"identification:installed", "identification:rejected"}, rcv.states())
	require.Equal(t, sandbox.SMEVSNILSMessage, rcv.got()[1].body["error_message"])
}

func TestAgentBasicAuth(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.newAgent("agent_basic", "16145625759", []string{"consumer_identify"}, []int{1})
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/rb/workflow/identification/search/", strings.NewReader(`{"consumer":{"phone":"79001234567","snils":"12362931139"}}`))
	req.SetBasicAuth("agent_basic", "123456qwerty")
	st, body := e.send(req)
	require.Equal(t, 400, st) // authenticated, nothing to find
	require.Equal(t, map[string]any{"error": map[string]any{"non_field_errors": []any{"Поток работ не найден"}}}, body)
	st, _ = e.do("GET", "/api/rb/staff/agent", tok, nil)
	require.Equal(t, http.StatusForbidden, st)
	st, _ = e.do("POST", "/api/rb/consumer/search", tok, map[string]any{"last_name": "Иванов", "first_name": "Иван", "phone": "79001234567"})
	require.Equal(t, http.StatusForbidden, st)
}

func TestTemporarilyBlockedConsumer(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.TemporaryBlock = 10 * step })
	id, r := e.create(registration(" временный ", rcv.srv.URL))
	consumerID := r["consumer"].(map[string]any)["id"]
	search := func() map[string]any {
		t.Helper()
		st, body := e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"last_name": "Временный", "first_name": "Иван", "phone": "79001234567"})
		require.Equal(t, 200, st, "%v", body)
		list := body["result"].([]any)
		require.Len(t, list, 1)
		return list[0].(map[string]any)
	}
	require.Equal(t, "unvalidated", search()["state"])

	e.advanceTo(step, id, "rejected")
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "temporarily", w.ConsumerState)
	require.Equal(t, sandbox.TemporarilyBlockedMessage, w.ErrorMessage)
	c := search()
	require.Equal(t, consumerID, c["id"])
	require.Equal(t, "temporarily", c["state"])
	require.Equal(t, []any{}, c["certificates"])
	require.Nil(t, c["identification_point"])
	require.Eventually(t, func() bool { return len(rcv.states()) == 1 }, waitFor, tick)
	require.Equal(t, []string{"identification:rejected"}, rcv.states())
	require.Equal(t, sandbox.TemporarilyBlockedMessage, rcv.got()[0].body["error_message"])

	// The same person again, under another name: the documented blocked error.
	st, body := e.do("POST", "/api/rb/workflow", e.token, registration("Иванов", ""))
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"consumer": []any{
		"Данный клиент заблокирован. Выполнение операции невозможно"}}}, body)

	// Once Config.TemporaryBlock has passed, the block is lifted.
	e.clock.Advance(9 * step)
	require.Equal(t, "temporarily", search()["state"])
	e.clock.Advance(step)
	require.Eventually(t, func() bool { return search()["state"] == "unvalidated" }, waitFor, tick)
	again, _ := e.create(registration("Иванов", ""))
	w, _ = e.sb.Workflow(id)
	require.Equal(t, "rejected", w.State)
	w, _ = e.sb.Workflow(again)
	require.Equal(t, "wait-pkcs10", w.State)
}

func TestTemporarilyBlockedForEver(t *testing.T) {
	e := newEnv(t, func(c *sandbox.Config) { c.TemporaryBlock = -1 })
	id, _ := e.create(registration(sandbox.LastNameTemporarily, ""))
	e.advanceTo(step, id, "rejected")
	e.clock.Advance(1000 * time.Hour)
	st, _ := e.do("POST", "/api/rb/workflow", e.token, registration("Иванов", ""))
	require.Equal(t, 400, st)
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "temporarily", w.ConsumerState)
}
