// Package mandarin is a typed HTTP client for Mandarin's simplified person
// identification API ("упрощенная идентификация").
//
// The flow is: InitIdentification sends the person's data and returns a
// session id (Mandarin sends an SMS to the phone and starts an asynchronous
// SMEV registry check); SubmitSMSCode sends the code the user typed (at most 5
// attempts per session); Status is polled until both checks have finished.
// SMEV usually answers within 10 minutes but can take hours.
//
// Every request is authenticated with a fresh request id in the X-Auth header
// (see AuthHeader). Failures are returned as *Error; IsRetryable tells
// transient failures (network errors, timeouts, HTTP 408, 429 and 5xx, or a
// 200 with an unreadable body) from final answers (400 "Invalid request",
// 401/403 and other 4xx). InitIdentification is not idempotent: a retry after
// an ambiguous failure may create a second session and send a second SMS, and
// a retried SubmitSMSCode may use up another attempt.
//
// The client does not validate personal data (use package validate first) and
// never puts request bodies or personal data into errors; InitRequest redacts
// itself when formatted or logged.
package mandarin
