package fns_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"idflow/internal/clocktest"
	sandbox "idflow/internal/sandbox/fns"
)

// persisted starts sandboxes on one state file and one clock, one at a time.
type persisted struct {
	t     *testing.T
	path  string
	clock *clocktest.Clock
	mod   func(*sandbox.Config)
	token string // token is the partner's, from the first open
}

func newPersisted(t *testing.T, mod func(*sandbox.Config)) *persisted {
	return &persisted{t: t, path: filepath.Join(t.TempDir(), "sandboxes.db"),
		clock: clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), mod: mod}
}

// open opens a sandbox on the file behind a new httptest server; the
// partner's token must be the one of the first open.
func (p *persisted) open() *env {
	t := p.t
	t.Helper()
	cfg := sandbox.Config{Username: partnerUser, Password: partnerPass, SMEVDelay: step, InstallDelay: 2 * step,
		PKCS10Delay: step, SecretKeyDelay: step, IssueDelay: step, Clock: p.clock.Now, PollInterval: time.Millisecond,
		RetryFactor: 60, StatePath: p.path}
	if p.mod != nil {
		p.mod(&cfg)
	}
	sb, err := sandbox.Open(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); sb.Close() })
	e := &env{t: t, sb: sb, srv: srv, clock: p.clock}
	st, body := e.do("POST", "/api/rb/auth", "", map[string]any{"username": partnerUser, "password": partnerPass})
	require.Equal(t, 200, st, "%v", body)
	e.token = result(t, body)["token"].(string)
	if p.token == "" {
		p.token = e.token
	}
	require.Equal(t, p.token, e.token, "the partner's token survives a reopen")
	return e
}

// close closes e's sandbox and server, as a restart of worker -dev does.
func (p *persisted) close(e *env) {
	e.srv.Close()
	e.sb.Close()
}

func TestStateSurvivesReopen(t *testing.T) {
	rcv := newReceiver(t, func(n int) int { return map[bool]int{true: 500, false: 200}[n == 1] }) // the first attempt fails
	p := newPersisted(t, nil)
	e := p.open()
	in := registration("Иванов", rcv.srv.URL)
	id, r := e.create(in)
	consumerID := r["consumer"].(map[string]any)["id"].(string)
	e.advanceTo(3*step, id, "wait-consumer-identification")
	require.Eventually(t, func() bool { return len(rcv.got()) == 1 }, waitFor, tick) // "installed", answered 500
	require.Eventually(t, func() bool { cb := e.sb.Callbacks(); return len(cb) == 1 && cb[0].Attempts == 1 }, waitFor, tick)
	_, agentTok := e.newAgent("agent_ivanov", "11223344595", []string{"consumer_identify"}, []int{1})
	caBefore := e.sb.CACertificate()
	p.close(e)

	// Down for a while: the callback's retry (1 s after the failure) falls due meanwhile.
	p.clock.Advance(10 * step)
	e = p.open()
	require.Equal(t, caBefore, e.sb.CACertificate())
	require.Eventually(t, func() bool { return len(rcv.states()) == 1 }, waitFor, tick, "the retry is made after the reopen")
	require.Equal(t, []string{"identification:installed"}, rcv.states())
	require.Equal(t, map[string]any{"consumer": consumerID, "type": "identification", "id": float64(id), "state": "installed"}, rcv.got()[1].body)
	require.Eventually(t, func() bool { cb := e.sb.Callbacks(); return len(cb) == 1 && cb[0].Delivered && cb[0].Attempts == 2 }, waitFor, tick)
	w, ok := e.sb.Workflow(id)
	require.True(t, ok)
	require.Equal(t, "wait-consumer-identification", w.State)
	require.Equal(t, in["external_id"], w.ExternalID)
	again, _ := e.create(in) // a repeat by external_id still finds it
	require.Equal(t, id, again)
	require.Equal(t, 2, e.sb.Creates(in["external_id"].(string)))

	// The agent's token still works: search, document, identify.
	st, body := e.do("POST", "/api/rb/workflow/identification/search/", agentTok, searchBody)
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, float64(id), result(t, body)["id"])
	st, body = e.do("GET", path("workflow", id, "confirmation-document"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	doc := result(t, body)["confirmation_documents"].([]any)[0].(map[string]any)
	st, body = e.do("PUT", path("confirmation-document", doc["id"]), agentTok, map[string]any{"title": "паспорт.pdf", "path": "JVBERi0xLjQK"})
	require.Equal(t, 200, st, "%v", body)
	docPath := result(t, body)["document"].(map[string]any)["path"].(string)
	st, body = e.do("PUT", path("workflow", id, "state"), agentTok, map[string]any{"state": "identify"})
	require.Equal(t, 200, st, "%v", body)
	e.advanceTo(step, id, "complete")
	w, _ = e.sb.Workflow(id)
	child := w.ChildID
	require.NotZero(t, child)
	e.advanceTo(step, child, "wait-secret-key")
	e.advanceTo(step, child, "certificate-issue")
	e.advanceTo(step, child, "wait-scan-upload")

	// The scans are uploaded, then another restart.
	st, body = e.do("GET", path("workflow", child, "document-scan"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	scans := result(t, body)["scans"].([]any)
	require.Len(t, scans, 2)
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3}
	var scanPath string
	for _, s := range scans {
		st, body = e.do("PUT", path("document-scan", s.(map[string]any)["id"]), agentTok,
			map[string]any{"title": "Cert.jpg", "path": base64.StdEncoding.EncodeToString(jpeg)})
		require.Equal(t, 200, st, "%v", body)
		scanPath = result(t, body)["path"].(string)
	}
	// Close only once the identification's callback is through: a delivery
	// cut off by the close would wait for its retry a minute of the fake
	// clock away.
	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(id, "complete") == 1 }, waitFor, tick)
	p.close(e)
	e = p.open()
	st, raw := e.get(scanPath, agentTok)
	require.Equal(t, 200, st, "%s", raw)
	require.Equal(t, jpeg, raw, "the scan's content survives")
	st, raw = e.get(docPath, agentTok)
	require.Equal(t, 200, st, "%s", raw)
	require.Equal(t, []byte("%PDF-1.4\n"), raw, "the confirmation document's content survives")
	st, body = e.do("PUT", path("workflow", child, "state"), agentTok, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, "complete", result(t, body)["state"])
	require.Eventually(t, func() bool { return len(rcv.states()) == 3 }, waitFor, tick)
	require.Equal(t, []string{"identification:installed", "identification:complete", "certificate-issuing:complete"}, rcv.states())

	// Both certificates, issued after the first reopen, chain to the CA of before it.
	st, body = e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"last_name": "Иванов", "first_name": "Иван", "phone": "79001234567"})
	require.Equal(t, 200, st, "%v", body)
	list := body["result"].([]any)
	require.Len(t, list, 1)
	cons := list[0].(map[string]any)
	require.Equal(t, "identified", cons["state"])
	certs := cons["certificates"].([]any)
	require.Len(t, certs, 2)
	ca, err := x509.ParseCertificate(caBefore)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, c := range certs {
		st, raw := e.get(c.(map[string]any)["certificate_link"].(string), e.token)
		require.Equal(t, 200, st, "%s", raw)
		blk, _ := pem.Decode(raw)
		require.NotNil(t, blk)
		x, err := x509.ParseCertificate(blk.Bytes)
		require.NoError(t, err)
		_, err = x.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: p.clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		require.NoError(t, err)
	}
}

func TestBlockedConsumerStaysBlockedAfterReopen(t *testing.T) {
	p := newPersisted(t, nil)
	e := p.open()
	id, _ := e.create(registration(sandbox.LastNameSMEVINN, ""))
	e.advanceTo(step, id, "rejected")
	p.close(e)
	p.clock.Advance(30 * 24 * time.Hour)
	e = p.open()
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "blocked", w.ConsumerState)
	require.Equal(t, sandbox.SMEVINNMessage, w.ErrorMessage)
	st, body := e.do("POST", "/api/rb/workflow", e.token, registration("Иванов", ""))
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"error": map[string]any{"consumer": []any{
		"Данный клиент заблокирован. Выполнение операции невозможно"}}}, body)
}

func TestTemporaryBlockLiftedDuringDowntime(t *testing.T) {
	p := newPersisted(t, func(c *sandbox.Config) { c.TemporaryBlock = 10 * step })
	e := p.open()
	id, _ := e.create(registration(sandbox.LastNameTemporarily, ""))
	e.advanceTo(step, id, "rejected")
	p.close(e)

	p.clock.Advance(5 * step) // still blocked
	e = p.open()
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "temporarily", w.ConsumerState)
	st, _ := e.do("POST", "/api/rb/workflow", e.token, registration("Иванов", ""))
	require.Equal(t, 400, st)
	p.close(e)

	p.clock.Advance(5 * step) // the block ends while down: lifted at once after the reopen
	e = p.open()
	w, _ = e.sb.Workflow(id)
	require.Equal(t, "unvalidated", w.ConsumerState)
	again, _ := e.create(registration("Иванов", ""))
	w, _ = e.sb.Workflow(again)
	require.Equal(t, "wait-pkcs10", w.State)
}

func TestStepsDueDuringDowntimeRunAtOnce(t *testing.T) {
	p := newPersisted(t, nil)
	e := p.open()
	id, _ := e.create(registration("Иванов", ""))
	p.close(e)
	p.clock.Advance(time.Hour)
	e = p.open()
	require.Eventually(t, func() bool { w, _ := e.sb.Workflow(id); return w.State == "wait-consumer-identification" }, waitFor, tick)
	require.Equal(t, "request-created", e.full(id, e.token)["certificate"].(map[string]any)["state"])
}

func TestNewRefusesAStatePath(t *testing.T) {
	require.Panics(t, func() { sandbox.New(sandbox.Config{StatePath: filepath.Join(t.TempDir(), "x.db")}) })
}

func TestOpenWithoutStatePathIsInMemory(t *testing.T) {
	sb, err := sandbox.Open(sandbox.Config{Username: partnerUser, Password: partnerPass})
	require.NoError(t, err)
	defer sb.Close()
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/rb/workflow")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestScenariosAfterRegistrationSurviveReopen(t *testing.T) {
	p := newPersisted(t, nil)
	e := p.open()
	consumerID, personCert, _ := e.signer("")
	le, _ := e.create(extraSignature(consumerID, "", "legal_entity", legalEntityBlock("7707083893")))
	e.issueSignature(le)
	ea, _ := e.create(activity(consumerID, "", "https://partner.example/"+sandbox.ExternalReviewMarker))
	e.advanceTo(sandbox.DefaultExternalActivityDelay, ea, "wait-external-review")
	blank, _ := e.create(pause(consumerID, ""))
	st, body := e.do("POST", "/api/rb/consumer/"+consumerID+"/push_notification/", e.token,
		map[string]any{"title": "Документы ожидают подписи", "message": "Подписать ->", "workflow_id": blank})
	require.Equal(t, 200, st, "%v", body)
	serial := e.searchConsumer(consumerID)["certificates"].([]any)[1].(map[string]any)["certificate_data"].(map[string]any)["serial"].(string)
	st, body = e.revoke("/api/rb/certificate/revoke/", e.token, revocation(serial))
	require.Equal(t, 200, st, "%v", body)
	pushes := e.sb.Pushes(consumerID)
	p.close(e)

	e = p.open()
	require.Equal(t, pushes, e.sb.Pushes(consumerID), "the pushes survive")
	cons := e.searchConsumer(consumerID)
	certs := cons["certificates"].([]any)
	require.Equal(t, float64(personCert), certs[1].(map[string]any)["id"])
	require.Equal(t, "revoked", certs[1].(map[string]any)["state"], "the revocation survives")
	require.Equal(t, "7707083893", cons["legal_entities"].([]any)[0].(map[string]any)["inn"])
	full := e.full(le, e.token)
	require.Equal(t, "7707083893", full["legal_entity"].(map[string]any)["inn"])
	require.Equal(t, "Сертификат представителя юридического лица выпущен", full["title"])
	require.Equal(t, map[string]any{"MyAuthHeader": "asd123mnbb--htdgDsdg+J3vfsjhfsff"},
		e.full(ea, e.token)["external_activity"].(map[string]any)["headers"])
	require.Equal(t, "active", e.full(blank, e.token)["state"])

	// The pause completes with the next workflow; the legal entity's signature signs.
	docs := []any{map[string]any{"title": "usn.xml", "path": base64.StdEncoding.EncodeToString(docXML)}}
	signID, _ := e.create(signing(consumerID, "", docs))
	require.Equal(t, "complete", e.full(blank, e.token)["state"])
	e.advanceTo(2*step, signID, "complete")
	contents, sigs := sandbox.Signed(e.sb, signID)
	require.Equal(t, "7707083893", subjectValue(verifyCMS(t, e.sb, sigs[0], contents[0])[0], oidINNLE),
		"the only usable signature left is the legal entity's")
	st, body = e.completeActivity(ea, e.token, "complete_external_activity")
	require.Equal(t, 200, st, "%v", body)
}
