// Package kyc is IDnGO KYC verification (provider document:
// idngo-kyc-api.ru.txt): applicant → documents → fixedInfo → pending →
// review by webhook, GREEN / RED:RETRY (re-upload only the rejected images,
// then pending again) / RED:FINAL; after a decision, later reviews (a RED
// after GREEN) still count.
//
// This file is the contract a service links: names, ids, inputs, outputs,
// the signal, the update and the activities' inputs and outputs. It imports
// no infrastructure.
package kyc

import (
	"time"

	"idflow/internal/pii"
	"idflow/workflows/process"
)

const (
	// WorkflowType is the workflow type name.
	WorkflowType = "KYCVerification"
	// EventSignal carries one IDnGO webhook event, delivered from the gateway's inbox.
	EventSignal = "idngo-event"
	// ResubmitDocumentsUpdate carries new documents for the steps a RED:RETRY rejected.
	ResubmitDocumentsUpdate = "resubmit-documents"

	// DefaultReconcileAfter: webhooks get lost, so with no event for this
	// long the workflow reads the applicant itself; the interval then doubles
	// up to MaxReconcileInterval, so that a review stuck for days (onHold)
	// costs a few dozen reads, not thousands of history events.
	DefaultReconcileAfter = 30 * time.Minute
	// MaxReconcileInterval caps the reads while waiting for a review.
	MaxReconcileInterval = 6 * time.Hour
	// DefaultReviewDeadline bounds the wait for a review of one attempt.
	DefaultReviewDeadline = 14 * 24 * time.Hour
	// DefaultResubmitTimeout bounds the wait for documents after a RED:RETRY.
	DefaultResubmitTimeout = 7 * 24 * time.Hour
	// DefaultMaxReviewAttempts caps how many times an applicant is sent to review.
	DefaultMaxReviewAttempts = 3
	// DefaultMonitoringPeriod is how long later reviews are listened for after a decision.
	DefaultMonitoringPeriod = 365 * 24 * time.Hour
	// DefaultMonitorReconcileEvery: the slow poll while monitoring, in case a late webhook is lost.
	DefaultMonitorReconcileEvery = 24 * time.Hour
	// DefaultContinueAsNewAfter (history events) keeps a monitoring history
	// short; the server's own suggestion is followed too.
	DefaultContinueAsNewAfter = 2000
	// MonitorReadsPerRun: a monitoring run continues as new after this many
	// reads (a week of daily ones, ~70 events), so that a wake-up of a
	// workflow evicted from the worker's cache replays that little, not
	// months of reads.
	MonitorReadsPerRun = 7
)

// Reasons given with an outcome (no personal data).
const (
	ReasonReviewFinalReject   = "review-final-reject"
	ReasonRetryCapReached     = "retry-cap-reached"
	ReasonResubmitTimeout     = "resubmission-timeout"
	ReasonReviewTimeout       = "review-timeout"
	ReasonLaterRedAfterGreen  = "red-after-green"
	ReasonAwaitingResubmitted = "awaiting-resubmitted-documents"
)

// Stages, as the status query and IdflowStage show them.
const (
	StageCreatingApplicant = "creating-applicant"
	StageUploading         = "uploading-documents"
	StageAwaitingReview    = "awaiting-review"
	StageAwaitingResubmit  = "awaiting-resubmission"
	StageMonitoring        = "monitoring"
)

// WorkflowID is the workflow id for an IDnGO external user id (the
// service's own opaque user key; the gateway finds the workflow by it),
// safe for any key: see process.WorkflowID.
func WorkflowID(externalUserID string) string {
	return process.WorkflowID("kyc", externalUserID)
}

// ApplicantInfoMediaType marks a document-store entry holding a
// pii.ApplicantInfo as JSON.
const ApplicantInfoMediaType = "application/vnd.idflow.applicant+json"

// Input starts a KYC verification.
type Input struct {
	ExternalUserID string       `json:"externalUserId"`
	LevelName      string       `json:"levelName"`
	Applicant      ApplicantRef `json:"applicant"`
	Documents      []Document   `json:"documents"`

	// Timing and caps; zero means the Default* constants.
	ReconcileAfter        time.Duration `json:"reconcileAfter,omitempty"`
	ReviewDeadline        time.Duration `json:"reviewDeadline,omitempty"`
	ResubmitTimeout       time.Duration `json:"resubmitTimeout,omitempty"`
	MaxAttempts           int           `json:"maxAttempts,omitempty"`
	MonitoringPeriod      time.Duration `json:"monitoringPeriod,omitempty"`
	MonitorReconcileEvery time.Duration `json:"monitorReconcileEvery,omitempty"`
	ContinueAsNewAfter    int           `json:"continueAsNewAfter,omitempty"`

	// Resume is set by the workflow itself when it continues as new while monitoring.
	Resume *Resume `json:"resume,omitempty"`
}

// Document is one image to upload, by its document-store id.
type Document struct {
	IDDocType    string `json:"idDocType"`              // PASSPORT, ID_CARD, DRIVERS, RESIDENCE_PERMIT, SELFIE, ...
	IDDocSubType string `json:"idDocSubType,omitempty"` // FRONT_SIDE or BACK_SIDE for two-sided documents
	Country      string `json:"country"`                // ISO alpha-3
	DocumentID   string `json:"documentId"`
}

// ApplicantRef names the applicant's declared data: inline, or by a
// document-store id so that it stays out of workflow history.
type ApplicantRef struct {
	Info           *pii.ApplicantInfo `json:"info,omitempty"`
	InfoDocumentID string             `json:"infoDocumentId,omitempty"`
}

// Resume is what a monitoring run hands to the next one.
type Resume struct {
	Status     Status         `json:"status"`
	LastReview ReviewSnapshot `json:"lastReview"`
	SeenEvents []string       `json:"seenEvents,omitempty"`
}

// Event is one IDnGO webhook as the workflow receives it (never the clientComment).
type Event struct {
	CorrelationID string `json:"correlationId"`
	Type          string `json:"type"`
	ReviewStatus  string `json:"reviewStatus,omitempty"`
	ReviewAnswer  string `json:"reviewAnswer,omitempty"`
}

// ResubmitDocumentsRequest carries documents for the rejected steps only.
type ResubmitDocumentsRequest struct {
	Documents []Document `json:"documents"`
}

// ResubmitDocumentsResult answers a resubmission.
type ResubmitDocumentsResult struct {
	Uploaded int `json:"uploaded"`
	Attempt  int `json:"attempt"`
}

// ReviewSnapshot is the review a decision was made on.
type ReviewSnapshot struct {
	ReviewID     string   `json:"reviewId,omitempty"`
	Answer       string   `json:"answer,omitempty"`
	RejectType   string   `json:"rejectType,omitempty"`
	RejectLabels []string `json:"rejectLabels,omitempty"`
}

// Status is the answer of the status query and the workflow's result.
type Status struct {
	process.Status
	ApplicantID string `json:"applicantId,omitempty"`
	Attempt     int    `json:"attempt"`
	MaxAttempts int    `json:"maxAttempts"`
	// Review is the last review answer: GREEN, or RED with its type and labels.
	Review ReviewSnapshot `json:"review"`
	// ModerationComment may be shown to the applicant.
	ModerationComment string         `json:"moderationComment,omitempty"`
	RejectedSteps     []RejectedStep `json:"rejectedSteps,omitempty"`
	LastEvent         string         `json:"lastEvent,omitempty"`
	DecidedAt         time.Time      `json:"decidedAt,omitzero"`
	MonitorUntil      time.Time      `json:"monitorUntil,omitzero"`
}

// Activity names; the worker registers the IDnGO activities under them.
const (
	EnsureApplicantActivity = "EnsureApplicant"
	UploadDocumentActivity  = "UploadDocument"
	SetFixedInfoActivity    = "SetFixedInfo"
	RequestReviewActivity   = "RequestReview"
	ReadReviewActivity      = "ReadReview"
	RejectedStepsActivity   = "RejectedSteps"
	CheckDocumentsActivity  = "CheckDocuments"
)

// CheckDocumentsInput lists documents that must be in the document store
// before anything is created at IDnGO.
type CheckDocumentsInput struct {
	Documents []Document `json:"documents"`
}

// EnsureApplicantInput creates or finds the applicant of an external user.
type EnsureApplicantInput struct {
	ExternalUserID string       `json:"externalUserId"`
	LevelName      string       `json:"levelName"`
	Applicant      ApplicantRef `json:"applicant"`
}

// EnsureApplicantResult is IDnGO's applicant id.
type EnsureApplicantResult struct {
	ApplicantID string `json:"applicantId"`
}

// UploadDocumentInput is one image for an applicant.
type UploadDocumentInput struct {
	ApplicantID string   `json:"applicantId"`
	Document    Document `json:"document"`
}

// UploadDocumentResult is IDnGO's id of the uploaded image.
type UploadDocumentResult struct {
	ImageID int64 `json:"imageId"`
}

// SetFixedInfoInput is the applicant's declared data to fix.
type SetFixedInfoInput struct {
	ApplicantID string       `json:"applicantId"`
	Applicant   ApplicantRef `json:"applicant"`
}

// ReviewState is the applicant's current review, as IDnGO holds it. The
// clientComment is left out on purpose: it must never reach the applicant.
type ReviewState struct {
	ReviewID          string   `json:"reviewId,omitempty"`
	AttemptCount      int      `json:"attemptCount"`
	Status            string   `json:"status"` // init, pending, ..., completed
	Answer            string   `json:"answer,omitempty"`
	RejectType        string   `json:"rejectType,omitempty"`
	RejectLabels      []string `json:"rejectLabels,omitempty"`
	ModerationComment string   `json:"moderationComment,omitempty"`
}

// Completed reports whether the review has an answer.
func (r ReviewState) Completed() bool { return r.Status == "completed" && r.Answer != "" }

// RejectedStep is one verification step IDnGO asks to redo, with the images
// it rejected and the comment that may be shown to the applicant.
type RejectedStep struct {
	Step              string   `json:"step"`
	IDDocType         string   `json:"idDocType,omitempty"`
	Country           string   `json:"country,omitempty"`
	RejectedImageIDs  []int64  `json:"rejectedImageIds,omitempty"`
	RejectLabels      []string `json:"rejectLabels,omitempty"`
	ModerationComment string   `json:"moderationComment,omitempty"`
}

// RejectedStepsResult lists the rejected steps, ordered by step name.
type RejectedStepsResult struct {
	Steps []RejectedStep `json:"steps"`
}
