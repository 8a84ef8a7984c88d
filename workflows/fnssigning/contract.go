// Package fnssigning is FNS «Мобильная подпись» document signing: documents
// from the document store are sent to a registered person (scenario 82, or
// 88 for a legal entity), the person signs them in the app, and the signed
// documents and their detached CMS signatures (.p7s) come back into the
// store (provider document: fns-mobile-signature-api.ru.txt).
//
// This file is the contract a service links. It imports no infrastructure.
package fnssigning

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

const (
	// WorkflowType is the workflow type name.
	WorkflowType = "DocumentSigning"
	// CallbackSignal carries FNS callbacks: the gateway delivers every FNS
	// callback (fnsregistration.Callback) under this one name to the
	// workflow its token names; hints, confirmed with /full.
	CallbackSignal = fnsregistration.CallbackSignal

	// MaxDocuments is the document's limit of one signing (L299).
	MaxDocuments = 50
	// DefaultSignTimeout bounds the wait for the person to sign.
	DefaultSignTimeout = 7 * 24 * time.Hour
	// DefaultPollInitial and DefaultPollMax shape the /full poll when no callback comes.
	DefaultPollInitial = time.Minute
	DefaultPollMax     = 6 * time.Hour
)

// Reasons given with an outcome.
const (
	ReasonRefused     = "signing-refused" // the person refused (sign-rejected → rejected)
	ReasonSignTimeout = "sign-timeout"
)

// Stages, as the status query and IdflowStage show them.
const (
	StageSending  = "sending-documents"
	StageAwaiting = "awaiting-signature"
	StageFetching = "fetching-signed-documents"
	StageMerging  = "merging-signatures"
	StageFinished = "finished"
)

// WorkflowID is the workflow id for a caller's request id (no personal data).
func WorkflowID(requestID string) string {
	return process.WorkflowID("fns-signing", requestID)
}

// Input starts a signing.
type Input struct {
	RequestID string `json:"requestId"`
	// ConsumerID is the FNS consumer (from registration) who signs; or
	// SignerDocumentID names a pii.FNSSigner (INN and phone) in the
	// document store, for the simplified signing (scenario 564): FNS picks
	// the person's latest app activation holding the certificate.
	ConsumerID       string `json:"consumerId,omitempty"`
	SignerDocumentID string `json:"signerDocumentId,omitempty"`
	// DocumentIDs are 1 to MaxDocuments documents of the document store.
	DocumentIDs []string `json:"documentIds"`
	// LegalEntityINN selects scenario 88: the person signs for that legal entity.
	LegalEntityINN string `json:"legalEntityInn,omitempty"`
	// Backref is where the app sends the person after signing (optional).
	Backref string `json:"backref,omitempty"`
	// MergeWith names, for some of the documents, another signer's
	// detached signature over the same document: once signed, the two are
	// merged into one CMS (signatures-merge) holding both signers.
	MergeWith   []Countersignature `json:"mergeWith,omitempty"`
	SignTimeout time.Duration      `json:"signTimeout,omitempty"`
	PollInitial time.Duration      `json:"pollInitial,omitempty"`
	PollMax     time.Duration      `json:"pollMax,omitempty"`
}

// SignedDocument is one signed document and its signature, in the store.
type SignedDocument struct {
	// DocumentID is the original in the store; SignedDocumentID the signed
	// copy FNS returns and SignatureID its detached CMS signature (.p7s).
	DocumentID       string `json:"documentId"`
	SignedDocumentID string `json:"signedDocumentId"`
	SignatureID      string `json:"signatureId"`
	Title            string `json:"title"`
	// MergedSignatureID is the merged CMS (MergeWith), if asked for.
	MergedSignatureID string `json:"mergedSignatureId,omitempty"`
}

// Signer is what is recorded of the signer's certificate (not its subject,
// which names the person).
type Signer struct {
	Serial    string    `json:"serial"`
	Issuer    string    `json:"issuer"`
	NotAfter  time.Time `json:"notAfter"`
	SigningAt time.Time `json:"signingAt,omitzero"`
}

// Status is the answer of the status query and the workflow's result.
type Status struct {
	process.Status
	ConsumerID    string           `json:"consumerId,omitempty"`
	FNSWorkflowID int64            `json:"fnsWorkflowId,omitempty"`
	FNSState      string           `json:"fnsState,omitempty"`
	FNSMessage    string           `json:"fnsMessage,omitempty"`
	Callbacks     int              `json:"callbacks"`
	Documents     []SignedDocument `json:"documents,omitempty"`
	Signer        *Signer          `json:"signer,omitempty"`
}

// Activity names; the worker registers the FNS activities under them.
const (
	SendDocumentsActivity   = "FNSSendDocuments"
	ReadSigningActivity     = "FNSReadSigning"
	FetchSignedActivity     = "FNSFetchSigned"
	MergeSignaturesActivity = "FNSMergeSignatures"
)

// SignerMediaType marks a document-store entry holding a pii.FNSSigner as JSON.
const SignerMediaType = "application/vnd.idflow.fns-signer+json"

// SendDocumentsInput creates the signing workflow at FNS.
type SendDocumentsInput struct {
	ConsumerID       string   `json:"consumerId,omitempty"`
	SignerDocumentID string   `json:"signerDocumentId,omitempty"`
	DocumentIDs      []string `json:"documentIds"`
	LegalEntityINN   string   `json:"legalEntityInn,omitempty"`
	Backref          string   `json:"backref,omitempty"`
	ExternalID       string   `json:"externalId"`
	// WorkflowID receives the callbacks (the token is made in the activity).
	WorkflowID string `json:"workflowId"`
}

// SendDocumentsResult is FNS's signing workflow.
type SendDocumentsResult struct {
	FNSWorkflowID int64 `json:"fnsWorkflowId"`
	// ConsumerID is the consumer FNS sent the documents to.
	ConsumerID string `json:"consumerId,omitempty"`
}

// ReadSigningInput reads the signing workflow (/full).
type ReadSigningInput struct {
	FNSWorkflowID int64 `json:"fnsWorkflowId"`
}

// SigningState is the truth about the signing workflow.
type SigningState struct {
	State        string `json:"state"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// FetchSignedInput brings the signed documents and signatures into the store.
type FetchSignedInput struct {
	FNSWorkflowID int64    `json:"fnsWorkflowId"`
	DocumentIDs   []string `json:"documentIds"` // the originals, in the order they were sent
	Owner         string   `json:"owner"`
}

// FetchSignedResult lists what was stored and who signed.
type FetchSignedResult struct {
	Documents []SignedDocument `json:"documents"`
	Signer    Signer           `json:"signer"`
}

// MergeSignaturesInput merges each signed document's signature with
// another signer's (MergeWith) and stores the merged CMS.
type MergeSignaturesInput struct {
	Documents []SignedDocument   `json:"documents"`
	MergeWith []Countersignature `json:"mergeWith"`
	Owner     string             `json:"owner"`
}

// Countersignature is another signer's detached signature (SignatureID,
// in the store) over one document of the signing (DocumentID).
type Countersignature struct {
	DocumentID  string `json:"documentId"`
	SignatureID string `json:"signatureId"`
}

// MergeSignaturesResult is the documents with MergedSignatureID set.
type MergeSignaturesResult struct {
	Documents []SignedDocument `json:"documents"`
}

// StartSearchAttributes are the search attributes to start a DocumentSigning with:
// those its first publication sets (see process.StartSearchAttributes).
func StartSearchAttributes() temporal.SearchAttributes {
	return process.StartSearchAttributes(WorkflowType, StageSending)
}
