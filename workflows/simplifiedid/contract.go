// Package simplifiedid is Mandarin simplified identification: an SMEV check
// of name, passport and SNILS/INN runs in parallel with an SMS-code check of
// the phone; it passes only when both pass (provider document:
// mandarin-simplified-identification.ru.txt).
//
// This file is the contract a service links: names, ids, inputs, outputs,
// the update and the activities' inputs and outputs. It imports no
// infrastructure.
package simplifiedid

import (
	"time"

	"go.temporal.io/sdk/temporal"

	"idflow/internal/pii"
	"idflow/workflows/process"
)

const (
	// WorkflowType is the workflow type name.
	WorkflowType = "SimplifiedIdentification"
	// SubmitSMSCodeUpdate carries one SMS code typed by the person.
	SubmitSMSCodeUpdate = "submit-sms-code"

	// MaxSMSCodeAttempts: "up to 5 (inclusive) attempts"; then a new session is needed.
	MaxSMSCodeAttempts = 5
	// PersonCheckLimit: an SMEV check over 300 minutes is not billed, and we stop waiting.
	PersonCheckLimit = 300 * time.Minute
	// PersonCheckSLA: "SMEV usually answers within 10 minutes"; past it the
	// status is challenged/additionalTimeRequired.
	PersonCheckSLA = 10 * time.Minute
	// DefaultSMSCodeTimeout bounds the wait for a correct SMS code.
	DefaultSMSCodeTimeout = 15 * time.Minute
	// DefaultPersonCheckPollInitial and DefaultPersonCheckPollMax shape the SMEV
	// polling backoff: 30 s, doubling, up to 10 min between polls.
	DefaultPersonCheckPollInitial = 30 * time.Second
	DefaultPersonCheckPollMax     = 10 * time.Minute
)

// Bounds of the input's durations, checked when the workflow starts (0
// always means the default). The server rounds retry intervals up to whole
// seconds, so a poll below a second polls every second.
const (
	MinSMSCodeTimeout   = time.Minute
	MaxSMSCodeTimeout   = 24 * time.Hour
	MinPersonCheckLimit = 10 * time.Second
	MinPersonCheckPoll  = 100 * time.Millisecond
)

// Reasons given with an outcome (no personal data).
const (
	ReasonPersonNotVerified    = "person-not-verified"
	ReasonPhoneNotVerified     = "sms-attempts-exhausted"
	ReasonSMSCodeTimeout       = "sms-code-timeout"
	ReasonPersonCheckTimeout   = "person-check-over-300-minutes"
	ReasonAdditionalTimeNeeded = "additionalTimeRequired"
)

// Stages, as the status query and the IdflowStage search attribute show them.
const (
	StageOpeningSession  = "opening-session"
	StageChecking        = "awaiting-sms-code-and-smev"
	StageAwaitingSMEV    = "awaiting-smev"
	StageAwaitingSMSCode = "awaiting-sms-code"
	StageFinished        = "finished"
)

// WorkflowID is the workflow id for a caller's request id, safe for any
// id (see process.WorkflowID); it carries no personal data.
func WorkflowID(requestID string) string {
	return process.WorkflowID("simplified-identification", requestID)
}

// PersonMediaType marks a document-store entry that holds a pii.Person as JSON.
const PersonMediaType = "application/vnd.idflow.person+json"

// Input starts a simplified identification. Give the person inline or, to
// keep the data out of workflow history, as the id of a document-store
// entry of media type PersonMediaType.
type Input struct {
	RequestID        string      `json:"requestId"`
	Person           *pii.Person `json:"person,omitempty"`
	PersonDocumentID string      `json:"personDocumentId,omitempty"`
	// SMSCodeTimeout bounds the wait for a correct code; 0 means DefaultSMSCodeTimeout.
	SMSCodeTimeout time.Duration `json:"smsCodeTimeout,omitempty"`
	// PersonCheckLimit bounds the SMEV wait; 0 means PersonCheckLimit (300 min).
	PersonCheckLimit time.Duration `json:"personCheckLimit,omitempty"`
	// PersonCheckPollInitial and PersonCheckPollMax shape the polling backoff; 0 means the defaults.
	PersonCheckPollInitial time.Duration `json:"personCheckPollInitial,omitempty"`
	PersonCheckPollMax     time.Duration `json:"personCheckPollMax,omitempty"`
}

// SMSCodeRequest is the argument of the submit-sms-code update.
type SMSCodeRequest struct {
	Code string `json:"code"`
}

// SMSCodeResult answers a submitted code.
type SMSCodeResult struct {
	Accepted     bool `json:"accepted"`
	AttemptsUsed int  `json:"attemptsUsed"`
	AttemptsLeft int  `json:"attemptsLeft"`
}

// PhoneCheck is the state of the SMS-code check.
type PhoneCheck struct {
	Verified     bool      `json:"verified"`
	AttemptsUsed int       `json:"attemptsUsed"`
	AttemptsLeft int       `json:"attemptsLeft"`
	Deadline     time.Time `json:"deadline,omitzero"`
}

// PersonCheck is the state of the SMEV check.
type PersonCheck struct {
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// ExpectedBy is the usual answer time (10 min), then the 300-minute limit.
	ExpectedBy time.Time `json:"expectedBy,omitzero"`
	Finished   bool      `json:"finished"`
	Verified   bool      `json:"verified"`
	// Error is SMEV's own error text, kept as given.
	Error string `json:"error,omitempty"`
}

// Status is the answer of the status query and, once finished, the
// workflow's result.
type Status struct {
	process.Status
	SessionID string `json:"sessionId,omitempty"`
	// Billable is false when SMEV took over 300 minutes (the provider does not bill it).
	Billable bool `json:"billable"`
	// UncertainSessions counts sessions Mandarin may have opened besides
	// SessionID, when a worker crashed inside the exchange (see
	// InitIdentificationResult); normally 0.
	UncertainSessions int         `json:"uncertainSessions,omitempty"`
	Phone             PhoneCheck  `json:"phone"`
	PersonCheck       PersonCheck `json:"personCheck"`
}

// Activity names; the worker registers the Mandarin activities under them.
const (
	InitIdentificationActivity = "InitIdentification"
	SubmitSMSCodeActivity      = "SubmitSMSCode"
	PhoneCheckActivity         = "PhoneCheck"
	CheckPersonActivity        = "CheckPerson"
)

// InitIdentificationInput names the person to identify: inline, or by a
// document-store id (claim check: the data then stays out of workflow history).
type InitIdentificationInput struct {
	Person           *pii.Person `json:"person,omitempty"`
	PersonDocumentID string      `json:"personDocumentId,omitempty"`
}

// InitIdentificationResult carries Mandarin's session id.
type InitIdentificationResult struct {
	SessionID string `json:"sessionId"`
	// UncertainSessions counts earlier attempts that ended (a worker crash
	// inside the HTTP exchange) without recording whether Mandarin opened a
	// session: each may have sent an SMS and been billed.
	UncertainSessions int `json:"uncertainSessions,omitempty"`
}

// SubmitSMSCodeInput is one code the person typed.
type SubmitSMSCodeInput struct {
	SessionID string `json:"sessionId"`
	Code      string `json:"code"`
}

// PhoneCheckResult is Mandarin's verdict on the last code.
type PhoneCheckResult struct {
	Verified bool `json:"verified"`
}

// CheckPersonInput asks for the SMEV person check of a session.
type CheckPersonInput struct {
	SessionID string `json:"sessionId"`
	// UntilFinished makes an unfinished check a retryable error, so that the
	// activity's retry policy does the polling.
	UntilFinished bool `json:"untilFinished"`
}

// PersonCheckResult is SMEV's answer, with its error text as given.
type PersonCheckResult struct {
	Finished bool   `json:"finished"`
	Verified bool   `json:"verified"`
	Error    string `json:"error,omitempty"`
}

// StartSearchAttributes are the search attributes to start a SimplifiedIdentification with:
// those its first publication sets (see process.StartSearchAttributes).
func StartSearchAttributes() temporal.SearchAttributes {
	return process.StartSearchAttributes(WorkflowType, StageOpeningSession)
}
