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
	StageFinished = "finished"
)

// WorkflowID is the workflow id for a caller's request id (no personal data).
func WorkflowID(requestID string) string {
	return process.WorkflowID("fns-signing", requestID)
}

// Input starts a signing.
type Input struct {
	RequestID string `json:"requestId"`
	// ConsumerID is the FNS consumer (from registration) who signs.
	ConsumerID string `json:"consumerId"`
	// DocumentIDs are 1 to MaxDocuments documents of the document store.
	DocumentIDs []string `json:"documentIds"`
	// LegalEntityINN selects scenario 88: the person signs for that legal entity.
	LegalEntityINN string `json:"legalEntityInn,omitempty"`
	// Backref is where the app sends the person after signing (optional).
	Backref     string        `json:"backref,omitempty"`
	SignTimeout time.Duration `json:"signTimeout,omitempty"`
	PollInitial time.Duration `json:"pollInitial,omitempty"`
	PollMax     time.Duration `json:"pollMax,omitempty"`
}

// SignedDocument is one signed document and its signature, in the store.
type SignedDocument struct {
	// DocumentID is the original in the store; SignedDocumentID the signed
	// copy FNS returns and SignatureID its detached CMS signature (.p7s).
	DocumentID       string `json:"documentId"`
	SignedDocumentID string `json:"signedDocumentId"`
	SignatureID      string `json:"signatureId"`
	Title            string `json:"title"`
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
	FNSWorkflowID int64            `json:"fnsWorkflowId,omitempty"`
	FNSState      string           `json:"fnsState,omitempty"`
	FNSMessage    string           `json:"fnsMessage,omitempty"`
	Callbacks     int              `json:"callbacks"`
	Documents     []SignedDocument `json:"documents,omitempty"`
	Signer        *Signer          `json:"signer,omitempty"`
}

// Activity names; the worker registers the FNS activities under them.
const (
	SendDocumentsActivity = "FNSSendDocuments"
	ReadSigningActivity   = "FNSReadSigning"
	FetchSignedActivity   = "FNSFetchSigned"
)

// SendDocumentsInput creates the signing workflow at FNS.
type SendDocumentsInput struct {
	ConsumerID     string   `json:"consumerId"`
	DocumentIDs    []string `json:"documentIds"`
	LegalEntityINN string   `json:"legalEntityInn,omitempty"`
	Backref        string   `json:"backref,omitempty"`
	ExternalID     string   `json:"externalId"`
	// WorkflowID receives the callbacks (the token is made in the activity).
	WorkflowID string `json:"workflowId"`
}

// SendDocumentsResult is FNS's signing workflow.
type SendDocumentsResult struct {
	FNSWorkflowID int64 `json:"fnsWorkflowId"`
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
