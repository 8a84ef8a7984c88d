package fns

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// The simplified signing (§1.3): documents sent knowing only the person's
// INN and phone go to the newest app activation (consumer) with that INN
// and phone that can sign (A21).
const (
	ScenarioSimplifiedSigning = 564 // ScenarioSimplifiedSigning is the example's scenario (L786).

	titleSimplifiedSigning = "Подпишите документы для индивидуального предпринимателя"
	msgConsumerNotFound    = "Клиент с такими данными не найден"
)

// simplifiedBody is the POST /api/rb/workflow/fns body.
type simplifiedBody struct {
	createBody
	INN   jstr `json:"inn"`
	Phone jstr `json:"phone"`
}

// handleSimplifiedSigning serves POST /api/rb/workflow/fns.
func (s *Sandbox) handleSimplifiedSigning(w http.ResponseWriter, r *http.Request) {
	var in simplifiedBody
	ext, ok := s.beginCreate(w, r, &in, &in.ExternalID)
	if !ok {
		return
	}
	defer s.unlock(r)
	e := errs{}
	scenario := ScenarioSimplifiedSigning
	if in.Scenario != "" {
		n, err := strconv.Atoi(string(in.Scenario))
		if err != nil || n != ScenarioSimplifiedSigning {
			e.add("scenario", msgUnknownScenario)
		}
	}
	e.required("inn", in.INN)
	e.required("phone", in.Phone)
	if ext != "" && !validUUID(ext) {
		e.add("external_id", msgUUID)
	}
	items, contents := parseSignDocuments(&in.createBody, e)
	checkSigningLegalEntity(&in.createBody, e)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	c := s.newestSigner(string(in.INN), string(in.Phone))
	if c == nil {
		// non_field_errors is a string here, as in the document (L835).
		writeError(w, http.StatusBadRequest, map[string]any{"non_field_errors": msgConsumerNotFound})
		return
	}
	cert := signingCert(w, c, in.LegalEntity)
	if cert == nil {
		return
	}
	if ext == "" {
		ext = uuid.NewString()
	}
	s.startSigning(w, &in.createBody, scenario, ext, titleSimplifiedSigning, c, cert, items, contents)
}

// newestSigner is the newest identified consumer with the INN and phone
// that holds a usable signature; the caller holds s.mu.
func (s *Sandbox) newestSigner(inn, phone string) *consumer {
	inn, phone = strings.TrimSpace(inn), digitsOnly(phone)
	var found *consumer
	for _, c := range s.consumers {
		switch {
		case c.state != ConsumerIdentified, strings.TrimSpace(string(c.person.INN)) != inn,
			digitsOnly(string(c.person.Phone)) != phone, c.signerCert("") == nil:
		case found == nil || c.seq > found.seq:
			found = c
		}
	}
	return found
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
