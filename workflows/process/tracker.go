package process

import (
	"encoding/json"
	"reflect"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/workflows/proofing"
)

// Tracker publishes one process's state and finishes it once. It works on
// the Status embedded in the process's own status, so the status query and
// the search attributes never disagree.
type Tracker struct {
	status      *Status
	providerRef string
	// extra adds the process's own search attributes to every publication.
	extra func() []temporal.SearchAttributeUpdate
	// proofing maps the status to the issuer's proofing status (see SetProofing).
	proofing func(id string) proofing.Status
	// reported is what the parent workflow was last told (see reportToParent).
	reported string
	// published is set by the first Publish (see startedAsPublished).
	published bool
}

// NewTracker tracks status for the named process; extra (may be nil) gives
// process-specific search attributes.
func NewTracker(process string, status *Status, extra func() []temporal.SearchAttributeUpdate) *Tracker {
	status.Process = process
	if status.Outcome == "" {
		status.Outcome = OutcomePending
	}
	return &Tracker{status: status, extra: extra}
}

// SetProofing gives the process's own mapping of its status to the
// issuer's proofing status; id is the workflow id, for the rejections'
// issuerRejectionIdentifier. Without one, ProofingOf's mapping of the
// outcome is used.
func (t *Tracker) SetProofing(fn func(id string) proofing.Status) { t.proofing = fn }

// SetProviderRef records the provider's id for the process (a session, an
// applicant); it is published with the next change.
func (t *Tracker) SetProviderRef(ref string) { t.providerRef = ref }

// SetStage moves the process to stage and publishes it.
func (t *Tracker) SetStage(ctx workflow.Context, stage string) {
	t.status.Stage = stage
	t.Publish(ctx)
}

// SetOutcome changes the outcome without finishing the process (challenged
// while a check takes long; a later review after a decision) and publishes it.
func (t *Tracker) SetOutcome(ctx workflow.Context, outcome Outcome, reason string) {
	t.status.Outcome, t.status.Reason = outcome, reason
	t.Publish(ctx)
	workflow.GetLogger(ctx).Info("outcome changed", "Process", t.status.Process, "Outcome", outcome, "Reason", reason)
}

// Finished reports whether the process has come to a final outcome.
func (t *Tracker) Finished() bool { return !t.status.Outcome.Open() }

// Finish records the final outcome, once: it reports false, changing
// nothing, when the process had already finished.
func (t *Tracker) Finish(ctx workflow.Context, outcome Outcome, reason string) bool {
	if t.Finished() {
		return false
	}
	t.status.Outcome, t.status.Reason, t.status.Waiting = outcome, reason, nil
	t.Publish(ctx)
	workflow.GetLogger(ctx).Info("process finished", "Process", t.status.Process, "Outcome", outcome, "Reason", reason)
	return true
}

// Fail finishes the process as failed because of err (a technical or
// configuration failure, not a provider's verdict), keeping err's type as
// the reason and its text as the error, and returns err for the workflow
// to return. A cancellation finishes it as canceled instead.
func (t *Tracker) Fail(ctx workflow.Context, err error) error {
	if temporal.IsCanceledError(err) {
		t.Finish(ctx, OutcomeCanceled, "canceled")
		return err
	}
	if t.Finished() {
		return err
	}
	t.status.Error = ErrorText(err)
	t.Finish(ctx, OutcomeFailed, ErrorType(err))
	workflow.GetLogger(ctx).Warn("process failed", "Process", t.status.Process, "ErrorType", t.status.Reason, "Error", t.status.Error)
	return err
}

// Await records what the process waits for now (nothing, to clear it) and
// shows it in the UI's current details; search attributes are not touched.
func (t *Tracker) Await(ctx workflow.Context, waits ...Wait) {
	t.status.Waiting = waits
	workflow.SetCurrentDetails(ctx, t.status.details())
}

// Publish mirrors the status into the search attributes and the UI's
// current details. It works on a cancelled context too, so a cancelled
// process still shows how it ended.
func (t *Tracker) Publish(ctx workflow.Context) {
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	if t.proofing != nil {
		t.status.Proofing = t.proofing(id)
	} else {
		t.status.Proofing = ProofingOf(*t.status, id)
	}
	updates := []temporal.SearchAttributeUpdate{
		ProofingStatusKey.ValueSet(t.status.Proofing.Key()),
		ProcessTypeKey.ValueSet(t.status.Process),
		StageKey.ValueSet(t.status.Stage),
		OutcomeKey.ValueSet(string(t.status.Outcome)),
		keywordOrUnset(ReasonKey, t.status.Reason),
	}
	if t.status.Error != "" {
		updates = append(updates, ErrorKey.ValueSet(t.status.Error))
	}
	if t.providerRef != "" {
		updates = append(updates, ProviderRefKey.ValueSet(t.providerRef))
	}
	if t.extra != nil {
		updates = append(updates, t.extra()...)
	}
	if t.published || !t.startedAsPublished(ctx, updates) {
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			workflow.GetLogger(ctx).Warn("search attributes not updated", "Error", err)
		}
	}
	t.published = true
	workflow.SetCurrentDetails(ctx, t.status.details())
	t.reportToParent(ctx)
}

// startedAsPublished reports whether the workflow was started with exactly
// the search attributes updates would set (its StartSearchAttributes), so
// that its first publication need not upsert them. Only the first
// publication is spared, and never in a continued run (which inherits its
// predecessor's): every other one upserts, changed or not, as it always
// did, so the histories of earlier runs replay (a run started without
// them upserts first as before).
func (t *Tracker) startedAsPublished(ctx workflow.Context, updates []temporal.SearchAttributeUpdate) bool {
	if workflow.GetInfo(ctx).ContinuedExecutionRunID != "" {
		return false
	}
	// Map copies and a comparison: neither depends on the order of iteration.
	want := temporal.NewSearchAttributes(updates...).GetUntypedValues() //workflowcheck:ignore
	have := workflow.GetTypedSearchAttributes(ctx).GetUntypedValues()   //workflowcheck:ignore
	return reflect.DeepEqual(want, have)                                //workflowcheck:ignore
}

// StartSearchAttributes are the search attributes a process in stage with
// no outcome yet publishes first, with extra, the process's own: its start
// options carry them, so the process is searchable from its first moment
// and its first publication costs no upsert (an event and a visibility
// write each).
func StartSearchAttributes(process, stage string, extra ...temporal.SearchAttributeUpdate) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(append([]temporal.SearchAttributeUpdate{ProcessTypeKey.ValueSet(process),
		StageKey.ValueSet(stage), OutcomeKey.ValueSet(string(OutcomePending)),
		ProofingStatusKey.ValueSet(proofing.Pending().Key())}, extra...)...)
}

// reportToParent tells a parent workflow (an onboarding) of each change of
// the outcome, reason, stage or proofing status, by ChildStatusSignal: a
// child that decides while still running (KYC accepted, then monitoring)
// is not waited for. A process without a parent sends nothing, so its
// history is what it was before parents listened.
func (t *Tracker) reportToParent(ctx workflow.Context) {
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	if parent == nil {
		return
	}
	report := ChildReport{WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Status: *t.status}
	report.Status.Waiting, report.Status.Error = nil, ""
	key, _ := json.Marshal(report) //workflowcheck:ignore encoding/json sorts map keys: the same value always marshals the same
	if string(key) == t.reported {
		return
	}
	t.reported = string(key)
	// Not waited for: a parent that has closed cannot take it, and need not.
	workflow.SignalExternalWorkflow(ctx, parent.ID, parent.RunID, ChildStatusSignal, report)
}

func keywordOrUnset(key temporal.SearchAttributeKeyKeyword, value string) temporal.SearchAttributeUpdate {
	if value == "" {
		return key.ValueUnset()
	}
	return key.ValueSet(value)
}
