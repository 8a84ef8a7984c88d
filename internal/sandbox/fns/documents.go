package fns

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// State commands of PUT /workflow/{id}/state (§1.4.4).
const (
	CmdIdentify                 = "identify"
	CmdScanConfirmReceived      = "scan_confirm_received"
	CmdCompleteExternalActivity = "complete_external_activity"
)

// decodeBase64 reads standard or URL base64, with or without padding
// (the document's own example "KJHDS23rhfKDFsdf=" is mis-padded).
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, false
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return b, err == nil
}

// fileBody is the {title, path} body of the uploads.
type fileBody struct {
	Title jstr `json:"title"`
	Path  jstr `json:"path"`
}

// readFile decodes and checks an upload body, answering 400 itself.
func readFile(w http.ResponseWriter, r *http.Request) (title string, content []byte, ok bool) {
	var in fileBody
	if !decode(w, r, &in) {
		return "", nil, false
	}
	e := errs{}
	e.required("title", in.Title)
	if e.required("path", in.Path) {
		if content, ok = decodeBase64(string(in.Path)); !ok {
			e.add("path", msgBadBase64)
		}
	}
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return "", nil, false
	}
	return path.Base(strings.ReplaceAll(strings.TrimSpace(string(in.Title)), `\`, "/")), content, true
}

// confDocURLs are a confirmation document's template links.
func confDocURLs(d *confDoc) (string, string) {
	base := "/api/rb/confirmation-document/" + strconv.FormatInt(d.id, 10)
	return base + "/template", base + "/template-text"
}

// filePath is the path link of an uploaded file, "" when none.
func filePath(kind string, id int64, title string) any {
	if title == "" {
		return nil
	}
	return "/api/rb/" + kind + "/" + strconv.FormatInt(id, 10) + "/path/" + url.PathEscape(title)
}

// json renders a confirmation document of the list.
func (d *confDoc) json() map[string]any {
	t, tt := confDocURLs(d)
	return map[string]any{"id": d.id, "document": map[string]any{"title": confDocPassportTitle}, "state": d.state,
		"type": "internal-passport", "created": ts(d.created), "updated": ts(d.updated), "template_url": t,
		"template_text_url": tt, "title": d.title, "path": filePath("confirmation-document", d.id, d.title)}
}

// ensureConfDocs creates the passport scan request of an identification; the caller holds s.mu.
func (s *Sandbox) ensureConfDocs(wf *workflow) {
	if wf.typ != TypeIdentification || wf.confDocs != nil {
		return
	}
	now := s.now()
	d := &confDoc{id: s.nextID(), workflow: wf, state: ConfDocCreated, created: now, updated: now}
	wf.confDocs = []*confDoc{d}
	s.confDocs[d.id] = d
}

// handleConfDocList serves GET /api/rb/workflow/{id}/confirmation-document (§1.4.3).
func (s *Sandbox) handleConfDocList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	wf := s.visible(w, r)
	if wf == nil {
		return
	}
	s.ensureConfDocs(wf)
	list := []any{}
	for _, d := range wf.confDocs {
		list = append(list, d.json())
	}
	writeResult(w, map[string]any{"confirmation_documents": list})
}

// confDocOf returns the confirmation document of the path visible to the caller, answering 404 itself.
func (s *Sandbox) confDocOf(w http.ResponseWriter, r *http.Request) *confDoc {
	return visibleOf(s, w, r, s.confDocs, func(d *confDoc) *workflow { return d.workflow })
}

// handleConfDocUpload serves PUT /api/rb/confirmation-document/{id}.
func (s *Sandbox) handleConfDocUpload(w http.ResponseWriter, r *http.Request) {
	title, content, ok := readFile(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	d := s.confDocOf(w, r)
	if d == nil {
		return
	}
	if st := d.workflow.state; st != StateWaitIdentification && st != StateWaitPKCS10 {
		writeNonField(w, msgWrongState)
		return
	}
	d.title, d.content, d.state, d.updated = title, content, ConfDocReceived, s.now()
	s.fileChanged(fileConfDoc, d.id)
	m := d.json()
	doc := map[string]any{"title": "Паспорт (2,3 страницы)"}
	for _, k := range []string{"state", "type", "created", "updated", "template_url", "template_text_url", "title", "path"} {
		doc[k] = m[k]
	}
	writeResult(w, map[string]any{"id": d.id, "document": doc})
}

// handleConfDocFile serves the uploaded confirmation document.
func (s *Sandbox) handleConfDocFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	if d := s.confDocOf(w, r); d != nil {
		serveFile(w, d.title, d.content)
	}
}

// handleConfDocTemplate serves the printable passport-scan instruction.
func (s *Sandbox) handleConfDocTemplate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	d := s.confDocOf(w, r)
	if d == nil {
		return
	}
	p := &d.workflow.consumer.person
	text := fmt.Sprintf("Скан паспорта\n\nКлиент: %s\nПаспорт: %s %s\n\nПриложите скан 2-3 страниц паспорта.\n",
		p.fullName(), p.Identities[0].Series, p.Identities[0].Number)
	serveTemplate(w, r, "Скан паспорта", text)
}

// serveFile writes an uploaded file with a type guessed from its name.
func serveFile(w http.ResponseWriter, title string, content []byte) {
	if title == "" {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(title))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(content)
}

// serveTemplate writes a printable form: HTML at …/template, plain text at …/template-text.
func serveTemplate(w http.ResponseWriter, r *http.Request, title, text string) {
	if strings.HasSuffix(r.URL.Path, "/template") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body><pre>%s</pre></body></html>\n",
			esc.Replace(title), esc.Replace(text))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(text))
}

// json renders a scan (§1.5).
func (sc *scan) json() map[string]any {
	var t, tt any
	if sc.template {
		base := "/api/rb/document-scan/" + strconv.FormatInt(sc.id, 10)
		t, tt = base+"/template", base+"/template-text"
	}
	var p any
	if sc.title != "" {
		p = "/api/rb/document-scan/" + strconv.FormatInt(sc.id, 10) + "/path/document-" + strconv.FormatInt(sc.id, 10) + path.Ext(sc.title)
	}
	return map[string]any{"id": sc.id, "template_url": t, "template_text_url": tt, "document_title": sc.docTitle,
		"created": ts(sc.created), "updated": ts(sc.updated), "document_received": sc.title != "", "title": sc.title, "path": p}
}

// handleScanList serves GET /api/rb/workflow/{id}/document-scan.
func (s *Sandbox) handleScanList(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	wf := s.visible(w, r)
	if wf == nil {
		return
	}
	list := []any{}
	for _, sc := range wf.scans {
		list = append(list, sc.json())
	}
	writeResult(w, map[string]any{"scans": list, "id": wf.id, "parent_id": idOrNil(wf.parent), "child_id": idOrNil(wf.child),
		"consumer_id": wf.consumer.id, "consumer_role_type": "natural_entity"})
}

// scanOf returns the scan of the path visible to the caller, answering 404 itself.
func (s *Sandbox) scanOf(w http.ResponseWriter, r *http.Request) *scan {
	return visibleOf(s, w, r, s.scans, func(sc *scan) *workflow { return sc.workflow })
}

// handleScanUpload serves PUT /api/rb/document-scan/{id}.
func (s *Sandbox) handleScanUpload(w http.ResponseWriter, r *http.Request) {
	title, content, ok := readFile(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	sc := s.scanOf(w, r)
	if sc == nil {
		return
	}
	if sc.workflow.state != StateWaitScanUpload {
		writeNonField(w, msgWrongState)
		return
	}
	sc.title, sc.content, sc.updated = title, content, s.now()
	s.fileChanged(fileScan, sc.id)
	writeResult(w, sc.json())
}

// handleScanFile serves an uploaded scan.
func (s *Sandbox) handleScanFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	if sc := s.scanOf(w, r); sc != nil {
		serveFile(w, sc.title, sc.content)
	}
}

// handleScanTemplate serves the printable КЭП certificate form the agent
// gives the person to sign.
func (s *Sandbox) handleScanTemplate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	sc := s.scanOf(w, r)
	if sc == nil {
		return
	}
	cert := sc.workflow.cert
	if !sc.template || cert == nil || cert.der == nil {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	x, err := x509.ParseCertificate(cert.der)
	if err != nil {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	p := &sc.workflow.consumer.person
	text := fmt.Sprintf(`СЕРТИФИКАТ КЛЮЧА ПРОВЕРКИ ЭЛЕКТРОННОЙ ПОДПИСИ

Владелец: %s
СНИЛС: %s
ИНН: %s
Серийный номер: %s
Издатель: %s
Действителен с %s по %s

С информацией, содержащейся в сертификате, ознакомлен(а), её достоверность подтверждаю.

Подпись владельца ____________________ / %s /
Дата «___» ____________ 20__ г.
`, p.fullName(), p.SNILS, p.INN, cert.serial, x.Issuer.CommonName,
		x.NotBefore.UTC().Format("02.01.2006"), x.NotAfter.UTC().Format("02.01.2006"), p.fullName())
	serveTemplate(w, r, "Сертификат ключа проверки электронной подписи", text)
}

// handleState serves PUT /api/rb/workflow/{id}/state.
func (s *Sandbox) handleState(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State               jstr  `json:"state"`
		IdentificationPoint *jstr `json:"identification_point"`
		IdpInfo             jstr  `json:"idp_info"`
		AgentInfo           jstr  `json:"agent_info"`
		AgentExternalData   jstr  `json:"agent_external_data"`
	}
	if !decode(w, r, &in) {
		return
	}
	acc := caller(r)
	cmd := stateCommand(in.State)
	if cmd == CmdCompleteExternalActivity && !acc.partner {
		writeDetail(w, http.StatusForbidden, msgForbidden) // the partner ends it (L149)
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	wf := s.visible(w, r)
	if wf == nil {
		return
	}
	switch cmd {
	case "":
		writeError(w, http.StatusBadRequest, map[string]any{"state": []string{msgRequired}})
	case CmdIdentify:
		s.identify(w, acc, wf, in.IdentificationPoint, in.IdpInfo, in.AgentInfo, in.AgentExternalData)
	case CmdScanConfirmReceived:
		s.confirmScans(w, wf)
	case CmdCompleteExternalActivity:
		s.completeExternalActivity(w, wf)
	default:
		writeError(w, http.StatusBadRequest, map[string]any{"state": []string{`Значение "` + string(in.State) + `" отсутствует среди допустимых вариантов.`}})
	}
}

// stateCommand is the command of a PUT …/state, trimmed, with "-" read as
// "_" (the table spells the pseudo-state complete-external-activity).
func stateCommand(v jstr) string {
	return strings.ReplaceAll(strings.TrimSpace(string(v)), "-", "_")
}

// confirmScans serves scan_confirm_received: a certificate issuance whose
// scans are all uploaded completes and its sign certificate is confirmed;
// the caller holds s.mu.
func (s *Sandbox) confirmScans(w http.ResponseWriter, wf *workflow) {
	if wf.typ != TypeCertificateIssuing || wf.state != StateWaitScanUpload {
		writeNonField(w, msgWrongState)
		return
	}
	for _, sc := range wf.scans {
		if sc.title == "" {
			writeNonField(w, msgScansMissing)
			return
		}
	}
	wf.cert.isConfirmed = true
	wf.title = titleCertificateIssued
	if wf.scenario == ScenarioExtraSignature {
		s.signatureIssued(wf)
	}
	s.transition(wf, StateComplete)
	writeResult(w, map[string]any{"type": wf.typ, "error_message": nil, "error_code": nil, "updated": ts(wf.updated),
		"state": wf.state, "state_display": stateDisplay[wf.state]})
}

// identify confirms an in-person identification; the caller holds s.mu.
func (s *Sandbox) identify(w http.ResponseWriter, acc *account, wf *workflow, pointID *jstr, idp, agentInfo, extra jstr) {
	if !acc.can(PermIdentify) {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	if wf.typ != TypeIdentification || wf.state != StateWaitIdentification {
		writeNonField(w, msgWrongState)
		return
	}
	var pt *point
	if pointID != nil && *pointID != "" {
		n, err := strconv.ParseInt(string(*pointID), 10, 64)
		if pt = points[n]; err != nil || pt == nil || (acc.agent != nil && !containsID(acc.agent.points, n)) {
			writeError(w, http.StatusBadRequest, map[string]any{"identification_point": []string{
				`Недопустимый первичный ключ "` + string(*pointID) + `" - объект не существует.`}})
			return
		}
	}
	if acc.partner {
		e := errs{}
		e.required("idp_info", idp)
		e.required("agent_info", agentInfo)
		if len(e) > 0 {
			writeError(w, http.StatusBadRequest, map[string]any(e))
			return
		}
	} else if pt == nil {
		if len(acc.agent.points) > 1 {
			writeError(w, http.StatusBadRequest, map[string]any{"identification_point": []string{msgPointRequired}})
			return
		}
		pt = points[acc.agent.points[0]]
	}
	s.ensureConfDocs(wf)
	for _, d := range wf.confDocs {
		if d.state != ConfDocReceived {
			writeNonField(w, msgConfDocsMissing)
			return
		}
	}
	wf.point = pt
	if acc.partner {
		wf.idpInfo, wf.agentInfo = ptr(string(idp)), ptr(string(agentInfo))
		if extra != "" {
			wf.agentExtra = ptr(string(extra))
		}
	} else {
		wf.agent = acc.agent
	}
	s.transition(wf, StateCertificateIssue)
	s.scheduleEvent(wf, s.cfg.IssueDelay, evIssue)
	writeResult(w, map[string]any{"type": wf.typ, "error_message": nil, "error_code": nil, "updated": ts(wf.updated),
		"state": wf.state, "state_display": stateDisplay[wf.state], "message": nil, "idp_info": wf.idpInfo,
		"agent_info": wf.agentInfo, "agent_external_data": wf.agentExtra})
}

// containsID reports whether ids holds id.
func containsID(ids []int64, id int64) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

// handleCertificateUpload serves PUT /api/rb/workflow/{id}/certificate:
// the partner's own CA delivers the КЭП during certificate-issue (204).
func (s *Sandbox) handleCertificateUpload(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Certificate jstr `json:"certificate"`
	}
	if !decode(w, r, &in) {
		return
	}
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	wf := s.visible(w, r)
	if wf == nil {
		return
	}
	if in.Certificate == "" {
		writeError(w, http.StatusBadRequest, map[string]any{"certificate": []string{msgRequired}})
		return
	}
	der, ok := decodeBase64(string(in.Certificate))
	if ok {
		if b, _ := pem.Decode(der); b != nil {
			der = b.Bytes
		}
	}
	x, err := x509.ParseCertificate(der)
	if !ok || err != nil {
		writeError(w, http.StatusBadRequest, map[string]any{"certificate": []string{msgBadCertificate}})
		return
	}
	if wf.typ != TypeCertificateIssuing || wf.state != StateCertificateIssue {
		writeNonField(w, msgWrongState)
		return
	}
	wf.cert.setIssued(der, x.NotAfter, fmt.Sprintf("%X", x.SerialNumber), issuerOf(x))
	wf.events = nil
	s.startScans(wf)
	s.transition(wf, StateWaitScanUpload)
	w.WriteHeader(http.StatusNoContent)
}

// handleCertificateFile serves …/certificate_file (the certificate, PEM)
// and …/request_file (the PKCS#10 request, PEM).
func (s *Sandbox) handleCertificateFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	id, _ := pathID(r, "id")
	cert := s.certs[id]
	visible := false
	if cert != nil {
		for _, wf := range s.order {
			if wf.cert == cert && s.canSee(caller(r), wf) {
				visible = true
			}
		}
	}
	if !visible {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/request_file") {
		w.Header().Set("Content-Type", "application/pkcs10")
		_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: cert.csr})
		return
	}
	if cert.der == nil {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: cert.der})
}
