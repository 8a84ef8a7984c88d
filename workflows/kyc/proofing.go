package kyc

import (
	"slices"
	"strings"

	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// ProofingStatus maps the verification's state to the issuer's proofing
// status (the table in docs/proofing-status.md): documents to re-upload
// after a RED:RETRY are a challenge on the issuer's page; a rejection
// gives one reason per reject label, the first as the primary.
func (s Status) ProofingStatus(id string) proofing.Status {
	switch {
	case s.Outcome == process.OutcomePending && s.Reason == ReasonAwaitingResubmitted:
		steps := make([]string, 0, len(s.RejectedSteps))
		for _, st := range s.RejectedSteps {
			steps = append(steps, st.Step)
		}
		return proofing.Challenge("documents to upload again: "+strings.Join(steps, ", "), proofing.IssuerURLVisit())
	case s.Outcome == process.OutcomeRejected:
		rejections := labelRejections(s.Review.RejectLabels, s.Reason, id)
		return proofing.Reject(rejections[0], rejections[1:]...)
	}
	return process.ProofingOf(s.Status, id)
}

// labelReasons maps IDnGO's reject labels to rejection reasons.
var labelReasons = map[string]func() proofing.Rejection{
	"FORGERY":                    proofing.RiskCheckFailure,
	"FRAUDULENT_PATTERNS":        proofing.RiskCheckFailure,
	"BLACKLIST":                  proofing.RiskCheckFailure,
	"REGULATIONS_VIOLATIONS":     proofing.RiskCheckFailure,
	"DUPLICATE":                  func() proofing.Rejection { return proofing.MaxProvisioningsReached(1) },
	"SELFIE_MISMATCH":            func() proofing.Rejection { return proofing.EvidenceMismatch("selfie against the document photo") },
	"BAD_FACE_MATCHING":          func() proofing.Rejection { return proofing.EvidenceMismatch("selfie against the document photo") },
	"BAD_SELFIE":                 proofing.LivenessCheckFailure,
	"PROBLEMATIC_APPLICANT_DATA": func() proofing.Rejection { return proofing.EvidenceMismatch("declared data against the document") },
	"BAD_PROOF_OF_IDENTITY":      func() proofing.Rejection { return proofing.EvidenceMismatch("identity document") },
	"DOCUMENT_PAGE_MISSING":      func() proofing.Rejection { return proofing.EvidenceIncomplete("identity document pages") },
	"INCOMPLETE_DOCUMENT":        func() proofing.Rejection { return proofing.EvidenceIncomplete("identity document") },
	"UNSATISFACTORY_PHOTOS":      func() proofing.Rejection { return proofing.EvidenceIncomplete("readable document photos") },
	"SCREENSHOTS":                func() proofing.Rejection { return proofing.EvidenceIncomplete("photos of the document itself") },
	"EXPIRATION_DATE":            func() proofing.Rejection { return proofing.RecordInvalidBecause("identity document expired") },
}

// labelRejections is one rejection per distinct reason of the labels; an
// unknown label is a risk-check failure after a final reject and missing
// evidence after too many retries.
func labelRejections(labels []string, reason, id string) []proofing.Rejection {
	var out []proofing.Rejection
	for _, label := range labels {
		r := unknownLabel(reason)
		if fn, ok := labelReasons[label]; ok {
			r = fn()
		}
		r = r.Described("IDnGO "+reason+": "+label, process.RejectionID(id, label))
		if !slices.ContainsFunc(out, func(o proofing.Rejection) bool { return sameReason(o, r) }) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = append(out, unknownLabel(reason).Described("IDnGO "+reason, process.RejectionID(id, reason)))
	}
	return out
}

func unknownLabel(reason string) proofing.Rejection {
	if reason == ReasonRetryCapReached {
		return proofing.EvidenceIncomplete("documents after the last retry")
	}
	return proofing.RiskCheckFailure()
}

func sameReason(a, b proofing.Rejection) bool {
	a.RejectionDescription, a.IssuerRejectionIdentifier = "", ""
	b.RejectionDescription, b.IssuerRejectionIdentifier = "", ""
	return proofing.Reject(a).Equal(proofing.Reject(b))
}
