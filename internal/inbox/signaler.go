package inbox

import (
	"cmp"
	"context"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// TemporalSignaler signals through a Temporal client with a request id,
// which the SDK's SignalWorkflow does not let a caller set.
type TemporalSignaler struct {
	Client    client.Client
	Namespace string
	// DataConverter encodes the payload as the client's own would (for
	// idflow: sealed).
	DataConverter converter.DataConverter
	Identity      string
}

// SignalOnce signals the workflow's current run; a repeat with the same
// requestID is dropped by Temporal for that run.
func (s TemporalSignaler) SignalOnce(ctx context.Context, workflowID, requestID, signalName string, arg any) error {
	dc := s.DataConverter
	if aware, ok := dc.(converter.ContextAware); ok {
		dc = aware.WithContext(ctx)
	}
	input, err := dc.ToPayloads(arg)
	if err != nil {
		return err
	}
	_, err = s.Client.WorkflowService().SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace:         cmp.Or(s.Namespace, client.DefaultNamespace),
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
		SignalName:        signalName,
		Input:             input,
		Identity:          s.Identity,
		RequestId:         requestID,
	})
	return err
}
