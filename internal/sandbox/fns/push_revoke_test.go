package fns_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

func TestPushNotification(t *testing.T) {
	e := newEnv(t, nil)
	ident, _, agentTok := e.identified("")
	consumerID := e.consumerOf(ident)
	other, _ := e.create(registration("Петров", ""))
	pushPath := "/api/rb/consumer/" + consumerID + "/push_notification/"

	st, body := e.do("POST", "/api/rb/consumer/"+uuid.NewString()+"/push_notification/", e.token, map[string]any{"title": "a", "message": "b"})
	require.Equal(t, http.StatusNotFound, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Не найдено."}}, body)
	st, body = e.do("POST", pushPath, e.token, map[string]any{"title": " "})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"title": []any{"Это поле обязательно."}, "message": []any{"Это поле обязательно."}}, body["error"])
	st, body = e.do("POST", pushPath, e.token, map[string]any{"title": "a", "message": "b", "workflow_id": "x1"})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"workflow_id": []any{"Требуется целочисленное значение."}}, body["error"])
	st, body = e.do("POST", pushPath, e.token, map[string]any{"title": "a", "message": "b", "workflow_id": other})
	require.Equal(t, 400, st, "another consumer's workflow")
	require.Contains(t, body["error"], "workflow_id")
	st, _ = e.do("POST", pushPath, agentTok, map[string]any{"title": "a", "message": "b"})
	require.Equal(t, http.StatusForbidden, st)
	require.Empty(t, e.sb.Pushes(consumerID))

	// The document's example (L2610–2617), workflow_id as a string; then a number and no slash.
	st, body = e.do("POST", pushPath, e.token, map[string]any{"title": "Документы ожидают подписи", "message": "Подписать ->",
		"workflow_id": strconv.FormatInt(ident, 10)})
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, map[string]any{"result": map[string]any{}}, body, "A23")
	st, body = e.do("POST", strings.TrimSuffix(pushPath, "/"), e.token, map[string]any{"title": "t", "message": "m", "workflow_id": ident})
	require.Equal(t, 200, st, "%v", body)
	st, _ = e.do("POST", strings.TrimSuffix(pushPath, "/"), e.token, map[string]any{"title": "t2", "message": "m2"})
	require.Equal(t, 200, st)
	pushes := e.sb.Pushes(consumerID)
	require.Len(t, pushes, 3)
	require.Equal(t, sandbox.Push{ConsumerID: consumerID, Title: "Документы ожидают подписи", Message: "Подписать ->",
		WorkflowID: ident, At: e.clock.Now()}, pushes[0])
	require.Equal(t, ident, pushes[1].WorkflowID)
	require.Zero(t, pushes[2].WorkflowID)
	require.Empty(t, e.sb.Pushes(e.consumerOf(other)))
}

// revocation is the base64 of the sandbox's revocation application for serial.
func revocation(serial string) string {
	return base64.StdEncoding.EncodeToString([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<RevocationApplication xmlns="urn:sandbox:fns:revoke">
  <Certificate><SerialNumber>` + serial + `</SerialNumber></Certificate>
  <Reason>Компрометация ключа</Reason>
</RevocationApplication>`))
}

// colonHex writes a hex serial in lowercase pairs joined by colons.
func colonHex(serial string) string {
	if len(serial)%2 == 1 {
		serial = "0" + serial
	}
	var pairs []string
	for i := 0; i < len(serial); i += 2 {
		pairs = append(pairs, strings.ToLower(serial[i:i+2]))
	}
	return strings.Join(pairs, ":")
}

// revoke posts a revocation application and returns the status and body.
func (e *env) revoke(p, tok, b64 string) (int, map[string]any) {
	e.t.Helper()
	return e.do("POST", p, tok, map[string]any{"base64_encoded_xml_file": b64})
}

func TestRevocationRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ident, _, agentTok := e.identified("")
	auth := e.full(ident, e.token)["certificate"].(map[string]any)["certificate_data"].(map[string]any)["serial"].(string)
	bad := func(b64, msg string) {
		t.Helper()
		st, body := e.revoke("/api/rb/certificate/revoke/", e.token, b64)
		require.Equal(t, 400, st, "%v", body)
		require.Equal(t, map[string]any{"base64_encoded_xml_file": []any{msg}}, body["error"])
	}
	bad("", "Это поле обязательно.")
	bad("!!!", "Неправильный формат файла")
	bad("PD94bWwgdmVyc2lvbj0iMS4wIiB=", "Файл не является корректным XML-документом") // the document's example: `<?xml version="1.0" `
	bad(base64.StdEncoding.EncodeToString([]byte("<a/><b/>")), "Файл не является корректным XML-документом")
	bad(base64.StdEncoding.EncodeToString([]byte("<RevocationApplication><Reason>x</Reason></RevocationApplication>")),
		"В заявлении не указан серийный номер сертификата (SerialNumber)")
	bad(revocation("zz"), "Неправильный формат серийного номера сертификата")
	bad(revocation("0A:0B"), "Сертификат подписи с таким серийным номером не найден")
	bad(revocation(auth), "Сертификат подписи с таким серийным номером не найден") // the TLS certificate is no signature's
	st, _ := e.revoke("/api/rb/certificate/revoke/", agentTok, revocation("01"))
	require.Equal(t, http.StatusForbidden, st)
}

func TestRevocationEndsSigning(t *testing.T) {
	e := newEnv(t, nil)
	consumerID, certID, _ := e.signer("")
	cert := e.searchConsumer(consumerID)["certificates"].([]any)[1].(map[string]any)
	require.Equal(t, float64(certID), cert["id"])
	serial := cert["certificate_data"].(map[string]any)["serial"].(string)

	// A signing asked for before the revocation ends in error.
	pending, _ := e.create(signing(consumerID, "", signTwo))

	st, body := e.revoke("/api/rb/certificate/revoke", e.token, revocation(colonHex(serial))) // without the slash too
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, map[string]any{"result": map[string]any{}}, body, "A23")
	require.Equal(t, "revoked", e.searchConsumer(consumerID)["certificates"].([]any)[1].(map[string]any)["state"])
	st, body = e.revoke("/api/rb/certificate/revoke/", e.token, strings.TrimRight(revocation("00"+serial), "="))
	require.Equal(t, 200, st, "revoking again is a success: %v", body)

	e.advanceTo(2*step, pending, "error")
	w, _ := e.sb.Workflow(pending)
	require.Equal(t, "Сертификат электронной подписи клиента отозван", w.ErrorMessage)
	require.Equal(t, map[string]any{"consumer": []any{"Сертификат электронной подписи клиента отозван"}},
		e.badCreate(signing(consumerID, "", signTwo)))
}
