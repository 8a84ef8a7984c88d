package idngo

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"idflow/internal/providers/endpoint"
)

// Provider error codes (Error.ErrorCode) of document uploads and applicant state.
const (
	ErrCodeDuplicateDocument        = 1000 // duplicate-document (HTTP 409)
	ErrCodeTooManyDocuments         = 1001 // too-many-documents
	ErrCodeFileTooBig               = 1002 // file-too-big (over 64 MB)
	ErrCodeEmptyFile                = 1003 // empty-file
	ErrCodeCorruptedFile            = 1004 // corrupted-file
	ErrCodeUnsupportedFileFormat    = 1005 // unsupported-file-format
	ErrCodeApplicantMarkedAsDeleted = 1008 // applicant-marked-as-deleted (HTTP 409)
	ErrCodeApplicantFinalReject     = 1009 // applicant-with-final-reject (HTTP 409)
	ErrCodeDocTypeNotInReqDocs      = 1010 // doc-type-not-in-req-docs (HTTP 409)
)

// ErrInvalidArgument is wrapped by the errors returned, before any request,
// for a missing id, level, document type or content; such errors are final.
var ErrInvalidArgument = errors.New("idngo: invalid argument")

// maxDescriptionLen caps the provider text copied into an Error.
const maxDescriptionLen = 300

// Error is a failed call: the HTTP status (0 when no response was received)
// and the provider's error body. It never holds request data.
type Error struct {
	StatusCode    int    // StatusCode is the HTTP status, or 0 for transport failures.
	Description   string // Description is the provider's text (truncated) or a short summary.
	CorrelationID string // CorrelationID is the provider's id of the failed request, for support.
	ErrorCode     int    // ErrorCode is the provider's errorCode (see the ErrCode constants), 0 if none.
	ErrorName     string // ErrorName is the provider's errorName, e.g. "applicant-with-final-reject".
	Retryable     bool   // Retryable tells that the same call may succeed later.
	cause         error
}

// Error returns e.g. "idngo: HTTP 409: <description> (errorCode 1009 applicant-with-final-reject, correlationId …)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("idngo: ")
	if e.StatusCode != 0 {
		b.WriteString("HTTP " + strconv.Itoa(e.StatusCode) + ": ")
	}
	b.WriteString(e.Description)
	var details []string
	switch {
	case e.ErrorCode != 0 && e.ErrorName != "":
		details = append(details, "errorCode "+strconv.Itoa(e.ErrorCode)+" "+e.ErrorName)
	case e.ErrorCode != 0:
		details = append(details, "errorCode "+strconv.Itoa(e.ErrorCode))
	case e.ErrorName != "":
		details = append(details, e.ErrorName)
	}
	if e.CorrelationID != "" {
		details = append(details, "correlationId "+e.CorrelationID)
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the underlying transport error, if any.
func (e *Error) Unwrap() error { return e.cause }

// IsRetryable reports whether err is an *Error marked retryable: a network
// failure or timeout, HTTP 408, 425, 429 or 5xx, or a 2xx with an unreadable body.
func IsRetryable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Retryable
}

// IsNotFound reports whether err is an HTTP 404 answer.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is an HTTP 409 answer.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// ErrorCodeOf returns the provider's errorCode of err, or 0.
func ErrorCodeOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.ErrorCode
	}
	return 0
}

// hasStatus reports whether err is an *Error with the given HTTP status.
func hasStatus(err error, code int) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.StatusCode == code
}

// transportError wraps a failure to get a response; such failures are
// retryable. A *url.Error is unwrapped so that the URL (with ids) is not repeated.
func transportError(method string, err error) error {
	msg := err.Error()
	if ue, ok := errors.AsType[*url.Error](err); ok {
		msg = ue.Err.Error()
	}
	return &Error{Description: "transport: " + method + ": " + endpoint.CleanText(msg, maxDescriptionLen), Retryable: true, cause: err}
}

// undecodable is the error for a 2xx answer whose body cannot be used; it is retryable.
func undecodable(code int, what string) error {
	return &Error{StatusCode: code, Description: what, Retryable: true}
}

// errorBody is the provider's JSON error body.
type errorBody struct {
	Description   string `json:"description"`
	Code          int    `json:"code"`
	CorrelationID string `json:"correlationId"`
	ErrorCode     int    `json:"errorCode"`
	ErrorName     string `json:"errorName"`
}

// statusError builds the error for a non-2xx answer from its status and body.
func statusError(code int, body []byte) *Error {
	e := &Error{StatusCode: code, Retryable: endpoint.RetryableStatus(code)}
	var eb errorBody
	_ = decodeLenient(body, &eb) // a non-JSON body leaves eb empty
	e.Description = endpoint.CleanText(eb.Description, maxDescriptionLen)
	e.CorrelationID = endpoint.CleanText(eb.CorrelationID, maxDescriptionLen)
	e.ErrorCode = eb.ErrorCode
	e.ErrorName = endpoint.CleanText(eb.ErrorName, maxDescriptionLen)
	if e.Description == "" {
		e.Description = http.StatusText(code)
		if e.Description == "" {
			e.Description = "unexpected status"
		}
	}
	return e
}

// decodeLenient unmarshals JSON, tolerating values of unexpected types (those
// fields stay zero); it fails only for malformed JSON.
func decodeLenient(body []byte, out any) error {
	err := json.Unmarshal(body, out)
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return nil
	}
	return err
}
