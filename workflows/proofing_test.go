package workflows

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnsscenarios"
	"idflow/workflows/fnssigning"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
	"idflow/workflows/simplifiedid"
)

var update = flag.Bool("update", false, "rewrite the table in docs/proofing-status.md")

// row is one provider state and the proofing status it maps to.
type row struct {
	process string
	state   string // as the provider or the process names it
	status  proofing.Status
	// want is the status key and the union member(s) below it, as "key/member".
	want string
}

const id = "wf"

func st(outcome process.Outcome, stage, reason string) process.Status {
	return process.Status{Outcome: outcome, Stage: stage, Reason: reason}
}

func simplified(s process.Status, smevError string) proofing.Status {
	return simplifiedid.Status{Status: s, PersonCheck: simplifiedid.PersonCheck{Error: smevError,
		ExpectedBy: time.UnixMilli(1764633600000)}}.ProofingStatus(id)
}

func kycStatus(s process.Status, labels ...string) proofing.Status {
	return kyc.Status{Status: s, Review: kyc.ReviewSnapshot{RejectLabels: labels},
		RejectedSteps: []kyc.RejectedStep{{Step: "IDENTITY"}}}.ProofingStatus(id)
}

func fnsReg(s process.Status) proofing.Status {
	return fnsregistration.Status{Status: s}.ProofingStatus(id)
}
func signing(s process.Status) proofing.Status {
	return fnssigning.Status{Status: s}.ProofingStatus(id)
}
func scenario(s process.Status) proofing.Status {
	return fnsscenarios.Status{Status: s}.ProofingStatus(id)
}

func mappingRows() []row {
	const (
		acc, rej, pen, chal = process.OutcomeAccepted, process.OutcomeRejected, process.OutcomePending, process.OutcomeChallenged
		exp, rev, can, fail = process.OutcomeExpired, process.OutcomeRevoked, process.OutcomeCanceled, process.OutcomeFailed
	)
	m, k := "Mandarin simplified identification", "IDnGO KYC"
	f, s, sc := "FNS registration", "FNS signing", "FNS external activity"
	rows := []row{
		{m, "session opening, SMS code and SMEV awaited", simplified(st(pen, simplifiedid.StageChecking, ""), ""), "pending"},
		{m, "SMS code awaited (SMEV done)", simplified(st(pen, simplifiedid.StageAwaitingSMSCode, ""), ""), "pending"},
		{m, "SMEV past its usual 10 minutes", simplified(st(chal, simplifiedid.StageAwaitingSMEV, simplifiedid.ReasonAdditionalTimeNeeded), ""), "challenged/additionalTimeRequired"},
		{m, "personVerified=true, phoneVerified=true", simplified(st(acc, simplifiedid.StageFinished, ""), ""), "accepted"},
		{m, "wrong SMS code 5 times", simplified(st(rej, simplifiedid.StageFinished, simplifiedid.ReasonPhoneNotVerified), ""), "rejected/evidenceMismatch"},
		{m, "SMEV «Сведения о физическом лице не найдены»", simplified(st(rej, simplifiedid.StageFinished, simplifiedid.ReasonPersonNotVerified), "Сведения о физическом лице не найдены"), "rejected/recordNotFound"},
		{m, "SMEV «Сведения не найдены» (SNILS/INN)", simplified(st(rej, simplifiedid.StageFinished, simplifiedid.ReasonPersonNotVerified), "Сведения не найдены"), "rejected/recordNotFound"},
		{m, "personVerified=false, any other SMEV text", simplified(st(rej, simplifiedid.StageFinished, simplifiedid.ReasonPersonNotVerified), "Ошибка проверки"), "rejected/evidenceMismatch"},
		{m, "no correct SMS code in time", simplified(st(exp, simplifiedid.StageFinished, simplifiedid.ReasonSMSCodeTimeout), ""), "expired"},
		{m, "SMEV over 300 minutes", simplified(st(exp, simplifiedid.StageFinished, simplifiedid.ReasonPersonCheckTimeout), ""), "expired"},

		{k, "applicant created, documents uploading", kycStatus(st(pen, kyc.StageUploading, "")), "pending"},
		{k, "pending / queued / onHold (review awaited)", kycStatus(st(pen, kyc.StageAwaitingReview, "")), "pending"},
		{k, "RED:RETRY, documents to re-upload", kycStatus(st(pen, kyc.StageAwaitingResubmit, kyc.ReasonAwaitingResubmitted)), "challenged/issuerUrlVisit"},
		{k, "GREEN", kycStatus(st(acc, kyc.StageMonitoring, "")), "accepted"},
		{k, "RED:FINAL FORGERY", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "FORGERY"), "rejected/riskCheckFailure"},
		{k, "RED:FINAL FRAUDULENT_PATTERNS", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "FRAUDULENT_PATTERNS"), "rejected/riskCheckFailure"},
		{k, "RED:FINAL BLACKLIST", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "BLACKLIST"), "rejected/riskCheckFailure"},
		{k, "RED:FINAL REGULATIONS_VIOLATIONS", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "REGULATIONS_VIOLATIONS"), "rejected/riskCheckFailure"},
		{k, "RED:FINAL SELFIE_MISMATCH", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "SELFIE_MISMATCH"), "rejected/evidenceMismatch"},
		{k, "RED:FINAL DUPLICATE", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "DUPLICATE"), "rejected/maxProvisioningsReached"},
		{k, "RED:FINAL with an unknown label", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "SOMETHING_NEW"), "rejected/riskCheckFailure"},
		{k, "RED:FINAL FORGERY + SELFIE_MISMATCH", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonReviewFinalReject), "FORGERY", "SELFIE_MISMATCH"), "rejected/riskCheckFailure+evidenceMismatch"},
		{k, "retry cap reached, BAD_FACE_MATCHING", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "BAD_FACE_MATCHING"), "rejected/evidenceMismatch"},
		{k, "retry cap reached, BAD_SELFIE", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "BAD_SELFIE"), "rejected/livenessCheckFailure"},
		{k, "retry cap reached, PROBLEMATIC_APPLICANT_DATA", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "PROBLEMATIC_APPLICANT_DATA"), "rejected/evidenceMismatch"},
		{k, "retry cap reached, BAD_PROOF_OF_IDENTITY", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "BAD_PROOF_OF_IDENTITY"), "rejected/evidenceMismatch"},
		{k, "retry cap reached, DOCUMENT_PAGE_MISSING", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "DOCUMENT_PAGE_MISSING"), "rejected/evidenceIncomplete"},
		{k, "retry cap reached, INCOMPLETE_DOCUMENT", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "INCOMPLETE_DOCUMENT"), "rejected/evidenceIncomplete"},
		{k, "retry cap reached, UNSATISFACTORY_PHOTOS", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "UNSATISFACTORY_PHOTOS"), "rejected/evidenceIncomplete"},
		{k, "retry cap reached, SCREENSHOTS", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "SCREENSHOTS"), "rejected/evidenceIncomplete"},
		{k, "retry cap reached, EXPIRATION_DATE", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "EXPIRATION_DATE"), "rejected/recordInvalid"},
		{k, "retry cap reached, an unknown label", kycStatus(st(rej, kyc.StageMonitoring, kyc.ReasonRetryCapReached), "SOMETHING_NEW"), "rejected/evidenceIncomplete"},
		{k, "RED after GREEN (later review)", kycStatus(st(rev, kyc.StageMonitoring, kyc.ReasonLaterRedAfterGreen)), "revoked"},
		{k, "no review in time", kycStatus(st(exp, kyc.StageAwaitingReview, kyc.ReasonReviewTimeout)), "expired"},
		{k, "no re-upload in time", kycStatus(st(exp, kyc.StageAwaitingResubmit, kyc.ReasonResubmitTimeout)), "expired"},

		{f, "consumer check, create, FNS checks (SMEV)", fnsReg(st(pen, fnsregistration.StageFNSChecks, "")), "pending"},
		{f, "wait_pkcs10 / wait_secret_key (the app)", fnsReg(st(pen, fnsregistration.StageAwaitingApp, "")), "pending"},
		{f, "wait_identification (the agent)", fnsReg(st(pen, fnsregistration.StageAwaitingAgent, "")), "challenged/physicalLocationVisit"},
		{f, "certificate_issue", fnsReg(st(pen, fnsregistration.StageIssuing, "")), "pending"},
		{f, "wait_scan_upload (certificate form, photo)", fnsReg(st(pen, fnsregistration.StageAwaitingScans, "")), "challenged/physicalLocationVisit"},
		{f, "complete, certificate recorded", fnsReg(st(acc, fnsregistration.StageFinished, "")), "accepted"},
		{f, "consumer already holds a confirmed КЭП", fnsReg(st(acc, fnsregistration.StageFinished, fnsregistration.ReasonAlreadyIdentified)), "accepted"},
		{f, "rejected «Валидация ФИО-СНИЛС»", fnsReg(st(rej, fnsregistration.StageFinished, fnsregistration.ReasonNameSNILS)), "rejected/evidenceMismatch"},
		{f, "rejected «Валидация ФИО-ИНН ФЛ»", fnsReg(st(rej, fnsregistration.StageFinished, fnsregistration.ReasonNameINN)), "rejected/evidenceMismatch"},
		{f, "rejected «Проверка действительности паспорта»", fnsReg(st(rej, fnsregistration.StageFinished, fnsregistration.ReasonPassportInvalid)), "rejected/recordInvalid"},
		{f, "«Данный клиент заблокирован» (blocked consumer)", fnsReg(st(rej, fnsregistration.StageFinished, fnsregistration.ReasonConsumerBlocked)), "rejected/riskCheckFailure"},
		{f, "rejected, any other text", fnsReg(st(rej, fnsregistration.StageFinished, fnsregistration.ReasonRejectedByFNS)), "rejected/recordInvalid"},
		{f, "error (FNS's own failure)", fnsReg(st(fail, fnsregistration.StageFinished, "FNSError")), "expired"},
		{f, "no app, agent or scans in time", fnsReg(st(exp, fnsregistration.StageFinished, fnsregistration.ReasonAgentTimeout)), "expired"},
		{f, "cancelled (workflows removed at FNS)", fnsReg(st(can, fnsregistration.StageFinished, "canceled")), "canceled"},

		{s, "documents sent, signature awaited", signing(st(pen, fnssigning.StageAwaiting, "")), "pending"},
		{s, "complete, signed documents fetched", signing(st(acc, fnssigning.StageFinished, "")), "accepted"},
		{s, "sign-rejected (the person refused)", signing(st(rej, fnssigning.StageFinished, fnssigning.ReasonRefused)), "rejected/evidenceIncomplete"},
		{s, "error", signing(st(fail, fnssigning.StageFinished, "FNSError")), "expired"},
		{s, "not signed in time", signing(st(exp, fnssigning.StageFinished, fnssigning.ReasonSignTimeout)), "expired"},

		{sc, "open, the person on the page", scenario(st(pen, fnsscenarios.StageAwaitingPerson, "")), "challenged/issuerUrlVisit"},
		{sc, "reviewed, completing", scenario(st(pen, fnsscenarios.StageAwaitingReview, "")), "pending"},
		{sc, "rejected", scenario(st(rej, fnsscenarios.StageFinished, fnsscenarios.ReasonRejectedByFNS)), "rejected/recordInvalid"},
		{sc, "complete", scenario(st(acc, fnsscenarios.StageFinished, "")), "accepted"},
	}
	return rows
}

// shape is "key/member" of a status, members joined by "+" for a
// rejection with additional reasons.
func shape(s proofing.Status) string {
	switch {
	case s.Challenged != nil:
		c := s.Challenged
		return "challenged/" + firstSet(map[string]bool{"physicalLocationVisit": c.PhysicalLocationVisit != nil,
			"issuerUrlVisit": c.IssuerURLVisit != nil, "additionalTimeRequired": c.AdditionalTimeRequired != nil})
	case s.Rejected != nil:
		var parts []string
		for _, r := range append([]proofing.Rejection{s.Rejected.PrimaryRejection}, s.Rejected.AdditionalRejections...) {
			parts = append(parts, firstSet(map[string]bool{"evidenceMismatch": r.EvidenceMismatch != nil,
				"evidenceIncomplete": r.EvidenceIncomplete != nil, "recordNotFound": r.RecordNotFound != nil,
				"recordInvalid": r.RecordInvalid != nil, "maxProvisioningsReached": r.MaxProvisioningsReached != nil,
				"riskCheckFailure": r.RiskCheckFailure != nil, "livenessCheckFailure": r.LivenessCheckFailure != nil}))
		}
		return "rejected/" + strings.Join(parts, "+")
	}
	return s.Key()
}

func firstSet(m map[string]bool) string {
	var set []string
	for k, v := range m {
		if v {
			set = append(set, k)
		}
	}
	if len(set) != 1 {
		return fmt.Sprintf("%d members", len(set))
	}
	return set[0]
}

func TestProofingMappingRowByRow(t *testing.T) {
	for _, r := range mappingRows() {
		t.Run(r.process+": "+r.state, func(t *testing.T) {
			require.NoError(t, r.status.Validate())
			assert.Equal(t, r.want, shape(r.status))
			if rej := r.status.Rejected; rej != nil {
				assert.NotEmpty(t, rej.PrimaryRejection.RejectionDescription)
				assert.True(t, strings.HasPrefix(rej.PrimaryRejection.IssuerRejectionIdentifier, id+"#"), "support finds the case by the workflow id")
			}
			if c := r.status.Challenged; c != nil {
				assert.NotEmpty(t, c.ChallengeDescription)
			}
		})
	}
}

func TestSMEVSlownessEstimatesCompletion(t *testing.T) {
	s := simplified(st(process.OutcomeChallenged, simplifiedid.StageAwaitingSMEV, simplifiedid.ReasonAdditionalTimeNeeded), "")
	assert.Equal(t, "1764633600000", s.Challenged.AdditionalTimeRequired.EstimatedCompletion)
}

// TestProofingTableIsDocumented keeps docs/proofing-status.md's table the
// same as the rows above (go test ./workflows -run TestProofingTable -update rewrites it).
func TestProofingTableIsDocumented(t *testing.T) {
	const path, begin, end = "../docs/proofing-status.md", "<!-- mapping table: begin -->\n", "<!-- mapping table: end -->"
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("| Process | Provider state | Proofing status | Example JSON |\n|---|---|---|---|\n")
	for _, r := range mappingRows() {
		fmt.Fprintf(&b, "| %s | %s | `%s` | `%s` |\n", r.process, r.state, r.want, r.status.JSON())
	}
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "markers in %s", path)
	want := text[:i+len(begin)] + b.String() + text[j:]
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	assert.Equal(t, want, text, "run: go test ./workflows -run TestProofingTable -update")
}
