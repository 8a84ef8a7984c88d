// Package fns runs the calls of FNS «Мобильная подпись» registration (the
// activities of workflows/fnsregistration).
package fns

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"idflow/activities/claimcheck"
	"idflow/internal/pii"
	provider "idflow/internal/providers/fns"
	"idflow/internal/store"
	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnsscenarios"
	"idflow/workflows/fnssigning"
	"idflow/workflows/process"
)

// callbackProvider names FNS in callback URLs and tokens (/webhooks/fns/{token}).
const callbackProvider = "fns"

// confirmationReceived is a confirmation document FNS has received (L1304–1344).
const confirmationReceived = "received"

// Activities holds what the FNS calls need.
type Activities struct {
	// Client is nil when the worker has no FNS credentials.
	Client *provider.Client
	Store  *store.Store
	// CallbackBaseURL is the gateway as FNS reaches it, e.g.
	// "https://idflow.example"; callbacks go to .../webhooks/fns/{token}.
	CallbackBaseURL string
}

// Register puts the activities on a worker (or a test environment) under
// the names the fnsregistration contract gives them.
func Register(r worker.ActivityRegistry, a *Activities) {
	for name, fn := range map[string]any{
		fnsregistration.CheckConsumerActivity:         a.CheckConsumer,
		fnsregistration.CreateRegistrationActivity:    a.CreateRegistration,
		fnsregistration.ReadWorkflowActivity:          a.ReadWorkflow,
		fnsregistration.AgentIdentifyActivity:         a.AgentIdentify,
		fnsregistration.UploadScansActivity:           a.UploadScans,
		fnsregistration.RecordCertificateActivity:     a.RecordCertificate,
		fnsregistration.RemoveWorkflowsActivity:       a.RemoveWorkflows,
		fnssigning.SendDocumentsActivity:              a.SendDocuments,
		fnssigning.ReadSigningActivity:                a.ReadSigning,
		fnssigning.FetchSignedActivity:                a.FetchSigned,
		fnssigning.MergeSignaturesActivity:            a.MergeSignatures,
		fnsregistration.CreateExtraSignatureActivity:  a.CreateExtraSignature,
		fnsscenarios.CreatePauseActivity:              a.CreatePause,
		fnsscenarios.CreateExternalActivityActivity:   a.CreateExternalActivity,
		fnsscenarios.CompleteExternalActivityActivity: a.CompleteExternalActivity,
		fnsscenarios.PushActivity:                     a.Push,
		fnsscenarios.RevokeCertificateActivity:        a.RevokeCertificate,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// CheckConsumer validates the registration data and looks the person up in
// the partner's subscriber base: each app activation makes a consumer, so a
// blocked one, or one holding a confirmed КЭП, decides.
func (a *Activities) CheckConsumer(ctx context.Context, in fnsregistration.CheckConsumerInput) (fnsregistration.CheckConsumerResult, error) {
	if a.Client == nil {
		return fnsregistration.CheckConsumerResult{}, claimcheck.ErrNotConfigured()
	}
	reg, err := a.registration(ctx, in.RegistrationDocumentID)
	if err != nil {
		return fnsregistration.CheckConsumerResult{}, err
	}
	c := reg.Consumer
	consumers, err := a.Client.Partner().SearchConsumers(ctx, provider.ConsumerSearch{LastName: c.LastName, FirstName: c.FirstName,
		MiddleName: c.MiddleName, Birthed: c.Birthed, SNILS: c.SNILS, INN: c.INN, Phone: c.Phone})
	if err != nil {
		return fnsregistration.CheckConsumerResult{}, fnsError(err)
	}
	var out fnsregistration.CheckConsumerResult
	for _, found := range consumers {
		cert, hasSign := found.SignCertificate()
		switch {
		case found.State == provider.ConsumerBlocked || found.State == provider.ConsumerTemporarily:
			return fnsregistration.CheckConsumerResult{ConsumerID: found.ID, State: found.State}, nil
		case found.State == provider.ConsumerIdentified && hasSign && cert.IsConfirmed:
			out = fnsregistration.CheckConsumerResult{ConsumerID: found.ID, State: found.State, SignConfirmed: true}
		case out.ConsumerID == "":
			out = fnsregistration.CheckConsumerResult{ConsumerID: found.ID, State: found.State}
		}
	}
	return out, nil
}

// CreateRegistration creates the scenario-80 workflow. The callback URL's
// token is made here, so it never enters history; a retry makes another
// token (both stay valid) and, with the same external id, finds the
// workflow FNS already made.
func (a *Activities) CreateRegistration(ctx context.Context, in fnsregistration.CreateRegistrationInput) (fnsregistration.CreateRegistrationResult, error) {
	if a.Client == nil {
		return fnsregistration.CreateRegistrationResult{}, claimcheck.ErrNotConfigured()
	}
	reg, err := a.registration(ctx, in.RegistrationDocumentID)
	if err != nil {
		return fnsregistration.CreateRegistrationResult{}, err
	}
	req, err := registrationRequest(reg)
	if err != nil {
		return fnsregistration.CreateRegistrationResult{}, err
	}
	callback, err := a.callbackURL(ctx, in.WorkflowID)
	if err != nil {
		return fnsregistration.CreateRegistrationResult{}, err
	}
	req.Callback = callback
	req.ExternalID = in.ExternalID
	wf, err := a.Client.Partner().Register(ctx, req)
	if provider.IsBlocked(err) {
		return fnsregistration.CreateRegistrationResult{Blocked: true}, nil
	}
	if err != nil {
		return fnsregistration.CreateRegistrationResult{}, fnsError(err)
	}
	activity.GetLogger(ctx).Info("FNS registration created", "FNSWorkflowID", int64(wf.ID))
	return fnsregistration.CreateRegistrationResult{FNSWorkflowID: int64(wf.ID)}, nil
}

// registrationRequest is the body of the create: the consumer as the
// document shapes it, and the entrepreneur or legal entity beside it.
func registrationRequest(reg pii.FNSRegistration) (provider.RegistrationRequest, error) {
	consumer, err := json.Marshal(reg.Consumer)
	if err != nil {
		return provider.RegistrationRequest{}, err
	}
	req := provider.RegistrationRequest{Consumer: consumer}
	if reg.Entrepreneur != nil {
		req.Entrepreneur = &provider.Entrepreneur{}
		if err := convert(reg.Entrepreneur, req.Entrepreneur); err != nil {
			return req, err
		}
	}
	if reg.LegalEntity != nil {
		req.LegalEntity = &provider.LegalEntity{}
		if err := convert(reg.LegalEntity, req.LegalEntity); err != nil {
			return req, err
		}
	}
	return req, nil
}

// convert copies one JSON shape into another (our types and the client's
// follow the same document).
func convert(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// ReadWorkflow reads an FNS workflow (/full): the truth callbacks announce.
func (a *Activities) ReadWorkflow(ctx context.Context, in fnsregistration.ReadWorkflowInput) (fnsregistration.FNSWorkflow, error) {
	if a.Client == nil {
		return fnsregistration.FNSWorkflow{}, claimcheck.ErrNotConfigured()
	}
	wf, err := a.Client.Partner().GetWorkflowFull(ctx, in.FNSWorkflowID)
	if err != nil {
		return fnsregistration.FNSWorkflow{}, fnsError(err)
	}
	return fnsregistration.FNSWorkflow{ID: int64(wf.ID), Type: string(wf.Type), State: string(wf.State),
		ErrorMessage: wf.ErrorMessage, Children: wf.ChildIDs(), ConsumerID: wf.Consumer.ID}, nil
}

// AgentIdentify runs the agent's steps under the agent's own account: the
// identification search (which makes the request the agent's), the
// passport scans as confirmation documents, and identify.
func (a *Activities) AgentIdentify(ctx context.Context, in fnsregistration.AgentIdentifyInput) (fnsregistration.StepResult, error) {
	if a.Client == nil {
		return fnsregistration.StepResult{}, claimcheck.ErrNotConfigured()
	}
	agent, err := a.Store.GetFNSAgent(ctx, in.Request.AgentID)
	if errors.Is(err, store.ErrNotFound) {
		return fnsregistration.StepResult{}, process.InvalidInput(validate.FieldErrors{{Field: "agentId", Message: "no such FNS agent on this worker"}})
	}
	if err != nil {
		return fnsregistration.StepResult{}, err
	}
	reg, err := a.registration(ctx, in.RegistrationDocumentID)
	if err != nil {
		return fnsregistration.StepResult{}, err
	}
	session := a.Client.As(provider.Credentials{Username: agent.Username, Token: agent.Token})
	found, err := session.SearchIdentification(ctx, identificationSearch(reg.Consumer))
	if err != nil {
		return fnsregistration.StepResult{}, fnsError(err)
	}
	if int64(found.ID) == in.FNSWorkflowID && identifiedAlready(found.State) {
		// A retry: an earlier attempt identified the person, and the worker
		// died (or the answer was lost) before that was recorded.
		activity.GetLogger(ctx).Info("FNS identification already done", "FNSWorkflowID", in.FNSWorkflowID, "State", string(found.State))
		return fnsregistration.StepResult{State: string(found.State)}, nil
	}
	if found.State != provider.StateWaitConsumerIdentification {
		return fnsregistration.StepResult{}, process.FinalError(process.ErrTypeProviderRejected,
			fmt.Errorf("FNS workflow %d is %s, not waiting for identification", int64(found.ID), found.State))
	}
	if err := a.uploadConfirmations(ctx, session, in.FNSWorkflowID, in.Request.PassportScanDocumentIDs); err != nil {
		return fnsregistration.StepResult{}, err
	}
	res, err := session.ChangeState(ctx, in.FNSWorkflowID, provider.StateChange{Command: provider.CommandIdentify,
		IdentificationPoint: in.Request.IdentificationPoint})
	if err != nil {
		return fnsregistration.StepResult{}, fnsError(err)
	}
	return fnsregistration.StepResult{State: string(res.State)}, nil
}

// identificationSearch names the person by phone and passport (or SNILS).
func identificationSearch(c pii.FNSConsumer) provider.IdentificationSearchConsumer {
	q := provider.IdentificationSearchConsumer{Phone: c.Phone, SNILS: c.SNILS}
	for _, id := range c.Identities {
		q.Identities = append(q.Identities, provider.Identity{Type: id.Type, Series: id.Series, Number: id.Number})
	}
	return q
}

// uploadConfirmations puts the scans, in order, into the confirmation
// documents FNS asks for; one already received (a retry) is left alone.
func (a *Activities) uploadConfirmations(ctx context.Context, session *provider.Session, fnsID int64, documentIDs []string) error {
	docs, err := session.ConfirmationDocuments(ctx, fnsID)
	if err != nil {
		return fnsError(err)
	}
	if len(documentIDs) < len(docs) {
		return process.InvalidInput(validate.FieldErrors{{Field: "passportScanDocumentIds",
			Message: fmt.Sprintf("FNS asks for %d confirmation document(s), %d given", len(docs), len(documentIDs))}})
	}
	for i, doc := range docs {
		if doc.State == confirmationReceived {
			continue
		}
		title, content, err := a.document(ctx, "passportScanDocumentIds", documentIDs[i])
		if err != nil {
			return err
		}
		if _, err := session.UploadConfirmationDocument(ctx, int64(doc.ID), title, content); err != nil {
			return fnsError(err)
		}
	}
	return nil
}

// UploadScans uploads the scans FNS asks for to the certificate-issuing
// workflow, in order, and confirms them (scan_confirm_received).
func (a *Activities) UploadScans(ctx context.Context, in fnsregistration.UploadScansInput) (fnsregistration.StepResult, error) {
	if a.Client == nil {
		return fnsregistration.StepResult{}, claimcheck.ErrNotConfigured()
	}
	session := a.Client.Partner()
	scans, err := session.DocumentScans(ctx, in.FNSWorkflowID)
	if err != nil {
		return fnsregistration.StepResult{}, fnsError(err)
	}
	ids := in.Request.ScanDocumentIDs
	if len(ids) < len(scans.Scans) {
		return fnsregistration.StepResult{}, process.InvalidInput(validate.FieldErrors{{Field: "scanDocumentIds",
			Message: fmt.Sprintf("FNS asks for %d scan(s), %d given", len(scans.Scans), len(ids))}})
	}
	for i, scan := range scans.Scans {
		if scan.DocumentReceived {
			continue
		}
		title, content, err := a.document(ctx, "scanDocumentIds", ids[i])
		if err != nil {
			return fnsregistration.StepResult{}, err
		}
		if _, err := session.UploadDocumentScan(ctx, int64(scan.ID), title, content); err != nil {
			return fnsregistration.StepResult{}, fnsError(err)
		}
	}
	res, err := session.ChangeState(ctx, in.FNSWorkflowID, provider.StateChange{Command: provider.CommandScanConfirmReceived})
	if err != nil {
		// A retry whose earlier attempt confirmed the scans finds the
		// workflow past the scans, and FNS refuses the command: done. Only
		// the workflow's state tells that refusal from another: until it
		// is read, the attempt is retried rather than refused for good.
		wf, readErr := session.GetWorkflowFull(ctx, in.FNSWorkflowID)
		if readErr != nil {
			return fnsregistration.StepResult{}, fmt.Errorf("confirm the scans: FNS answered %v, and its workflow could not be read to tell why: %w", err, readErr)
		}
		if scansConfirmedAlready(wf.State) {
			activity.GetLogger(ctx).Info("FNS scans already confirmed", "FNSWorkflowID", in.FNSWorkflowID, "State", string(wf.State))
			return fnsregistration.StepResult{State: string(wf.State)}, nil
		}
		return fnsregistration.StepResult{}, fnsError(err)
	}
	return fnsregistration.StepResult{State: string(res.State)}, nil
}

// identifiedAlready: the registration workflow has moved past the agent's
// identification (identify moves it to certificate-issue, then complete).
func identifiedAlready(s provider.State) bool {
	return s == provider.StateCertificateIssue || s == provider.StateComplete
}

// scansConfirmedAlready: the certificate-issuing workflow has moved past
// the scans (scan_confirm_received completes it).
func scansConfirmedAlready(s provider.State) bool { return s == provider.StateComplete }

// RecordCertificate fetches the issued КЭП of the certificate-issuing
// workflow into the document store and returns what identifies it.
func (a *Activities) RecordCertificate(ctx context.Context, in fnsregistration.RecordCertificateInput) (fnsregistration.Certificate, error) {
	if a.Client == nil {
		return fnsregistration.Certificate{}, claimcheck.ErrNotConfigured()
	}
	session := a.Client.Partner()
	wf, err := session.GetWorkflowFull(ctx, in.FNSWorkflowID)
	if err != nil {
		return fnsregistration.Certificate{}, fnsError(err)
	}
	link := ""
	for _, c := range wf.AllCertificates() {
		if c.Type == provider.CertificateSign && c.CertificateLink != "" {
			link = c.CertificateLink
		}
	}
	if link == "" {
		return fnsregistration.Certificate{}, errors.New("FNS lists no issued signing certificate yet") // retried
	}
	body, _, err := session.Fetch(ctx, link)
	if err != nil {
		return fnsregistration.Certificate{}, fnsError(err)
	}
	cert, pemBytes, err := parseCertificate(body)
	if err != nil {
		return fnsregistration.Certificate{}, process.FinalError(process.ErrTypeProviderRejected, err)
	}
	doc, err := a.Store.PutDocument(ctx, store.NewDocument{Owner: in.Owner, Title: "certificate-" + strconv.FormatInt(in.FNSWorkflowID, 10) + ".pem",
		MediaType: "application/x-pem-file", Content: pemBytes})
	if err != nil {
		return fnsregistration.Certificate{}, err
	}
	return fnsregistration.Certificate{Serial: fmt.Sprintf("%X", cert.SerialNumber), Issuer: cert.Issuer.CommonName,
		NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, DocumentID: doc.ID}, nil
}

// parseCertificate reads a PEM or DER certificate and returns it with its PEM.
func parseCertificate(body []byte) (*x509.Certificate, []byte, error) {
	der := body
	if block, _ := pem.Decode(body); block != nil {
		der = block.Bytes
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("FNS certificate file is not an X.509 certificate: %w", err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// RemoveWorkflows removes FNS workflows of a cancelled registration; those
// FNS refuses to remove are a final error naming them.
func (a *Activities) RemoveWorkflows(ctx context.Context, in fnsregistration.RemoveWorkflowsInput) error {
	if a.Client == nil {
		return claimcheck.ErrNotConfigured()
	}
	res, err := a.Client.Partner().RemoveWorkflows(ctx, in.FNSWorkflowIDs)
	if err != nil {
		return fnsError(err)
	}
	if len(res.ErrorIDList) > 0 {
		// FNS removes what it can and says which it could not (a completed one).
		return process.FinalError(process.ErrTypeProviderRejected, fmt.Errorf("FNS could not remove workflow(s) %v", res.ErrorIDList))
	}
	return nil
}

// registration loads, normalises and validates the claim-checked data.
func (a *Activities) registration(ctx context.Context, documentID string) (pii.FNSRegistration, error) {
	var reg pii.FNSRegistration
	if err := claimcheck.LoadJSON(ctx, a.Store, "registration", documentID, &reg); err != nil {
		return reg, err
	}
	reg = reg.Normalized()
	var fields validate.FieldErrors
	if errors.As(reg.Validate(""), &fields) {
		return reg, process.InvalidInput(fields)
	}
	return reg, nil
}

// document reads a document the workflow names by id.
func (a *Activities) document(ctx context.Context, field, id string) (string, []byte, error) {
	doc, content, err := a.Store.GetDocument(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, process.InvalidInput(validate.FieldErrors{{Field: field, Message: "document " + id + " not found in the document store"}})
	}
	return doc.Title, content, err
}

// fnsError keeps retryable FNS errors as they are and makes final ones
// non-retryable, with FNS's own text.
func fnsError(err error) error {
	if err == nil || provider.IsRetryable(err) {
		return err
	}
	return process.FinalError(process.ErrTypeProviderRejected, err)
}
