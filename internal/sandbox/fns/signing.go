package fns

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/smallstep/pkcs7"
)

// Document signing (scenarios 82 and 88, §1.2.3).
const (
	TypeDocumentSigning = "document-signing"
	StateWaitSignature  = "wait-signature"
	StateSignRejected   = "sign-rejected" // StateSignRejected is the intermediate refusal state; rejected follows.

	ScenarioDocumentSigning   = 82 // ScenarioDocumentSigning signs documents (L480).
	ScenarioDocumentSigningLE = 88 // ScenarioDocumentSigningLE signs for one of several legal-entity signatures (L545).

	MaxSignDocuments = 50  // MaxSignDocuments is the documented maximum of documents (L300).
	MaxDocTitle      = 250 // MaxDocTitle is the documented maximum title length (L301).

	// SignRefusedMessage is the error_message of a refused signing (the sandbox's text).
	SignRefusedMessage = "Клиент отказался от подписания документов"

	titleDocumentSigning = "Подпишите документы"
	docNotRejectable     = "not-rejectable"
	fileDocument         = "document"
	fileSignature        = "signature"
)

// Messages of the signing validation (DRF's Russian texts where it has one).
const (
	msgUnknownConsumer  = "Недопустимый первичный ключ - объект не существует."
	msgNoSignCert       = "У клиента нет подтвержденного сертификата электронной подписи"
	msgEmptyList        = "Этот список не может быть пустым."
	msgNotAList         = "Ожидался список элементов."
	msgTooManyDocuments = "Убедитесь, что это поле содержит не более 50 элементов."
	msgTitleTooLong     = "Убедитесь, что это поле содержит не более 250 символов."
	msgBadSignature     = "Неправильный формат подписи"
	msgSignatureUnknown = "Подпись не найдена"
	msgOtherContent     = "Подписи относятся к разным документам"
	msgSignCertRevoked  = "Сертификат электронной подписи клиента отозван"
	msgNoLESignature    = "У клиента нет подписи этого юридического лица"
)

// RefuseWords make the simulated person refuse to sign: a document title
// containing one of them (any case) leads to sign-rejected, then rejected.
var RefuseWords = []string{"отказ", "refuse"}

// signDoc is a document of a signing workflow and, once signed, its
// detached CMS signature.
type signDoc struct {
	id        int64
	workflow  *workflow
	title     string
	content   []byte
	signature []byte // signature is the DER of the detached CMS SignedData, nil until signed
	sigName   string // sigName is the 8-character name of the .p7s link
	viewed    bool
	created   time.Time
	updated   time.Time
}

// sanitizeTitle replaces what [^\.\(\)\w\s-] matches (Unicode \w) by "_" (L301).
func sanitizeTitle(t string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '(' || r == ')' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsSpace(r) {
			return r
		}
		return '_'
	}, strings.TrimSpace(t))
}

// canSignWith reports whether the app can sign with ce: a confirmed,
// issued, not revoked sign certificate whose key it holds.
func (c *consumer) canSignWith(ce *certificate) bool {
	return ce.typ == CertSign && ce.isConfirmed && ce.der != nil && ce.state != CertRevoked && c.signKeys[ce.id] != nil
}

// signerCert returns the certificate a signing for the legal entity of INN
// inn ("" for none) uses: the newest usable signature of that legal
// entity; else the newest usable one that is not a legal entity's (the
// person's own, or the entrepreneur's); else the newest usable one; nil
// when there is none.
func (c *consumer) signerCert(inn string) *certificate {
	var own, other *certificate
	for _, ce := range slices.Backward(c.certs) {
		switch {
		case !c.canSignWith(ce):
		case inn != "" && ce.subject[subjectINNLE] == inn:
			return ce
		case own == nil && ce.subject[subjectINNLE] == "":
			own = ce
		case other == nil:
			other = ce
		}
	}
	if own != nil {
		return own
	}
	return other
}

// legalEntitySignatures are the INNs of the legal entities the consumer
// holds a usable signature of (scenario 84's).
func (c *consumer) legalEntitySignatures() map[string]bool {
	out := map[string]bool{}
	for _, ce := range c.certs {
		if inn := ce.subject[subjectINNLE]; inn != "" && c.canSignWith(ce) {
			out[inn] = true
		}
	}
	return out
}

// hasRevokedSignature reports whether the consumer held a confirmed sign
// certificate that was revoked.
func (c *consumer) hasRevokedSignature() bool {
	for _, ce := range c.certs {
		if ce.typ == CertSign && ce.isConfirmed && ce.state == CertRevoked {
			return true
		}
	}
	return false
}

// consumerOf resolves the consumer UUID of the scenarios after
// registration, adding its error to e; the caller holds s.mu.
func (s *Sandbox) consumerOf(raw json.RawMessage, e errs) *consumer {
	var id string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		e.add("consumer", msgRequired)
	case json.Unmarshal(raw, &id) != nil:
		e.add("consumer", msgUnknownConsumer)
	default:
		if c := s.consumers[strings.TrimSpace(id)]; c != nil {
			return c
		}
		e.add("consumer", msgUnknownConsumer)
	}
	return nil
}

// consumerRefused answers 400 for a blocked consumer, or with notIdentified
// for one that is not identified, and reports whether it did.
func consumerRefused(w http.ResponseWriter, c *consumer, notIdentified string) bool {
	msg := ""
	switch {
	case c.state == ConsumerBlocked || c.state == ConsumerTemporarily:
		msg = msgBlocked
	case c.state != ConsumerIdentified:
		msg = notIdentified
	default:
		return false
	}
	writeError(w, http.StatusBadRequest, map[string]any{"consumer": []string{msg}})
	return true
}

// signingCert returns the certificate of a signing for the legal entity
// le (nil: none), or answers the 400 that there is none: no usable КЭП, a
// revoked one, legal_entity missing although the consumer holds two or more
// legal-entity signatures, or naming none of those it holds.
func signingCert(w http.ResponseWriter, c *consumer, le *legalEntity) *certificate {
	inn := ""
	if le != nil {
		inn = strings.TrimSpace(string(le.INN))
	}
	les := c.legalEntitySignatures()
	switch {
	case le == nil && len(les) >= 2:
		writeError(w, http.StatusBadRequest, map[string]any{"legal_entity": []string{msgRequired}})
		return nil
	case le != nil && len(les) > 0 && !les[inn]:
		writeError(w, http.StatusBadRequest, map[string]any{"legal_entity": map[string]any{"inn": []string{msgNoLESignature}}})
		return nil
	}
	cert := c.signerCert(inn)
	if cert == nil {
		msg := msgNoSignCert
		if c.hasRevokedSignature() {
			msg = msgSignCertRevoked
		}
		writeError(w, http.StatusBadRequest, map[string]any{"consumer": []string{msg}})
	}
	return cert
}

// createSigning serves POST /api/rb/workflow for scenarios 82 and 88;
// e holds the errors of the common fields; the caller holds s.mu.
func (s *Sandbox) createSigning(w http.ResponseWriter, in *createBody, scenario int, ext string, e errs) {
	c := s.consumerOf(in.Consumer, e)
	items, contents := parseSignDocuments(in, e)
	if scenario == ScenarioDocumentSigningLE && in.LegalEntity == nil {
		e.add("legal_entity", msgRequired)
	}
	checkSigningLegalEntity(in, e)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	if consumerRefused(w, c, msgNoSignCert) {
		return
	}
	cert := signingCert(w, c, in.LegalEntity)
	if cert == nil {
		return
	}
	s.startSigning(w, in, scenario, ext, titleDocumentSigning, c, cert, items, contents)
}

// parseSignDocuments checks "documents" (1 to 50, each a title and base64
// content), adding its errors to e.
func parseSignDocuments(in *createBody, e errs) ([]fileBody, [][]byte) {
	var items []fileBody
	var contents [][]byte
	switch {
	case len(in.Documents) == 0 || string(in.Documents) == "null":
		e.add("documents", msgRequired)
	case json.Unmarshal(in.Documents, &items) != nil:
		e.add("documents", msgNotAList)
	case len(items) == 0:
		e.add("documents", msgEmptyList)
	case len(items) > MaxSignDocuments:
		e.add("documents", msgTooManyDocuments)
	default:
		list := make([]errs, len(items))
		contents = make([][]byte, len(items))
		for i, it := range items {
			ie := errs{}
			if ie.required("title", it.Title) && len([]rune(strings.TrimSpace(string(it.Title)))) > MaxDocTitle {
				ie.add("title", msgTitleTooLong)
			}
			if ie.required("path", it.Path) {
				b, ok := decodeBase64(string(it.Path))
				if !ok {
					ie.add("path", msgBadBase64)
				}
				contents[i] = b
			}
			list[i] = ie
		}
		e.items("documents", list)
	}
	return items, contents
}

// checkSigningLegalEntity checks the optional legal_entity block's INN.
func checkSigningLegalEntity(in *createBody, e errs) {
	if in.LegalEntity == nil {
		return
	}
	le := errs{}
	if le.required("inn", in.LegalEntity.INN) && len(in.LegalEntity.INN) != 10 {
		le.add("inn", msgINN)
	}
	if len(le) > 0 {
		e["legal_entity"] = map[string]any(le)
	}
}

// startSigning makes the signing workflow for c's cert; the person signs
// after Config.SignDelay; the caller holds s.mu.
func (s *Sandbox) startSigning(w http.ResponseWriter, in *createBody, scenario int, ext, title string, c *consumer, cert *certificate,
	items []fileBody, contents [][]byte) {
	now := s.now()
	wf := &workflow{id: s.nextID(), typ: TypeDocumentSigning, scenario: scenario, state: StateWaitSignature,
		title: title, consumer: c, callback: string(in.Callback), externalID: ext, created: now, updated: now,
		cert: cert, searchedBy: map[string]bool{}}
	for i, it := range items {
		d := &signDoc{id: s.nextID(), workflow: wf, title: sanitizeTitle(string(it.Title)), content: contents[i]}
		d.created, d.updated = now, now
		wf.docs = append(wf.docs, d)
		s.docs[d.id] = d
		s.fileChanged(fileDocument, d.id)
	}
	s.addWorkflow(wf)
	s.scheduleEvent(wf, s.cfg.SignDelay, evSign)
	s.advance()
	writeResult(w, wf.createJSON())
}

// refuses reports whether the simulated person refuses wf's documents.
func (wf *workflow) refuses() bool {
	for _, d := range wf.docs {
		t := strings.ToLower(d.title)
		for _, word := range RefuseWords {
			if strings.Contains(t, word) {
				return true
			}
		}
	}
	return false
}

// signDocuments is the person signing every document of wf in the app;
// the caller holds s.mu.
func (s *Sandbox) signDocuments(wf *workflow) {
	if wf.refuses() {
		s.transition(wf, StateSignRejected)
		s.scheduleEvent(wf, s.cfg.SignRejectDelay, evSignRejected)
		return
	}
	key := wf.consumer.signKeys[wf.cert.id]
	x, err := x509.ParseCertificate(wf.cert.der)
	if err == nil && (key == nil || !key.PublicKey.Equal(x.PublicKey)) {
		err = errors.New("the certificate is not of the app's key") // e.g. a certificate the partner uploaded
	}
	if wf.cert.state == CertRevoked {
		wf.errorMessage = ptr(msgSignCertRevoked)
		s.transition(wf, StateError)
		return
	}
	sigs := make([][]byte, len(wf.docs))
	for i, d := range wf.docs {
		if err == nil {
			sigs[i], err = signDetached(d.content, x, key)
		}
	}
	if err != nil {
		wf.errorMessage = ptr("Ошибка подписания документов")
		s.transition(wf, StateError)
		return
	}
	now := s.now()
	for i, d := range wf.docs {
		d.signature, d.sigName, d.viewed, d.updated = sigs[i], sigName(), true, now
		s.fileChanged(fileSignature, d.id)
	}
	s.transition(wf, StateComplete)
}

// signDetached makes a detached CMS SignedData (SHA-256, ECDSA) over content
// with the signer's certificate embedded.
func signDetached(content []byte, cert *x509.Certificate, key *ecdsa.PrivateKey) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, err
	}
	sd.Detach()
	return sd.Finish()
}

// sigName is 8 random uppercase letters and digits, like "Y4BEIUHP" (L2394).
func sigName() string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// docPath is a document's path link (L519).
func (d *signDoc) path() string { return filePath("document", d.id, d.title).(string) }

// json renders a document of the create answer and, with its signature
// link once signed, of GET /workflow/{id}/document (§1.7).
func (d *signDoc) json(withSignature bool) map[string]any {
	m := map[string]any{"id": d.id, "title": d.title, "description": nil, "type": docNotRejectable, "path": d.path(),
		"visualization": nil, "is_viewed": d.viewed, "encrypted": false}
	if withSignature {
		var sig any
		if d.signature != nil {
			sig = "/api/rb/document/" + strconv.FormatInt(d.id, 10) + "/signature/" + d.sigName + ".p7s"
		}
		m["signature"] = sig
		m["created"], m["updated"] = ts(d.created), ts(d.updated)
	}
	return m
}
