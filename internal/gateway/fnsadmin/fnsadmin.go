// Package fnsadmin implements gateway.FNSAdmin over the FNS partner API
// client and the store: the gateway's /v1/fns routes act under the
// worker's partner account, so operators never hold its credentials.
package fnsadmin

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"idflow/internal/gateway"
	"idflow/internal/providers/fns"
	"idflow/internal/store"
)

// Admin is the gateway's FNS administration under the partner account.
type Admin struct {
	client *fns.Client
}

var _ gateway.FNSAdmin = (*Admin)(nil)

// New returns the Admin over client, or nil (FNS not configured: the
// gateway answers 503) when client is nil.
func New(client *fns.Client) gateway.FNSAdmin {
	if client == nil {
		return nil
	}
	return &Admin{client: client}
}

// CreateAgent creates the agent at FNS and keeps its id, username and token.
func (a *Admin) CreateAgent(ctx context.Context, st *store.Store, in gateway.FNSAgentCreate) (gateway.FNSAgentCreated, error) {
	agent, err := a.client.Partner().CreateAgent(ctx, fns.AgentRequest{
		Username: in.Username, Password: in.Password, LastName: in.LastName, FirstName: in.FirstName,
		MiddleName: in.MiddleName, Email: in.Email, Phone: in.Phone, UnstructuredIdentity: in.UnstructuredIdentity,
		SNILS: in.SNILS, Position: in.Position, Company: in.Company, Permissions: in.Permissions,
		IdentificationPoints: in.IdentificationPoints,
	})
	if err != nil {
		return gateway.FNSAgentCreated{}, gatewayError(err)
	}
	id := strconv.FormatInt(int64(agent.ID), 10)
	if agent.ID <= 0 || agent.Token == "" {
		return gateway.FNSAgentCreated{}, fmt.Errorf("%w: FNS answered the create without an agent id or token", gateway.ErrFNSUnavailable)
	}
	if err := st.PutFNSAgent(ctx, store.FNSAgent{ID: id, Username: agent.Username, Token: agent.Token}); err != nil {
		return gateway.FNSAgentCreated{}, gateway.StoreFailed("FNS created agent "+id+
			" but the worker could not keep its token; block it (POST /v1/fns/agents/"+id+"/block) and create it again", err)
	}
	out := gateway.FNSAgentCreated{ID: id, Username: agent.Username, Permissions: agent.Permissions,
		IdentificationPoints: pointIDs(agent.IdentificationPoints)}
	if out.Username == "" {
		out.Username = in.Username
	}
	if len(out.Permissions) == 0 {
		out.Permissions = in.Permissions
	}
	if len(out.IdentificationPoints) == 0 {
		out.IdentificationPoints = in.IdentificationPoints
	}
	return out, nil
}

// ListAgents lists FNS's agents of the partner.
func (a *Admin) ListAgents(ctx context.Context) ([]gateway.FNSAgentSummary, error) {
	agents, err := a.client.Partner().ListAgents(ctx)
	if err != nil {
		return nil, gatewayError(err)
	}
	out := make([]gateway.FNSAgentSummary, 0, len(agents))
	for _, ag := range agents {
		out = append(out, gateway.FNSAgentSummary{ID: strconv.FormatInt(int64(ag.ID), 10), Username: ag.Username,
			LastName: ag.LastName, FirstName: ag.FirstName, MiddleName: ag.MiddleName,
			IsActive: ag.IsActive == nil || *ag.IsActive, IdentificationPoints: pointIDs(ag.IdentificationPoints)})
	}
	return out, nil
}

// BlockAgent blocks the agent at FNS. FNS wants its username with every
// update: the store's, else the one of FNS's list.
func (a *Admin) BlockAgent(ctx context.Context, st *store.Store, id int64) error {
	username, err := a.username(ctx, st, id)
	if err != nil {
		return err
	}
	if _, err := a.client.Partner().BlockAgent(ctx, id, fns.AgentUpdate{Username: username}); err != nil {
		return gatewayError(err)
	}
	return nil
}

func (a *Admin) username(ctx context.Context, st *store.Store, id int64) (string, error) {
	kept, err := st.GetFNSAgent(ctx, strconv.FormatInt(id, 10))
	switch {
	case err == nil && kept.Username != "":
		return kept.Username, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", gateway.StoreFailed("the FNS agent could not be read; retry later", err)
	}
	agents, err := a.client.Partner().ListAgents(ctx)
	if err != nil {
		return "", gatewayError(err)
	}
	for _, ag := range agents {
		if int64(ag.ID) == id && ag.Username != "" {
			return ag.Username, nil
		}
	}
	return "", gateway.ErrFNSNotFound
}

// Template fetches the first document scan's template of a
// certificate-issuing workflow with the partner's credentials.
func (a *Admin) Template(ctx context.Context, workflowID int64) (gateway.FNSFile, error) {
	session := a.client.Partner()
	scans, err := session.DocumentScans(ctx, workflowID)
	if err != nil {
		return gateway.FNSFile{}, gatewayError(err)
	}
	for _, sc := range scans.Scans {
		if sc.TemplateURL == "" {
			continue
		}
		content, contentType, err := session.Fetch(ctx, sc.TemplateURL)
		if fns.IsNotFound(err) {
			return gateway.FNSFile{}, gateway.ErrFNSNoTemplate // listed, not printable yet
		}
		if err != nil {
			return gateway.FNSFile{}, gatewayError(err)
		}
		if len(content) == 0 {
			return gateway.FNSFile{}, gateway.ErrFNSNoTemplate
		}
		return gateway.FNSFile{Content: content, ContentType: contentType}, nil
	}
	return gateway.FNSFile{}, gateway.ErrFNSNoTemplate
}

func pointIDs(points []fns.IdentificationPoint) []int64 {
	out := make([]int64, 0, len(points))
	for _, p := range points {
		out = append(out, int64(p.ID))
	}
	return out
}

// gatewayError maps a client error to the gateway's kinds. The client's
// errors hold FNS's texts and the call, never the request's values.
func gatewayError(err error) error {
	fe, ok := errors.AsType[*fns.Error](err)
	switch {
	case !ok:
		return fmt.Errorf("%w: %w", gateway.ErrFNSUnavailable, err)
	case errors.Is(err, fns.ErrInvalidArgument): // refused by the client before any call
		return &gateway.FNSRejection{Message: fe.Message}
	case errors.Is(err, fns.ErrNotFound):
		return gateway.ErrFNSNotFound
	case fe.Retryable || fe.StatusCode == 0 || fe.StatusCode >= 500 || errors.Is(err, fns.ErrUnauthorized):
		// Also the partner credentials refused: the worker's configuration, not the request.
		return fmt.Errorf("%w: %s", gateway.ErrFNSUnavailable, fe.Error())
	}
	rej := &gateway.FNSRejection{Message: fe.Message}
	for _, f := range fe.Fields {
		rej.Fields = append(rej.Fields, gateway.FieldError{Field: f.Field, Message: f.Message})
	}
	if len(rej.Fields) > 0 {
		rej.Message = ""
		for i, f := range fe.Fields {
			if i > 0 {
				rej.Message += "; "
			}
			rej.Message += f.String()
		}
	}
	if rej.Message == "" {
		rej.Message = "HTTP " + strconv.Itoa(fe.StatusCode)
	}
	return rej
}
