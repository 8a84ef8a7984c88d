package app

import (
	"errors"
	"net/http"

	"idflow/internal/gateway"
	"idflow/internal/inbox"
	"idflow/internal/providers/idngo"
	"idflow/internal/store"
	"idflow/workflows/kyc"
)

// idngoProvider names IDnGO in webhook paths and in the inbox.
const idngoProvider = "idngo"

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
