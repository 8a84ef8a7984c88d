package app

import (
	"errors"
	"net/http"

	"idflow/internal/gateway"
	"idflow/internal/inbox"
	"idflow/internal/providers/fns"
	"idflow/internal/providers/idngo"
	"idflow/internal/store"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/kyc"
)

// Providers' names in webhook paths and in the inbox.
const (
	idngoProvider = "idngo"
	fnsProvider   = "fns"
)

// idngoWebhooks verifies IDnGO's X-Payload-Digest with the account's own
// algorithm and keys each event by its correlationId, so that duplicates
// are stored once.
func idngoWebhooks(secret, digestAlg string) gateway.WebhookSource {
	return gateway.WebhookSource{
		Provider: idngoProvider,
		Verify: func(h http.Header, body []byte) error {
			return idngo.VerifyAccountDigest(secret, digestAlg, h.Get(idngo.HeaderPayloadDigestAlg), h.Get(idngo.HeaderPayloadDigest), body)
		},
		Parse: func(body []byte) (string, string, error) {
			wh, err := idngo.ParseWebhook(body)
			return wh.CorrelationID, wh.Type, err
		},
	}
}

// routeIDnGO sends an IDnGO event to the KYC workflow of its external user.
// Only what the workflow needs travels on; the clientComment never does.
func routeIDnGO(ev store.InboxEvent) (inbox.Delivery, error) {
	wh, err := idngo.ParseWebhook(ev.Body)
	if err != nil {
		return inbox.Delivery{}, err
	}
	if wh.ExternalUserID == "" {
		return inbox.Delivery{}, errors.New("webhook without externalUserId")
	}
	event := kyc.Event{CorrelationID: wh.CorrelationID, Type: wh.Type, ReviewStatus: wh.ReviewStatus}
	if wh.ReviewResult != nil {
		event.ReviewAnswer = wh.ReviewResult.ReviewAnswer
	}
	return inbox.Delivery{WorkflowID: kyc.WorkflowID(wh.ExternalUserID), SignalName: kyc.EventSignal, Payload: event}, nil
}

// fnsWebhooks takes FNS callbacks at POST /webhooks/fns/{token}: FNS signs
// nothing, so the URL carries the workflow's callback token. A callback is
// keyed by FNS workflow, type and state: FNS repeats it until answered 200.
func fnsWebhooks() gateway.WebhookSource {
	return gateway.WebhookSource{
		Provider: fnsProvider,
		ByToken:  true,
		Parse: func(body []byte) (string, string, error) {
			cb, err := fns.ParseCallback(body)
			return cb.DedupeKey(), cb.Type + "/" + cb.State, err
		},
	}
}

// routeFNS sends a callback to the workflow whose token its URL carried
// (recorded with the event at intake).
func routeFNS(ev store.InboxEvent) (inbox.Delivery, error) {
	cb, err := fns.ParseCallback(ev.Body)
	if err != nil {
		return inbox.Delivery{}, err
	}
	if ev.WorkflowID == "" {
		return inbox.Delivery{}, errors.New("callback stored without its workflow")
	}
	event := fnsregistration.Callback{FNSWorkflowID: cb.ID, Type: cb.Type, State: cb.State, ErrorMessage: cb.ErrorMessage}
	if cb.ParentID != nil {
		event.ParentID = *cb.ParentID
	}
	if cb.ChildID != nil {
		event.ChildID = *cb.ChildID
	}
	return inbox.Delivery{WorkflowID: ev.WorkflowID, SignalName: fnsregistration.CallbackSignal, Payload: event}, nil
}
