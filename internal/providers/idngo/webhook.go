package idngo

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// Webhook digest algorithms (the X-Payload-Digest-Alg header).
const (
	DigestSHA1   = "HMAC_SHA1_HEX"
	DigestSHA256 = "HMAC_SHA256_HEX"
	DigestSHA512 = "HMAC_SHA512_HEX"
)

// Webhook signature headers.
const (
	HeaderPayloadDigest    = "X-Payload-Digest"
	HeaderPayloadDigestAlg = "X-Payload-Digest-Alg"
)

// Webhook types (Webhook.Type); other types must be accepted and ignored.
const (
	TypeApplicantCreated           = "applicantCreated"
	TypeApplicantPending           = "applicantPending"
	TypeApplicantReviewed          = "applicantReviewed"
	TypeApplicantOnHold            = "applicantOnHold"
	TypeApplicantPrechecked        = "applicantPrechecked"
	TypeApplicantReset             = "applicantReset"
	TypeApplicantDeleted           = "applicantDeleted"
	TypeApplicantLevelChanged      = "applicantLevelChanged"
	TypeApplicantWorkflowCompleted = "applicantWorkflowCompleted"
)

// CreatedAtMsLayout is the time layout of Webhook.CreatedAtMs (UTC).
const CreatedAtMsLayout = "2006-01-02 15:04:05.000"

// ErrBadDigest is wrapped by every VerifyPayloadDigest failure.
var ErrBadDigest = errors.New("idngo: bad webhook payload digest")

// ErrUnknownDigestAlg is wrapped by the errors for an unsupported digest algorithm.
var ErrUnknownDigestAlg = errors.New("idngo: unsupported webhook digest algorithm")

// ErrBadWebhook is wrapped by ParseWebhook's errors.
var ErrBadWebhook = errors.New("idngo: bad webhook")

// digestHash returns the hash constructor of an algorithm name (case-insensitive).
func digestHash(alg string) (func() hash.Hash, bool) {
	switch strings.ToUpper(strings.TrimSpace(alg)) {
	case DigestSHA1:
		return sha1.New, true
	case DigestSHA256:
		return sha256.New, true
	case DigestSHA512:
		return sha512.New, true
	}
	return nil, false
}

// PayloadDigest returns the lowercase hex HMAC of the raw webhook body with
// the webhook secret; alg is one of the Digest constants. An unknown alg or
// an empty secret is an error.
func PayloadDigest(secret, alg string, body []byte) (string, error) {
	h, ok := digestHash(alg)
	if !ok {
		return "", ErrUnknownDigestAlg
	}
	if secret == "" {
		return "", errors.New("idngo: empty webhook secret")
	}
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// VerifyPayloadDigest checks the X-Payload-Digest value of a webhook against
// its raw body in constant time. A missing algorithm or digest, an unknown
// algorithm, an empty secret, a malformed digest or a mismatch is an error
// wrapping ErrBadDigest; the message never contains the body or the digests.
func VerifyPayloadDigest(secret, alg, digest string, body []byte) error {
	if strings.TrimSpace(alg) == "" {
		return fmt.Errorf("%w: missing digest algorithm", ErrBadDigest)
	}
	if strings.TrimSpace(digest) == "" {
		return fmt.Errorf("%w: missing digest", ErrBadDigest)
	}
	h, ok := digestHash(alg)
	if !ok {
		return fmt.Errorf("%w: %w", ErrBadDigest, ErrUnknownDigestAlg)
	}
	if secret == "" {
		return fmt.Errorf("%w: empty webhook secret", ErrBadDigest)
	}
	got, err := hex.DecodeString(strings.TrimSpace(digest))
	if err != nil {
		return fmt.Errorf("%w: digest is not hex", ErrBadDigest)
	}
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("%w: digest mismatch", ErrBadDigest)
	}
	return nil
}

// Webhook is a provider event; it carries no personal data.
type Webhook struct {
	ApplicantID    string        `json:"applicantId"`
	InspectionID   string        `json:"inspectionId,omitempty"`
	CorrelationID  string        `json:"correlationId"` // CorrelationID is unique per event: deduplicate by it.
	ExternalUserID string        `json:"externalUserId,omitempty"`
	LevelName      string        `json:"levelName,omitempty"`
	Type           string        `json:"type"` // Type is one of the Type constants, or another (ignore it).
	ReviewStatus   string        `json:"reviewStatus,omitempty"`
	ReviewResult   *ReviewResult `json:"reviewResult,omitempty"` // ReviewResult is set for applicantReviewed.
	SandboxMode    bool          `json:"sandboxMode"`
	CreatedAtMs    string        `json:"createdAtMs,omitempty"` // CreatedAtMs is "yyyy-MM-dd HH:mm:ss.fff" UTC.
}

// CreatedAt parses CreatedAtMs (UTC).
func (w Webhook) CreatedAt() (time.Time, error) {
	return time.ParseInLocation(CreatedAtMsLayout, w.CreatedAtMs, time.UTC)
}

// ParseWebhook decodes a webhook body leniently: unknown fields, unknown
// types and values of unexpected JSON types are ignored. It fails only for a
// body that is not JSON or has no correlationId. Verify the digest first.
func ParseWebhook(body []byte) (Webhook, error) {
	var w Webhook
	if err := decodeLenient(body, &w); err != nil {
		return Webhook{}, fmt.Errorf("%w: body is not JSON", ErrBadWebhook)
	}
	if strings.TrimSpace(w.CorrelationID) == "" {
		return Webhook{}, fmt.Errorf("%w: missing correlationId", ErrBadWebhook)
	}
	return w, nil
}

// VerifyAccountDigest is VerifyPayloadDigest that accepts only the
// account's own algorithm (accepted, e.g. "HMAC_SHA256_HEX"), so that a
// sender cannot choose a weaker one than the account signs with.
func VerifyAccountDigest(secret, accepted, alg, digest string, body []byte) error {
	if !strings.EqualFold(strings.TrimSpace(alg), accepted) {
		return fmt.Errorf("%w: digest algorithm %q not accepted (the account uses %s)", ErrBadDigest, alg, accepted)
	}
	return VerifyPayloadDigest(secret, alg, digest, body)
}
