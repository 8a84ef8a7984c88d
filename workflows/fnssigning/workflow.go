package fnssigning

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

// FNS document-signing states (document L2698–2770).
const (
	stateWaitSignature = "wait-signature"
	stateSignRejected  = "sign-rejected"
	stateComplete      = "complete"
	stateRejected      = "rejected"
	stateError         = "error"
)

// DocumentSigning sends documents to a person for signing and brings the
// signed documents and their signatures back into the document store.
func DocumentSigning(ctx workflow.Context, in Input) (Status, error) {
	s := &signing{in: withDefaults(in), raw: in}
	s.status.Stage = StageSending
	s.track = process.NewTracker(WorkflowType, &s.status.Status, nil)
	s.track.SetProofing(func(id string) proofing.Status { return s.status.ProofingStatus(id) })
	return s.run(ctx)
}

type signing struct {
	in, raw   Input
	status    Status
	track     *process.Tracker
	callbacks workflow.ReceiveChannel
}

func withDefaults(in Input) Input {
	in.SignTimeout = process.DurationOr(in.SignTimeout, DefaultSignTimeout)
	in.PollInitial = process.DurationOr(in.PollInitial, DefaultPollInitial)
	in.PollMax = process.DurationOr(in.PollMax, DefaultPollMax)
	return in
}

func (s *signing) run(ctx workflow.Context) (Status, error) {
	s.callbacks = workflow.GetSignalChannel(ctx, CallbackSignal)
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (Status, error) { return s.status, nil }); err != nil {
		return s.status, err
	}
	defer s.drainCallbacks()
	s.track.Publish(ctx)
	if err := s.sign(ctx); err != nil {
		return s.status, s.track.Fail(ctx, err)
	}
	return s.status, nil
}

func (s *signing) sign(ctx workflow.Context) error {
	if err := s.validateInput(); err != nil {
		return err
	}
	if err := s.send(ctx); err != nil {
		return err
	}
	if err := s.awaitSignature(ctx); err != nil || s.track.Finished() {
		return err
	}
	return s.fetch(ctx)
}

func (s *signing) validateInput() error {
	var errs validate.FieldErrors
	if s.in.RequestID == "" {
		errs.Add("requestId", "required")
	}
	if (s.in.ConsumerID == "") == (s.in.SignerDocumentID == "") {
		errs.Add("consumerId", "exactly one of consumerId and signerDocumentId required")
	}
	checkMergeWith(&errs, s.in.MergeWith, s.in.DocumentIDs)
	switch n := len(s.in.DocumentIDs); {
	case n == 0:
		errs.Add("documentIds", "at least one document required")
	case n > MaxDocuments:
		errs.Add("documentIds", fmt.Sprintf("at most %d documents (got %d)", MaxDocuments, n))
	case slices.Contains(s.in.DocumentIDs, ""):
		errs.Add("documentIds", "empty document id")
	}
	if s.in.LegalEntityINN != "" {
		errs.Check("legalEntityInn", validate.LegalINN(s.in.LegalEntityINN))
	}
	const day = 24 * time.Hour
	process.CheckDuration(&errs, "signTimeout", s.raw.SignTimeout, time.Minute, 90*day)
	process.CheckDuration(&errs, "pollInitial", s.raw.PollInitial, time.Second, day)
	process.CheckDuration(&errs, "pollMax", s.raw.PollMax, time.Second, 7*day)
	if s.in.PollInitial > s.in.PollMax {
		errs.Add("pollInitial", "must not exceed pollMax")
	}
	if len(errs) == 0 {
		return nil
	}
	return process.InvalidInput(errs)
}

// send creates the signing workflow at FNS; the external id derives from
// this run, so a retried create sends the documents once.
func (s *signing) send(ctx workflow.Context) error {
	info := workflow.GetInfo(ctx)
	in := SendDocumentsInput{ConsumerID: s.in.ConsumerID, SignerDocumentID: s.in.SignerDocumentID, DocumentIDs: s.in.DocumentIDs, LegalEntityINN: s.in.LegalEntityINN,
		Backref: s.in.Backref, WorkflowID: info.WorkflowExecution.ID,
		ExternalID: process.RunKey(ctx, "fns-signing")}
	var out SendDocumentsResult
	actx := process.WithSummary(fnsCallOptions(ctx), fmt.Sprintf("FNS: send %d document(s) for signing", len(s.in.DocumentIDs)))
	if err := workflow.ExecuteActivity(actx, SendDocumentsActivity, in).Get(ctx, &out); err != nil {
		return err
	}
	s.status.FNSWorkflowID = out.FNSWorkflowID
	s.status.ConsumerID = cmp.Or(out.ConsumerID, s.in.ConsumerID)
	s.track.SetProviderRef(fmt.Sprint(out.FNSWorkflowID))
	return nil
}

// awaitSignature follows the signing workflow (/full) on callbacks, which
// are hints only, and on a poll that backs off, until it is final.
func (s *signing) awaitSignature(ctx workflow.Context) error {
	deadline := workflow.Now(ctx).Add(s.in.SignTimeout)
	interval := s.in.PollInitial
	wait := process.Wait{For: "the person to sign in the app", From: process.FromPerson, Until: deadline}
	s.track.Await(ctx, wait)
	s.track.SetStage(ctx, StageAwaiting)
	for {
		var st SigningState
		actx := process.WithSummary(fnsCallOptions(ctx), fmt.Sprintf("FNS: read signing workflow %d (/full)", s.status.FNSWorkflowID))
		if err := workflow.ExecuteActivity(actx, ReadSigningActivity, ReadSigningInput{FNSWorkflowID: s.status.FNSWorkflowID}).Get(ctx, &st); err != nil {
			return err
		}
		s.status.FNSState = st.State
		switch st.State {
		case stateComplete:
			return nil
		case stateRejected, stateSignRejected:
			s.status.FNSMessage = st.ErrorMessage
			s.finish(ctx, process.OutcomeRejected, ReasonRefused)
			return nil
		case stateError:
			s.status.FNSMessage, s.status.Error = st.ErrorMessage, "FNS signing ended in error: "+st.ErrorMessage
			s.finish(ctx, process.OutcomeFailed, "FNSError")
			return nil
		}
		left := deadline.Sub(workflow.Now(ctx))
		if left <= 0 {
			s.finish(ctx, process.OutcomeExpired, ReasonSignTimeout)
			return nil
		}
		timeout := min(interval, left)
		woke, err := process.AwaitWithTimeout(ctx, timeout, process.Wait{For: "next read of the signing workflow (or the person's signature)",
			From: process.FromPerson, Until: workflow.Now(ctx).Add(timeout)}, func() bool { return s.callbacks.Len() > 0 })
		if err != nil {
			return err
		}
		s.takeCallbacks()
		if !woke {
			interval = min(2*interval, s.in.PollMax)
		}
	}
}

func (s *signing) takeCallbacks() {
	var cb fnsregistration.Callback
	for s.callbacks.ReceiveAsync(&cb) {
		s.status.Callbacks++
	}
}

func (s *signing) drainCallbacks() {
	var cb fnsregistration.Callback
	for s.callbacks.ReceiveAsync(&cb) {
	}
}

// fetch brings the signed documents and their signatures into the store.
func (s *signing) fetch(ctx workflow.Context) error {
	s.track.Await(ctx)
	s.track.SetStage(ctx, StageFetching)
	var out FetchSignedResult
	actx := process.WithSummary(fnsCallOptions(ctx), "FNS: fetch the signed documents and signatures into the document store")
	in := FetchSignedInput{FNSWorkflowID: s.status.FNSWorkflowID, DocumentIDs: s.in.DocumentIDs, Owner: workflow.GetInfo(ctx).WorkflowExecution.ID}
	if err := workflow.ExecuteActivity(actx, FetchSignedActivity, in).Get(ctx, &out); err != nil {
		return err
	}
	s.status.Documents, s.status.Signer = out.Documents, &out.Signer
	if len(s.in.MergeWith) > 0 {
		if err := s.merge(ctx); err != nil {
			return err
		}
	}
	s.finish(ctx, process.OutcomeAccepted, "")
	return nil
}

// merge merges the person's signatures with the other signers' given in
// MergeWith: one CMS per document holding every signer.
func (s *signing) merge(ctx workflow.Context) error {
	s.track.SetStage(ctx, StageMerging)
	var out MergeSignaturesResult
	actx := process.WithSummary(fnsCallOptions(ctx), fmt.Sprintf("FNS: merge %d signature(s) with the other signers' (signatures-merge)", len(s.in.MergeWith)))
	in := MergeSignaturesInput{Documents: s.status.Documents, MergeWith: s.in.MergeWith, Owner: workflow.GetInfo(ctx).WorkflowExecution.ID}
	if err := workflow.ExecuteActivity(actx, MergeSignaturesActivity, in).Get(ctx, &out); err != nil {
		return err
	}
	s.status.Documents = out.Documents
	return nil
}

// checkMergeWith: every merge names a document of the signing, once, and a signature.
func checkMergeWith(errs *validate.FieldErrors, mergeWith []Countersignature, documentIDs []string) {
	var seen []string
	for _, m := range mergeWith {
		switch {
		case !slices.Contains(documentIDs, m.DocumentID):
			errs.Add("mergeWith", "document "+m.DocumentID+" is not one of documentIds")
		case slices.Contains(seen, m.DocumentID):
			errs.Add("mergeWith", "document "+m.DocumentID+" named twice")
		case m.SignatureID == "":
			errs.Add("mergeWith", "empty signature id for document "+m.DocumentID)
		}
		seen = append(seen, m.DocumentID)
	}
}
func (s *signing) finish(ctx workflow.Context, outcome process.Outcome, reason string) {
	if s.track.Finished() {
		return
	}
	s.status.Stage = StageFinished
	s.track.Finish(ctx, outcome, reason)
}

// fnsCallOptions: FNS calls of up to 5 min (fifty downloads), for an hour
// with retries.
func fnsCallOptions(ctx workflow.Context) workflow.Context {
	return process.ProviderCall(ctx, 5*time.Minute, time.Hour)
}
