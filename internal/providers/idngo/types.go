package idngo

import (
	"log/slog"
	"strconv"
)

// Review answers (ReviewResult.ReviewAnswer) and reject types (ReviewResult.ReviewRejectType).
const (
	AnswerGreen = "GREEN" // AnswerGreen: the check passed.
	AnswerRed   = "RED"   // AnswerRed: the check failed; see the reject type.
	RejectFinal = "FINAL" // RejectFinal: final rejection, the user may not upload new images.
	RejectRetry = "RETRY" // RejectRetry: temporary rejection, the user may upload new images or data.
)

// Review statuses (Review.ReviewStatus, Webhook.ReviewStatus): init → pending →
// prechecked/queued → completed, or onHold.
const (
	ReviewStatusInit       = "init"
	ReviewStatusPending    = "pending"
	ReviewStatusPrechecked = "prechecked"
	ReviewStatusQueued     = "queued"
	ReviewStatusCompleted  = "completed"
	ReviewStatusOnHold     = "onHold"
)

// Verification steps, the keys of RequiredIDDocsStatus.
const (
	StepIdentity = "IDENTITY"
	StepSelfie   = "SELFIE"
)

// Common document types (IDDocMetadata.IDDocType) and sides (IDDocMetadata.IDDocSubType).
const (
	DocTypePassport = "PASSPORT"
	DocTypeIDCard   = "ID_CARD"
	DocTypeDrivers  = "DRIVERS"
	DocTypeSelfie   = "SELFIE"
	DocFrontSide    = "FRONT_SIDE"
	DocBackSide     = "BACK_SIDE"
)

// ApplicantInfo is the personal data of an applicant (info or fixedInfo); it
// redacts itself in fmt and log/slog.
type ApplicantInfo struct {
	FirstName   string `json:"firstName,omitempty"`   // FirstName is the given name.
	LastName    string `json:"lastName,omitempty"`    // LastName is the family name.
	MiddleName  string `json:"middleName,omitempty"`  // MiddleName is the middle name or patronymic.
	DOB         string `json:"dob,omitempty"`         // DOB is the date of birth, yyyy-mm-dd.
	Country     string `json:"country,omitempty"`     // Country is ISO 3166-1 alpha-3, e.g. "RUS".
	Nationality string `json:"nationality,omitempty"` // Nationality is ISO 3166-1 alpha-3.
	Phone       string `json:"phone,omitempty"`       // Phone is the phone number.
}

// redactedInfo is what ApplicantInfo prints instead of personal data.
const redactedInfo = "idngo.ApplicantInfo{REDACTED}"

// String hides the personal data from %v and %s.
func (ApplicantInfo) String() string { return redactedInfo }

// GoString hides the personal data from %#v.
func (ApplicantInfo) GoString() string { return redactedInfo }

// LogValue hides the personal data from log/slog.
func (ApplicantInfo) LogValue() slog.Value { return slog.StringValue(redactedInfo) }

// ReviewResult is the verdict of a review (also the testCompleted request body).
type ReviewResult struct {
	ReviewAnswer      string   `json:"reviewAnswer"`                // ReviewAnswer is AnswerGreen or AnswerRed.
	ReviewRejectType  string   `json:"reviewRejectType,omitempty"`  // ReviewRejectType is RejectFinal or RejectRetry for RED.
	RejectLabels      []string `json:"rejectLabels,omitempty"`      // RejectLabels are e.g. FORGERY, BAD_SELFIE.
	ModerationComment string   `json:"moderationComment,omitempty"` // ModerationComment may be shown to the user.
	ClientComment     string   `json:"clientComment,omitempty"`     // ClientComment must not be shown to the user.
}

// Review is the applicant's current review.
type Review struct {
	ReviewID     string        `json:"reviewId,omitempty"`
	AttemptID    string        `json:"attemptId,omitempty"`
	AttemptCnt   int           `json:"attemptCnt,omitempty"`
	LevelName    string        `json:"levelName,omitempty"`
	CreateDate   string        `json:"createDate,omitempty"` // CreateDate is "yyyy-MM-dd HH:mm:ss" UTC (possibly with fractions).
	ReviewDate   string        `json:"reviewDate,omitempty"` // ReviewDate is set once the review completed.
	ReviewStatus string        `json:"reviewStatus,omitempty"`
	ReviewResult *ReviewResult `json:"reviewResult,omitempty"` // ReviewResult is nil until there is a verdict.
}

// DocSet is one entry of the level's required documents.
type DocSet struct {
	IDDocSetType string   `json:"idDocSetType,omitempty"` // IDDocSetType is e.g. IDENTITY or SELFIE.
	Types        []string `json:"types,omitempty"`        // Types are the accepted document types.
}

// RequiredIDDocs lists the documents the applicant's level requires.
type RequiredIDDocs struct {
	DocSets []DocSet `json:"docSets,omitempty"`
}

// Applicant is the provider's applicant record; unknown fields are ignored.
// Its Info and FixedInfo redact themselves when formatted; Applicant's
// LogValue logs only non-personal fields.
type Applicant struct {
	ID             string          `json:"id"`                       // ID is the provider's applicant id (24 hex characters).
	CreatedAt      string          `json:"createdAt,omitempty"`      // CreatedAt is "yyyy-MM-dd HH:mm:ss" UTC.
	ExternalUserID string          `json:"externalUserId,omitempty"` // ExternalUserID is our id of the user.
	InspectionID   string          `json:"inspectionId,omitempty"`
	LevelName      string          `json:"levelName,omitempty"`
	Info           *ApplicantInfo  `json:"info,omitempty"`           // Info is the data recognized from documents.
	FixedInfo      *ApplicantInfo  `json:"fixedInfo,omitempty"`      // FixedInfo is the data we provided.
	RequiredIDDocs *RequiredIDDocs `json:"requiredIdDocs,omitempty"` // RequiredIDDocs is the level's document set (added field).
	Review         *Review         `json:"review,omitempty"`         // Review is nil before the first review.
}

// LogValue logs the applicant without personal data.
func (a Applicant) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", a.ID),
		slog.String("externalUserId", a.ExternalUserID),
		slog.String("levelName", a.LevelName),
	}
	if a.Review != nil {
		attrs = append(attrs, slog.String("reviewStatus", a.Review.ReviewStatus))
		if a.Review.ReviewResult != nil {
			attrs = append(attrs, slog.String("reviewAnswer", a.Review.ReviewResult.ReviewAnswer))
		}
	}
	return slog.GroupValue(attrs...)
}

// IDDocMetadata describes an uploaded document; Number redacts itself when formatted.
type IDDocMetadata struct {
	IDDocType    string `json:"idDocType"`              // IDDocType is e.g. DocTypePassport or DocTypeSelfie.
	IDDocSubType string `json:"idDocSubType,omitempty"` // IDDocSubType is DocFrontSide or DocBackSide for two-sided documents.
	Country      string `json:"country"`                // Country is ISO 3166-1 alpha-3.
	Number       string `json:"number,omitempty"`       // Number is the document number (personal data).
}

// String prints the metadata with the document number hidden.
func (m IDDocMetadata) String() string {
	s := "idngo.IDDocMetadata{IDDocType:" + m.IDDocType + " IDDocSubType:" + m.IDDocSubType + " Country:" + m.Country
	if m.Number != "" {
		s += " Number:REDACTED"
	}
	return s + "}"
}

// GoString is String, for %#v.
func (m IDDocMetadata) GoString() string { return m.String() }

// LogValue logs the metadata with the document number hidden.
func (m IDDocMetadata) LogValue() slog.Value {
	return slog.GroupValue(slog.String("idDocType", m.IDDocType), slog.String("idDocSubType", m.IDDocSubType),
		slog.String("country", m.Country), slog.Bool("hasNumber", m.Number != ""))
}

// UploadedImage is the answer to AddIDDocument.
type UploadedImage struct {
	Metadata IDDocMetadata // Metadata is the document metadata the provider answered with.
	ImageID  int64         // ImageID is the X-Image-Id header; 0 if the provider sent none.
}

// String prints the image id and the redacted metadata.
func (u UploadedImage) String() string {
	return "idngo.UploadedImage{ImageID:" + strconv.FormatInt(u.ImageID, 10) + " Metadata:" + u.Metadata.String() + "}"
}

// GoString is String, for %#v.
func (u UploadedImage) GoString() string { return u.String() }

// LogValue logs the image id and the redacted metadata.
func (u UploadedImage) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("imageId", u.ImageID), slog.Any("metadata", u.Metadata))
}

// ImageReview is the verdict on one image.
type ImageReview struct {
	ReviewAnswer      string   `json:"reviewAnswer,omitempty"`
	RejectLabels      []string `json:"rejectLabels,omitempty"`
	ReviewRejectType  string   `json:"reviewRejectType,omitempty"`
	ModerationComment string   `json:"moderationComment,omitempty"`
	ClientComment     string   `json:"clientComment,omitempty"`
}

// StepStatus is the state of one verification step.
type StepStatus struct {
	ReviewResult       *ReviewResult          `json:"reviewResult,omitempty"`
	Country            string                 `json:"country,omitempty"`
	IDDocType          string                 `json:"idDocType,omitempty"`
	ImageIDs           []int64                `json:"imageIds,omitempty"`           // ImageIDs lists the step's images; the first is the front side.
	ImageReviewResults map[string]ImageReview `json:"imageReviewResults,omitempty"` // ImageReviewResults is keyed by the image id as a decimal string.
}

// ImageReview returns the review of one image, if there is one.
func (s *StepStatus) ImageReview(imageID int64) (ImageReview, bool) {
	if s == nil {
		return ImageReview{}, false
	}
	r, ok := s.ImageReviewResults[strconv.FormatInt(imageID, 10)]
	return r, ok
}

// RequiredIDDocsStatus is keyed by step (StepIdentity, StepSelfie, ...); the
// value is nil for a step with nothing uploaded.
type RequiredIDDocsStatus map[string]*StepStatus
