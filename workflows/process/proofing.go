package process

import (
	"time"

	"idflow/workflows/proofing"
)

// ChildStatusSignal is how a child process tells its parent (an
// onboarding) of a change: the argument is a ChildReport.
const ChildStatusSignal = "child-status"

// ChildReport is a child's status as its parent learns it.
type ChildReport struct {
	WorkflowID string `json:"workflowId"`
	Status     Status `json:"status"`
}

// ProofingStatus maps an outcome to the issuer's status key. A failed
// process made no decision: the issuer reports it as expired (the person
// may start again), never as a rejection of the person.
func (o Outcome) ProofingStatus() string {
	switch o {
	case OutcomeFailed:
		return proofing.KeyExpired
	case "":
		return proofing.KeyPending
	}
	return string(o)
}

// ProofingOf is the proofing status of a process that has no mapping of
// its own: the outcome, and for a rejection its reason code as a record
// the provider found invalid.
func ProofingOf(s Status, id string) proofing.Status {
	switch s.Outcome.ProofingStatus() {
	case proofing.KeyAccepted:
		return proofing.Accepted()
	case proofing.KeyRejected:
		return proofing.Reject(proofing.RecordInvalidBecause(s.Reason).Described(s.Process+" rejected: "+s.Reason, RejectionID(id, s.Reason)))
	case proofing.KeyChallenged:
		return proofing.Challenge(s.Process+": "+s.Reason, proofing.AdditionalTimeRequired(time.Time{}))
	case proofing.KeyCanceled:
		return proofing.Canceled()
	case proofing.KeyRevoked:
		return proofing.Revoked()
	case proofing.KeyExpired:
		return proofing.Expired()
	}
	return proofing.Pending()
}

// RejectionID is the issuerRejectionIdentifier of a process's rejection:
// its workflow id and the reason code, so support finds the case.
func RejectionID(workflowID, reason string) string { return workflowID + "#" + reason }
