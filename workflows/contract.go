package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// StatusQuery is the query every workflow answers with its current state.
const StatusQuery = "status"

// Search attributes set by every process. They hold no personal data: only
// process names, stages, outcomes and provider references.
var (
	// ProcessTypeKey names the process, e.g. "SimplifiedIdentification".
	ProcessTypeKey = temporal.NewSearchAttributeKeyKeyword("IdflowProcess")
	// StageKey is the step the process is in, e.g. "awaiting-sms-code".
	StageKey = temporal.NewSearchAttributeKeyKeyword("IdflowStage")
	// OutcomeKey is the proofing status: pending, accepted, rejected, ...
	OutcomeKey = temporal.NewSearchAttributeKeyKeyword("IdflowOutcome")
	// ProviderRefKey is the provider's id for this process (session, applicant).
	ProviderRefKey = temporal.NewSearchAttributeKeyKeyword("IdflowProviderRef")
	// RejectedStepsKey lists the verification steps a provider asks to redo.
	RejectedStepsKey = temporal.NewSearchAttributeKeyKeywordList("IdflowRejectedSteps")
	// ModerationCommentKey is the provider's comment meant for the applicant.
	ModerationCommentKey = temporal.NewSearchAttributeKeyString("IdflowModerationComment")
)

// SearchAttributeKeys lists every custom search attribute the workflows use;
// the worker registers them at start.
func SearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{ProcessTypeKey, StageKey, OutcomeKey, ProviderRefKey, RejectedStepsKey, ModerationCommentKey}
}

// Outcome is a process's proofing status, as getProofingStatus reports it.
type Outcome string

// The proofing statuses.
const (
	OutcomePending    Outcome = "pending"
	OutcomeAccepted   Outcome = "accepted"
	OutcomeRejected   Outcome = "rejected"
	OutcomeChallenged Outcome = "challenged"
	OutcomeCanceled   Outcome = "canceled"
	OutcomeRevoked    Outcome = "revoked"
	OutcomeExpired    Outcome = "expired"
)

// Wait describes something a process is waiting for, shown by the status
// query so that an operator sees why a process is not moving.
type Wait struct {
	// For says what is awaited, e.g. "SMS code".
	For string `json:"for"`
	// From says who is expected to act: "person", "provider", "operator".
	From string `json:"from"`
	// Until is the deadline, after which the process moves on without it.
	Until time.Time `json:"until,omitzero"`
}

// durationOr is d, or fallback when d is not set (zero or negative).
func durationOr(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}
