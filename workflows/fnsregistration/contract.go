// Package fnsregistration is FNS «Мобильная подпись» registration: a person
// is registered at FNS (scenario 80), installs the app, is identified in
// person by an agent, and gets a qualified e-signature certificate (КЭП)
// through the child certificate-issuing workflow (provider document:
// fns-mobile-signature-api.ru.txt; FNS-INVENTORY.md beside it).
//
// This file is the contract a service links: names, ids, inputs, outputs,
// the signal, the updates and the activities' inputs and outputs. It imports
// no infrastructure.
package fnsregistration

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"idflow/workflows/process"
)

const (
	// WorkflowType is the workflow type name.
	WorkflowType = "FNSRegistration"
	// CallbackSignal carries one FNS callback, delivered from the gateway's
	// inbox. FNS signs nothing: the workflow treats a callback as a hint and
	// confirms the state with /full before acting.
	CallbackSignal = "fns-callback"
	// AgentIdentifyUpdate is the agent's in-person identification.
	AgentIdentifyUpdate = "agent-identify"
	// UploadScansUpdate carries the scans FNS asks for before the
	// certificate is confirmed (the signed certificate form, a photo).
	UploadScansUpdate = "upload-certificate-scans"
)

// Defaults of the waits; each is a field of Input.
const (
	DefaultAppTimeout   = 7 * 24 * time.Hour  // the person installs the app and sends the requests
	DefaultAgentTimeout = 30 * 24 * time.Hour // the person visits an identification point
	DefaultScanTimeout  = 30 * 24 * time.Hour // the signed form and the photo are scanned
	DefaultPollInitial  = time.Minute         // /full is read this long after a change when no callback comes,
	DefaultPollMax      = 6 * time.Hour       // doubling up to this (FNS sends only final states by default)
)

// Reasons given with an outcome (no personal data).
const (
	ReasonAlreadyIdentified = "already-identified" // accepted: the consumer holds a confirmed КЭП
	ReasonConsumerBlocked   = "consumer-blocked"   // «Данный клиент заблокирован…»
	ReasonNameSNILS         = "smev-name-snils"    // «Не пройдены проверки: Валидация ФИО-СНИЛС»
	ReasonNameINN           = "smev-name-inn"      // «Не пройдены проверки: Валидация ФИО-ИНН ФЛ»
	ReasonPassportInvalid   = "smev-passport"      // «Не пройдены проверки: Проверка действительности паспорта»
	ReasonRejectedByFNS     = "rejected-by-fns"    // any other rejection; its text is in the status
	ReasonAppTimeout        = "app-timeout"
	ReasonAgentTimeout      = "agent-timeout"
	ReasonScanTimeout       = "scan-upload-timeout"
)

// Stages, as the status query and IdflowStage show them.
const (
	StageChecking         = "checking-consumer"
	StageCreating         = "creating-registration"
	StageFNSChecks        = "fns-checks"
	StageAwaitingApp      = "awaiting-app"
	StageAwaitingAgent    = "awaiting-agent"
	StageIssuing          = "issuing-certificate"
	StageAwaitingScans    = "awaiting-scans"
	StageRecordingResults = "recording-certificate"
	StageFinished         = "finished"
)

// WorkflowID is the workflow id for a caller's request id (no personal data).
func WorkflowID(requestID string) string {
	return process.WorkflowID("fns-registration", requestID)
}

// RegistrationMediaType marks a document-store entry holding a
// pii.FNSRegistration as JSON: the consumer's data stays out of history.
const RegistrationMediaType = "application/vnd.idflow.fns-registration+json"

// Input starts a registration.
type Input struct {
	RequestID string `json:"requestId"`
	// RegistrationDocumentID names the pii.FNSRegistration in the document store.
	RegistrationDocumentID string `json:"registrationDocumentId"`
	// Waits; zero means the Default* constants.
	AppTimeout   time.Duration `json:"appTimeout,omitempty"`
	AgentTimeout time.Duration `json:"agentTimeout,omitempty"`
	ScanTimeout  time.Duration `json:"scanTimeout,omitempty"`
	PollInitial  time.Duration `json:"pollInitial,omitempty"`
	PollMax      time.Duration `json:"pollMax,omitempty"`
}

// Callback is one FNS state change as the workflow receives it: ids, type
// and state only (never the consumer or the agent).
type Callback struct {
	FNSWorkflowID int64  `json:"fnsWorkflowId"`
	Type          string `json:"type"`
	State         string `json:"state"`
	ParentID      int64  `json:"parentId,omitempty"`
	ChildID       int64  `json:"childId,omitempty"`
	// ErrorMessage is FNS's text for a rejection (e.g. a failed SMEV check).
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// AgentIdentifyRequest is the agent's identification of the person in
// front of them. The agent is named by id: its credentials stay with the
// worker, never in history.
type AgentIdentifyRequest struct {
	AgentID string `json:"agentId"`
	// IdentificationPoint is required when the agent works at several points.
	IdentificationPoint int64 `json:"identificationPoint,omitempty"`
	// PassportScanDocumentIDs are the confirmation documents (passport
	// pages), by document-store id.
	PassportScanDocumentIDs []string `json:"passportScanDocumentIds"`
}

// UploadScansRequest carries the scans, by document-store id.
type UploadScansRequest struct {
	ScanDocumentIDs []string `json:"scanDocumentIds"`
}

// StepResult answers an update: the FNS state the step led to.
type StepResult struct {
	State string `json:"state"`
}

// Certificate is what is recorded of the issued КЭП (the subject, which
// names the person, is not: the certificate itself is in the store).
type Certificate struct {
	Serial     string    `json:"serial"`
	Issuer     string    `json:"issuer"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"`
	DocumentID string    `json:"documentId,omitempty"` // the PEM, in the document store
}

// Status is the answer of the status query and the workflow's result.
type Status struct {
	process.Status
	ConsumerID string `json:"consumerId,omitempty"`
	// FNSWorkflowID is the identification workflow at FNS, CertificateWorkflowID its child.
	FNSWorkflowID         int64        `json:"fnsWorkflowId,omitempty"`
	CertificateWorkflowID int64        `json:"certificateWorkflowId,omitempty"`
	FNSState              string       `json:"fnsState,omitempty"`
	FNSMessage            string       `json:"fnsMessage,omitempty"` // FNS's text for a rejection
	Callbacks             int          `json:"callbacks"`
	Certificate           *Certificate `json:"certificate,omitempty"`
}

// Activity names; the worker registers the FNS activities under them.
const (
	CheckConsumerActivity      = "FNSCheckConsumer"
	CreateRegistrationActivity = "FNSCreateRegistration"
	ReadWorkflowActivity       = "FNSReadWorkflow"
	AgentIdentifyActivity      = "FNSAgentIdentify"
	UploadScansActivity        = "FNSUploadScans"
	RecordCertificateActivity  = "FNSRecordCertificate"
	RemoveWorkflowsActivity    = "FNSRemoveWorkflows"
)

// CheckConsumerInput names the registration data to look the consumer up by.
type CheckConsumerInput struct {
	RegistrationDocumentID string `json:"registrationDocumentId"`
}

// CheckConsumerResult is what FNS knows of the person already.
type CheckConsumerResult struct {
	ConsumerID string `json:"consumerId,omitempty"`
	// State is the consumer's state ("", unvalidated, temporarily, blocked, identified).
	State string `json:"state,omitempty"`
	// SignConfirmed: the consumer holds a confirmed КЭП (`sign`, is_confirmed).
	SignConfirmed bool `json:"signConfirmed"`
}

// CreateRegistrationInput creates the scenario-80 workflow at FNS.
type CreateRegistrationInput struct {
	RegistrationDocumentID string `json:"registrationDocumentId"`
	// ExternalID is derived from the workflow run: a retried create finds
	// the workflow FNS already made.
	ExternalID string `json:"externalId"`
	// WorkflowID receives the callbacks (a token for it is made inside the
	// activity, so it never enters history).
	WorkflowID string `json:"workflowId"`
}

// CreateRegistrationResult is FNS's workflow, or Blocked when FNS refuses
// the consumer («Данный клиент заблокирован…»).
type CreateRegistrationResult struct {
	FNSWorkflowID int64 `json:"fnsWorkflowId"`
	Blocked       bool  `json:"blocked,omitempty"`
}

// ReadWorkflowInput reads one FNS workflow (/full).
type ReadWorkflowInput struct {
	FNSWorkflowID int64 `json:"fnsWorkflowId"`
}

// FNSWorkflow is the truth about one FNS workflow.
type FNSWorkflow struct {
	ID           int64   `json:"id"`
	Type         string  `json:"type"`
	State        string  `json:"state"`
	ErrorMessage string  `json:"errorMessage,omitempty"`
	Children     []int64 `json:"children,omitempty"`
	ConsumerID   string  `json:"consumerId,omitempty"`
}

// AgentIdentifyInput runs the agent's steps: the search under the agent's
// account, the confirmation documents, identify.
type AgentIdentifyInput struct {
	FNSWorkflowID          int64                `json:"fnsWorkflowId"`
	RegistrationDocumentID string               `json:"registrationDocumentId"`
	Request                AgentIdentifyRequest `json:"request"`
}

// UploadScansInput uploads the scans to the certificate-issuing workflow
// and confirms them (scan_confirm_received).
type UploadScansInput struct {
	FNSWorkflowID int64              `json:"fnsWorkflowId"`
	Request       UploadScansRequest `json:"request"`
}

// RecordCertificateInput fetches the issued КЭП into the document store.
type RecordCertificateInput struct {
	FNSWorkflowID int64  `json:"fnsWorkflowId"`
	Owner         string `json:"owner"`
}

// RemoveWorkflowsInput removes FNS workflows (a cancelled registration).
type RemoveWorkflowsInput struct {
	FNSWorkflowIDs []int64 `json:"fnsWorkflowIds"`
}

// An additional signature (scenario 84): a further КЭП for a consumer who
// already holds one, an entrepreneur's (one per person) or a legal-entity
// representative's (several allowed). FNS runs it as a certificate-issuing
// workflow, the same waits as the registration's child, so the workflow
// answers the same UploadScansUpdate and returns a Status.
const (
	// ExtraSignatureWorkflowType is the workflow type name.
	ExtraSignatureWorkflowType = "FNSExtraSignature"
	// CreateExtraSignatureActivity creates the scenario-84 workflow.
	CreateExtraSignatureActivity = "FNSCreateExtraSignature"
)

// ExtraSignatureWorkflowID is the workflow id for a caller's request id.
func ExtraSignatureWorkflowID(requestID string) string {
	return process.WorkflowID("fns-extra-signature", requestID)
}

// ExtraSignatureInput starts an additional signature: exactly one of
// EntrepreneurOGRNIP and LegalEntity.
type ExtraSignatureInput struct {
	RequestID          string          `json:"requestId"`
	ConsumerID         string          `json:"consumerId"`
	EntrepreneurOGRNIP string          `json:"entrepreneurOgrnip,omitempty"`
	LegalEntity        *LegalEntityRef `json:"legalEntity,omitempty"`
	// Waits; zero means the Default* constants.
	AppTimeout  time.Duration `json:"appTimeout,omitempty"`
	ScanTimeout time.Duration `json:"scanTimeout,omitempty"`
	PollInitial time.Duration `json:"pollInitial,omitempty"`
	PollMax     time.Duration `json:"pollMax,omitempty"`
}

// LegalEntityRef is the legal entity a representative's signature is for
// (company data, not the person's).
type LegalEntityRef struct {
	INN  string `json:"inn"`
	KPP  string `json:"kpp,omitempty"`
	OGRN string `json:"ogrn,omitempty"`
	Name string `json:"name,omitempty"`
}

// CreateExtraSignatureInput creates the scenario-84 workflow at FNS.
type CreateExtraSignatureInput struct {
	ConsumerID         string          `json:"consumerId"`
	EntrepreneurOGRNIP string          `json:"entrepreneurOgrnip,omitempty"`
	LegalEntity        *LegalEntityRef `json:"legalEntity,omitempty"`
	ExternalID         string          `json:"externalId"`
	WorkflowID         string          `json:"workflowId"` // receives the callbacks
}

// CreateResult is the FNS workflow a create made, or FNS's reason for
// refusing it (a 400 about the consumer, e.g. not identified yet).
type CreateResult struct {
	FNSWorkflowID int64  `json:"fnsWorkflowId,omitempty"`
	Refusal       string `json:"refusal,omitempty"`
}

// StartSearchAttributes are the search attributes to start an FNSRegistration with:
// those its first publication sets (see process.StartSearchAttributes).
func StartSearchAttributes() temporal.SearchAttributes {
	return process.StartSearchAttributes(WorkflowType, StageChecking)
}
