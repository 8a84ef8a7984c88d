package fnssigning

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"idflow/workflows/process"
	"idflow/workflows/process/processtest"
)

type signingSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	sent       time.Time
	signAfter  time.Duration // < 0: never
	finalState string        // the state after signAfter
	sends      int
	reads      int
}

func TestDocumentSigning(t *testing.T) { suite.Run(t, new(signingSuite)) }

func (s *signingSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 15 * time.Second})
	s.signAfter, s.finalState, s.sends, s.reads = 10*time.Minute, stateComplete, 0, 0
	s.register(SendDocumentsActivity, func(context.Context, SendDocumentsInput) (SendDocumentsResult, error) {
		s.sends++
		s.sent = s.env.Now()
		return SendDocumentsResult{FNSWorkflowID: 10912}, nil
	})
	s.register(ReadSigningActivity, func(context.Context, ReadSigningInput) (SigningState, error) {
		s.reads++
		if s.signAfter < 0 || s.env.Now().Before(s.sent.Add(s.signAfter)) {
			return SigningState{State: stateWaitSignature}, nil
		}
		return SigningState{State: s.finalState, ErrorMessage: "Клиент отказался от подписания документов"}, nil
	})
	s.register(FetchSignedActivity, func(_ context.Context, in FetchSignedInput) (FetchSignedResult, error) {
		var out FetchSignedResult
		for i, id := range in.DocumentIDs {
			out.Documents = append(out.Documents, SignedDocument{DocumentID: id, SignedDocumentID: fmt.Sprint("signed-", i), SignatureID: fmt.Sprint("p7s-", i)})
		}
		out.Signer = Signer{Serial: "7C0F", Issuer: "sandbox CA"}
		return out, nil
	})
}

func (s *signingSuite) register(name string, fn any) {
	s.env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
}

func input(n int) Input {
	in := Input{RequestID: "s1", ConsumerID: "5ccb259b-a804-4207-9dc7-b7ebc7a7e05e"}
	for i := range n {
		in.DocumentIDs = append(in.DocumentIDs, fmt.Sprint("doc_", i))
	}
	return in
}

func (s *signingSuite) result() Status {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var st Status
	s.Require().NoError(s.env.GetWorkflowResult(&st))
	return st
}

func (s *signingSuite) TestSignedDocumentsComeBackToTheStore() {
	s.env.ExecuteWorkflow(DocumentSigning, input(3))
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Len(st.Documents, 3)
	s.Equal("doc_2", st.Documents[2].DocumentID)
	s.Equal("7C0F", st.Signer.Serial)
	s.Equal(1, s.sends)
}

// TestMissedCallbackIsRecoveredByThePoll: no callback at all; the backing
// off poll finds the signature.
func (s *signingSuite) TestMissedCallbackIsRecoveredByThePoll() {
	s.signAfter = 20 * time.Hour
	s.env.ExecuteWorkflow(DocumentSigning, input(1))
	s.Equal(process.OutcomeAccepted, s.result().Outcome)
	s.Less(s.reads, 20, "the poll backs off")
}

// TestCallbackReadsAtOnce: a callback makes the workflow read /full now.
func (s *signingSuite) TestCallbackReadsAtOnce() {
	s.signAfter = 20 * time.Hour
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(CallbackSignal, map[string]any{"type": "document-signing", "state": "complete"})
	}, 20*time.Hour+time.Second)
	s.env.ExecuteWorkflow(DocumentSigning, input(1))
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Equal(1, st.Callbacks)
	s.Less(s.env.Now().Sub(s.sent), 20*time.Hour+time.Minute, "read on the callback, not at the next poll")
}

func (s *signingSuite) TestRefusalRejects() {
	s.finalState = stateSignRejected
	s.env.ExecuteWorkflow(DocumentSigning, input(1))
	st := s.result()
	s.Equal(process.OutcomeRejected, st.Outcome)
	s.Equal(ReasonRefused, st.Reason)
	s.Equal("Клиент отказался от подписания документов", st.FNSMessage)
}

func (s *signingSuite) TestErrorFails() {
	s.finalState = stateError
	s.env.ExecuteWorkflow(DocumentSigning, input(1))
	st := s.result()
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Contains(st.Error, "Клиент отказался")
}

func (s *signingSuite) TestNoSignatureInTimeExpires() {
	s.signAfter = -1
	in := input(1)
	in.SignTimeout = 24 * time.Hour
	s.env.ExecuteWorkflow(DocumentSigning, in)
	st := s.result()
	s.Equal(process.OutcomeExpired, st.Outcome)
	s.Equal(ReasonSignTimeout, st.Reason)
}

func (s *signingSuite) TestFiftyOneDocumentsAreRefusedBeforeAnyCall() {
	s.env.ExecuteWorkflow(DocumentSigning, input(MaxDocuments+1))
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "at most 50 documents")
	s.Zero(s.sends)
}

// TestSignatureThatDoesNotVerifyFails: a .p7s that does not verify over its
// document is FNS's fault, not the person's: the signing fails with the cause.
func (s *signingSuite) TestSignatureThatDoesNotVerifyFails() {
	s.register(FetchSignedActivity, func(context.Context, FetchSignedInput) (FetchSignedResult, error) {
		return FetchSignedResult{}, process.FinalError(process.ErrTypeProviderRejected, errors.New("signature of document 1: does not verify"))
	})
	s.env.ExecuteWorkflow(DocumentSigning, input(1))
	s.Require().Error(s.env.GetWorkflowError())
	v, err := s.env.QueryWorkflow(process.StatusQuery)
	s.Require().NoError(err)
	var st Status
	s.Require().NoError(v.Get(&st))
	s.Equal(process.OutcomeFailed, st.Outcome)
	s.Contains(st.Error, "does not verify")
	s.Empty(st.Documents)
}

// TestMergeWithAnotherSigner: after the fetch, the asked-for signatures are
// merged, and only those.
func (s *signingSuite) TestMergeWithAnotherSigner() {
	var merges []MergeSignaturesInput
	s.register(MergeSignaturesActivity, func(_ context.Context, in MergeSignaturesInput) (MergeSignaturesResult, error) {
		merges = append(merges, in)
		out := MergeSignaturesResult{Documents: in.Documents}
		out.Documents[1].MergedSignatureID = "merged-1"
		return out, nil
	})
	in := input(2)
	in.MergeWith = []Countersignature{{DocumentID: "doc_1", SignatureID: "counterparty-sig"}}
	s.env.ExecuteWorkflow(DocumentSigning, in)
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Require().Len(merges, 1)
	s.Equal(in.MergeWith, merges[0].MergeWith)
	s.Equal("merged-1", st.Documents[1].MergedSignatureID)
	s.Empty(st.Documents[0].MergedSignatureID)
}

func (s *signingSuite) TestNoMergeAskedMergesNothing() {
	s.register(MergeSignaturesActivity, func(context.Context, MergeSignaturesInput) (MergeSignaturesResult, error) {
		s.Fail("no merge asked for")
		return MergeSignaturesResult{}, nil
	})
	s.env.ExecuteWorkflow(DocumentSigning, input(2))
	s.Equal(process.OutcomeAccepted, s.result().Outcome)
}

// TestSignerByINNAndPhone: the simplified signing names its signer by a
// stored INN and phone; FNS says which consumer got the documents.
func (s *signingSuite) TestSignerByINNAndPhone() {
	var sent []SendDocumentsInput
	s.register(SendDocumentsActivity, func(_ context.Context, in SendDocumentsInput) (SendDocumentsResult, error) {
		sent = append(sent, in)
		s.sent = s.env.Now()
		return SendDocumentsResult{FNSWorkflowID: 407054, ConsumerID: "0f5d6a40-0000-4000-8000-000000000001"}, nil
	})
	in := input(1)
	in.ConsumerID, in.SignerDocumentID = "", "doc_signer"
	s.env.ExecuteWorkflow(DocumentSigning, in)
	st := s.result()
	s.Equal(process.OutcomeAccepted, st.Outcome)
	s.Require().Len(sent, 1)
	s.Equal("doc_signer", sent[0].SignerDocumentID)
	s.Equal("0f5d6a40-0000-4000-8000-000000000001", st.ConsumerID)
}

func (s *signingSuite) TestSignerAndMergeAreValidatedBeforeAnyCall() {
	in := input(1)
	in.SignerDocumentID = "doc_signer" // and a consumer: one too many
	in.MergeWith = []Countersignature{{DocumentID: "doc_9", SignatureID: "sig"}, {DocumentID: "doc_0"}}
	s.env.ExecuteWorkflow(DocumentSigning, in)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	for _, want := range []string{"exactly one of consumerId and signerDocumentId", "document doc_9 is not one of documentIds",
		"empty signature id for document doc_0"} {
		s.Contains(err.Error(), want)
	}
	s.Zero(s.sends)
}

// TestStartSearchAttributesAreTheFirstPublication: started with them, the
// signing does not upsert its first stage again.
func (s *signingSuite) TestStartSearchAttributesAreTheFirstPublication() {
	stages := processtest.UpsertedStages(s.env)
	s.Require().NoError(s.env.SetTypedSearchAttributesOnStart(StartSearchAttributes()))
	s.env.ExecuteWorkflow(DocumentSigning, input(1))

	s.Equal(process.OutcomeAccepted, s.result().Outcome)
	s.NotEmpty(*stages)
	s.NotContains(*stages, StageSending)
}
