package fns_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// signer drives a registration to a confirmed КЭП and returns the consumer
// id, the sign certificate id and the agent's token.
func (e *env) signer(callback string) (consumerID string, certID int64, agentTok string) {
	e.t.Helper()
	return e.signerBy(callback, "")
}

// signerBy is signer with an existing agent (a new one when agentTok is ""),
// so that one sandbox can have several persons with a КЭП.
func (e *env) signerBy(callback, agentTok string) (consumerID string, certID int64, tok string) {
	t := e.t
	t.Helper()
	var id, child int64
	if agentTok == "" {
		id, child, agentTok = e.identified(callback)
	} else {
		id, _ = e.create(registration("Сидоров", callback))
		e.advanceTo(3*step, id, "wait-consumer-identification")
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
		child = w.ChildID
	}
	e.advanceTo(step, child, "wait-secret-key")
	e.advanceTo(step, child, "certificate-issue")
	e.advanceTo(step, child, "wait-scan-upload")
	st, body := e.do("GET", path("workflow", child, "document-scan"), agentTok, nil)
	require.Equal(t, 200, st, "%v", body)
	for _, s := range result(t, body)["scans"].([]any) {
		st, body = e.do("PUT", path("document-scan", s.(map[string]any)["id"]), agentTok,
			map[string]any{"title": "scan.jpg", "path": "/9j/4AAQ"})
		require.Equal(t, 200, st, "%v", body)
	}
	st, body = e.do("PUT", path("workflow", child, "state"), agentTok, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 200, st, "%v", body)
	full := e.full(child, e.token)
	cert := full["certificate"].(map[string]any)
	require.Equal(t, "sign", cert["type"])
	require.Equal(t, true, cert["is_confirmed"])
	w, _ := e.sb.Workflow(id)
	return w.ConsumerID, int64(cert["id"].(float64)), agentTok
}

func TestSignKeyKeptWithConsumerAcrossReopen(t *testing.T) {
	p := newPersisted(t, nil)
	e := p.open()
	consumerID, certID, _ := e.signer("")
	require.True(t, sandbox.SignKeyMatches(e.sb, consumerID, certID), "the app keeps the key of its sign certificate")
	p.close(e)
	e = p.open()
	require.True(t, sandbox.SignKeyMatches(e.sb, consumerID, certID), "the signing key survives a reopen")
}

// Two documents to sign, one with a Cyrillic title, and their bytes.
var (
	docPDF  = []byte("%PDF-1.4\nзаявление\n")
	docXML  = []byte("<?xml version=\"1.0\"?><doc>usn</doc>\n")
	signTwo = []any{
		map[string]any{"title": "Заявление (ИП).pdf", "path": base64.StdEncoding.EncodeToString(docPDF)},
		map[string]any{"title": "usn.xml", "path": base64.StdEncoding.EncodeToString(docXML)},
	}
)

// signing is a scenario-82 body.
func signing(consumerID, callback string, docs []any) map[string]any {
	return map[string]any{"scenario": "82", "callback": callback, "consumer": consumerID,
		"backref": "http://url_customers_landing_page", "documents": docs}
}

// verifyCMS checks a detached signature over content against the sandbox
// CA with the pkcs7 library and, when openssl is on PATH, with openssl cms;
// it returns the signers' certificates.
func verifyCMS(t *testing.T, sb *sandbox.Sandbox, sig, content []byte) []*x509.Certificate {
	t.Helper()
	ca, err := x509.ParseCertificate(sb.CACertificate())
	require.NoError(t, err)
	p7, err := pkcs7.Parse(sig)
	require.NoError(t, err)
	require.Nil(t, p7.Content, "detached")
	p7.Content = content
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	require.NoError(t, p7.VerifyWithChain(pool))
	p7.Content = append([]byte("x"), content...)
	require.Error(t, p7.VerifyWithChain(pool), "other bytes do not verify")
	if bin, err := exec.LookPath("openssl"); err == nil {
		dir := t.TempDir()
		write := func(name string, b []byte) string {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, b, 0o600))
			return p
		}
		caPEM := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
		out, err := exec.Command(bin, "cms", "-verify", "-binary", "-inform", "DER", "-in", write("sig.p7s", sig),
			"-content", write("doc", content), "-CAfile", caPEM, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
		require.NoError(t, err, "openssl cms -verify: %s", out)
		out, err = exec.Command(bin, "cms", "-verify", "-binary", "-inform", "DER", "-in", write("sig.p7s", sig),
			"-content", write("other", append(content, 'x')), "-CAfile", caPEM, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
		require.Error(t, err, "openssl accepts other bytes: %s", out)
	} else {
		t.Log("openssl not on PATH: the openssl check is skipped")
	}
	return p7.Certificates
}

func TestDocumentSigning(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	consumerID, certID, _ := e.signer(rcv.srv.URL)
	id, r := e.create(signing(consumerID, rcv.srv.URL, signTwo))
	w, _ := e.sb.Workflow(id)
	require.Equal(t, "document-signing", w.Type)
	require.Equal(t, "wait-signature", r["state"])
	require.Equal(t, "Подпишите документы", r["title"])
	require.Equal(t, float64(82), r["scenario"])
	require.Equal(t, consumerID, r["consumer"])
	require.Equal(t, float64(2), r["space"])
	docs := r["documents"].([]any)
	require.Len(t, docs, 2)
	d0 := docs[0].(map[string]any)
	require.Equal(t, "Заявление (ИП).pdf", d0["title"])
	require.Equal(t, "not-rejectable", d0["type"])
	require.Equal(t, false, d0["is_viewed"])
	require.True(t, strings.HasPrefix(d0["path"].(string), "/api/rb/document/"), "%v", d0)

	e.advanceTo(2*step, id, "complete")
	full := e.full(id, e.token)
	require.Equal(t, "document-signing", full["type"])
	require.Equal(t, "Подпишите документы", full["scenario"].(map[string]any)["title"])
	require.Equal(t, float64(certID), full["certificate"].(map[string]any)["id"], "the certificate it was signed with")
	st, body := e.do("GET", "/api/rb/workflow?type=document-signing", e.token, nil)
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, float64(1), result(t, body)["count"])
	contents, sigs := sandbox.Signed(e.sb, id)
	require.Equal(t, [][]byte{docPDF, docXML}, contents)
	_, certPEM := e.get(path("certificate", certID, "certificate_file"), e.token)
	b, _ := pem.Decode(certPEM)
	require.NotNil(t, b)
	for i := range sigs {
		signers := verifyCMS(t, e.sb, sigs[i], contents[i])
		require.Len(t, signers, 1)
		require.Equal(t, b.Bytes, signers[0].Raw, "signed with the person's sign certificate")
	}
	require.Eventually(t, func() bool { return len(rcv.states()) == 4 }, waitFor, tick)
	require.Equal(t, "document-signing:complete", rcv.states()[3])
	require.Equal(t, map[string]any{"external_id": r["external_id"], "error_code": nil, "error_message": nil, "id": float64(id),
		"state": "complete", "parent_id": nil, "type": "document-signing", "child_id": nil, "consumer": consumerID},
		rcv.got()[3].body, "the body of L2859")
}

func TestDocumentSigningScenario88(t *testing.T) {
	e := newEnv(t, nil)
	consumerID, _, _ := e.signer("")
	in := signing(consumerID, "", signTwo)
	in["scenario"] = 88
	st, body := e.do("POST", "/api/rb/workflow", e.token, in)
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"legal_entity": []any{"Это поле обязательно."}}, body["error"])
	in["legal_entity"] = map[string]any{"inn": "3123456448"}
	id, r := e.create(in)
	require.Equal(t, float64(88), r["scenario"])
	e.advanceTo(2*step, id, "complete")
}

func TestDocumentSigningRefused(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, func(c *sandbox.Config) { c.IntermediateCallbacks = true })
	consumerID, _, _ := e.signer(rcv.srv.URL)
	id, _ := e.create(signing(consumerID, rcv.srv.URL, []any{
		map[string]any{"title": "Отказ.pdf", "path": base64.StdEncoding.EncodeToString(docPDF)}}))
	e.advanceTo(2*step, id, "sign-rejected")
	e.advanceTo(step, id, "rejected")
	w, _ := e.sb.Workflow(id)
	require.Equal(t, sandbox.SignRefusedMessage, w.ErrorMessage)
	signingBodies := func() (out []map[string]any) {
		for _, d := range rcv.got() {
			if d.body["type"] == "document-signing" {
				out = append(out, d.body)
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(signingBodies()) == 2 }, waitFor, tick)
	got := signingBodies()
	require.Equal(t, "sign-rejected", got[0]["state"])
	require.Equal(t, "rejected", got[1]["state"])
	require.Equal(t, sandbox.SignRefusedMessage, got[1]["error_message"])
	_, sigs := sandbox.Signed(e.sb, id)
	require.Equal(t, [][]byte{nil}, sigs, "nothing is signed")
}

func TestDocumentSigningValidation(t *testing.T) {
	e := newEnv(t, nil)
	consumerID, _, _ := e.signer("")
	doc := map[string]any{"title": "a.pdf", "path": "JVBERi0xLjQK"}
	many := make([]any, 51)
	for i := range many {
		many[i] = doc
	}
	cases := []struct {
		name string
		body map[string]any
		want map[string]any
	}{
		{"51 documents", signing(consumerID, "", many), map[string]any{"documents": []any{"Убедитесь, что это поле содержит не более 50 элементов."}}},
		{"no documents", signing(consumerID, "", []any{}), map[string]any{"documents": []any{"Этот список не может быть пустым."}}},
		{"title too long and bad base64", signing(consumerID, "", []any{doc,
			map[string]any{"title": strings.Repeat("я", 247) + ".pdf", "path": "не base64"}}),
			map[string]any{"documents": []any{map[string]any{}, map[string]any{
				"title": []any{"Убедитесь, что это поле содержит не более 250 символов."}, "path": []any{"Неправильный формат файла"}}}}},
		{"unknown consumer", signing("5f0b66f4-80a6-4228-b3fa-e141a1046798", "", []any{doc}),
			map[string]any{"consumer": []any{"Недопустимый первичный ключ - объект не существует."}}},
	}
	for _, c := range cases {
		st, body := e.do("POST", "/api/rb/workflow", e.token, c.body)
		require.Equal(t, 400, st, c.name)
		require.Equal(t, c.want, body["error"], c.name)
	}
	// 50 documents of up to 250 characters are fine.
	id, _ := e.create(signing(consumerID, "", many[:50]))
	require.NotZero(t, id)
	// A consumer without a confirmed КЭП cannot sign.
	reg, _ := e.create(registration("Петров", ""))
	w, _ := e.sb.Workflow(reg)
	st, body := e.do("POST", "/api/rb/workflow", e.token, signing(w.ConsumerID, "", []any{doc}))
	require.Equal(t, 400, st)
	require.Equal(t, map[string]any{"consumer": []any{"У клиента нет подтвержденного сертификата электронной подписи"}}, body["error"])
}

func TestDocumentSigningSurvivesReopen(t *testing.T) {
	rcv := newReceiver(t, nil)
	p := newPersisted(t, nil)
	e := p.open()
	consumerID, _, _ := e.signer(rcv.srv.URL)
	id, _ := e.create(signing(consumerID, rcv.srv.URL, signTwo))
	p.close(e)
	p.clock.Advance(3 * step) // the person signs while the sandbox is down
	e = p.open()
	e.advanceTo(0, id, "complete")
	contents, sigs := sandbox.Signed(e.sb, id)
	require.Equal(t, [][]byte{docPDF, docXML}, contents, "the documents survive")
	for i := range sigs {
		verifyCMS(t, e.sb, sigs[i], contents[i])
	}
	require.Eventually(t, func() bool { s := rcv.states(); return len(s) > 0 && s[len(s)-1] == "document-signing:complete" }, waitFor, tick)
	p.close(e)
	e = p.open()
	_, again := sandbox.Signed(e.sb, id)
	require.Equal(t, sigs, again, "the signatures survive")
	st, body := e.do("GET", path("workflow", id, "document"), e.token, nil)
	require.Equal(t, 200, st, "%v", body)
	for i, d := range result(t, body)["documents"].([]any) {
		st, content := e.get(d.(map[string]any)["path"].(string), e.token)
		require.Equal(t, 200, st)
		require.Equal(t, contents[i], content)
		st, sig := e.get(d.(map[string]any)["signature"].(string), e.token)
		require.Equal(t, 200, st)
		require.Equal(t, sigs[i], sig, "the links serve the same signature after a reopen")
	}
}

func TestSignedDocumentsListAndDownloads(t *testing.T) {
	e := newEnv(t, nil)
	consumerID, _, _ := e.signer("")
	id, _ := e.create(signing(consumerID, "", signTwo))
	list := func() []any {
		st, body := e.do("GET", path("workflow", id, "document"), e.token, nil)
		require.Equal(t, 200, st, "%v", body)
		return result(t, body)["documents"].([]any)
	}
	docs := list()
	require.Len(t, docs, 2)
	require.Nil(t, docs[0].(map[string]any)["signature"], "not signed yet")
	e.advanceTo(2*step, id, "complete")
	docs = list()
	require.Len(t, docs, 2)
	reSig := regexp.MustCompile(`^/api/rb/document/\d+/signature/[A-Z0-9]{8}\.p7s$`)
	for i, want := range [][]byte{docPDF, docXML} {
		d := docs[i].(map[string]any)
		require.Equal(t, []any{"Заявление (ИП).pdf", "usn.xml"}[i], d["title"])
		require.Equal(t, "not-rejectable", d["type"])
		require.Equal(t, true, d["is_viewed"])
		require.Equal(t, false, d["encrypted"])
		require.NotEmpty(t, d["created"])
		sigLink := d["signature"].(string)
		require.Regexp(t, reSig, sigLink)
		st, content := e.get(d["path"].(string), e.token)
		require.Equal(t, 200, st, "%s", content)
		require.Equal(t, want, content, "the exact bytes")
		st, sig := e.get(sigLink, e.token)
		require.Equal(t, 200, st, "%s", sig)
		require.Len(t, verifyCMS(t, e.sb, sig, content), 1)
		st, _ = e.get(sigLink[:len(sigLink)-len("AAAAAAAA.p7s")]+"AAAAAAAA.p7s", e.token)
		require.Equal(t, 404, st, "another name")
	}
	st, _ := e.get(path("document", int64(999), "signature", "AAAAAAAA.p7s"), e.token)
	require.Equal(t, 404, st)
}

func TestSignaturesMerge(t *testing.T) {
	e := newEnv(t, nil)
	first, _, agentTok := e.signer("")
	second, _, _ := e.signerBy("", agentTok)
	require.NotEqual(t, first, second)
	one := []any{map[string]any{"title": "договор.pdf", "path": base64.StdEncoding.EncodeToString(docPDF)}}
	a, _ := e.create(signing(first, "", one))
	b, _ := e.create(signing(second, "", one))
	e.advanceTo(2*step, a, "complete")
	e.advanceTo(0, b, "complete")
	link := func(id int64) string {
		st, body := e.do("GET", path("workflow", id, "document"), e.token, nil)
		require.Equal(t, 200, st, "%v", body)
		return result(t, body)["documents"].([]any)[0].(map[string]any)["signature"].(string)
	}
	_, sigB := e.get(link(b), e.token)
	st, body := e.do("POST", "/api/rb/signatures-merge", e.token, map[string]any{"signatures": []any{
		map[string]any{"url": link(a)}, map[string]any{"base64_file": base64.StdEncoding.EncodeToString(sigB)}}})
	require.Equal(t, 200, st, "%v", body)
	merged, err := base64.StdEncoding.DecodeString(result(t, body)["result"].(string))
	require.NoError(t, err)
	p7, err := pkcs7.Parse(merged)
	require.NoError(t, err)
	require.Len(t, p7.Signers, 2, "both signers")
	certs := verifyCMS(t, e.sb, merged, docPDF)
	require.Len(t, certs, 2)
	names := []string{certs[0].Subject.CommonName, certs[1].Subject.CommonName}
	require.ElementsMatch(t, []string{"Иванов Иван Иванович", "Сидоров Иван Иванович"}, names)

	// The same signature twice is one signer (the document's own example).
	st, body = e.do("POST", "/api/rb/signatures-merge", e.token, map[string]any{"signatures": []any{
		map[string]any{"url": link(a)}, map[string]any{"url": link(a)}}})
	require.Equal(t, 200, st, "%v", body)

	// Signatures of other content, unknown links, bad files, no list.
	c, _ := e.create(signing(first, "", signTwo[1:]))
	e.advanceTo(2*step, c, "complete")
	bad := []struct {
		in   any
		want map[string]any
	}{
		{[]any{map[string]any{"url": link(a)}, map[string]any{"url": link(c)}}, map[string]any{"signatures": []any{"Подписи относятся к разным документам"}}},
		{[]any{map[string]any{"url": "/api/rb/document/1/signature/VIY52ZGQ.p7s"}, map[string]any{"base64_file": "MIAsdf"}},
			map[string]any{"signatures": []any{map[string]any{"url": []any{"Подпись не найдена"}}, map[string]any{"base64_file": []any{"Неправильный формат подписи"}}}}},
		{[]any{}, map[string]any{"signatures": []any{"Этот список не может быть пустым."}}},
		{nil, map[string]any{"signatures": []any{"Это поле обязательно."}}},
	}
	for _, c := range bad {
		st, body := e.do("POST", "/api/rb/signatures-merge", e.token, map[string]any{"signatures": c.in})
		require.Equal(t, 400, st, "%v", c.in)
		require.Equal(t, c.want, body["error"], "%v", c.in)
	}
}
