package onboarding

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnssigning"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
	"idflow/workflows/simplifiedid"
)

// move is one change a stand-in child makes after a wait: a stage, an
// outcome (finishing the child when final, unless hold), or a failure.
type move struct {
	after   time.Duration
	stage   string
	outcome process.Outcome
	reason  string
	labels  []string // KYC reject labels
	fail    error
	// uncancellable: the wait goes on through a cancellation (FNS
	// completes a signing the cancellation has not reached yet).
	uncancellable bool
}

// child is a stand-in for a step's workflow: it runs its moves through a
// real process.Tracker with the process's real proofing mapping, so the
// onboarding hears it exactly as it would hear the real one, and then,
// when hold, stays open (a KYC monitoring after GREEN) until cancelled.
func child(name string, hold bool, moves ...move) func(workflow.Context, map[string]any) (fnsregistration.Status, error) {
	return func(ctx workflow.Context, _ map[string]any) (fnsregistration.Status, error) {
		var st fnsregistration.Status
		var review kyc.ReviewSnapshot
		track := process.NewTracker(name, &st.Status, nil)
		track.SetProofing(func(id string) proofing.Status { return mapping(name, st.Status, review, id) })
		st.ConsumerID = "consumer-1"
		track.SetStage(ctx, "started")
		for _, m := range moves {
			sctx := ctx
			if m.uncancellable {
				sctx, _ = workflow.NewDisconnectedContext(ctx)
			}
			if err := workflow.Sleep(sctx, m.after); err != nil {
				return st, track.Fail(ctx, err)
			}
			review.RejectLabels = m.labels
			switch {
			case m.fail != nil:
				return st, track.Fail(ctx, m.fail)
			case m.outcome == "":
				track.SetStage(ctx, m.stage)
			case m.outcome.Open() || hold:
				st.Stage = m.stage
				track.SetOutcome(ctx, m.outcome, m.reason)
			default:
				if name == fnsregistration.WorkflowType && m.outcome == process.OutcomeAccepted {
					st.Certificate = &fnsregistration.Certificate{Serial: "0a1b"}
				}
				track.Finish(ctx, m.outcome, m.reason)
				return st, nil
			}
		}
		if !hold {
			return st, nil
		}
		err := workflow.Await(ctx, func() bool { return false })
		return st, track.Fail(ctx, err)
	}
}

func mapping(name string, s process.Status, review kyc.ReviewSnapshot, id string) proofing.Status {
	switch name {
	case simplifiedid.WorkflowType:
		return simplifiedid.Status{Status: s}.ProofingStatus(id)
	case kyc.WorkflowType:
		return kyc.Status{Status: s, Review: review}.ProofingStatus(id)
	case fnsregistration.WorkflowType:
		return fnsregistration.Status{Status: s}.ProofingStatus(id)
	}
	return fnssigning.Status{Status: s}.ProofingStatus(id)
}

type harness struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	recorded []RecordProofingInput
	children map[string]bool // workflow types started
}

func newHarness(t *testing.T, children map[string]func(workflow.Context, map[string]any) (fnsregistration.Status, error)) *harness {
	var s testsuite.WorkflowTestSuite
	h := &harness{t: t, env: s.NewTestWorkflowEnvironment(), children: map[string]bool{}}
	h.env.RegisterWorkflowWithOptions(Onboarding, workflow.RegisterOptions{Name: WorkflowType})
	for name, fn := range children {
		h.env.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
	h.env.RegisterActivityWithOptions(func(_ context.Context, in RecordProofingInput) (RecordProofingResult, error) {
		h.recorded = append(h.recorded, in)
		return RecordProofingResult{Applied: true}, nil
	}, activity.RegisterOptions{Name: RecordProofingActivity})
	return h
}

func fullInput() Input {
	return Input{ProofingID: "prf-1", DeviceReferenceID: "dev-1", Evidence: Evidence{
		SimplifiedIdentification: &SimplifiedIDEvidence{PersonDocumentID: "doc-person"},
		KYC: &KYCEvidence{LevelName: "basic", Documents: []kyc.Document{
			{IDDocType: "PASSPORT", Country: "RUS", DocumentID: "doc-passport"}}},
		FNSRegistration: &FNSEvidence{RegistrationDocumentID: "doc-registration"},
		Signing:         &SigningEvidence{DocumentIDs: []string{"doc-contract"}},
	}, MonitoringPeriod: 30 * 24 * time.Hour}
}

func (h *harness) run(in Input) Status {
	h.env.ExecuteWorkflow(WorkflowType, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
	var st Status
	if err := h.env.GetWorkflowResult(&st); err != nil {
		st.Outcome = process.Outcome("error: " + err.Error())
	}
	return st
}

// keys are the recorded proofing statuses in order, each once in a row.
func (h *harness) keys() []string {
	var out []string
	for i, r := range h.recorded {
		require.NoError(h.t, r.Status.Validate())
		if i > 0 {
			require.Greater(h.t, r.Version, h.recorded[i-1].Version, "versions only grow")
		}
		out = append(out, r.Status.Key())
	}
	return out
}

func (h *harness) last() proofing.Status { return h.recorded[len(h.recorded)-1].Status }

func (h *harness) sawChallenge(kind func(proofing.Challenged) bool) bool {
	for _, r := range h.recorded {
		if c := r.Status.Challenged; c != nil && kind(*c) {
			return true
		}
	}
	return false
}

var (
	agentWait = func(c proofing.Challenged) bool { return c.PhysicalLocationVisit != nil }
	smevSlow  = func(c proofing.Challenged) bool { return c.AdditionalTimeRequired != nil }
)

func happyChildren() map[string]func(workflow.Context, map[string]any) (fnsregistration.Status, error) {
	return map[string]func(workflow.Context, map[string]any) (fnsregistration.Status, error){
		simplifiedid.WorkflowType: child(simplifiedid.WorkflowType, false,
			move{after: 15 * time.Minute, stage: simplifiedid.StageAwaitingSMEV, outcome: process.OutcomeChallenged, reason: simplifiedid.ReasonAdditionalTimeNeeded},
			move{after: time.Hour, outcome: process.OutcomeAccepted}),
		kyc.WorkflowType: child(kyc.WorkflowType, true,
			move{after: 2 * time.Hour, stage: kyc.StageMonitoring, outcome: process.OutcomeAccepted}),
		fnsregistration.WorkflowType: child(fnsregistration.WorkflowType, false,
			move{after: time.Hour, stage: fnsregistration.StageAwaitingAgent},
			move{after: 24 * time.Hour, stage: fnsregistration.StageIssuing},
			move{after: time.Hour, outcome: process.OutcomeAccepted}),
		fnssigning.WorkflowType: child(fnssigning.WorkflowType, false,
			move{after: time.Hour, stage: fnssigning.StageAwaiting},
			move{after: time.Hour, outcome: process.OutcomeAccepted}),
	}
}

func TestOnboardingAcceptedThenMonitoringEnds(t *testing.T) {
	h := newHarness(t, happyChildren())
	st := h.run(fullInput())

	assert.Equal(t, process.OutcomeAccepted, st.Outcome)
	assert.Equal(t, []string{"pending", "challenged", "pending", "challenged", "pending", "accepted"}, h.keys())
	assert.True(t, h.sawChallenge(smevSlow), "SMEV slower than usual is additionalTimeRequired")
	assert.True(t, h.sawChallenge(agentWait), "the wait for the agent is physicalLocationVisit")
	assert.Equal(t, "0a1b", st.CertificateSerial)
	require.Len(t, st.Steps, 4)
	for _, s := range st.Steps[1:] {
		if s.Name == StepKYC { // monitoring ended with the onboarding: the child was cancelled
			assert.Equal(t, process.OutcomeCanceled, s.Outcome)
		} else {
			assert.Equal(t, process.OutcomeAccepted, s.Outcome, s.Name)
		}
	}
}

func TestOnboardingRevokedWhenKYCTurnsRedAfterAcceptance(t *testing.T) {
	children := happyChildren()
	children[kyc.WorkflowType] = child(kyc.WorkflowType, true,
		move{after: 2 * time.Hour, stage: kyc.StageMonitoring, outcome: process.OutcomeAccepted},
		move{after: 10 * 24 * time.Hour, stage: kyc.StageMonitoring, outcome: process.OutcomeRevoked, reason: kyc.ReasonLaterRedAfterGreen})
	h := newHarness(t, children)
	st := h.run(fullInput())

	assert.Equal(t, process.OutcomeRevoked, st.Outcome)
	assert.Equal(t, "kyc: "+kyc.ReasonLaterRedAfterGreen, st.Reason)
	assert.Equal(t, []string{"accepted", "revoked"}, h.keys()[len(h.keys())-2:])
}

func TestOnboardingRevokedByARevokedCertificate(t *testing.T) {
	h := newHarness(t, happyChildren())
	// Before acceptance a revocation means nothing; another certificate's neither.
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(RevokeSignal, RevokeRequest{Reason: ReasonCertificateRevoke})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(RevokeSignal, RevokeRequest{Reason: ReasonCertificateRevoke, CertificateSerial: "ffff"})
	}, 10*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(RevokeSignal, RevokeRequest{Reason: ReasonCertificateRevoke, CertificateSerial: "0a1b"})
	}, 11*24*time.Hour)
	st := h.run(fullInput())

	assert.Equal(t, process.OutcomeRevoked, st.Outcome)
	assert.Equal(t, ReasonCertificateRevoke, st.Reason)
	assert.Equal(t, []string{"accepted", "revoked"}, h.keys()[len(h.keys())-2:])
}

func TestOnboardingRejectedStopsTheRest(t *testing.T) {
	children := happyChildren()
	children[kyc.WorkflowType] = child(kyc.WorkflowType, true,
		move{after: 30 * time.Minute, stage: kyc.StageMonitoring, outcome: process.OutcomeRejected,
			reason: kyc.ReasonReviewFinalReject, labels: []string{"FORGERY", "SELFIE_MISMATCH"}})
	h := newHarness(t, children)
	st := h.run(fullInput())

	assert.Equal(t, process.OutcomeRejected, st.Outcome)
	assert.Equal(t, "kyc: "+kyc.ReasonReviewFinalReject, st.Reason)
	rej := h.last().Rejected
	require.NotNil(t, rej)
	assert.NotNil(t, rej.PrimaryRejection.RiskCheckFailure, "FORGERY")
	require.Len(t, rej.AdditionalRejections, 1)
	assert.NotNil(t, rej.AdditionalRejections[0].EvidenceMismatch, "SELFIE_MISMATCH")
	require.Len(t, st.Steps, 2, "no FNS registration after a rejection")
	assert.Equal(t, process.OutcomeCanceled, st.Steps[0].Outcome, "the simplified identification still running is cancelled")
}

func TestOnboardingExpiresAtItsDeadline(t *testing.T) {
	children := happyChildren()
	children[fnsregistration.WorkflowType] = child(fnsregistration.WorkflowType, true,
		move{after: time.Hour, stage: fnsregistration.StageAwaitingAgent})
	h := newHarness(t, children)
	in := fullInput()
	in.Deadline = 10 * 24 * time.Hour
	st := h.run(in)

	assert.Equal(t, process.OutcomeExpired, st.Outcome)
	assert.Equal(t, ReasonDeadline, st.Reason)
	assert.Equal(t, "expired", h.last().Key())
	assert.Contains(t, st.Compensation, "fns-registration: cancelled (canceled); its open FNS workflows removed at FNS")
}

func TestOnboardingFailedStepExpires(t *testing.T) {
	children := happyChildren()
	children[simplifiedid.WorkflowType] = child(simplifiedid.WorkflowType, false,
		move{after: time.Minute, fail: errors.New("provider down")})
	h := newHarness(t, children)
	st := h.run(fullInput())

	assert.Equal(t, process.OutcomeExpired, st.Outcome, "a technical failure is no decision on the person")
	assert.Contains(t, st.Reason, StepSimplifiedID+": ")
}

func TestOnboardingCanceledCompensates(t *testing.T) {
	children := happyChildren()
	children[fnsregistration.WorkflowType] = child(fnsregistration.WorkflowType, true,
		move{after: time.Hour, stage: fnsregistration.StageAwaitingAgent})
	h := newHarness(t, children)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 5*24*time.Hour)
	st := h.run(fullInput())

	assert.Contains(t, string(st.Outcome), "canceled")
	assert.Equal(t, "canceled", h.last().Key())
}

func TestOnboardingCanceledWhileSigningReportsASigningItCannotUndo(t *testing.T) {
	children := happyChildren()
	children[fnssigning.WorkflowType] = child(fnssigning.WorkflowType, false,
		move{after: time.Hour, stage: fnssigning.StageAwaiting},
		move{after: time.Hour, outcome: process.OutcomeAccepted, uncancellable: true})
	h := newHarness(t, children)
	// FNS registration is accepted at 28h, the signing runs 28h–30h.
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 29*time.Hour+30*time.Minute)
	h.run(fullInput())
	val, err := h.env.QueryWorkflow(process.StatusQuery)
	require.NoError(t, err)
	var st Status
	require.NoError(t, val.Get(&st))

	assert.Equal(t, "canceled", h.last().Key())
	assert.Equal(t, process.OutcomeAccepted, st.Steps[3].Outcome)
	require.NotEmpty(t, st.Compensation)
	assert.Contains(t, st.Compensation[len(st.Compensation)-1], "stay signed")
}

func TestOnboardingCanceledAfterAcceptanceKeepsTheDecision(t *testing.T) {
	h := newHarness(t, happyChildren())
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 5*24*time.Hour)
	h.run(fullInput())
	assert.Equal(t, "accepted", h.last().Key())
}

func TestOnboardingRejectsBadInput(t *testing.T) {
	h := newHarness(t, happyChildren())
	in := fullInput()
	in.Evidence.SimplifiedIdentification, in.Evidence.KYC, in.Evidence.FNSRegistration = nil, nil, nil
	st := h.run(in)
	assert.Contains(t, string(st.Outcome), "at least one identification check")
	assert.Contains(t, string(st.Outcome), "registrationDocumentId")
	assert.Empty(t, h.recorded, "nothing recorded for a proofing that never started")
}

func TestOnboardingRejectedWhenAPassedStepIsRevokedBeforeTheEnd(t *testing.T) {
	children := happyChildren()
	// KYC turns red while FNS still waits for the agent: no acceptance to revoke yet.
	children[kyc.WorkflowType] = child(kyc.WorkflowType, true,
		move{after: 2 * time.Hour, stage: kyc.StageMonitoring, outcome: process.OutcomeAccepted},
		move{after: 5 * time.Hour, stage: kyc.StageMonitoring, outcome: process.OutcomeRevoked, reason: kyc.ReasonLaterRedAfterGreen})
	h := newHarness(t, children)
	st := h.run(fullInput())

	assert.Equal(t, process.OutcomeRejected, st.Outcome)
	rej := h.last().Rejected
	require.NotNil(t, rej)
	assert.NotNil(t, rej.PrimaryRejection.RecordInvalid)
	require.Len(t, st.Steps, 3, "no signing after the rejection")
	assert.Equal(t, process.OutcomeCanceled, st.Steps[2].Outcome, "the FNS registration still running is cancelled")
}

// TestOnboardingStartsItsStepsWithTheirSearchAttributes: each step is
// searchable by its first stage from its start.
func TestOnboardingStartsItsStepsWithTheirSearchAttributes(t *testing.T) {
	startStages := map[string]string{}
	children := happyChildren()
	for name, fn := range children {
		children[name] = func(ctx workflow.Context, in map[string]any) (fnsregistration.Status, error) {
			startStages[name], _ = workflow.GetTypedSearchAttributes(ctx).GetKeyword(process.StageKey)
			return fn(ctx, in)
		}
	}
	h := newHarness(t, children)
	assert.Equal(t, process.OutcomeAccepted, h.run(fullInput()).Outcome)
	assert.Equal(t, map[string]string{simplifiedid.WorkflowType: simplifiedid.StageOpeningSession, kyc.WorkflowType: kyc.StageCreatingApplicant,
		fnsregistration.WorkflowType: fnsregistration.StageChecking, fnssigning.WorkflowType: fnssigning.StageSending}, startStages)
}
