package process

// StatusQuery is the query every process answers with its current status.
const StatusQuery = "status"

// Outcome is what a process came to. The first seven are the proofing
// statuses getProofingStatus reports; Failed is not a decision of the
// provider but a technical or configuration failure (a provider refusal that
// is not a verdict, missing credentials, invalid input), kept apart so that
// nobody mistakes a bug for a rejected person.
type Outcome string

// The outcomes.
const (
	OutcomePending    Outcome = "pending"
	OutcomeAccepted   Outcome = "accepted"
	OutcomeRejected   Outcome = "rejected"
	OutcomeChallenged Outcome = "challenged"
	OutcomeCanceled   Outcome = "canceled"
	OutcomeRevoked    Outcome = "revoked"
	OutcomeExpired    Outcome = "expired"
	OutcomeFailed     Outcome = "failed"
)

// Open reports whether the process may still move to another outcome by
// itself (pending or challenged).
func (o Outcome) Open() bool { return o == OutcomePending || o == OutcomeChallenged }
