package simplifiedid

import (
	"strings"

	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// ProofingStatus maps the identification's state to the issuer's proofing
// status (the table in docs/proofing-status.md). SMEV's own text is not
// copied into the rejection (it is the registry's, not ours to vouch for):
// only whether it says the person was not found.
func (s Status) ProofingStatus(id string) proofing.Status {
	switch {
	case s.Outcome == process.OutcomeChallenged:
		return proofing.Challenge("SMEV registry check slower than usual",
			proofing.AdditionalTimeRequired(s.PersonCheck.ExpectedBy))
	case s.Outcome == process.OutcomeRejected && s.Reason == ReasonPhoneNotVerified:
		return proofing.Reject(proofing.EvidenceMismatch("SMS code").
			Described("wrong SMS code five times", process.RejectionID(id, s.Reason)))
	case s.Outcome == process.OutcomeRejected && strings.Contains(strings.ToLower(s.PersonCheck.Error), "не найден"):
		return proofing.Reject(proofing.RecordNotFound().
			Described("SMEV found no record of the person", process.RejectionID(id, s.Reason)))
	case s.Outcome == process.OutcomeRejected:
		return proofing.Reject(proofing.EvidenceMismatch("name, passport and SNILS/INN").
			Described("SMEV did not confirm the person's data", process.RejectionID(id, s.Reason)))
	}
	return process.ProofingOf(s.Status, id)
}
