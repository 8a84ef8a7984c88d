package fns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smallstep/pkcs7"
	"go.temporal.io/sdk/activity"

	"idflow/activities/claimcheck"
	"idflow/activities/heartbeat"
	"idflow/internal/pii"
	provider "idflow/internal/providers/fns"
	"idflow/internal/store"
	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnssigning"
	"idflow/workflows/process"
)

// signingHeartbeat: fetching fifty documents and signatures takes a while.
const signingHeartbeat = 10 * time.Second

// SendDocuments creates the signing workflow (scenario 82, or 88 with the
// legal entity's INN; or the simplified one by INN and phone) with the
// documents read from the store; the callback token is made here, so it
// never enters history.
func (a *Activities) SendDocuments(ctx context.Context, in fnssigning.SendDocumentsInput) (fnssigning.SendDocumentsResult, error) {
	if a.Client == nil {
		return fnssigning.SendDocumentsResult{}, claimcheck.ErrNotConfigured()
	}
	var docs []provider.SigningDocument
	for _, id := range in.DocumentIDs {
		title, content, err := a.document(ctx, "documentIds", id)
		if err != nil {
			return fnssigning.SendDocumentsResult{}, err
		}
		docs = append(docs, provider.SigningDocument{Title: title, Content: content})
	}
	callback, err := a.callbackURL(ctx, in.WorkflowID)
	if err != nil {
		return fnssigning.SendDocumentsResult{}, err
	}
	var wf provider.Workflow
	if in.SignerDocumentID != "" {
		wf, err = a.sendSimplified(ctx, in, docs, callback)
	} else {
		wf, err = a.Client.Partner().SignDocuments(ctx, provider.SigningRequest{Consumer: in.ConsumerID, Backref: in.Backref,
			LegalEntityINN: in.LegalEntityINN, ExternalID: in.ExternalID, Callback: callback, Documents: docs})
	}
	if errors.Is(err, provider.ErrInvalidArgument) {
		return fnssigning.SendDocumentsResult{}, process.InvalidInput(validate.FieldErrors{{Field: "documentIds", Message: err.Error()}})
	}
	if err != nil {
		return fnssigning.SendDocumentsResult{}, fnsError(err)
	}
	activity.GetLogger(ctx).Info("FNS signing created", "FNSWorkflowID", int64(wf.ID), "Documents", len(docs))
	return fnssigning.SendDocumentsResult{FNSWorkflowID: int64(wf.ID), ConsumerID: wf.Consumer.ID}, nil
}

// sendSimplified sends the documents by the signer's INN and phone
// (POST /api/rb/workflow/fns); FNS names the consumer it chose.
func (a *Activities) sendSimplified(ctx context.Context, in fnssigning.SendDocumentsInput, docs []provider.SigningDocument, callback string) (provider.Workflow, error) {
	var signer pii.FNSSigner
	if err := claimcheck.LoadJSON(ctx, a.Store, "signer", in.SignerDocumentID, &signer); err != nil {
		return provider.Workflow{}, err
	}
	signer = signer.Normalized()
	var fields validate.FieldErrors
	if errors.As(signer.Validate("signer."), &fields) {
		return provider.Workflow{}, process.InvalidInput(fields)
	}
	return a.Client.Partner().SignSimplified(ctx, provider.SimplifiedSigningRequest{INN: signer.INN, Phone: signer.Phone,
		LegalEntityINN: in.LegalEntityINN, Backref: in.Backref, ExternalID: in.ExternalID, Callback: callback, Documents: docs})
}

// ReadSigning reads the signing workflow (/full).
func (a *Activities) ReadSigning(ctx context.Context, in fnssigning.ReadSigningInput) (fnssigning.SigningState, error) {
	wf, err := a.ReadWorkflow(ctx, fnsregistration.ReadWorkflowInput{FNSWorkflowID: in.FNSWorkflowID})
	return fnssigning.SigningState{State: wf.State, ErrorMessage: wf.ErrorMessage}, err
}

// FetchSigned downloads every signed document and its detached CMS
// signature into the store, owned by the workflow, checks that each
// signature verifies over its document, and names the signer.
func (a *Activities) FetchSigned(ctx context.Context, in fnssigning.FetchSignedInput) (fnssigning.FetchSignedResult, error) {
	if a.Client == nil {
		return fnssigning.FetchSignedResult{}, claimcheck.ErrNotConfigured()
	}
	defer heartbeat.Every(ctx, signingHeartbeat)()
	session := a.Client.Partner()
	docs, err := session.SignedDocuments(ctx, in.FNSWorkflowID)
	if err != nil {
		return fnssigning.FetchSignedResult{}, fnsError(err)
	}
	if len(docs) != len(in.DocumentIDs) {
		return fnssigning.FetchSignedResult{}, fmt.Errorf("FNS lists %d signed documents for %d sent", len(docs), len(in.DocumentIDs)) // retried
	}
	var out fnssigning.FetchSignedResult
	for i, doc := range docs {
		if doc.Signature == "" {
			return out, fmt.Errorf("document %d is not signed yet", i+1) // retried
		}
		signed, err := a.fetchInto(ctx, session, doc.Path, in.Owner, doc.Title, "application/octet-stream")
		if err != nil {
			return out, err
		}
		sig, err := a.fetchInto(ctx, session, doc.Signature, in.Owner, doc.Title+".p7s", "application/pkcs7-signature")
		if err != nil {
			return out, err
		}
		signer, err := verifyDetached(sig.content, signed.content)
		if err != nil {
			return out, process.FinalError(process.ErrTypeProviderRejected, fmt.Errorf("signature of document %d: %w", i+1, err))
		}
		out.Signer = signer
		out.Documents = append(out.Documents, fnssigning.SignedDocument{DocumentID: in.DocumentIDs[i], SignedDocumentID: signed.id,
			SignatureID: sig.id, Title: doc.Title})
	}
	return out, nil
}

type fetched struct {
	id      string
	content []byte
}

// fetchInto downloads a link with the partner's credentials into the store.
func (a *Activities) fetchInto(ctx context.Context, session *provider.Session, link, owner, title, mediaType string) (fetched, error) {
	content, _, err := session.Fetch(ctx, link)
	if err != nil {
		return fetched{}, fnsError(err)
	}
	doc, err := a.Store.PutDocument(ctx, store.NewDocument{Owner: owner, Title: title, MediaType: mediaType, Content: content})
	if err != nil {
		return fetched{}, err
	}
	return fetched{id: doc.ID, content: content}, nil
}

// verifyDetached checks a detached CMS signature over content and returns
// its signer (not the subject: it names the person).
func verifyDetached(sig, content []byte) (fnssigning.Signer, error) {
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		return fnssigning.Signer{}, fmt.Errorf("not a CMS signature: %w", err)
	}
	p7.Content = content
	if err := p7.Verify(); err != nil {
		return fnssigning.Signer{}, fmt.Errorf("does not verify: %w", err)
	}
	cert := p7.GetOnlySigner()
	if cert == nil {
		return fnssigning.Signer{}, errors.New("no single signer")
	}
	return fnssigning.Signer{Serial: fmt.Sprintf("%X", cert.SerialNumber), Issuer: cert.Issuer.CommonName, NotAfter: cert.NotAfter}, nil
}

// MergeSignatures merges each person's signature with the other signer's
// over the same document (signatures-merge), checks that the merged CMS
// verifies over the document with both signers, and stores it.
func (a *Activities) MergeSignatures(ctx context.Context, in fnssigning.MergeSignaturesInput) (fnssigning.MergeSignaturesResult, error) {
	if a.Client == nil {
		return fnssigning.MergeSignaturesResult{}, claimcheck.ErrNotConfigured()
	}
	defer heartbeat.Every(ctx, signingHeartbeat)()
	out := fnssigning.MergeSignaturesResult{Documents: slices.Clone(in.Documents)}
	for i, d := range out.Documents {
		j := slices.IndexFunc(in.MergeWith, func(m fnssigning.Countersignature) bool { return m.DocumentID == d.DocumentID })
		if j < 0 {
			continue
		}
		other := in.MergeWith[j].SignatureID
		id, err := a.mergeOne(ctx, d, other, in.Owner)
		if err != nil {
			return out, fmt.Errorf("document %d: %w", i+1, err)
		}
		out.Documents[i].MergedSignatureID = id
	}
	return out, nil
}

func (a *Activities) mergeOne(ctx context.Context, d fnssigning.SignedDocument, otherID, owner string) (string, error) {
	_, content, err := a.document(ctx, "documents", d.SignedDocumentID)
	if err != nil {
		return "", err
	}
	_, own, err := a.document(ctx, "documents", d.SignatureID)
	if err != nil {
		return "", err
	}
	_, other, err := a.document(ctx, "mergeWith", otherID)
	if err != nil {
		return "", err
	}
	if _, err := verifySigners(other, content, 1); err != nil {
		return "", process.InvalidInput(validate.FieldErrors{{Field: "mergeWith", Message: "signature " + otherID + " " + err.Error()}})
	}
	merged, err := a.Client.Partner().MergeSignatures(ctx, []provider.SignatureSource{{CMS: own}, {CMS: other}})
	if err != nil {
		return "", fnsError(err)
	}
	cms, err := merged.Bytes()
	if err != nil {
		return "", fnsError(err)
	}
	if _, err := verifySigners(cms, content, 2); err != nil {
		return "", process.FinalError(process.ErrTypeProviderRejected, fmt.Errorf("merged signature %w", err))
	}
	doc, err := a.Store.PutDocument(ctx, store.NewDocument{Owner: owner, Title: d.Title + ".merged.p7s",
		MediaType: "application/pkcs7-signature", Content: cms})
	if err != nil {
		return "", err
	}
	return doc.ID, nil
}

// verifySigners checks a detached CMS over content with at least n signers.
func verifySigners(sig, content []byte, n int) (*pkcs7.PKCS7, error) {
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		return nil, fmt.Errorf("is not a CMS signature: %w", err)
	}
	p7.Content = content
	if err := p7.Verify(); err != nil {
		return nil, fmt.Errorf("does not verify over the document: %w", err)
	}
	if len(p7.Signers) < n {
		return nil, fmt.Errorf("holds %d signer(s), want %d", len(p7.Signers), n)
	}
	return p7, nil
}
