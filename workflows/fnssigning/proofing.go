package fnssigning

import (
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// ProofingStatus maps the signing's state to the issuer's proofing status
// (the table in docs/proofing-status.md): a refusal to sign (sign-rejected)
// leaves the signed documents missing.
func (s Status) ProofingStatus(id string) proofing.Status {
	if s.Outcome == process.OutcomeRejected {
		return proofing.Reject(proofing.EvidenceIncomplete("signed documents: the person refused to sign").
			Described("FNS signing: "+s.Reason, process.RejectionID(id, s.Reason)))
	}
	return process.ProofingOf(s.Status, id)
}
