package fnsscenarios

import (
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// ProofingStatus maps a scenario's state to the issuer's proofing status:
// an open external activity waits for the person on a page in the app.
func (s Status) ProofingStatus(id string) proofing.Status {
	switch {
	case s.Outcome.Open() && s.Stage == StageAwaitingPerson:
		return proofing.Challenge("an external activity open in the app", proofing.IssuerURLVisit())
	case s.Outcome == process.OutcomeRejected:
		return proofing.Reject(fnsregistration.RejectionOf(s.Reason).Described("FNS: "+s.Reason, process.RejectionID(id, s.Reason)))
	}
	return process.ProofingOf(s.Status, id)
}
