package fns_test

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sandbox "idflow/internal/sandbox/fns"
)

// Subject attributes of a qualified certificate for an entrepreneur or a legal entity.
var (
	oidOGRNIP = asn1.ObjectIdentifier{1, 2, 643, 100, 5}
	oidINNLE  = asn1.ObjectIdentifier{1, 2, 643, 100, 4}
)

// extraSignature is a scenario-84 body; holder is "entrepreneur" or "legal_entity".
func extraSignature(consumerID, callback, holder string, block map[string]any) map[string]any {
	return map[string]any{"scenario": "84", "callback": callback, "consumer": consumerID,
		"external_id": uuid.NewString(), holder: block}
}

// legalEntityBlock is a scenario-84 legal entity of INN inn.
func legalEntityBlock(inn string) map[string]any {
	return map[string]any{"inn": inn, "name": "ООО «Заказчик " + inn + "»", "ogrn": "1193123017042", "position": "директор"}
}

// issueSignature drives a certificate-issuing workflow from wait-pkcs10 to
// complete, the partner uploading the scans, and returns its sign certificate.
func (e *env) issueSignature(id int64) map[string]any {
	t := e.t
	t.Helper()
	e.advanceTo(step, id, "wait-secret-key")
	e.advanceTo(step, id, "certificate-issue")
	e.advanceTo(step, id, "wait-scan-upload")
	cert := e.full(id, e.token)["certificate"].(map[string]any)
	require.Equal(t, "sign", cert["type"])
	require.Equal(t, "issued", cert["state"])
	require.Equal(t, false, cert["is_confirmed"])
	st, body := e.do("PUT", path("workflow", id, "state"), e.token, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 400, st)
	require.Equal(t, []any{"Не загружены сканы документов"}, body["error"].(map[string]any)["non_field_errors"])
	st, body = e.do("GET", path("workflow", id, "document-scan"), e.token, nil)
	require.Equal(t, 200, st, "%v", body)
	scans := result(t, body)["scans"].([]any)
	require.Len(t, scans, 2)
	require.Equal(t, "Фотография клиента с подписанным сертификатом в руках", scans[0].(map[string]any)["document_title"])
	for _, s := range scans {
		st, body = e.do("PUT", path("document-scan", s.(map[string]any)["id"]), e.token, map[string]any{"title": "scan.jpg", "path": "/9j/4AAQ"})
		require.Equal(t, 200, st, "%v", body)
	}
	st, body = e.do("PUT", path("workflow", id, "state"), e.token, map[string]any{"state": "scan_confirm_received"})
	require.Equal(t, 200, st, "%v", body)
	require.Equal(t, "complete", result(t, body)["state"])
	cert = e.full(id, e.token)["certificate"].(map[string]any)
	require.Equal(t, true, cert["is_confirmed"])
	return cert
}

// issuedCert fetches a certificate's file and checks that it chains to the sandbox CA.
func (e *env) issuedCert(cert map[string]any) *x509.Certificate {
	t := e.t
	t.Helper()
	st, raw := e.get(cert["certificate_link"].(string), e.token)
	require.Equal(t, 200, st, "%s", raw)
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
	return x
}

// subjectValue is the value of attribute oid in x's subject, "" when none.
func subjectValue(x *x509.Certificate, oid asn1.ObjectIdentifier) string {
	for _, n := range x.Subject.Names {
		if n.Type.Equal(oid) {
			s, _ := n.Value.(string)
			return s
		}
	}
	return ""
}

// searchConsumer returns the consumer search result of the test person.
func (e *env) searchConsumer(consumerID string) map[string]any {
	e.t.Helper()
	st, body := e.do("POST", "/api/rb/consumer/search", e.token, map[string]any{"last_name": "Иванов", "first_name": "Иван", "phone": "79001234567"})
	require.Equal(e.t, 200, st, "%v", body)
	for _, c := range body["result"].([]any) {
		if c.(map[string]any)["id"] == consumerID {
			return c.(map[string]any)
		}
	}
	e.t.Fatalf("consumer %s not found", consumerID)
	return nil
}

func TestExtraSignatureRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ident, _, _ := e.identified("")
	consumerID := e.consumerOf(ident)
	const ogrnip = "321032700015430"
	pending, _ := e.create(registration("Петров", ""))
	require.Equal(t, map[string]any{"consumer": []any{"Клиент не прошёл идентификацию"}},
		e.badCreate(extraSignature(e.consumerOf(pending), "", "entrepreneur", map[string]any{"ogrnip": ogrnip})), "A17")
	both := extraSignature(consumerID, "", "entrepreneur", map[string]any{"ogrnip": ogrnip})
	both["legal_entity"] = legalEntityBlock("3123456448")
	require.Equal(t, map[string]any{"non_field_errors": []any{"Укажите либо entrepreneur, либо legal_entity"}}, e.badCreate(both))
	require.Equal(t, map[string]any{"non_field_errors": []any{"Укажите entrepreneur или legal_entity"}},
		e.badCreate(map[string]any{"scenario": 84, "consumer": consumerID}))
	require.Equal(t, map[string]any{"entrepreneur": map[string]any{"ogrnip": []any{"Неправильный формат ОГРНИП"}}},
		e.badCreate(extraSignature(consumerID, "", "entrepreneur", map[string]any{"ogrnip": "319240000120000"})))
	require.Equal(t, map[string]any{"legal_entity": map[string]any{"inn": []any{"Неправильный формат ИНН"}}},
		e.badCreate(extraSignature(consumerID, "", "legal_entity", map[string]any{"inn": "3123456449"})))
	require.Equal(t, map[string]any{"legal_entity": map[string]any{"ogrn": []any{"Неправильный формат ОГРН"}}},
		e.badCreate(extraSignature(consumerID, "", "legal_entity", map[string]any{"inn": "3123456448", "ogrn": "1193123017043"})))

	// One entrepreneur signature per person (L77), counted from its request on.
	first, _ := e.create(extraSignature(consumerID, "", "entrepreneur", map[string]any{"ogrnip": ogrnip}))
	require.Equal(t, map[string]any{"entrepreneur": []any{"У клиента уже есть подпись индивидуального предпринимателя"}},
		e.badCreate(extraSignature(consumerID, "", "entrepreneur", map[string]any{"ogrnip": ogrnip})))
	st, body := e.do("PUT", "/api/rb/workflow/remove", e.token, map[string]any{"workflow_id_list": []any{first}})
	require.Equal(t, 200, st, "%v", body)
	e.create(extraSignature(consumerID, "", "entrepreneur", map[string]any{"ogrnip": ogrnip})) // the removed one no longer counts
}

func TestExtraSignatureOfAnEntrepreneur(t *testing.T) {
	rcv := newReceiver(t, nil)
	e := newEnv(t, nil)
	consumerID, personCert, _ := e.signer(rcv.srv.URL)
	in := extraSignature(consumerID, rcv.srv.URL, "entrepreneur", map[string]any{"ogrnip": "321032700015430"})
	id, r := e.create(in)
	require.Equal(t, map[string]any{"id": float64(id), "scenario": float64(84), "consumer": consumerID, "callback": rcv.srv.URL,
		"external_id": in["external_id"], "group": float64(1), "space": float64(2),
		"title": "Получите сертификат индивидуального предпринимателя", "state": "wait-pkcs10",
		"created": r["created"], "updated": r["updated"]}, r, "the answer of L456–471")
	full := e.full(id, e.token)
	require.Equal(t, "certificate-issuing", full["type"])
	require.Nil(t, full["parent"])
	require.Equal(t, map[string]any{"ogrnip": "321032700015430"}, full["entrepreneur"])

	cert := e.issueSignature(id)
	require.Equal(t, "321032700015430", cert["certificate_data"].(map[string]any)["subject"].(map[string]any)["OGRNIP"])
	x := e.issuedCert(cert)
	require.Equal(t, "321032700015430", subjectValue(x, oidOGRNIP), "the OGRNIP is in the subject")
	require.Equal(t, "Иванов Иван Иванович", x.Subject.CommonName)
	certID := int64(cert["id"].(float64))
	require.True(t, sandbox.SignKeyMatches(e.sb, consumerID, certID), "the app keeps its key")
	require.Equal(t, "Сертификат индивидуального предпринимателя выпущен", e.full(id, e.token)["title"])

	require.Eventually(t, func() bool { return e.sb.CallbacksDelivered(id, "complete") == 1 }, waitFor, tick)
	cb := rcv.got()[len(rcv.got())-1].body
	require.Equal(t, float64(id), cb["id"])
	require.Equal(t, "certificate-issuing", cb["type"])
	require.Nil(t, cb["parent_id"])
	require.Equal(t, in["external_id"], cb["external_id"])

	cons := e.searchConsumer(consumerID)
	require.Equal(t, map[string]any{"ogrnip": "321032700015430"}, cons["entrepreneur"])
	certs := cons["certificates"].([]any)
	require.Len(t, certs, 3) // auth, the person's КЭП, the entrepreneur's
	require.Equal(t, float64(personCert), certs[1].(map[string]any)["id"])
	require.Equal(t, float64(certID), certs[2].(map[string]any)["id"])
}

func TestExtraSignaturesOfLegalEntities(t *testing.T) {
	e := newEnv(t, nil)
	consumerID, _, _ := e.signer("")
	for _, inn := range []string{"3123456448", "7707083893"} {
		id, r := e.create(extraSignature(consumerID, "", "legal_entity", legalEntityBlock(inn)))
		require.Equal(t, "Получите сертификат представителя юридического лица", r["title"])
		require.Equal(t, inn, e.full(id, e.token)["legal_entity"].(map[string]any)["inn"])
		x := e.issuedCert(e.issueSignature(id))
		require.Equal(t, inn, subjectValue(x, oidINNLE), "the legal entity's INN is in the subject")
		require.Equal(t, []string{"ООО «Заказчик " + inn + "»"}, x.Subject.Organization)
	}
	les := e.searchConsumer(consumerID)["legal_entities"].([]any)
	require.Len(t, les, 2)
	require.Equal(t, "7707083893", les[1].(map[string]any)["inn"])

	// Two legal-entity signatures: a signing must name the legal entity (L302).
	docs := []any{map[string]any{"title": "usn.xml", "path": base64.StdEncoding.EncodeToString(docXML)}}
	require.Equal(t, map[string]any{"legal_entity": []any{"Это поле обязательно."}}, e.badCreate(signing(consumerID, "", docs)))
	in := signing(consumerID, "", docs)
	in["scenario"], in["legal_entity"] = 88, map[string]any{"inn": "7728168971"}
	require.Equal(t, map[string]any{"legal_entity": map[string]any{"inn": []any{"У клиента нет подписи этого юридического лица"}}}, e.badCreate(in))
	in["legal_entity"] = map[string]any{"inn": "7707083893"}
	id, _ := e.create(in)
	e.advanceTo(2*step, id, "complete")
	contents, sigs := sandbox.Signed(e.sb, id)
	signers := verifyCMS(t, e.sb, sigs[0], contents[0])
	require.Equal(t, "7707083893", subjectValue(signers[0], oidINNLE), "signed with that legal entity's signature")
}
