// Package idngo is a typed HTTP client for the IDnGO KYC API (whose shape
// mirrors Sumsub's) and the helpers to verify and parse its webhooks.
//
// The verification flow is: CreateApplicant (status init), AddIDDocument for
// each image (both sides of two-sided documents, plus a selfie), optionally
// PatchFixedInfo, then RequestCheck (status pending). The verdict arrives by
// webhook (applicantReviewed) and can be read with GetApplicant or
// GetApplicantByExternalUserID: GREEN passed, RED with FINAL is a final
// rejection, RED with RETRY lets the user upload new images
// (RequiredIDDocsStatus tells which). A verdict may change later (e.g. a
// GREEN applicant may become RED), so webhooks must be handled at any time.
// TestCompleted sets a verdict in the provider's sandbox.
//
// # Authentication
//
// Every request carries X-App-Token, X-App-Access-Ts (Unix seconds from
// Config.Now) and X-App-Access-Sig = Sign(secret, ts, METHOD, requestURI,
// body): lowercase hex HMAC-SHA256 over the timestamp, the upper-case method,
// the request URI exactly as sent (path including any BaseURL prefix, plus
// query) and the exact body bytes. Uploads build the multipart body first and
// sign those bytes. The provider allows 60 s of clock skew. The secret key is
// never sent. BaseURL must be https unless the host is loopback.
//
// # Errors
//
// Failures are *Error values decoded from the provider's JSON error body
// (description, code, correlationId, errorCode, errorName; see the ErrCode
// constants); a non-JSON error body still yields the HTTP status. IsRetryable
// tells transient failures (network errors, timeouts, HTTP 408, 425, 429 and
// 5xx, or a 2xx with an unusable body) from final answers (other 4xx);
// IsNotFound and IsConflict test for 404 and 409, ErrorCodeOf returns the
// errorCode. Argument errors found before any request wrap
// ErrInvalidArgument and are final.
//
// Idempotency: CreateApplicant recovers from the provider's 409 "already
// exists" by fetching the applicant by externalUserId, so retrying it never
// creates a second applicant. AddIDDocument is not idempotent (every call
// adds an image; a retry may get ErrCodeDuplicateDocument). RequestCheck is
// refused while a review is under way.
//
// Errors never contain request bodies, personal data or file contents (the
// provider's description is copied, cleaned and truncated to 300 bytes).
// ApplicantInfo redacts itself in fmt and log/slog, IDDocMetadata hides the
// document number, and Applicant logs only non-personal fields.
//
// # Webhooks
//
// The provider signs each webhook with X-Payload-Digest, the lowercase hex
// HMAC of the raw body under the webhook secret, using the algorithm named in
// X-Payload-Digest-Alg (DigestSHA1, DigestSHA256 or DigestSHA512).
// VerifyPayloadDigest checks it in constant time (its errors wrap
// ErrBadDigest and never contain the body); PayloadDigest computes it (for a
// sandbox). ParseWebhook decodes the body leniently: unknown fields and
// unknown event types are accepted, and only non-JSON or a missing
// correlationId is an error. Deliveries are retried and may be duplicated:
// deduplicate by CorrelationID. Webhooks carry no personal data.
package idngo
