// Package fnsscenarios holds the smaller FNS «Мобильная подпись»
// processes for a registered consumer: a pause (scenario 134), an external
// activity (scenario 102, a web page inside the app), a push notification
// and a certificate revocation (provider document:
// fns-mobile-signature-api.ru.txt §1.2.4, §1.2.5, §1.9, §1.10).
//
// This file is the contract a service links. It imports no infrastructure.
package fnsscenarios

import (
	"time"

	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

// Workflow types.
const (
	PauseWorkflowType            = "FNSPause"
	ExternalActivityWorkflowType = "FNSExternalActivity"
	PushWorkflowType             = "FNSPush"
	RevocationWorkflowType       = "FNSRevocation"
)

// CallbackSignal carries FNS callbacks, as for every FNS process.
const CallbackSignal = fnsregistration.CallbackSignal

// ActivityDoneUpdate tells an external activity that the person finished
// on the page: the workflow ends it at FNS (complete_external_activity).
const ActivityDoneUpdate = "external-activity-done"

// Defaults of the waits.
const (
	// DefaultPauseTimeout bounds a pause: the next scenario should start by then.
	DefaultPauseTimeout = 30 * 24 * time.Hour
	// DefaultActivityTimeout bounds the person's (and a reviewer's) work on the page.
	DefaultActivityTimeout = 7 * 24 * time.Hour
	DefaultPollInitial     = time.Minute
	DefaultPollMax         = 6 * time.Hour
)

// Reasons given with an outcome.
const (
	ReasonRejectedByFNS   = fnsregistration.ReasonRejectedByFNS
	ReasonPauseTimeout    = "pause-timeout"
	ReasonActivityTimeout = "external-activity-timeout"
)

// Stages, as the status query and IdflowStage show them.
const (
	StageCreating       = "creating"
	StagePaused         = "paused"
	StageAwaitingPerson = "awaiting-person"
	StageAwaitingReview = "awaiting-review"
	StageCompleting     = "completing"
	StageSending        = "sending"
	StageFinished       = "finished"
)

// Workflow ids for a caller's request id (no personal data).
func PauseWorkflowID(requestID string) string {
	return process.WorkflowID("fns-pause", requestID)
}
func ExternalActivityWorkflowID(requestID string) string {
	return process.WorkflowID("fns-external-activity", requestID)
}
func PushWorkflowID(requestID string) string { return process.WorkflowID("fns-push", requestID) }
func RevocationWorkflowID(requestID string) string {
	return process.WorkflowID("fns-revocation", requestID)
}

// PauseInput starts a pause: the app tells the person to wait until the
// next scenario starts for them, which completes the pause at FNS.
type PauseInput struct {
	RequestID   string        `json:"requestId"`
	ConsumerID  string        `json:"consumerId"`
	Timeout     time.Duration `json:"timeout,omitempty"`
	PollInitial time.Duration `json:"pollInitial,omitempty"`
	PollMax     time.Duration `json:"pollMax,omitempty"`
}

// ExternalActivityInput opens a web page inside the person's app.
type ExternalActivityInput struct {
	RequestID  string `json:"requestId"`
	ConsumerID string `json:"consumerId"`
	// URL is the page (absolute http or https); a short-lived token for it
	// belongs in the URL or the headers (document L143).
	URL         string            `json:"url"`
	Headers     map[string]string `json:"headers,omitempty"`
	Timeout     time.Duration     `json:"timeout,omitempty"`
	PollInitial time.Duration     `json:"pollInitial,omitempty"`
	PollMax     time.Duration     `json:"pollMax,omitempty"`
}

// ActivityDoneRequest is the external system's word that the person finished.
type ActivityDoneRequest struct {
	// By names who reports it (an operator or a service), for the log.
	By string `json:"by,omitempty"`
}

// PushInput sends one push notification (a template agreed with FNS).
type PushInput struct {
	RequestID     string `json:"requestId"`
	ConsumerID    string `json:"consumerId"`
	Title         string `json:"title"`
	Message       string `json:"message"`
	FNSWorkflowID int64  `json:"fnsWorkflowId,omitempty"` // opened when the push is tapped
}

// RevocationInput sends a certificate's revocation application: the XML
// file FNS's schema describes, by document-store id.
type RevocationInput struct {
	RequestID             string `json:"requestId"`
	ApplicationDocumentID string `json:"applicationDocumentId"`
}

// Status is the answer of the status query and the workflows' result.
type Status struct {
	process.Status
	ConsumerID    string `json:"consumerId,omitempty"`
	FNSWorkflowID int64  `json:"fnsWorkflowId,omitempty"`
	FNSState      string `json:"fnsState,omitempty"`
	FNSMessage    string `json:"fnsMessage,omitempty"`
	Callbacks     int    `json:"callbacks"`
}

// Activity names; the worker registers the FNS activities under them.
const (
	CreatePauseActivity              = "FNSCreatePause"
	CreateExternalActivityActivity   = "FNSCreateExternalActivity"
	CompleteExternalActivityActivity = "FNSCompleteExternalActivity"
	PushActivity                     = "FNSPush"
	RevokeCertificateActivity        = "FNSRevokeCertificate"
)

// CreatePauseInput creates the scenario-134 workflow.
type CreatePauseInput struct {
	ConsumerID string `json:"consumerId"`
	ExternalID string `json:"externalId"`
	WorkflowID string `json:"workflowId"` // receives the callbacks
}

// CreateExternalActivityInput creates the scenario-102 workflow.
type CreateExternalActivityInput struct {
	ConsumerID string            `json:"consumerId"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers,omitempty"`
	ExternalID string            `json:"externalId"`
	WorkflowID string            `json:"workflowId"`
}

// CompleteExternalActivityInput ends the external activity at FNS.
type CompleteExternalActivityInput struct {
	FNSWorkflowID int64 `json:"fnsWorkflowId"`
}

// RevokeCertificateInput sends the application.
type RevokeCertificateInput struct {
	ApplicationDocumentID string `json:"applicationDocumentId"`
}

// CreateResult and FNSWorkflow are the registration contract's.
type (
	CreateResult = fnsregistration.CreateResult
	FNSWorkflow  = fnsregistration.FNSWorkflow
)
