package proofing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestStatusJSONHasExactlyOneKey(t *testing.T) {
	at := time.UnixMilli(1764633600123)
	for _, tc := range []struct {
		status Status
		want   string
	}{
		{Pending(), `{"pending":{}}`},
		{Accepted(), `{"accepted":{}}`},
		{Canceled(), `{"canceled":{}}`},
		{Revoked(), `{"revoked":{}}`},
		{Expired(), `{"expired":{}}`},
		{Challenge("agent", PhysicalLocationVisit()), `{"challenged":{"challengeDescription":"agent","physicalLocationVisit":{}}}`},
		{Challenge("page", IssuerURLVisit()), `{"challenged":{"challengeDescription":"page","issuerUrlVisit":{}}}`},
		{Challenge("smev", AdditionalTimeRequired(at)), `{"challenged":{"challengeDescription":"smev","additionalTimeRequired":{"estimatedCompletion":"1764633600123"}}}`},
		{Challenge("smev", AdditionalTimeRequired(time.Time{})), `{"challenged":{"challengeDescription":"smev","additionalTimeRequired":{}}}`},
		{Reject(RecordNotFound().Described("d", "i")), `{"rejected":{"primaryRejection":{"rejectionDescription":"d","issuerRejectionIdentifier":"i","recordNotFound":{}}}}`},
		{Reject(EvidenceMismatch("selfie").Described("d", "i"), EvidenceIncomplete("pages"), RecordInvalidBecause("expired"),
			MaxProvisioningsReached(1), RiskCheckFailure(), LivenessCheckFailure()),
			`{"rejected":{"primaryRejection":{"rejectionDescription":"d","issuerRejectionIdentifier":"i","evidenceMismatch":{"evidenceType":"selfie"}},` +
				`"additionalRejections":[{"rejectionDescription":"","issuerRejectionIdentifier":"","evidenceIncomplete":{"evidenceType":"pages"}},` +
				`{"rejectionDescription":"","issuerRejectionIdentifier":"","recordInvalid":{"invalidityReason":"expired"}},` +
				`{"rejectionDescription":"","issuerRejectionIdentifier":"","maxProvisioningsReached":{"maxNumberOfProvisioningsAllowed":1}},` +
				`{"rejectionDescription":"","issuerRejectionIdentifier":"","riskCheckFailure":{}},` +
				`{"rejectionDescription":"","issuerRejectionIdentifier":"","livenessCheckFailure":{}}]}}`},
	} {
		assert.JSONEq(t, tc.want, string(tc.status.JSON()))
		assert.NoError(t, tc.status.Validate(), tc.want)
	}
}

func TestValidateRefusesUnionsWithoutExactlyOneMember(t *testing.T) {
	assert.Error(t, Status{}.Validate())
	assert.Error(t, Status{Pending: &Empty{}, Accepted: &Empty{}}.Validate())
	assert.Error(t, Reject(Rejection{}).Validate(), "a rejection without a reason")
	two := RecordNotFound()
	two.RiskCheckFailure = &Empty{}
	assert.Error(t, Reject(two).Validate())
	assert.Error(t, Challenge("x", Challenged{}).Validate(), "a challenge without a kind")
	assert.Equal(t, "", Status{}.Key())
	assert.True(t, Challenge("x", IssuerURLVisit()).Open())
	assert.False(t, Revoked().Open())
}
