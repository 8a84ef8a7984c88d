package fnsregistration

import (
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// ProofingStatus maps the registration's state to the issuer's proofing
// status (the table in docs/proofing-status.md): the waits for the agent
// at an identification point are a physical-location challenge.
func (s Status) ProofingStatus(id string) proofing.Status {
	if s.Outcome.Open() {
		switch s.Stage {
		case StageAwaitingAgent:
			return proofing.Challenge("in-person identification by an agent at an identification point",
				proofing.PhysicalLocationVisit())
		case StageAwaitingScans:
			return proofing.Challenge("the signed certificate form and a photo, scanned at the identification point",
				proofing.PhysicalLocationVisit())
		}
	}
	if s.Outcome == process.OutcomeRejected {
		return proofing.Reject(RejectionOf(s.Reason).Described("FNS registration: "+s.Reason, process.RejectionID(id, s.Reason)))
	}
	return process.ProofingOf(s.Status, id)
}

// RejectionOf is the rejection reason of an FNS rejection code (shared by
// the FNS processes).
func RejectionOf(reason string) proofing.Rejection {
	switch reason {
	case ReasonNameSNILS:
		return proofing.EvidenceMismatch("name against SNILS (SMEV)")
	case ReasonNameINN:
		return proofing.EvidenceMismatch("name against INN (SMEV)")
	case ReasonPassportInvalid:
		return proofing.RecordInvalidBecause("passport not valid (SMEV)")
	case ReasonConsumerBlocked:
		return proofing.RiskCheckFailure()
	}
	return proofing.RecordInvalidBecause("rejected by FNS")
}
