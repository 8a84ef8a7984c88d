package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnsscenarios"
	"idflow/workflows/fnssigning"
	"idflow/workflows/kyc"
	"idflow/workflows/onboarding"
	"idflow/workflows/retention"
	"idflow/workflows/simplifiedid"
)

// Register puts every workflow type on a worker or a replayer, under its
// contract name.
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(simplifiedid.SimplifiedIdentification, workflow.RegisterOptions{Name: simplifiedid.WorkflowType})
	r.RegisterWorkflowWithOptions(kyc.KYCVerification, workflow.RegisterOptions{Name: kyc.WorkflowType})
	r.RegisterWorkflowWithOptions(fnsregistration.FNSRegistration, workflow.RegisterOptions{Name: fnsregistration.WorkflowType})
	r.RegisterWorkflowWithOptions(fnssigning.DocumentSigning, workflow.RegisterOptions{Name: fnssigning.WorkflowType})
	r.RegisterWorkflowWithOptions(fnsregistration.FNSExtraSignature, workflow.RegisterOptions{Name: fnsregistration.ExtraSignatureWorkflowType})
	r.RegisterWorkflowWithOptions(onboarding.Onboarding, workflow.RegisterOptions{Name: onboarding.WorkflowType})
	r.RegisterWorkflowWithOptions(retention.SubjectRetention, workflow.RegisterOptions{Name: retention.WorkflowType})
	for name, fn := range map[string]any{
		fnsscenarios.PauseWorkflowType:            fnsscenarios.FNSPause,
		fnsscenarios.ExternalActivityWorkflowType: fnsscenarios.FNSExternalActivity,
		fnsscenarios.PushWorkflowType:             fnsscenarios.FNSPush,
		fnsscenarios.RevocationWorkflowType:       fnsscenarios.FNSRevocation,
	} {
		r.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
}
