package activities

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"

	"go.temporal.io/sdk/activity"

	"idflow/internal/providers/idngo"
	"idflow/internal/store"
	"idflow/internal/validate"
)

// ApplicantInfoMediaType marks a document-store entry holding an ApplicantInfo as JSON.
const ApplicantInfoMediaType = "application/vnd.idflow.applicant+json"

// IDnGO runs the calls of IDnGO KYC verification.
type IDnGO struct {
	// Client is nil when the worker has no IDnGO credentials.
	Client *idngo.Client
	Store  *store.Store
}

// ApplicantInfo is what the applicant declares; IDnGO compares it with the
// documents (PROBLEMATIC_APPLICANT_DATA when they differ). Personal data.
type ApplicantInfo struct {
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	DOB        string `json:"dob,omitempty"`     // yyyy-mm-dd
	Country    string `json:"country,omitempty"` // ISO alpha-3
	Phone      string `json:"phone,omitempty"`
}

// String hides the data from accidental printing.
func (ApplicantInfo) String() string { return "activities.ApplicantInfo{REDACTED}" }

// KYCDocument is one image to upload, by its document-store id.
type KYCDocument struct {
	IDDocType    string `json:"idDocType"`              // PASSPORT, ID_CARD, DRIVERS, RESIDENCE_PERMIT, SELFIE, ...
	IDDocSubType string `json:"idDocSubType,omitempty"` // FRONT_SIDE or BACK_SIDE for two-sided documents
	Country      string `json:"country"`                // ISO alpha-3
	DocumentID   string `json:"documentId"`
}

// ApplicantRef names the applicant's declared data: inline, or by a
// document-store id so that it stays out of workflow history.
type ApplicantRef struct {
	Info           *ApplicantInfo `json:"info,omitempty"`
	InfoDocumentID string         `json:"infoDocumentId,omitempty"`
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

// EnsureApplicant creates the applicant, or finds the one that exists for the
// external user id, so a retried activity never creates two.
func (a *IDnGO) EnsureApplicant(ctx context.Context, in EnsureApplicantInput) (EnsureApplicantResult, error) {
	if a.Client == nil {
		return EnsureApplicantResult{}, finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	info, err := a.resolveInfo(ctx, in.Applicant)
	if err != nil {
		return EnsureApplicantResult{}, err
	}
	applicant, err := a.Client.CreateApplicant(ctx, in.LevelName, in.ExternalUserID, info)
	if err != nil {
		return EnsureApplicantResult{}, idngoError(err)
	}
	activity.GetLogger(ctx).Info("applicant ready", "ApplicantID", applicant.ID)
	return EnsureApplicantResult{ApplicantID: applicant.ID}, nil
}

// UploadDocumentInput is one image for an applicant.
type UploadDocumentInput struct {
	ApplicantID string      `json:"applicantId"`
	Document    KYCDocument `json:"document"`
}

// UploadDocumentResult is IDnGO's id of the uploaded image.
type UploadDocumentResult struct {
	ImageID int64 `json:"imageId"`
}

// UploadDocument sends one image from the document store.
func (a *IDnGO) UploadDocument(ctx context.Context, in UploadDocumentInput) (UploadDocumentResult, error) {
	if a.Client == nil {
		return UploadDocumentResult{}, finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	doc, content, err := a.Store.GetDocument(ctx, in.Document.DocumentID)
	if errors.Is(err, store.ErrNotFound) {
		return UploadDocumentResult{}, invalidFields(validate.FieldErrors{{Field: "documents.documentId",
			Message: "document " + in.Document.DocumentID + " not found in the document store"}})
	}
	if err != nil {
		return UploadDocumentResult{}, err
	}
	meta := idngo.IDDocMetadata{IDDocType: in.Document.IDDocType, IDDocSubType: in.Document.IDDocSubType, Country: in.Document.Country}
	image, err := a.Client.AddIDDocument(ctx, in.ApplicantID, meta, doc.Title, content)
	if idngo.ErrorCodeOf(err) == idngo.ErrCodeDuplicateDocument {
		// A retry of an upload that reached IDnGO the first time: the image is there.
		activity.GetLogger(ctx).Info("document already uploaded", "ApplicantID", in.ApplicantID, "DocumentID", doc.ID)
		return UploadDocumentResult{}, nil
	}
	if err != nil {
		return UploadDocumentResult{}, idngoError(err)
	}
	activity.GetLogger(ctx).Info("document uploaded", "ApplicantID", in.ApplicantID, "DocumentID", doc.ID, "ImageID", image.ImageID)
	return UploadDocumentResult{ImageID: image.ImageID}, nil
}

// SetFixedInfoInput is the applicant's declared data to fix.
type SetFixedInfoInput struct {
	ApplicantID string       `json:"applicantId"`
	Applicant   ApplicantRef `json:"applicant"`
}

// SetFixedInfo patches the applicant's fixedInfo, which IDnGO checks the documents against.
func (a *IDnGO) SetFixedInfo(ctx context.Context, in SetFixedInfoInput) error {
	if a.Client == nil {
		return finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	info, err := a.resolveInfo(ctx, in.Applicant)
	if err != nil || info == nil {
		return err
	}
	_, err = a.Client.PatchFixedInfo(ctx, in.ApplicantID, *info)
	return idngoError(err)
}

// RequestReview moves the applicant to pending. A retry that finds it
// already in review is a success.
func (a *IDnGO) RequestReview(ctx context.Context, applicantID string) error {
	if a.Client == nil {
		return finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	err := a.Client.RequestCheck(ctx, applicantID)
	if err == nil || !idngo.IsConflict(err) {
		return idngoError(err)
	}
	applicant, getErr := a.Client.GetApplicant(ctx, applicantID)
	if getErr == nil && applicant.Review != nil && inReview(applicant.Review.ReviewStatus) {
		return nil
	}
	return idngoError(err)
}

func inReview(status string) bool {
	return slices.Contains([]string{"pending", "queued", "prechecked", "onHold"}, status)
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

// ReadReview reads the applicant's review: the truth that webhooks only announce.
func (a *IDnGO) ReadReview(ctx context.Context, applicantID string) (ReviewState, error) {
	if a.Client == nil {
		return ReviewState{}, finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	applicant, err := a.Client.GetApplicant(ctx, applicantID)
	if err != nil {
		return ReviewState{}, idngoError(err)
	}
	review := applicant.Review
	if review == nil {
		return ReviewState{Status: "init"}, nil
	}
	state := ReviewState{ReviewID: review.ReviewID, AttemptCount: review.AttemptCnt, Status: review.ReviewStatus}
	if r := review.ReviewResult; r != nil {
		state.Answer, state.RejectType, state.RejectLabels, state.ModerationComment =
			r.ReviewAnswer, r.ReviewRejectType, r.RejectLabels, r.ModerationComment
	}
	return state, nil
}

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

// RejectedSteps reads requiredIdDocsStatus and keeps the steps answered RED,
// with their rejected images and moderation comments (never clientComment).
func (a *IDnGO) RejectedSteps(ctx context.Context, applicantID string) (RejectedStepsResult, error) {
	if a.Client == nil {
		return RejectedStepsResult{}, finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	steps, err := a.Client.RequiredIDDocsStatus(ctx, applicantID)
	if err != nil {
		return RejectedStepsResult{}, idngoError(err)
	}
	var out RejectedStepsResult
	for name, st := range steps {
		if st == nil || st.ReviewResult == nil || st.ReviewResult.ReviewAnswer != idngo.AnswerRed {
			continue
		}
		out.Steps = append(out.Steps, rejectedStep(name, st))
	}
	slices.SortFunc(out.Steps, func(x, y RejectedStep) int { return cmp.Compare(x.Step, y.Step) })
	return out, nil
}

func rejectedStep(name string, st *idngo.StepStatus) RejectedStep {
	step := RejectedStep{Step: name, IDDocType: st.IDDocType, Country: st.Country,
		ModerationComment: st.ReviewResult.ModerationComment, RejectLabels: st.ReviewResult.RejectLabels}
	for _, id := range st.ImageIDs {
		image, ok := st.ImageReviewResults[strconv.FormatInt(id, 10)]
		if !ok || image.ReviewAnswer != idngo.AnswerRed {
			continue
		}
		step.RejectedImageIDs = append(step.RejectedImageIDs, id)
		step.RejectLabels = appendMissing(step.RejectLabels, image.RejectLabels...)
		if step.ModerationComment == "" {
			step.ModerationComment = image.ModerationComment
		}
	}
	return step
}

func appendMissing(list []string, items ...string) []string {
	for _, item := range items {
		if !slices.Contains(list, item) {
			list = append(list, item)
		}
	}
	return list
}

// resolveInfo returns the inline data or loads it from the document store.
func (a *IDnGO) resolveInfo(ctx context.Context, ref ApplicantRef) (*idngo.ApplicantInfo, error) {
	info := ref.Info
	if info == nil && ref.InfoDocumentID != "" {
		info = &ApplicantInfo{}
		if err := loadJSON(ctx, a.Store, "applicant", ref.InfoDocumentID, info); err != nil {
			return nil, err
		}
	}
	if info == nil {
		return nil, nil
	}
	return &idngo.ApplicantInfo{FirstName: info.FirstName, LastName: info.LastName, MiddleName: info.MiddleName,
		DOB: info.DOB, Country: info.Country, Phone: info.Phone}, nil
}

// idngoError keeps retryable provider errors as they are and makes final
// ones non-retryable, with IDnGO's own description.
func idngoError(err error) error {
	if err == nil || idngo.IsRetryable(err) {
		return err
	}
	return finalError(ErrTypeProviderRejected, err)
}
