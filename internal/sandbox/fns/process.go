package fns

import (
	"time"

	"github.com/google/uuid"
)

// advance applies every scheduled step that is due by Config.Clock, in due
// order, and reports whether it changed anything; the caller holds s.mu.
func (s *Sandbox) advance() (changed bool) {
	if s.closed {
		return false
	}
	now := s.now()
	if now.Before(s.nextDue) {
		return false // nothing due: no scan of every consumer and workflow
	}
	defer func() { s.nextDue = s.firstDue() }()
	changed = s.liftTemporaryBlocks(now)
	for {
		var best *workflow
		bi := -1
		for _, wf := range s.order {
			if wf.removed {
				continue
			}
			for i, ev := range wf.events {
				if ev.at.After(now) {
					continue
				}
				if best == nil || ev.at.Before(best.events[bi].at) {
					best, bi = wf, i
				}
			}
		}
		if best == nil {
			return changed
		}
		changed = true
		ev := best.events[bi]
		best.events = append(best.events[:bi], best.events[bi+1:]...)
		s.stepAt = ev.at.UTC()
		s.apply(best, ev)
		s.stepAt = time.Time{}
	}
}

// firstDue is when the first pending step or temporary block falls due,
// or the end of time when none does; the caller holds s.mu.
func (s *Sandbox) firstDue() time.Time {
	first := endOfTime
	for _, wf := range s.order {
		if wf.removed {
			continue
		}
		for _, ev := range wf.events {
			if ev.at.Before(first) {
				first = ev.at
			}
		}
	}
	for _, c := range s.consumers {
		if end, ok := c.temporaryBlockEnd(); ok && end.Before(first) {
			first = end
		}
	}
	return first
}

// temporaryBlockEnd is when c's temporary block ends, if c is under one
// that ends.
func (c *consumer) temporaryBlockEnd() (time.Time, bool) {
	return c.blockedUntil, c.state == ConsumerTemporarily && !c.blockedUntil.IsZero()
}

// endOfTime is later than any step.
var endOfTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// liftTemporaryBlocks ends the temporary blocks due by now: the consumer is
// unvalidated again (its identification stays rejected); it reports
// whether it lifted any; the caller holds s.mu.
func (s *Sandbox) liftTemporaryBlocks(now time.Time) (lifted bool) {
	for _, c := range s.consumers {
		if end, ok := c.temporaryBlockEnd(); ok && !now.Before(end) {
			c.state, c.updated, c.blockedUntil = ConsumerUnvalidated, c.blockedUntil, time.Time{}
			s.touch(c)
			lifted = true
		}
	}
	return lifted
}

// apply runs one step of wf; steps of a workflow past the state they expect are dropped.
func (s *Sandbox) apply(wf *workflow, ev event) {
	s.touch(wf.consumer) // its events changed at least
	if isFinal(wf.state) {
		return
	}
	switch ev.kind {
	case evSMEV:
		if wf.temporarily {
			c := wf.consumer
			c.state, c.updated = ConsumerTemporarily, s.now()
			if s.cfg.TemporaryBlock > 0 {
				c.blockedUntil = c.updated.Add(s.cfg.TemporaryBlock) // in advance: its end counts in firstDue
			}
			wf.errorMessage = ptr(TemporarilyBlockedMessage)
			wf.events = nil
			s.transition(wf, StateRejected)
			return
		}
		if wf.smevFailure == "" {
			return
		}
		wf.errorMessage = ptr(wf.smevFailure)
		wf.events = nil
		wf.consumer.state = ConsumerBlocked
		wf.consumer.updated = s.now()
		s.transition(wf, StateRejected)
	case evInstalled:
		s.enqueueCallback(wf, StateInstalled, map[string]any{"consumer": wf.consumer.id, "type": wf.typ, "id": wf.id, "state": StateInstalled})
		s.scheduleEvent(wf, s.cfg.PKCS10Delay, evPKCS10)
	case evPKCS10:
		if wf.state != StateWaitPKCS10 {
			return
		}
		typ := CertAuth
		if wf.typ == TypeCertificateIssuing {
			typ = CertSign
		}
		cert, key, err := s.ca.request(s.nextID(), typ, wf.certSubject())
		if err != nil {
			wf.errorMessage = ptr("Ошибка формирования запроса на сертификат")
			s.transition(wf, StateError)
			return
		}
		if typ == CertSign {
			// The app keeps the person's signing key: it signs documents with it (§1.2.3).
			wf.consumer.signKeys[cert.id] = key
		}
		s.certs[cert.id] = cert
		wf.consumer.certs = append(wf.consumer.certs, cert)
		wf.cert = cert
		if wf.typ == TypeIdentification {
			s.transition(wf, StateWaitIdentification)
			return
		}
		s.transition(wf, StateWaitSecretKey)
		s.scheduleEvent(wf, s.cfg.SecretKeyDelay, evSecretKey)
	case evSecretKey:
		if wf.state != StateWaitSecretKey {
			return
		}
		s.transition(wf, StateCertificateIssue)
		s.scheduleEvent(wf, s.cfg.IssueDelay, evIssue)
	case evIssue:
		if wf.state != StateCertificateIssue {
			return
		}
		if err := s.ca.issue(wf.cert, s.now()); err != nil {
			wf.errorMessage = ptr("Ошибка выпуска сертификата")
			s.transition(wf, StateError)
			return
		}
		if wf.typ == TypeIdentification {
			s.completeIdentification(wf)
			return
		}
		s.startScans(wf)
		s.transition(wf, StateWaitScanUpload)
	case evSign:
		if wf.state != StateWaitSignature {
			return
		}
		s.signDocuments(wf)
	case evSignRejected:
		if wf.state != StateSignRejected {
			return
		}
		wf.errorMessage = ptr(SignRefusedMessage)
		s.transition(wf, StateRejected)
	case evPageOpened:
		if wf.state == StateProcessingExternal {
			s.pageOpened(wf)
		}
	}
}

// completeIdentification ends an identification whose TLS certificate is
// issued and starts its certificate-issuing child; the caller holds s.mu.
func (s *Sandbox) completeIdentification(wf *workflow) {
	now := s.now()
	c := wf.consumer
	c.state, c.updated, c.point = ConsumerIdentified, now, wf.point
	child := &workflow{id: s.nextID(), typ: TypeCertificateIssuing, scenario: wf.scenario, state: StateWaitPKCS10,
		title: titleCertificateIssuing, consumer: c, callback: wf.callback, externalID: uuid.NewString(),
		created: now, updated: now, parent: wf, searchedBy: map[string]bool{}}
	wf.child = child
	wf.title = titleIdentificationDone
	s.addWorkflow(child)
	s.transition(wf, StateComplete)
	if s.cfg.IntermediateCallbacks {
		s.enqueueCallback(child, child.state, s.callbackBody(child, child.state))
	}
	s.scheduleEvent(child, s.cfg.PKCS10Delay, evPKCS10)
}

// startScans creates the two scans of a certificate issuance (§1.5); the caller holds s.mu.
func (s *Sandbox) startScans(wf *workflow) {
	now := s.now()
	photo := &scan{id: s.nextID(), workflow: wf, docTitle: scanPhotoTitle, created: now, updated: now}
	form := &scan{id: s.nextID(), workflow: wf, docTitle: scanFormTitle, template: true, created: now, updated: now}
	wf.scans = []*scan{photo, form}
	s.scans[photo.id], s.scans[form.id] = photo, form
}

// transition moves wf to state and sends the callback the state calls
// for; the caller holds s.mu.
func (s *Sandbox) transition(wf *workflow, state string) {
	s.touch(wf.consumer)
	wf.state = state
	wf.updated = s.now()
	if isFinal(state) || s.cfg.IntermediateCallbacks {
		s.enqueueCallback(wf, state, s.callbackBody(wf, state))
	}
}

// callbackBody is the body of a state-change callback (§2.4): the
// completion set for complete, the rejection set otherwise.
func (s *Sandbox) callbackBody(wf *workflow, state string) map[string]any {
	var errMsg any
	if wf.errorMessage != nil {
		errMsg = *wf.errorMessage
	}
	m := map[string]any{"id": wf.id, "state": state, "type": wf.typ, "parent_id": idOrNil(wf.parent),
		"consumer": wf.consumer.id, "child_id": idOrNil(wf.child), "external_id": wf.externalID,
		"error_code": nil, "error_message": errMsg}
	// The registration's sets (L2799, L2828) have more fields; the signing set
	// (L2859) has none, and pauses and external activities use it too.
	if state == StateComplete && (wf.typ == TypeIdentification || wf.typ == TypeCertificateIssuing) {
		m["is_remotely_identified"] = false
		m["agent"] = wf.agentJSON()
		m["company"] = nil
		m["identification_point"] = wf.pointJSON()
		if wf.typ == TypeCertificateIssuing && wf.parent != nil {
			m["agent"] = wf.parent.agentJSON()
			m["identification_point"] = wf.parent.pointJSON()
		}
	}
	return m
}
