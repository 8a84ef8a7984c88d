package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

// createFNSAgent creates the identification agent the cluster's
// registrations use, retrying while no gateway (or FNS) answers.
func (c *cluster) createFNSAgent(ctx context.Context) (string, error) {
	body := []byte(`{"username":"agent_chaos","password":"123456qwerty","last_name":"Агентов","first_name":"Агент",
		"middle_name":"Агентович","phone":"79012345678","unstructured_identity":"4500 023 Выдан ПВД ОВД 12.05.2011",
		"snils":"11223344595","position":"оператор","company":1,"permissions":["consumer_identify"],"identification_points":[1]}`)
	return retry(ctx, func() (string, error) {
		status, answer, err := c.api(ctx, http.MethodPost, "/v1/fns/agents", "application/json", body)
		switch {
		case err != nil:
			return "", err
		case status != http.StatusCreated:
			if id, err := c.agentNamed(ctx, "agent_chaos"); err == nil {
				return id, nil // created by an attempt whose answer was lost
			}
			return "", fmt.Errorf("create agent: %d %s", status, answer)
		}
		var agent struct{ ID string }
		return agent.ID, json.Unmarshal(answer, &agent)
	})
}

// agentNamed finds an agent by user name in the gateway's list.
func (c *cluster) agentNamed(ctx context.Context, username string) (string, error) {
	status, answer, err := c.api(ctx, http.MethodGet, "/v1/fns/agents", "", nil)
	if err != nil || status != http.StatusOK {
		return "", fmt.Errorf("list agents: %d %v", status, err)
	}
	var out struct {
		Agents []struct{ ID, Username string }
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return "", err
	}
	for _, a := range out.Agents {
		if a.Username == username {
			return a.ID, nil
		}
	}
	return "", errors.New("agent not found")
}

// registerFNS takes person n (SNILS, INN, phone and passport of their own) through the
// FNS sandbox to an issued КЭП: the agent's identification and the scans by
// update, as the agent's and the person's screens would send them.
func (c *cluster) registerFNS(ctx context.Context, n int, agentID string) error {
	reg := fnsPerson()
	var err error
	if reg.Consumer.SNILS, err = validate.CompleteSNILS(fmt.Sprintf("2%08d", n)); err != nil {
		return err
	}
	if reg.Consumer.INN, err = validate.CompletePersonINN(fmt.Sprintf("77%08d", n)); err != nil {
		return err
	}
	// The agent finds the person by phone and passport: each is their own.
	reg.Consumer.Phone = fmt.Sprintf("7901%07d", n)
	reg.Consumer.Identities[0].Number = fmt.Sprintf("%06d", 100000+n)
	body, err := json.Marshal(reg)
	if err != nil {
		return err
	}
	doc, err := c.putDocument(ctx, "registration.json", fnsregistration.RegistrationMediaType, body)
	if err != nil {
		return err
	}
	requestID := fmt.Sprintf("chaos-fns-%d", n)
	in := fnsregistration.Input{RequestID: requestID, RegistrationDocumentID: doc, PollInitial: time.Second, PollMax: 2 * time.Second}
	run, err := c.startWorkflow(ctx, fnsregistration.WorkflowID(requestID), fnsregistration.WorkflowType, in)
	if err != nil {
		return err
	}
	if err := c.awaitFNSStage(ctx, run.GetID(), fnsregistration.StageAwaitingAgent); err != nil {
		return err
	}
	passport, err := c.putDocument(ctx, "passport.jpg", "image/jpeg", fmt.Appendf(nil, "\xff\xd8 passport of %d", n))
	if err != nil {
		return err
	}
	if err := c.fnsStep(ctx, run.GetID(), fnsregistration.AgentIdentifyUpdate,
		fnsregistration.AgentIdentifyRequest{AgentID: agentID, PassportScanDocumentIDs: []string{passport}}); err != nil {
		return err
	}
	if err := c.awaitFNSStage(ctx, run.GetID(), fnsregistration.StageAwaitingScans); err != nil {
		return err
	}
	var scans []string
	for _, name := range []string{"photo.jpg", "form.jpg"} {
		id, err := c.putDocument(ctx, name, "image/jpeg", fmt.Appendf(nil, "\xff\xd8 %s of %d", name, n))
		if err != nil {
			return err
		}
		scans = append(scans, id)
	}
	if err := c.fnsStep(ctx, run.GetID(), fnsregistration.UploadScansUpdate, fnsregistration.UploadScansRequest{ScanDocumentIDs: scans}); err != nil {
		return err
	}
	var out fnsregistration.Status
	if err := c.result(ctx, run, &out); err != nil {
		return err
	}
	if out.Outcome != process.OutcomeAccepted {
		return fmt.Errorf("outcome %s (%s), want accepted", out.Outcome, out.Reason)
	}
	return nil
}

// awaitFNSStage polls the status query until the registration reaches
// stage, retrying while no worker answers.
func (c *cluster) awaitFNSStage(ctx context.Context, workflowID, stage string) error {
	_, err := retry(ctx, func() (struct{}, error) {
		v, err := c.client.QueryWorkflow(ctx, workflowID, "", process.StatusQuery)
		if err != nil {
			return struct{}{}, err
		}
		var st fnsregistration.Status
		if err := v.Get(&st); err != nil {
			return struct{}{}, err
		}
		if st.Stage != stage {
			return struct{}{}, fmt.Errorf("stage %s (outcome %s), want %s", st.Stage, st.Outcome, stage)
		}
		return struct{}{}, nil
	})
	return err
}

// fnsStep sends an agent's or a person's step (see screenUpdate).
func (c *cluster) fnsStep(ctx context.Context, workflowID, name string, arg any) error {
	var res fnsregistration.StepResult
	return c.screenUpdate(ctx, workflowID, name, arg, &res)
}

// screenUpdate sends an update as a service's screen would: a call that got
// no answer is repeated with the same update id (the same attempt); one
// whose activity failed (the provider unreachable for all its retries) is
// sent anew, with a new id; one refused for good (a non-retryable error)
// ends it.
func (c *cluster) screenUpdate(ctx context.Context, workflowID, name string, arg, result any) error {
	attempt := 1
	var failed error
	_, err := retry(ctx, func() (struct{}, error) {
		if failed != nil {
			return struct{}{}, nil
		}
		h, err := c.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID,
			UpdateID: fmt.Sprintf("%s-%d", name, attempt), UpdateName: name,
			WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg}})
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) { // the workflow has closed: no update will ever be taken
			failed = fmt.Errorf("%s: the workflow is gone: %w", name, err)
		}
		if err != nil {
			return struct{}{}, err
		}
		if err := h.Get(ctx, result); err != nil {
			var appErr *temporal.ApplicationError
			var actErr *temporal.ActivityError
			switch {
			case errors.As(err, &appErr) && appErr.NonRetryable():
				failed = fmt.Errorf("%s refused: %w", name, err)
			case errors.As(err, &appErr) || errors.As(err, &actErr):
				attempt++
			}
			return struct{}{}, fmt.Errorf("%s: %w", name, err)
		}
		return struct{}{}, nil
	})
	if failed != nil {
		return failed
	}
	return err
}
