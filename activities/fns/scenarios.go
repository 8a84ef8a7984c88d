package fns

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.temporal.io/sdk/activity"

	"idflow/activities/claimcheck"
	provider "idflow/internal/providers/fns"
	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnsscenarios"
	"idflow/workflows/process"
)

// The calls of the smaller FNS processes: an additional signature, a
// pause, an external activity, a push and a revocation.

// CreateExtraSignature creates the scenario-84 workflow. FNS refusing the
// consumer (not identified, a second entrepreneur's signature) is the
// process's rejection, not a failure.
func (a *Activities) CreateExtraSignature(ctx context.Context, in fnsregistration.CreateExtraSignatureInput) (fnsregistration.CreateResult, error) {
	return a.create(ctx, in.WorkflowID, func(s *provider.Session, callback string) (provider.Workflow, error) {
		req := provider.ExtraSignatureRequest{Consumer: in.ConsumerID, Callback: callback, ExternalID: in.ExternalID}
		if in.LegalEntity != nil {
			le := in.LegalEntity
			req.LegalEntity = &provider.LegalEntity{INN: le.INN, KPP: le.KPP, OGRN: le.OGRN, Name: le.Name}
		} else {
			req.Entrepreneur = &provider.Entrepreneur{OGRNIP: in.EntrepreneurOGRNIP}
		}
		return s.CreateExtraSignature(ctx, req)
	})
}

// CreatePause creates the scenario-134 workflow.
func (a *Activities) CreatePause(ctx context.Context, in fnsscenarios.CreatePauseInput) (fnsregistration.CreateResult, error) {
	return a.create(ctx, in.WorkflowID, func(s *provider.Session, callback string) (provider.Workflow, error) {
		return s.CreatePause(ctx, provider.PauseRequest{Consumer: in.ConsumerID, Callback: callback, ExternalID: in.ExternalID})
	})
}

// CreateExternalActivity creates the scenario-102 workflow.
func (a *Activities) CreateExternalActivity(ctx context.Context, in fnsscenarios.CreateExternalActivityInput) (fnsregistration.CreateResult, error) {
	return a.create(ctx, in.WorkflowID, func(s *provider.Session, callback string) (provider.Workflow, error) {
		return s.CreateExternalActivity(ctx, provider.ExternalActivityRequest{Consumer: in.ConsumerID, URL: in.URL, Headers: in.Headers,
			Callback: callback, ExternalID: in.ExternalID})
	})
}

// create makes a callback token for workflowID and runs one create call.
func (a *Activities) create(ctx context.Context, workflowID string,
	call func(s *provider.Session, callback string) (provider.Workflow, error)) (fnsregistration.CreateResult, error) {
	if a.Client == nil {
		return fnsregistration.CreateResult{}, claimcheck.ErrNotConfigured()
	}
	callback, err := a.callbackURL(ctx, workflowID)
	if err != nil {
		return fnsregistration.CreateResult{}, err
	}
	wf, err := call(a.Client.Partner(), callback)
	if errors.Is(err, provider.ErrInvalidArgument) {
		return fnsregistration.CreateResult{}, process.InvalidInput(validate.FieldErrors{{Field: "request", Message: err.Error()}})
	}
	if refusal, ok := refusal(err); ok {
		return fnsregistration.CreateResult{Refusal: refusal}, nil
	}
	if err != nil {
		return fnsregistration.CreateResult{}, fnsError(err)
	}
	activity.GetLogger(ctx).Info("FNS workflow created", "FNSWorkflowID", int64(wf.ID))
	return fnsregistration.CreateResult{FNSWorkflowID: int64(wf.ID)}, nil
}

// callbackURL makes a callback token for the workflow: the URL FNS calls
// never enters history.
func (a *Activities) callbackURL(ctx context.Context, workflowID string) (string, error) {
	token, err := a.Store.NewCallbackToken(ctx, callbackProvider, workflowID)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(a.CallbackBaseURL, "/") + "/webhooks/" + callbackProvider + "/" + token, nil
}

// refusal is FNS's text of a 400 about the request (its field errors).
func refusal(err error) (string, bool) {
	e, ok := errors.AsType[*provider.Error](err)
	if !ok || e.StatusCode != http.StatusBadRequest || len(e.Fields) == 0 {
		return "", false
	}
	texts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		texts = append(texts, f.String())
	}
	return strings.Join(texts, "; "), true
}

// CompleteExternalActivity ends the external activity at FNS. A retry
// after a lost answer finds it already ended and succeeds.
func (a *Activities) CompleteExternalActivity(ctx context.Context, in fnsscenarios.CompleteExternalActivityInput) (fnsregistration.StepResult, error) {
	if a.Client == nil {
		return fnsregistration.StepResult{}, claimcheck.ErrNotConfigured()
	}
	session := a.Client.Partner()
	res, err := session.ChangeState(ctx, in.FNSWorkflowID, provider.StateChange{Command: provider.CommandCompleteExternalActivity})
	if err == nil {
		return fnsregistration.StepResult{State: string(res.State)}, nil
	}
	if provider.IsRetryable(err) {
		return fnsregistration.StepResult{}, err
	}
	// Only the workflow's state tells a retry's refusal (ended already)
	// from another: until it is read, the attempt is retried.
	wf, readErr := session.GetWorkflowFull(ctx, in.FNSWorkflowID)
	if readErr != nil {
		return fnsregistration.StepResult{}, fmt.Errorf("complete the external activity: FNS answered %v, and its workflow could not be read to tell why: %w", err, readErr)
	}
	if wf.State == "complete-external-activity" || wf.State == "complete" {
		return fnsregistration.StepResult{State: string(wf.State)}, nil
	}
	return fnsregistration.StepResult{}, fnsError(err)
}

// Push sends the push notification.
func (a *Activities) Push(ctx context.Context, in fnsscenarios.PushInput) error {
	if a.Client == nil {
		return claimcheck.ErrNotConfigured()
	}
	err := a.Client.Partner().Push(ctx, in.ConsumerID, provider.PushNotification{Title: in.Title, Message: in.Message, WorkflowID: in.FNSWorkflowID})
	return fnsError(err)
}

// RevokeCertificate sends the revocation application from the store.
func (a *Activities) RevokeCertificate(ctx context.Context, in fnsscenarios.RevokeCertificateInput) error {
	if a.Client == nil {
		return claimcheck.ErrNotConfigured()
	}
	_, application, err := a.document(ctx, "applicationDocumentId", in.ApplicationDocumentID)
	if err != nil {
		return err
	}
	return fnsError(a.Client.Partner().RevokeCertificate(ctx, application))
}
