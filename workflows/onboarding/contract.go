// Package onboarding is the process a service starts for one person: the
// identification checks (simplified identification and/or KYC, as the
// input chooses), then FNS registration with the agent's in-person
// identification and the certificate, then the signing of documents when
// some are given. Each step is a child workflow; the onboarding keeps every
// step's outcome and reason and reports the whole as one proofing status
// (workflows/proofing), recorded in the proofings table that
// getProofingStatus reads.
//
// This file is the contract a service links. It imports no infrastructure.
package onboarding

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"idflow/internal/validate"
	"idflow/workflows/fnssigning"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/proofing"
)

const (
	// WorkflowType is the workflow type name.
	WorkflowType = "Onboarding"
	// RevokeSignal tells an onboarding that a step it passed was revoked
	// outside it (a certificate revoked at FNS): it becomes revoked.
	RevokeSignal = "revoke"

	// DefaultDeadline bounds the whole onboarding until a decision: past
	// it the proofing is expired.
	DefaultDeadline = 60 * 24 * time.Hour
	// DefaultMonitoringPeriod: after acceptance the onboarding listens this
	// long for revocations (KYC's later reviews, a revoked certificate).
	DefaultMonitoringPeriod = 365 * 24 * time.Hour
)

// Steps, by name, in the order they run (the identification checks run
// side by side).
const (
	StepSimplifiedID    = "simplified-identification"
	StepKYC             = "kyc"
	StepFNSRegistration = "fns-registration"
	StepSigning         = "signing"
)

// Stages, as the status query and IdflowStage show them.
const (
	StageIdentifying = "identifying"
	StageRegistering = "registering"
	StageSigning     = "signing"
	StageMonitoring  = "monitoring"
	StageFinished    = "finished"
)

// Reasons given with an outcome (no personal data); a step's rejection
// is reported with the step's own reason, as "<step>: <reason>".
const (
	ReasonDeadline          = "onboarding-deadline"
	ReasonCertificateRevoke = "certificate-revoked"
)

// WorkflowID is the workflow id of the onboarding of a proofing id (an
// opaque id made by the wallet, never personal data).
func WorkflowID(proofingID string) string { return process.WorkflowID("onboarding", proofingID) }

// Input starts an onboarding.
type Input struct {
	ProofingID        string   `json:"proofingId"`
	DeviceReferenceID string   `json:"deviceReferenceId"`
	Evidence          Evidence `json:"evidence"`
	// Deadline bounds the wait for a decision; 0 means DefaultDeadline.
	Deadline time.Duration `json:"deadline,omitempty"`
	// MonitoringPeriod after acceptance; 0 means DefaultMonitoringPeriod.
	MonitoringPeriod time.Duration `json:"monitoringPeriod,omitempty"`
}

// Evidence names what the person gave, by document-store id, and chooses
// the steps: at least one identification check, FNS registration always,
// signing when documents are given. The proofUser request carries it as is.
type Evidence struct {
	SimplifiedIdentification *SimplifiedIDEvidence `json:"simplifiedIdentification,omitempty"`
	KYC                      *KYCEvidence          `json:"kyc,omitempty"`
	FNSRegistration          *FNSEvidence          `json:"fnsRegistration,omitempty"`
	Signing                  *SigningEvidence      `json:"signing,omitempty"`
}

// SimplifiedIDEvidence runs Mandarin simplified identification.
type SimplifiedIDEvidence struct {
	// PersonDocumentID names a pii.Person (simplifiedid.PersonMediaType).
	PersonDocumentID string        `json:"personDocumentId"`
	SMSCodeTimeout   time.Duration `json:"smsCodeTimeout,omitempty"`
	PersonCheckLimit time.Duration `json:"personCheckLimit,omitempty"`
	// PollInitial and PollMax shape the SMEV polling; 0 means the process's defaults.
	PollInitial time.Duration `json:"pollInitial,omitempty"`
	PollMax     time.Duration `json:"pollMax,omitempty"`
}

// KYCEvidence runs IDnGO KYC.
type KYCEvidence struct {
	// ExternalUserID is the service's user key at IDnGO; "" means the proofing id.
	ExternalUserID          string         `json:"externalUserId,omitempty"`
	LevelName               string         `json:"levelName"`
	ApplicantInfoDocumentID string         `json:"applicantInfoDocumentId,omitempty"`
	Documents               []kyc.Document `json:"documents"`
	ReviewDeadline          time.Duration  `json:"reviewDeadline,omitempty"`
	ResubmitTimeout         time.Duration  `json:"resubmitTimeout,omitempty"`
	MaxAttempts             int            `json:"maxAttempts,omitempty"`
}

// FNSEvidence runs FNS registration.
type FNSEvidence struct {
	// RegistrationDocumentID names a pii.FNSRegistration (fnsregistration.RegistrationMediaType).
	RegistrationDocumentID string        `json:"registrationDocumentId"`
	AppTimeout             time.Duration `json:"appTimeout,omitempty"`
	AgentTimeout           time.Duration `json:"agentTimeout,omitempty"`
	ScanTimeout            time.Duration `json:"scanTimeout,omitempty"`
	// PollInitial and PollMax shape the /full reads when no callback comes.
	PollInitial time.Duration `json:"pollInitial,omitempty"`
	PollMax     time.Duration `json:"pollMax,omitempty"`
}

// SigningEvidence has the registered person sign documents.
type SigningEvidence struct {
	DocumentIDs []string      `json:"documentIds"`
	SignTimeout time.Duration `json:"signTimeout,omitempty"`
	PollInitial time.Duration `json:"pollInitial,omitempty"`
	PollMax     time.Duration `json:"pollMax,omitempty"`
}

// RevokeRequest is the argument of RevokeSignal.
type RevokeRequest struct {
	// Reason is a code, e.g. ReasonCertificateRevoke.
	Reason string `json:"reason"`
	// CertificateSerial, if set, must be the onboarding's certificate.
	CertificateSerial string `json:"certificateSerial,omitempty"`
}

// Step is one child workflow of the onboarding, as the status shows it.
type Step struct {
	Name       string          `json:"name"`
	WorkflowID string          `json:"workflowId"`
	Outcome    process.Outcome `json:"outcome"`
	Reason     string          `json:"reason,omitempty"`
	Stage      string          `json:"stage,omitempty"`
	Proofing   proofing.Status `json:"proofing"`
}

// Status is the answer of the status query and the workflow's result.
type Status struct {
	process.Status
	ProofingID string `json:"proofingId"`
	Steps      []Step `json:"steps"`
	// Version counts the changes of the proofing status (the projection's version).
	Version int64 `json:"version"`
	// Compensation says what a cancellation undid, and what it could not
	// (a completed signing cannot be removed: it is reported here).
	Compensation []string `json:"compensation,omitempty"`
	// CertificateSerial is the certificate FNS issued.
	CertificateSerial string    `json:"certificateSerial,omitempty"`
	AcceptedAt        time.Time `json:"acceptedAt,omitzero"`
}

// Activity names; the worker registers them.
const (
	RecordProofingActivity = "RecordProofingStatus"
)

// RecordProofingInput writes one proofing status to the projection; a
// version not above the recorded one changes nothing.
type RecordProofingInput struct {
	ProofingID        string          `json:"proofingId"`
	DeviceReferenceID string          `json:"deviceReferenceId"`
	WorkflowID        string          `json:"workflowId"`
	Version           int64           `json:"version"`
	Status            proofing.Status `json:"status"`
}

// RecordProofingResult says whether the write changed the projection.
type RecordProofingResult struct {
	Applied bool `json:"applied"`
}

// Validate checks the evidence's shape (the documents themselves are
// checked by each step before any provider call): FNS registration always,
// at least one identification check, and each one's required ids.
func (e Evidence) Validate() error {
	var errs validate.FieldErrors
	if e.SimplifiedIdentification == nil && e.KYC == nil {
		errs.Add("evidence", "at least one identification check is required: simplifiedIdentification or kyc")
	}
	if s := e.SimplifiedIdentification; s != nil && s.PersonDocumentID == "" {
		errs.Add("evidence.simplifiedIdentification.personDocumentId", "required")
	}
	if k := e.KYC; k != nil {
		if k.LevelName == "" {
			errs.Add("evidence.kyc.levelName", "required")
		}
		if len(k.Documents) == 0 {
			errs.Add("evidence.kyc.documents", "at least one document is required")
		}
		for i, d := range k.Documents {
			if d.DocumentID == "" || d.IDDocType == "" || d.Country == "" {
				errs.Add(fmt.Sprintf("evidence.kyc.documents[%d]", i), "idDocType, country and documentId are required")
			}
		}
	}
	if e.FNSRegistration == nil || e.FNSRegistration.RegistrationDocumentID == "" {
		errs.Add("evidence.fnsRegistration.registrationDocumentId", "required")
	}
	if s := e.Signing; s != nil && (len(s.DocumentIDs) == 0 || len(s.DocumentIDs) > fnssigning.MaxDocuments) {
		errs.Add("evidence.signing.documentIds", fmt.Sprintf("1 to %d documents", fnssigning.MaxDocuments))
	}
	return errs.Err()
}

// StartSearchAttributes are the search attributes to start an Onboarding with:
// those its first publication sets (see process.StartSearchAttributes).
func StartSearchAttributes() temporal.SearchAttributes {
	return process.StartSearchAttributes(WorkflowType, StageIdentifying)
}
