package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Register puts every workflow type on a worker or a replayer, under its
// contract name.
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(SimplifiedIdentification, workflow.RegisterOptions{Name: SimplifiedIdentificationWorkflow})
	r.RegisterWorkflowWithOptions(KYCVerification, workflow.RegisterOptions{Name: KYCVerificationWorkflow})
}
