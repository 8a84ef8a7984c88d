package mandarin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"idflow/internal/providers/endpoint"
)

// InitRequest holds the person's data for InitIdentification; it redacts itself in fmt and slog.
type InitRequest struct {
	FirstName      string `json:"firstName"`      // FirstName is the given name (имя).
	Patronymic     string `json:"patronymic"`     // Patronymic is the patronymic (отчество).
	LastName       string `json:"lastName"`       // LastName is the family name (фамилия).
	PassportSeries string `json:"passportSeries"` // PassportSeries is 4 digits.
	PassportNumber string `json:"passportNumber"` // PassportNumber is 6 digits.
	SNILS          string `json:"snils"`          // SNILS is 11 digits, or "" when INN is given.
	INN            string `json:"inn,omitempty"`  // INN is an optional 12-digit individual INN.
	Phone          string `json:"phone"`          // Phone is "+7" and 10 digits.
}

// redacted is what InitRequest prints instead of personal data.
const redacted = "mandarin.InitRequest{REDACTED}"

// String hides the personal data from %v and %s.
func (InitRequest) String() string { return redacted }

// GoString hides the personal data from %#v.
func (InitRequest) GoString() string { return redacted }

// LogValue hides the personal data from log/slog.
func (InitRequest) LogValue() slog.Value { return slog.StringValue(redacted) }

// Status is the state of both checks of a session; nil pointers mean "no verdict yet".
type Status struct {
	ID                         string `json:"id"`                         // ID is the session id.
	PhoneVerified              *bool  `json:"phoneVerified"`              // PhoneVerified is nil until a code was entered.
	PhoneVerificationFinished  bool   `json:"phoneVerificationFinished"`  // PhoneVerificationFinished tells that an SMS code was checked.
	PersonVerified             *bool  `json:"personVerified"`             // PersonVerified is nil until SMEV answered.
	PersonVerificationFinished bool   `json:"personVerificationFinished"` // PersonVerificationFinished tells that SMEV answered.
	PersonVerificationError    string `json:"personVerificationError"`    // PersonVerificationError is SMEV's error text, "" if none.
}

// Passed reports whether both the phone and the person were verified.
func (s Status) Passed() bool {
	return isTrue(s.PhoneVerified) && isTrue(s.PersonVerified)
}

// PersonRejected reports whether SMEV finished with a negative answer.
func (s Status) PersonRejected() bool {
	return s.PersonVerificationFinished && s.PersonVerified != nil && !*s.PersonVerified
}

// isTrue reports whether b is set and true.
func isTrue(b *bool) bool { return b != nil && *b }

// idResponse is the {id} body of the POST and PUT answers.
type idResponse struct {
	ID string `json:"id"`
}

// smsRequest is the PUT body.
type smsRequest struct {
	SMSCode string `json:"smsCode"`
}

// errorResponse is the {"error": ...} body of a refused request.
type errorResponse struct {
	Error string `json:"error"`
}

// maxMessageLen caps the provider text copied into an Error.
const maxMessageLen = 200

// Error is a failed call: an HTTP status (0 for transport failures) and the provider's error text.
type Error struct {
	StatusCode int    // StatusCode is the HTTP status, or 0 when no response was received.
	Message    string // Message is the provider's "error" text or a short description.
	Retryable  bool   // Retryable tells that the same call may succeed later.
	cause      error
}

// Error returns e.g. "mandarin: HTTP 400: Invalid request".
func (e *Error) Error() string {
	if e.StatusCode == 0 {
		return "mandarin: " + e.Message
	}
	return "mandarin: HTTP " + strconv.Itoa(e.StatusCode) + ": " + e.Message
}

// Unwrap returns the underlying transport error, if any.
func (e *Error) Unwrap() error { return e.cause }

// IsRetryable reports whether err is an *Error marked retryable.
func IsRetryable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Retryable
}

// transportError wraps a failure to get a response; such failures are retryable.
func transportError(err error) error {
	return &Error{Message: "transport: " + err.Error(), Retryable: true, cause: err}
}

// statusError builds the error for a non-200 answer from its status and body.
func statusError(code int, body []byte) error {
	return &Error{StatusCode: code, Message: providerMessage(code, body), Retryable: endpoint.RetryableStatus(code)}
}

// providerMessage extracts the provider's "error" text, or falls back to the status text.
func providerMessage(code int, body []byte) string {
	var er errorResponse
	if json.Unmarshal(body, &er) == nil && strings.TrimSpace(er.Error) != "" {
		return endpoint.CleanText(er.Error, maxMessageLen)
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "unexpected status"
}
