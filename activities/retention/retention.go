// Package retention runs the activity of workflows/retention: it erases
// the subjects whose processes all closed before a time.
package retention

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"idflow/internal/store"
	"idflow/workflows/retention"
)

// Actor is the erasures' recorded actor.
const Actor = "retention"

// Activities holds the store and a Temporal client (to see when a
// subject's workflows closed).
type Activities struct {
	Store    *store.Store
	Temporal client.Client
}

// Register puts the activity on a worker under its contract name.
func Register(r worker.ActivityRegistry, a *Activities) {
	r.RegisterActivityWithOptions(a.EraseExpired, activity.RegisterOptions{Name: retention.EraseExpiredActivity})
}

// EraseExpired erases every subject whose documents' workflows all closed
// before in.Before. A subject with a running, or recently closed, workflow
// is kept; one with no documents (only payloads) cannot be dated and is
// left for an operator's erasure.
func (a *Activities) EraseExpired(ctx context.Context, in retention.EraseExpiredInput) (retention.Result, error) {
	subjects, err := a.Store.ListSubjects(ctx)
	if err != nil {
		return retention.Result{}, err
	}
	var out retention.Result
	for _, subject := range subjects {
		activity.RecordHeartbeat(ctx, out.Checked)
		out.Checked++
		expired, err := a.expired(ctx, subject, in.Before)
		if err != nil {
			return out, err
		}
		if !expired {
			continue
		}
		if _, err := a.Store.EraseSubject(ctx, subject, Actor, false); err != nil {
			return out, err
		}
		out.Erased = append(out.Erased, subject)
		activity.GetLogger(ctx).Info("subject erased after retention", "Subject", subject)
	}
	return out, nil
}

// expired: the subject has documents, none newer than before, and their
// workflows all closed before it (one Temporal no longer knows closed long
// ago, or never started: the documents' age decides).
func (a *Activities) expired(ctx context.Context, subject string, before time.Time) (bool, error) {
	newest, err := a.Store.SubjectNewestDocument(ctx, subject)
	if err != nil || newest.IsZero() || !newest.Before(before) {
		return false, err
	}
	owners, err := a.Store.SubjectOwners(ctx, subject)
	if err != nil || len(owners) == 0 {
		return false, err
	}
	for _, id := range owners {
		d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			continue // past Temporal's own retention, or never started: the documents are old
		case err != nil:
			return false, err
		}
		info := d.GetWorkflowExecutionInfo()
		if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING || info.GetCloseTime() == nil ||
			!info.GetCloseTime().AsTime().Before(before) {
			return false, nil
		}
	}
	return true, nil
}
