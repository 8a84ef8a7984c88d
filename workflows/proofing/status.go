// Package proofing is the issuer's proofing status model of the Digital
// Credentials issuer API (getProofingStatus; provider document
// vdc-getProofingStatus.ru.txt, FNS-INVENTORY.md §5): the seven statuses,
// the rejection reasons and the challenges, each a JSON union with exactly
// one key, "{}" for members without fields. It is pure code: workflows build
// statuses with it and the gateway serves them as they were recorded.
package proofing

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The status keys, as JSON names them; IdflowProofingStatus holds one of them.
const (
	KeyPending    = "pending"
	KeyAccepted   = "accepted"
	KeyRejected   = "rejected"
	KeyChallenged = "challenged"
	KeyCanceled   = "canceled"
	KeyRevoked    = "revoked"
	KeyExpired    = "expired"
)

// Empty is a union member without fields; it marshals as {}.
type Empty struct{}

// Status is ProofingStates: exactly one member is set.
type Status struct {
	Pending    *Empty      `json:"pending,omitempty"`
	Accepted   *Empty      `json:"accepted,omitempty"`
	Rejected   *Rejected   `json:"rejected,omitempty"`
	Challenged *Challenged `json:"challenged,omitempty"`
	Canceled   *Empty      `json:"canceled,omitempty"`
	Revoked    *Empty      `json:"revoked,omitempty"`
	Expired    *Empty      `json:"expired,omitempty"`
}

// Rejected is the issuer's rejection: the main reason and any others.
type Rejected struct {
	PrimaryRejection     Rejection   `json:"primaryRejection"`
	AdditionalRejections []Rejection `json:"additionalRejections,omitempty"`
}

// Rejection is one reason of a rejection. Description and identifier are
// for support only (never shown to the person) and carry no personal data.
type Rejection struct {
	RejectionDescription      string `json:"rejectionDescription"`
	IssuerRejectionIdentifier string `json:"issuerRejectionIdentifier"`

	// The reason: exactly one is set. lowRiskScore is deprecated and never produced.
	EvidenceMismatch        *Evidence       `json:"evidenceMismatch,omitempty"`
	EvidenceIncomplete      *Evidence       `json:"evidenceIncomplete,omitempty"`
	RecordNotFound          *Empty          `json:"recordNotFound,omitempty"`
	RecordInvalid           *RecordInvalid  `json:"recordInvalid,omitempty"`
	MaxProvisioningsReached *MaxProvisioned `json:"maxProvisioningsReached,omitempty"`
	RiskCheckFailure        *Empty          `json:"riskCheckFailure,omitempty"`
	LivenessCheckFailure    *Empty          `json:"livenessCheckFailure,omitempty"`
}

// Evidence names the evidence that did not match or is missing.
type Evidence struct {
	EvidenceType string `json:"evidenceType"`
}

// RecordInvalid says why the issuer's record is not valid (annulled, expired).
type RecordInvalid struct {
	InvalidityReason string `json:"invalidityReason"`
}

// MaxProvisioned: the credential is on the maximum number of devices.
type MaxProvisioned struct {
	MaxNumberOfProvisioningsAllowed int `json:"maxNumberOfProvisioningsAllowed"`
}

// Challenged asks the person to complete a challenge before a decision.
type Challenged struct {
	ChallengeDescription string `json:"challengeDescription"`

	// The challenge: exactly one is set.
	PhysicalLocationVisit  *Empty          `json:"physicalLocationVisit,omitempty"`
	IssuerURLVisit         *Empty          `json:"issuerUrlVisit,omitempty"`
	AdditionalTimeRequired *AdditionalTime `json:"additionalTimeRequired,omitempty"`
}

// AdditionalTime is the issuer's estimate of when it will decide.
type AdditionalTime struct {
	// EstimatedCompletion is milliseconds since the Unix epoch, as a string.
	EstimatedCompletion string `json:"estimatedCompletion,omitempty"`
}

// Pending: the issuer has not decided yet.
func Pending() Status { return Status{Pending: &Empty{}} }

// Accepted: the issuer accepted the proofing.
func Accepted() Status { return Status{Accepted: &Empty{}} }

// Canceled: the person (or the service for them) cancelled the proofing.
func Canceled() Status { return Status{Canceled: &Empty{}} }

// Revoked: the issuer revoked an approval it had given.
func Revoked() Status { return Status{Revoked: &Empty{}} }

// Expired: no decision was made before the issuer's deadline.
func Expired() Status { return Status{Expired: &Empty{}} }

// Reject is a rejection with a primary reason and any additional ones.
func Reject(primary Rejection, additional ...Rejection) Status {
	return Status{Rejected: &Rejected{PrimaryRejection: primary, AdditionalRejections: additional}}
}

// Challenge is a challenge with its (support-only) description.
func Challenge(description string, c Challenged) Status {
	c.ChallengeDescription = description
	return Status{Challenged: &c}
}

// PhysicalLocationVisit: the person must visit a place (an identification point).
func PhysicalLocationVisit() Challenged { return Challenged{PhysicalLocationVisit: &Empty{}} }

// IssuerURLVisit: the person must complete something on the issuer's page or app.
func IssuerURLVisit() Challenged { return Challenged{IssuerURLVisit: &Empty{}} }

// AdditionalTimeRequired: the issuer needs more time, expected to decide by
// estimate (zero: no estimate).
func AdditionalTimeRequired(estimate time.Time) Challenged {
	at := &AdditionalTime{}
	if !estimate.IsZero() {
		at.EstimatedCompletion = strconv.FormatInt(estimate.UnixMilli(), 10)
	}
	return Challenged{AdditionalTimeRequired: at}
}

// Reason constructors: a Rejection with its reason set; Described fills in
// the support texts.

func EvidenceMismatch(evidenceType string) Rejection {
	return Rejection{EvidenceMismatch: &Evidence{EvidenceType: evidenceType}}
}
func EvidenceIncomplete(evidenceType string) Rejection {
	return Rejection{EvidenceIncomplete: &Evidence{EvidenceType: evidenceType}}
}
func RecordNotFound() Rejection { return Rejection{RecordNotFound: &Empty{}} }
func RecordInvalidBecause(reason string) Rejection {
	return Rejection{RecordInvalid: &RecordInvalid{InvalidityReason: reason}}
}
func MaxProvisioningsReached(allowed int) Rejection {
	return Rejection{MaxProvisioningsReached: &MaxProvisioned{MaxNumberOfProvisioningsAllowed: allowed}}
}
func RiskCheckFailure() Rejection     { return Rejection{RiskCheckFailure: &Empty{}} }
func LivenessCheckFailure() Rejection { return Rejection{LivenessCheckFailure: &Empty{}} }

// Described sets the rejection's support description and identifier.
func (r Rejection) Described(description, identifier string) Rejection {
	r.RejectionDescription, r.IssuerRejectionIdentifier = description, identifier
	return r
}

// Key is the status's JSON key ("pending", ..., "expired"), or "" for a
// zero Status.
func (s Status) Key() string {
	switch {
	case s.Pending != nil:
		return KeyPending
	case s.Accepted != nil:
		return KeyAccepted
	case s.Rejected != nil:
		return KeyRejected
	case s.Challenged != nil:
		return KeyChallenged
	case s.Canceled != nil:
		return KeyCanceled
	case s.Revoked != nil:
		return KeyRevoked
	case s.Expired != nil:
		return KeyExpired
	}
	return ""
}

// IsZero reports whether no member is set.
func (s Status) IsZero() bool { return s.Key() == "" }

// Open reports whether the proofing may still change by itself: pending or
// challenged (cancelProofing is allowed only then).
func (s Status) Open() bool { return s.Key() == KeyPending || s.Key() == KeyChallenged }

// Validate checks that every union holds exactly one member.
func (s Status) Validate() error {
	if n := count(s.Pending != nil, s.Accepted != nil, s.Rejected != nil, s.Challenged != nil,
		s.Canceled != nil, s.Revoked != nil, s.Expired != nil); n != 1 {
		return fmt.Errorf("proofing status has %d members, want exactly 1", n)
	}
	if s.Rejected != nil {
		for _, r := range append([]Rejection{s.Rejected.PrimaryRejection}, s.Rejected.AdditionalRejections...) {
			if err := r.validate(); err != nil {
				return err
			}
		}
	}
	if c := s.Challenged; c != nil {
		if n := count(c.PhysicalLocationVisit != nil, c.IssuerURLVisit != nil, c.AdditionalTimeRequired != nil); n != 1 {
			return fmt.Errorf("challenge has %d kinds, want exactly 1", n)
		}
	}
	return nil
}

func (r Rejection) validate() error {
	if n := count(r.EvidenceMismatch != nil, r.EvidenceIncomplete != nil, r.RecordNotFound != nil, r.RecordInvalid != nil,
		r.MaxProvisioningsReached != nil, r.RiskCheckFailure != nil, r.LivenessCheckFailure != nil); n != 1 {
		return fmt.Errorf("rejection %q has %d reasons, want exactly 1", r.IssuerRejectionIdentifier, n)
	}
	return nil
}

func count(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// JSON is the status as getProofingStatus serves it.
func (s Status) JSON() []byte {
	// Structs of strings and ints only: it cannot fail, and marshals the same every time.
	b, err := json.Marshal(s) //workflowcheck:ignore
	if err != nil {
		panic(err)
	}
	return b
}

// Equal reports whether two statuses serialise the same.
func (s Status) Equal(o Status) bool { return string(s.JSON()) == string(o.JSON()) }
