package workflows

import "go.temporal.io/sdk/temporal"

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
)

// SearchAttributeKeys lists every custom search attribute the workflows use;
// the worker registers them at start.
func SearchAttributeKeys() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{ProcessTypeKey, StageKey, OutcomeKey, ProviderRefKey}
}
