package process

import (
	"errors"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"idflow/internal/validate"
)

// Application error types, as the Temporal UI, the status and the
// IdflowReason search attribute show them.
const (
	// ErrTypeInvalidInput: the data cannot pass the provider's checks; fix the input.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeProviderRejected: the provider refused the request for good (its
	// 4xx), which is not a verdict on the person.
	ErrTypeProviderRejected = "ProviderRejected"
	// ErrTypeProviderNotConfigured: the worker has no credentials for the provider.
	ErrTypeProviderNotConfigured = "ProviderNotConfigured"
	// ErrTypeCheckPending: the provider has not finished yet; retried by design.
	ErrTypeCheckPending = "CheckPending"
)

// FinalErrorTypes are activity errors no retry can fix; every activity's
// retry policy names them.
var FinalErrorTypes = []string{ErrTypeInvalidInput, ErrTypeProviderRejected, ErrTypeProviderNotConfigured}

// FinalError makes err non-retryable under the given type, keeping its text.
func FinalError(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, nil)
}

// PendingError is the "not finished yet" that drives polling through
// activity retries, so that a long poll costs a constant few history
// events. It is benign: expected, so the SDK logs it at debug level and
// counts no failure.
func PendingError(what string) error {
	return temporal.NewApplicationErrorWithOptions(what+" not finished yet", ErrTypeCheckPending,
		temporal.ApplicationErrorOptions{Category: temporal.ApplicationErrorCategoryBenign})
}

// InvalidInput is a final InvalidInput error whose details list the fields.
func InvalidInput(fields validate.FieldErrors) error {
	return temporal.NewNonRetryableApplicationError("invalid input: "+fields.Error(), ErrTypeInvalidInput, nil, fields)
}

// maxErrorText bounds an error text kept in the status and search attributes.
const maxErrorText = 500

// ErrorType is the application error type in err's chain, "Canceled",
// "Timeout", or "Failure" when there is none.
func ErrorType(err error) string {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	switch {
	case errors.As(err, &appErr) && appErr.Type() != "":
		return appErr.Type()
	case temporal.IsCanceledError(err):
		return "Canceled"
	case errors.As(err, &timeoutErr):
		return "Timeout"
	}
	return "Failure"
}

// ErrorText is the innermost meaningful message of err: an application
// error's own message without the SDK's decorations (activity name, retry
// state), bounded in length.
func ErrorText(err error) string {
	var appErr *temporal.ApplicationError
	msg := err.Error()
	if errors.As(err, &appErr) {
		msg = appErr.Message()
	}
	if len(msg) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// CheckDuration adds a problem for field when raw, a tuning duration of a
// workflow input, is set (not 0, which means the default) and outside lo..hi.
func CheckDuration(errs *validate.FieldErrors, field string, raw, lo, hi time.Duration) {
	if raw != 0 && (raw < lo || raw > hi) {
		errs.Add(field, "want 0 (the default) or "+Duration(lo)+" to "+Duration(hi))
	}
}
