package fns

import (
	"net/http"
	"regexp"
	"strings"

	"idflow/internal/validate"
)

// Additional signature (scenario 84, §1.2.2).
const (
	ScenarioExtraSignature = 84 // ScenarioExtraSignature issues an entrepreneur's or a legal-entity representative's КЭП (L445).

	titleEntrepreneurCert       = "Получите сертификат индивидуального предпринимателя" // L466
	titleLegalEntityCert        = "Получите сертификат представителя юридического лица"
	titleEntrepreneurCertIssued = "Сертификат индивидуального предпринимателя выпущен"
	titleLegalEntityCertIssued  = "Сертификат представителя юридического лица выпущен"

	subjectINNLE = "INNLE" // subjectINNLE is the subject key of a legal entity's INN (1.2.643.100.4).

	msgHolderMissing      = "Укажите entrepreneur или legal_entity"
	msgHolderBoth         = "Укажите либо entrepreneur, либо legal_entity"
	msgSecondEntrepreneur = "У клиента уже есть подпись индивидуального предпринимателя"
)

var reKPP = regexp.MustCompile(`^\d{4}[\dA-Z]{2}\d{3}$`)

// holderTitle is ent for an entrepreneur's signature, le for a legal entity's.
func (w *workflow) holderTitle(ent, le string) string {
	if w.legalEntity != nil {
		return le
	}
	return ent
}

// validateHolder checks whom a scenario-84 signature is for: exactly one
// of entrepreneur {ogrnip} and legal_entity {inn, and name, ogrn, kpp,
// division, position, addresses, all optional}.
func validateHolder(in *createBody, e errs) {
	switch {
	case in.Entrepreneur != nil && in.LegalEntity != nil:
		e.add("non_field_errors", msgHolderBoth)
	case in.Entrepreneur != nil:
		if ee := validateEntrepreneur(in.Entrepreneur); len(ee) > 0 {
			e["entrepreneur"] = map[string]any(ee)
		}
	case in.LegalEntity != nil:
		if le := validateSignatureLE(in.LegalEntity); len(le) > 0 {
			e["legal_entity"] = map[string]any(le)
		}
	default:
		e.add("non_field_errors", msgHolderMissing)
	}
}

// validateSignatureLE checks the legal entity of a scenario-84 signature:
// the INN required (10 digits, checksum), OGRN and KPP checked when given.
func validateSignatureLE(le *legalEntity) errs {
	e := errs{}
	if e.required("inn", le.INN) && (len(le.INN) != 10 || validate.INN(string(le.INN)) != nil) {
		e.add("inn", msgINN)
	}
	if le.OGRN != "" && validate.OGRN(string(le.OGRN)) != nil {
		e.add("ogrn", msgOGRN)
	}
	if le.KPP != "" && !reKPP.MatchString(string(le.KPP)) {
		e.add("kpp", msgDigits)
	}
	return e
}

// hasEntrepreneurSignature reports whether c holds or is being issued an
// entrepreneur's signature (one per person, L77); the caller holds s.mu.
func (s *Sandbox) hasEntrepreneurSignature(c *consumer) bool {
	for _, wf := range s.order {
		if wf.consumer == c && wf.scenario == ScenarioExtraSignature && wf.entrepreneur != nil && !wf.removed &&
			wf.state != StateRejected && wf.state != StateError {
			return true
		}
	}
	return false
}

// createExtraSignature serves POST /api/rb/workflow for scenario 84: a
// certificate-issuing workflow in wait-pkcs10 that runs the steps of the
// registration's child; the caller holds s.mu.
func (s *Sandbox) createExtraSignature(w http.ResponseWriter, in *createBody, scenario int, ext string, e errs) {
	c := s.consumerOf(in.Consumer, e)
	validateHolder(in, e)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	if consumerRefused(w, c, msgNotIdentified) {
		return
	}
	if in.Entrepreneur != nil && s.hasEntrepreneurSignature(c) {
		writeError(w, http.StatusBadRequest, map[string]any{"entrepreneur": []string{msgSecondEntrepreneur}})
		return
	}
	wf := s.newWorkflow(TypeCertificateIssuing, scenario, StateWaitPKCS10, "", c, in.Callback, ext)
	wf.entrepreneur, wf.legalEntity = trimHolder(in.Entrepreneur, in.LegalEntity)
	wf.title = wf.holderTitle(titleEntrepreneurCert, titleLegalEntityCert)
	s.addWorkflow(wf)
	s.scheduleEvent(wf, s.cfg.PKCS10Delay, evPKCS10) // then as the registration's child (apply)
	s.advance()
	writeResult(w, wf.createJSON())
}

// trimHolder copies the holder blocks with their identifiers trimmed.
func trimHolder(en *entrepreneur, le *legalEntity) (*entrepreneur, *legalEntity) {
	trim := func(v jstr) jstr { return jstr(strings.TrimSpace(string(v))) }
	if en != nil {
		en = &entrepreneur{OGRNIP: trim(en.OGRNIP)}
	}
	if le != nil {
		cp := *le
		cp.INN, cp.OGRN, cp.KPP = trim(le.INN), trim(le.OGRN), trim(le.KPP)
		le = &cp
	}
	return en, le
}

// signatureIssued records a completed scenario-84 signature with its
// consumer: the entrepreneur block, or an entry of legal_entities; the
// caller holds s.mu.
func (s *Sandbox) signatureIssued(wf *workflow) {
	c := wf.consumer
	wf.title = wf.holderTitle(titleEntrepreneurCertIssued, titleLegalEntityCertIssued)
	if wf.entrepreneur != nil {
		c.entrepreneur = wf.entrepreneur
	}
	if wf.legalEntity != nil {
		c.legalEntities = append(c.legalEntities, wf.legalEntity)
	}
	c.updated = s.now()
}
