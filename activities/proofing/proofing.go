// Package proofing runs the activity of workflows/onboarding that writes
// the proofing status projection getProofingStatus reads.
package proofing

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"idflow/internal/store"
	"idflow/workflows/onboarding"
	"idflow/workflows/process"
)

// Activities holds the store and, when status notifications are
// configured, the notifier to wake once a change is recorded.
type Activities struct {
	Store *store.Store
	// Notify, if set, wakes the notification dispatcher; the change's
	// notification is then written in the same transaction as the status.
	Notify func()
}

// Register puts the activity on a worker under its contract name.
func Register(r worker.ActivityRegistry, a *Activities) {
	r.RegisterActivityWithOptions(a.RecordProofingStatus, activity.RegisterOptions{Name: onboarding.RecordProofingActivity})
}

// RecordProofingStatus writes one status under its version. A retried
// write, or one overtaken by a later version, changes nothing: the
// projection never goes backwards.
func (a *Activities) RecordProofingStatus(ctx context.Context, in onboarding.RecordProofingInput) (onboarding.RecordProofingResult, error) {
	if err := in.Status.Validate(); err != nil { // a bug in the workflow: no retry can fix it
		return onboarding.RecordProofingResult{}, process.FinalError(process.ErrTypeInvalidInput,
			fmt.Errorf("proofing %s version %d: %w", in.ProofingID, in.Version, err))
	}
	applied, err := a.Store.RecordProofingStatus(ctx, store.Proofing{
		ProofingID: in.ProofingID, DeviceReferenceID: in.DeviceReferenceID, WorkflowID: in.WorkflowID,
		Status: in.Status.JSON(), Version: in.Version,
	}, a.Notify != nil)
	if err != nil {
		return onboarding.RecordProofingResult{}, err
	}
	if applied && a.Notify != nil {
		a.Notify()
	}
	activity.GetLogger(ctx).Debug("proofing status recorded", "ProofingID", in.ProofingID, "Version", in.Version,
		"Status", in.Status.Key(), "Applied", applied)
	return onboarding.RecordProofingResult{Applied: applied}, nil
}
