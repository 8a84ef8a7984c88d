package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"idflow/internal/store"
	"idflow/internal/subject"
	"idflow/workflows/onboarding"
)

// proofings starts and cancels onboardings for the issuer API; the
// Temporal client and the store arrive after the gateway is up.
type proofings struct {
	late      *lateDeps
	taskQueue string
}

// StartOnboarding starts the proofing's onboarding, or finds it started:
// the workflow id is the proofing id's, so a retried proofUser (a new
// requestId each time) never starts a second one, and one that ran to its
// end is not started again.
func (p proofings) StartOnboarding(ctx context.Context, in onboarding.Input) error {
	tc, st := p.late.temporal.Load(), p.late.store.Load()
	if tc == nil || st == nil {
		return errNotYet
	}
	workflowID := onboarding.WorkflowID(in.ProofingID)
	ctx = subject.With(ctx, cmp.Or(evidenceSubject(ctx, st, in.Evidence), workflowID))
	_, err := (*tc).ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflowID,
		TaskQueue:                p.taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:            "onboarding of proofing " + in.ProofingID,
		TypedSearchAttributes:    onboarding.StartSearchAttributes(),
	}, onboarding.WorkflowType, in)
	var taken *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &taken) { // it ran and closed: its status stands in the projection
		return nil
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", workflowID, err)
	}
	return nil
}

// evidenceSubject is the person the evidence is about: the subject whose
// key sealed the registration data (the uploads of one person share it),
// so the onboarding's payloads are sealed, and erased, with theirs.
func evidenceSubject(ctx context.Context, st *store.Store, e onboarding.Evidence) string {
	if e.FNSRegistration == nil {
		return ""
	}
	doc, err := st.DocumentInfo(ctx, e.FNSRegistration.RegistrationDocumentID)
	if err != nil {
		return ""
	}
	return doc.Subject
}

// CancelOnboarding asks the onboarding to cancel: it cancels its running
// step, which compensates at the provider, and records canceled.
func (p proofings) CancelOnboarding(ctx context.Context, workflowID string) error {
	tc := p.late.temporal.Load()
	if tc == nil {
		return errNotYet
	}
	if err := (*tc).CancelWorkflow(ctx, workflowID, ""); err != nil {
		return fmt.Errorf("cancel %s: %w", workflowID, err)
	}
	return nil
}
