// Package retention erases the subjects whose processes all ended longer
// than the retention period ago: the worker runs SubjectRetention on a
// Temporal Schedule when IDFLOW_RETENTION is set.
//
// The contract and the workflow are one short file: the process is one
// activity.
package retention

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/process"
)

const (
	// WorkflowType is the workflow type name.
	WorkflowType = "SubjectRetention"
	// ScheduleID is the schedule that runs it.
	ScheduleID = "idflow-subject-retention"
	// EraseExpiredActivity erases the expired subjects.
	EraseExpiredActivity = "EraseExpiredSubjects"
	// MinRetention bounds the period from below: a mistyped hour must not
	// erase what a running review still needs.
	MinRetention = time.Hour
)

// Input names the retention period.
type Input struct {
	Retention time.Duration `json:"retention"`
}

// EraseExpiredInput erases subjects whose processes all closed before Before.
type EraseExpiredInput struct {
	Before time.Time `json:"before"`
}

// Result counts what one run did (subject ids are opaque, not personal data).
type Result struct {
	Checked int      `json:"checked"`
	Erased  []string `json:"erased,omitempty"`
}

// SubjectRetention erases the subjects past retention.
func SubjectRetention(ctx workflow.Context, in Input) (Result, error) {
	if in.Retention < MinRetention {
		return Result{}, process.InvalidInput(validate.FieldErrors{{Field: "retention", Message: "at least 1h"}})
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute, HeartbeatTimeout: time.Minute, Summary: "erase the subjects past retention",
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Minute, MaximumInterval: 10 * time.Minute, MaximumAttempts: 5},
	})
	var out Result
	err := workflow.ExecuteActivity(actx, EraseExpiredActivity, EraseExpiredInput{Before: workflow.Now(ctx).Add(-in.Retention)}).Get(ctx, &out)
	return out, err
}
