package subject

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

type header map[string]*commonpb.Payload

func (h header) Set(k string, p *commonpb.Payload) { h[k] = p }
func (h header) Get(k string) (*commonpb.Payload, bool) {
	p, ok := h[k]
	return p, ok
}
func (h header) ForEachKey(fn func(string, *commonpb.Payload) error) error {
	for k, p := range h {
		if err := fn(k, p); err != nil {
			return err
		}
	}
	return nil
}

func subjectActivity(ctx context.Context) (string, error) { return From(ctx), nil }

func childWorkflow(ctx workflow.Context) (string, error) { return FromWorkflow(ctx), nil }

func parentWorkflow(ctx workflow.Context) ([]string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10e9})
	var fromActivity, fromChild string
	if err := workflow.ExecuteActivity(ctx, subjectActivity).Get(ctx, &fromActivity); err != nil {
		return nil, err
	}
	if err := workflow.ExecuteChildWorkflow(ctx, childWorkflow).Get(ctx, &fromChild); err != nil {
		return nil, err
	}
	return []string{FromWorkflow(ctx), fromActivity, fromChild}, nil
}

// TestSubjectReachesActivitiesAndChildren: what a client starts with a
// subject carries it to the workflow, its activities and its children.
func TestSubjectReachesActivitiesAndChildren(t *testing.T) {
	h := header{}
	require.NoError(t, Propagator().Inject(With(context.Background(), "person-7"), h))
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetContextPropagators([]workflow.ContextPropagator{Propagator()})
	env.SetHeader(&commonpb.Header{Fields: h})
	env.RegisterActivity(subjectActivity)
	env.RegisterWorkflow(childWorkflow)
	env.ExecuteWorkflow(parentWorkflow)
	require.NoError(t, env.GetWorkflowError())
	var got []string
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, []string{"person-7", "person-7", "person-7"}, got)
}

func TestNoSubjectNoHeader(t *testing.T) {
	h := header{}
	require.NoError(t, Propagator().Inject(context.Background(), h))
	assert.Empty(t, h)
	ctx, err := Propagator().Extract(context.Background(), h)
	require.NoError(t, err)
	assert.Empty(t, From(ctx))
}
