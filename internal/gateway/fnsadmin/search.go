package fnsadmin

import (
	"context"
	"slices"

	"idflow/internal/gateway"
	"idflow/internal/providers/fns"
)

// SearchWorkflows lists the consumers' workflows (all pages).
func (a *Admin) SearchWorkflows(ctx context.Context, consumerIDs []string, typ string) ([]gateway.FNSWorkflowSummary, error) {
	found, err := a.client.Partner().SearchWorkflows(ctx, consumerIDs, fns.WorkflowType(typ))
	if err != nil {
		return nil, gatewayError(err)
	}
	out := make([]gateway.FNSWorkflowSummary, 0, len(found))
	for _, wf := range found {
		out = append(out, gateway.FNSWorkflowSummary{ID: int64(wf.ID), Type: string(wf.Type), State: string(wf.State),
			Scenario: int64(wf.Scenario.ID), ConsumerID: wf.Consumer.ID, Parent: mergeIDs(wf.Parent, wf.ParentIDField),
			Created: wf.Created, Updated: wf.Updated})
	}
	return out, nil
}

// RemoveWorkflows removes what FNS allows and says what it did not.
func (a *Admin) RemoveWorkflows(ctx context.Context, ids []int64) (gateway.FNSRemoveResult, error) {
	res, err := a.client.Partner().RemoveWorkflows(ctx, ids)
	if err != nil {
		return gateway.FNSRemoveResult{}, gatewayError(err)
	}
	out := gateway.FNSRemoveResult{Requested: res.WorkflowIDList, Removed: res.SuccessIDList, Failed: res.ErrorIDList}
	if out.Requested == nil {
		out.Requested = ids
	}
	for _, l := range []*[]int64{&out.Removed, &out.Failed} {
		if *l == nil {
			*l = []int64{}
		}
	}
	return out, nil
}

// SearchConsumers finds the person's consumers and reports their states
// and certificates only.
func (a *Admin) SearchConsumers(ctx context.Context, q gateway.FNSConsumerQuery) ([]gateway.FNSConsumerSummary, error) {
	found, err := a.client.Partner().SearchConsumers(ctx, fns.ConsumerSearch{LastName: q.LastName, FirstName: q.FirstName,
		MiddleName: q.MiddleName, Birthed: q.Birthed, SNILS: q.SNILS, INN: q.INN, Phone: q.Phone})
	if err != nil {
		return nil, gatewayError(err)
	}
	out := make([]gateway.FNSConsumerSummary, 0, len(found))
	for _, c := range found {
		s := gateway.FNSConsumerSummary{ID: c.ID, State: c.State, Created: c.Created, IsRemotelyIdentified: c.IsRemotelyIdentified,
			Entrepreneur: c.Entrepreneur != nil, LegalEntities: len(c.LegalEntities), Certificates: []gateway.FNSCertificateSummary{}}
		for _, cert := range c.Certificates {
			s.Certificates = append(s.Certificates, gateway.FNSCertificateSummary{ID: int64(cert.ID), Type: cert.Type, State: cert.State,
				IsConfirmed: cert.IsConfirmed, NotAfter: cert.NotAfter})
		}
		out = append(out, s)
	}
	return out, nil
}

func mergeIDs(lists ...fns.IDList) []int64 {
	var out []int64
	for _, l := range lists {
		for _, id := range l {
			if id > 0 && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}
