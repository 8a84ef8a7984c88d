package process_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"idflow/workflows/process"
	"idflow/workflows/process/processtest"
)

// trackedProcess publishes its first stage, then moves to a second.
func trackedProcess(ctx workflow.Context, ref string) error {
	t := process.NewTracker("Tracked", &process.Status{Stage: "first"}, nil)
	t.SetProviderRef(ref)
	t.Publish(ctx)
	t.SetStage(ctx, "second")
	return nil
}

// upsertStages runs trackedProcess started with start (none when nil) and
// returns the stage each of its upserts set.
func upsertStages(t *testing.T, start *temporal.SearchAttributes, ref string, continued bool) []string {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	if continued {
		env.SetContinuedExecutionRunID("run-before")
	}
	env.RegisterWorkflow(trackedProcess)
	if start != nil {
		require.NoError(t, env.SetTypedSearchAttributesOnStart(*start))
	}
	stages := processtest.UpsertedStages(env)
	env.ExecuteWorkflow(trackedProcess, ref)
	require.NoError(t, env.GetWorkflowError())
	return *stages
}

func TestStartSearchAttributesSpareTheFirstUpsert(t *testing.T) {
	same := process.StartSearchAttributes("Tracked", "first")
	otherStage := process.StartSearchAttributes("Tracked", "zeroth")
	assert.Equal(t, []string{"first", "second"}, upsertStages(t, nil, "", false), "started without them")
	assert.Equal(t, []string{"second"}, upsertStages(t, &same, "", false), "started with the first publication's")
	assert.Equal(t, []string{"first", "second"}, upsertStages(t, &otherStage, "", false), "started with another stage")
	assert.Equal(t, []string{"first", "second"}, upsertStages(t, &same, "ref-1", false),
		"a first publication with more than the start's (a provider ref) upserts")
	assert.Equal(t, []string{"first", "second"}, upsertStages(t, &same, "", true),
		"a continued run (its attributes inherited) upserts as it always did")
}
