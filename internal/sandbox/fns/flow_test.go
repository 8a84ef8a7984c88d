package fns_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// newAgent creates an agent with the partner's token and returns its id and token.
func (e *env) newAgent(username, snils string, perms []string, points []int) (float64, string) {
	e.t.Helper()
	st, body := e.do("POST", "/api/rb/staff/agent", e.token, map[string]any{
		"username": username, "password": "123456qwerty", "last_name": "Агентов", "first_name": "Агент",
		"middle_name": "Агентович", "unstructured_identity": "4500 023 Выдан ПВД ОВД 12.05.2011",
		"position": "оператор", "snils": snils, "phone": "79012345678", "company": 1,
		"permissions": perms, "identification_points": points})
	require.Equal(e.t, 200, st, "%v", body)
	r := result(e.t, body)
	return r["id"].(float64), r["token"].(string)
}

// searchBody is an identification search by phone and passport.
var searchBody = map[string]any{"consumer": map[string]any{"phone": "79001234567",
	"identities": []any{map[string]any{"type": "internal-passport", "series": "9400", "number": "123456"}}}}

// identified drives a registration up to a completed identification by an
// agent and returns the identification and child ids and the agent token.
func (e *env) identified(callback string) (id, child int64, agentTok string) {
	t := e.t
	t.Helper()
	id, _ = e.create(registration("Иванов", callback))
	e.advanceTo(3*step, id, "wait-consumer-identification")
	_, agentTok = e.newAgent("agent_"+strings.ReplaceAll(time.Now().Format("150405.000000"), ".", ""), "16145625759", []string{"consumer_identify"}, []int{1})
	st, body := e.do("POST", "/api/rb/workflow/identification/search/", agentTok, searchBody)
	require.Equal(t, 200, st, "%v", body)
	st, body = e.do("GET", path("workflow", id, "confirmation-document"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	doc := result(t, body)["confirmation_documents"].([]any)[0].(map[string]any)
	st, body = e.do("PUT", path("confirmation-document", doc["id"]), agentTok, map[string]any{"title": "паспорт.pdf", "path": "JVBERi0xLjQK"})
	require.Equal(t, 200, st, "%v", body)
	st, body = e.do("PUT", path("workflow", id, "state"), agentTok, map[string]any{"state": "identify"})
	require.Equal(t, 200, st, "%v", body)
	e.advanceTo(step, id, "complete")
	w, _ := e.sb.Workflow(id)
	return id, w.ChildID, agentTok
}

func TestFullFlowThroughAgent(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	in := registration("Иванов", rcv.srv.URL)
	id, r := e.create(in)
	consumerID := r["consumer"].(map[string]any)["id"].(string)

	// The person installs the app: "installed" callback, then the PKCS#10.
	e.clock.Advance(2 * step)
	require.Eventually(t, func() bool { return len(rcv.states()) == 1 }, waitFor, tick)
	require.Equal(t, map[string]any{"consumer": consumerID, "type": "identification", "id": float64(id), "state": "installed"}, rcv.got()[0].body)
	e.advanceTo(step, id, "wait-consumer-identification")
	full := e.full(id, e.token)
	require.Equal(t, "Ожидание идентификации клиента", full["state_display"])
	cert := full["certificate"].(map[string]any)
	require.Equal(t, "auth", cert["type"])
	require.Equal(t, "request-created", cert["state"])
	require.Equal(t, true, cert["is_received"])
	require.Nil(t, cert["certificate_data"])

	// Agents: a responsible person and an identifying agent with two points.
	_, bossTok := e.newAgent("boss", "16145625759", []string{"create_new_agent"}, []int{1})
	st, body := e.do("POST", "/api/rb/staff/agent", bossTok, map[string]any{"username": "x", "snils": "16145625759"})
	require.Equal(t, 400, st)
	require.Equal(t, []any{"Активная учетная запись с таким СНИЛС уже существует"}, body["error"].(map[string]any)["snils"])
	agentID, agentTok := e.newAgent("agent_ivanov", "11223344595", []string{"consumer_identify"}, []int{4, 1})
	require.NotEqual(t, e.token, agentTok)
	st, body = e.do("POST", "/api/rb/auth", "", map[string]any{"username": "agent_ivanov", "password": "123456qwerty"})
	require.Equal(t, 200, st)
	require.Equal(t, agentTok, result(t, body)["token"])

	// The agent may not register, nor see a workflow before its search; the boss may not identify.
	st, _ = e.do("POST", "/api/rb/workflow", agentTok, registration("Петров", ""))
	require.Equal(t, http.StatusForbidden, st)
	st, _ = e.do("GET", path("workflow", id, "full"), agentTok, nil)
	require.Equal(t, http.StatusNotFound, st)
	st, _ = e.do("POST", "/api/rb/workflow/identification/search/", bossTok, searchBody)
	require.Equal(t, http.StatusForbidden, st)

	st, body = e.do("POST", "/api/rb/workflow/identification/search/", agentTok, map[string]any{"consumer": map[string]any{"phone": "79990000000", "snils": "12362931139"}})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"non_field_errors": []any{"Поток работ не найден"}}}, body)
	st, body = e.do("POST", "/api/rb/workflow/identification/search/", agentTok, searchBody)
	require.Equal(t, 200, st, "%v", body)
	found := result(t, body)
	require.Equal(t, float64(id), found["id"])
	require.Equal(t, "wait-consumer-identification", found["state"])
	require.Equal(t, []any{}, found["children"])
	require.Equal(t, consumerID, found["consumer"].(map[string]any)["id"])

	// Confirmation document, then identify (the agent has two points: it must name one).
	st, body = e.do("GET", path("workflow", id, "confirmation-document"), agentTok, nil)
	require.Equal(t, 200, st)
	docs := result(t, body)["confirmation_documents"].([]any)
	require.Len(t, docs, 1)
	doc := docs[0].(map[string]any)
	require.Equal(t, "created", doc["state"])
	require.Equal(t, "Скан паспорта", doc["document"].(map[string]any)["title"])
	st, body = e.do("PUT", path("workflow", id, "state"), agentTok, map[string]any{"state": "identify"})
	require.Equal(t, 400, st)
	require.Contains(t, body["error"].(map[string]any), "identification_point")
	st, body = e.do("PUT", path("workflow", id, "state"), agentTok, map[string]any{"state": "identify", "identification_point": 1})
	require.Equal(t, 400, st)
	require.Equal(t, []any{"Не загружены документы, подтверждающие личность"}, body["error"].(map[string]any)["non_field_errors"])
	st, body = e.do("PUT", path("confirmation-document", doc["id"]), agentTok, map[string]any{"title": "паспорт.pdf", "path": "KJHDS23rhfKDFsdf="})
	require.Equal(t, 200, st, "%v", body)
	up := result(t, body)["document"].(map[string]any)
	require.Equal(t, "received", up["state"])
	require.Equal(t, "паспорт.pdf", up["title"])
	st, body = e.do("PUT", path("workflow", id, "state"), agentTok, map[string]any{"state": "identify", "identification_point": 1})
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, map[string]any{"type": "identification", "error_message": nil, "error_code": nil,
		"updated": result(t, body)["updated"], "state": "certificate-issue", "state_display": "Выпуск сертификата",
		"message": nil, "idp_info": nil, "agent_info": nil, "agent_external_data": nil}, result(t, body))

	// The TLS certificate is issued, the identification completes, the child starts.
	e.advanceTo(step, id, "complete")
	w, _ := e.sb.Workflow(id)
	require.NotZero(t, w.ChildID)
	require.Equal(t, "identified", w.ConsumerState)
	full = e.full(id, agentTok)
	require.Equal(t, "Идентификация завершена", full["title"])
	require.Equal(t, []any{float64(w.ChildID)}, full["children"])
	require.Equal(t, "issued", full["certificate"].(map[string]any)["state"])
	require.Equal(t, "agent_ivanov", full["agent"].(map[string]any)["username"])
	require.Equal(t, "Центр идентификации", full["identification_point"].(map[string]any)["name"])
	require.Eventually(t, func() bool { return len(rcv.states()) == 2 }, waitFor, tick)
	done := rcv.got()[1].body
	require.Equal(t, "complete", done["state"])
	require.Equal(t, float64(w.ChildID), done["child_id"])
	require.Nil(t, done["parent_id"])
	require.Equal(t, in["external_id"], done["external_id"])
	require.Equal(t, map[string]any{"username": "agent_ivanov", "last_name": "Агентов", "first_name": "Агент", "middle_name": "Агентович"}, done["agent"])
	require.Equal(t, map[string]any{"id": float64(1), "name": "Центр идентификации", "external_id": nil}, done["identification_point"])
	st, body = e.do("POST", "/api/rb/workflow/identification/search/", agentTok, searchBody)
	require.Equal(t, 200, st)
	require.Equal(t, []any{float64(w.ChildID)}, result(t, body)["children"])

	// The child: wait-pkcs10 → wait-secret-key → certificate-issue → wait-scan-upload.
	child := w.ChildID
	cf := e.full(child, agentTok)
	require.Equal(t, "certificate-issuing", cf["type"])
	require.Equal(t, "wait-pkcs10", cf["state"])
	require.Equal(t, float64(id), cf["parent"])
	e.advanceTo(step, child, "wait-secret-key")
	require.Equal(t, "sign", e.full(child, agentTok)["certificate"].(map[string]any)["type"])
	e.advanceTo(step, child, "certificate-issue")
	st, body = e.do("PUT", path("document-scan", int64(1)), agentTok, map[string]any{"title": "a.jpg", "path": "AAAA"})
	require.Equal(t, http.StatusNotFound, st)
	e.advanceTo(step, child, "wait-scan-upload")
	sign := e.full(child, agentTok)["certificate"].(map[string]any)
	require.Equal(t, "issued", sign["state"])
	require.Equal(t, false, sign["is_confirmed"])

	st, body = e.do("GET", path("workflow", child, "document-scan"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	sl := result(t, body)
	require.Equal(t, float64(id), sl["parent_id"])
	require.Nil(t, sl["child_id"])
	require.Equal(t, consumerID, sl["consumer_id"])
	scans := sl["scans"].([]any)
	require.Len(t, scans, 2)
	form := scans[1].(map[string]any)
	require.Equal(t, "Скан подписанного сертификата КЭП ФЛ", form["document_title"])
	require.Nil(t, scans[0].(map[string]any)["template_url"])
	st, raw := e.get(form["template_url"].(string), agentTok)
	require.Equal(t, 200, st)
	require.Contains(t, string(raw), "Иванов Иван Иванович")
	require.Contains(t, string(raw), "СЕРТИФИКАТ КЛЮЧА ПРОВЕРКИ ЭЛЕКТРОННОЙ ПОДПИСИ")

	st, body = e.do("PUT", path("workflow", child, "state"), e.token, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 400, st)
	require.Equal(t, []any{"Не загружены сканы документов"}, body["error"].(map[string]any)["non_field_errors"])
	for _, s := range scans {
		st, body = e.do("PUT", path("document-scan", s.(map[string]any)["id"]), agentTok, map[string]any{"title": "Cert.jpg", "path": "/9j/4AAQ"})
		require.Equal(t, 200, st, "%v", body)
		require.Equal(t, "Cert.jpg", result(t, body)["title"])
	}
	st, body = e.do("PUT", path("workflow", child, "state"), agentTok, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, "complete", result(t, body)["state"])
	require.Equal(t, "certificate-issuing", result(t, body)["type"])
	require.Eventually(t, func() bool { return len(rcv.states()) == 3 }, waitFor, tick)
	require.Equal(t, []string{"identification:installed", "identification:complete", "certificate-issuing:complete"}, rcv.states())
	kep := rcv.got()[2].body
	require.Equal(t, float64(child), kep["id"])
	require.Equal(t, float64(id), kep["parent_id"])
	require.Nil(t, kep["child_id"])
	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(child, "complete") == 1 }, waitFor, tick)

	// Consumer search shows both certificates, the sign one confirmed.
	st, body = e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"last_name": "иванов ", "first_name": "Иван", "middle_name": "Иванович", "phone": "79001234567"})
	require.Equal(t, 200, st, "%v", body)
	list := body["result"].([]any)
	require.Len(t, list, 1)
	cons := list[0].(map[string]any)
	require.Equal(t, "identified", cons["state"])
	certs := cons["certificates"].([]any)
	require.Len(t, certs, 2)
	require.Equal(t, "auth", certs[0].(map[string]any)["type"])
	signObj := certs[1].(map[string]any)
	require.Equal(t, "sign", signObj["type"])
	require.Equal(t, true, signObj["is_confirmed"])

	// The certificate file is a real X.509 certificate of the test CA.
	st, raw = e.get(signObj["certificate_link"].(string), e.token)
	require.Equal(t, 200, st)
	blk, _ := pem.Decode(raw)
	require.NotNil(t, blk)
	x, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(e.sb.CACertificate())
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err = x.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: e.clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err)
	require.Equal(t, "Иванов Иван Иванович", x.Subject.CommonName)
	require.Contains(t, x.Subject.String(), "Иванов")
	require.Equal(t, signObj["not_after"], x.NotAfter.UTC().Format(time.RFC3339))
	if bin, err := exec.LookPath("openssl"); err == nil {
		f := filepath.Join(t.TempDir(), "sign.pem")
		require.NoError(t, os.WriteFile(f, raw, 0o600))
		out, err := exec.Command(bin, "x509", "-in", f, "-noout", "-subject", "-dates", "-nameopt", "utf8").CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "Иванов Иван Иванович")
		require.Contains(t, string(out), "SN=Иванов, GN=Иван Иванович, INN=312324014516, SNILS=12362931139")
		require.Contains(t, string(out), "notAfter=")
		t.Logf("openssl: %s", out)
	}
	st, raw = e.get(signObj["request_link"].(string), e.token)
	require.Equal(t, 200, st)
	blk, _ = pem.Decode(raw)
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	require.NoError(t, err)
	require.NoError(t, csr.CheckSignature())

	// Blocking the agent ends its token.
	st, body = e.do("PUT", path("staff", "agent", agentID), e.token, map[string]any{"username": "agent_ivanov", "password": "x", "first_name": "Петр", "is_active": false})
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, false, result(t, body)["is_active"])
	require.Equal(t, "Петр", result(t, body)["first_name"])
	st, body = e.do("GET", path("workflow", id, "full"), agentTok, nil)
	require.Equal(t, http.StatusUnauthorized, st)
	require.Equal(t, map[string]any{"error": map[string]any{"detail": "Пользователь неактивен или удален."}}, body)
	st, body = e.do("GET", "/api/rb/staff/agent", e.token, nil)
	require.Equal(t, 200, st)
	require.EqualValues(t, 2, result(t, body)["count"])
}

func TestIdentifyWithTechnicalAccount(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.create(registration("Иванов", ""))
	e.advanceTo(3*step, id, "wait-consumer-identification")
	st, body := e.do("GET", path("workflow", id, "confirmation-document"), e.token, nil)
	require.Equal(t, 200, st)
	doc := result(t, body)["confirmation_documents"].([]any)[0].(map[string]any)
	st, _ = e.do("PUT", path("confirmation-document", doc["id"]), e.token, map[string]any{"title": "p.pdf", "path": "JVBERi0xLjQK"})
	require.Equal(t, 200, st)
	st, body = e.do("PUT", path("workflow", id, "state"), e.token, map[string]any{"state": "identify"})
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"idp_info": []any{"Это поле обязательно."}, "agent_info": []any{"Это поле обязательно."}}, body["error"])
	st, body = e.do("PUT", path("workflow", id, "state"), e.token, map[string]any{"state": "identify",
		"idp_info": "ООО Партнёры", "agent_info": "Иванов Иван Иванович", "agent_external_data": "015287"})
	require.Equal(t, 200, st, "%v", body)
	r := result(t, body)
	require.Equal(t, "ООО Партнёры", r["idp_info"])
	require.Equal(t, "015287", r["agent_external_data"])
	e.advanceTo(step, id, "complete")
}

func TestCertificateUploadedByPartner(t *testing.T) {
	e := newEnv(t, nil)
	_, child, _ := e.identified("")
	st, _ := e.do("PUT", path("workflow", child, "certificate"), e.token, map[string]any{"certificate": "AAAA"})
	require.Equal(t, 400, st)
	e.advanceTo(2*step, child, "certificate-issue")

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "Иванов Иван Иванович"},
		NotBefore: e.clock.Now(), NotAfter: e.clock.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	st, body := e.do("PUT", path("workflow", child, "certificate"), e.token, map[string]any{"certificate": base64.StdEncoding.EncodeToString(der)})
	require.Equal(t, http.StatusNoContent, st, "%v", body)
	w, _ := e.sb.Workflow(child)
	require.Equal(t, "wait-scan-upload", w.State)
	cert := e.full(child, e.token)["certificate"].(map[string]any)
	require.Equal(t, "4D", cert["certificate_data"].(map[string]any)["serial"])
	st, _ = e.do("PUT", path("workflow", child, "certificate"), e.token, map[string]any{"certificate": base64.StdEncoding.EncodeToString(der)})
	require.Equal(t, 400, st)
}

func TestCallbackRetriedUntil200(t *testing.T) {
	// 500, then 201 (not 200: not delivered), then 200.
	rcv := newReceiver(t, func(n int) int { return map[int]int{1: 500, 2: 201}[n] + map[bool]int{true: 200}[n > 2] })
	e := newEnv(t, func(c *sandbox.Config) { c.RetryFactor = 60 }) // 1 min → 1 s, 5 min → 5 s, …
	id, _ := e.create(registration(sandbox.LastNameSMEVINN, rcv.srv.URL))
	e.advanceTo(step, id, "rejected")
	attempts := func() int { cb := e.sb.Callbacks(); require.Len(t, cb, 1); return cb[0].Attempts }
	require.Eventually(t, func() bool { return attempts() == 1 }, waitFor, tick)
	require.Equal(t, 0, e.sb.CallbacksDelivered(id, "rejected"))
	e.clock.Advance(time.Second - time.Millisecond)
	require.Never(t, func() bool { return attempts() > 1 }, 20*tick, tick)
	e.clock.Advance(time.Millisecond)
	require.Eventually(t, func() bool { return attempts() == 2 }, waitFor, tick)
	require.Equal(t, 0, e.sb.CallbacksDelivered(id, "rejected"))
	e.clock.Advance(5 * time.Second)
	require.Eventually(t, func() bool { return attempts() == 3 }, waitFor, tick)
	require.Equal(t, 1, e.sb.CallbacksDelivered(id, "rejected"))
	cb := e.sb.Callbacks()[0]
	require.True(t, cb.Delivered)
	require.False(t, cb.Dropped)
	require.Len(t, rcv.got(), 3)
}

func TestCallbackDroppedAfterSchedule(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return 503 })
	e := newEnv(t, func(c *sandbox.Config) { c.RetrySchedule = []time.Duration{time.Second} })
	id, _ := e.create(registration(sandbox.LastNameSMEVPassport, rcv.srv.URL))
	e.advanceTo(step, id, "rejected")
	require.Eventually(t, func() bool { return e.sb.Callbacks()[0].Attempts == 1 }, waitFor, tick)
	e.clock.Advance(time.Second)
	require.Eventually(t, func() bool { return e.sb.Callbacks()[0].Dropped }, waitFor, tick)
	require.Equal(t, 2, e.sb.Callbacks()[0].Attempts)
	require.Equal(t, 0, e.sb.CallbacksDelivered(id, "rejected"))
}

func TestIntermediateCallbacks(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.IntermediateCallbacks = true })
	_, child, _ := e.identified(rcv.srv.URL)
	e.advanceTo(3*step, child, "wait-scan-upload")
	require.Eventually(t, func() bool { return len(rcv.states()) == 8 }, waitFor, tick)
	require.Equal(t, []string{
		"identification:installed", "identification:wait-consumer-identification", "identification:certificate-issue",
		"identification:complete", "certificate-issuing:wait-pkcs10", "certificate-issuing:wait-secret-key",
		"certificate-issuing:certificate-issue", "certificate-issuing:wait-scan-upload"}, rcv.states())
}

func TestConsumerSearchAfterReactivation(t *testing.T) {
	e := newEnv(t, nil)
	_, r := e.create(registration("Иванов", ""))
	first := r["consumer"].(map[string]any)["id"].(string)
	second, err := e.sb.Reactivate(first)
	require.NoError(t, err)
	st, body := e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"last_name": "Иванов", "first_name": "Иван", "phone": "79001234567", "snils": "12362931139"})
	require.Equal(t, 200, st, "%v", body)
	list := body["result"].([]any)
	require.Len(t, list, 2)
	require.Equal(t, first, list[0].(map[string]any)["id"])
	require.Equal(t, second, list[1].(map[string]any)["id"])
	st, body = e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"last_name": "Петров", "first_name": "Иван", "phone": "79001234567"})
	require.Equal(t, 200, st)
	require.Equal(t, []any{}, body["result"])
	st, body = e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"first_name": "Иван"})
	require.Equal(t, 400, st)
	require.Contains(t, body["error"], "last_name")
}
