package process

import "go.temporal.io/sdk/temporal"

// Search attributes set by every process through its Tracker. They hold no
// personal data: only process names, stages, outcomes, reasons, provider
// references and provider texts meant for the person.
var (
	// ProcessTypeKey names the process, e.g. "SimplifiedIdentification".
	ProcessTypeKey = temporal.NewSearchAttributeKeyKeyword("IdflowProcess")
	// StageKey is the step the process is in, e.g. "awaiting-sms-code".
	StageKey = temporal.NewSearchAttributeKeyKeyword("IdflowStage")
	// OutcomeKey is the outcome: pending, accepted, rejected, ..., failed.
	OutcomeKey = temporal.NewSearchAttributeKeyKeyword("IdflowOutcome")
	// ReasonKey is the outcome's reason code, e.g. "sms-attempts-exhausted",
	// or for a failed process the error type, e.g. "ProviderRejected".
	ReasonKey = temporal.NewSearchAttributeKeyKeyword("IdflowReason")
	// ErrorKey is why a failed process stopped: the provider's or the
	// worker's error text.
	ErrorKey = temporal.NewSearchAttributeKeyString("IdflowError")
	// ProviderRefKey is the provider's id for this process (session, applicant).
	ProviderRefKey = temporal.NewSearchAttributeKeyKeyword("IdflowProviderRef")
	// RejectedStepsKey lists the verification steps a provider asks to redo.
	RejectedStepsKey = temporal.NewSearchAttributeKeyKeywordList("IdflowRejectedSteps")
	// ModerationCommentKey is the provider's comment meant for the applicant.
	ModerationCommentKey = temporal.NewSearchAttributeKeyString("IdflowModerationComment")
	// ProofingStatusKey is the status getProofingStatus reports: pending,
	// accepted, rejected, challenged, canceled, revoked or expired.
	ProofingStatusKey = temporal.NewSearchAttributeKeyKeyword("IdflowProofingStatus")
)

// SearchAttributeKeys lists every custom search attribute the processes
// use; the worker registers them at start.
func SearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{ProcessTypeKey, StageKey, OutcomeKey, ReasonKey, ErrorKey, ProviderRefKey,
		RejectedStepsKey, ModerationCommentKey, ProofingStatusKey}
}
