// Package idngo runs the calls of IDnGO KYC verification (the activities
// of workflows/kyc).
package idngo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"idflow/activities/claimcheck"
	"idflow/activities/heartbeat"
	"idflow/internal/pii"
	provider "idflow/internal/providers/idngo"
	"idflow/internal/store"
	"idflow/internal/validate"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
)

// uploadHeartbeat is how often an upload heartbeats (the workflow's
// heartbeat timeout for uploads is three times this).
const uploadHeartbeat = 10 * time.Second

// Activities holds what the IDnGO calls need.
type Activities struct {
	// Client is nil when the worker has no IDnGO credentials.
	Client *provider.Client
	Store  *store.Store
}

// Register puts the activities on a worker (or a test environment) under
// the names the kyc contract gives them.
func Register(r worker.ActivityRegistry, a *Activities) {
	for name, fn := range map[string]any{
		kyc.EnsureApplicantActivity: a.EnsureApplicant,
		kyc.UploadDocumentActivity:  a.UploadDocument,
		kyc.SetFixedInfoActivity:    a.SetFixedInfo,
		kyc.RequestReviewActivity:   a.RequestReview,
		kyc.ReadReviewActivity:      a.ReadReview,
		kyc.RejectedStepsActivity:   a.RejectedSteps,
		kyc.CheckDocumentsActivity:  a.CheckDocuments,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// CheckDocuments makes sure every document is in the document store, so
// that a missing one fails before an applicant is created at IDnGO (and not
// half-way, leaving an orphan applicant). Missing documents are a final
// InvalidInput error naming each; a store failure is retried.
func (a *Activities) CheckDocuments(ctx context.Context, in kyc.CheckDocumentsInput) error {
	var missing validate.FieldErrors
	for i, doc := range in.Documents {
		_, err := a.Store.DocumentInfo(ctx, doc.DocumentID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			missing.Add(fmt.Sprintf("documents[%d].documentId", i), "document "+doc.DocumentID+" not found in the document store")
		case err != nil:
			return err
		}
	}
	if len(missing) > 0 {
		return process.InvalidInput(missing)
	}
	return nil
}

// EnsureApplicant creates the applicant, or finds the one that exists for the
// external user id, so a retried activity never creates two.
func (a *Activities) EnsureApplicant(ctx context.Context, in kyc.EnsureApplicantInput) (kyc.EnsureApplicantResult, error) {
	if a.Client == nil {
		return kyc.EnsureApplicantResult{}, claimcheck.ErrNotConfigured()
	}
	info, err := a.resolveInfo(ctx, in.Applicant)
	if err != nil {
		return kyc.EnsureApplicantResult{}, err
	}
	applicant, err := a.Client.CreateApplicant(ctx, in.LevelName, in.ExternalUserID, info)
	if err != nil {
		return kyc.EnsureApplicantResult{}, idngoError(err)
	}
	activity.GetLogger(ctx).Info("applicant ready", "ApplicantID", applicant.ID)
	return kyc.EnsureApplicantResult{ApplicantID: applicant.ID}, nil
}

// UploadDocument sends one image from the document store.
func (a *Activities) UploadDocument(ctx context.Context, in kyc.UploadDocumentInput) (kyc.UploadDocumentResult, error) {
	if a.Client == nil {
		return kyc.UploadDocumentResult{}, claimcheck.ErrNotConfigured()
	}
	doc, content, err := a.Store.GetDocument(ctx, in.Document.DocumentID)
	if errors.Is(err, store.ErrNotFound) {
		return kyc.UploadDocumentResult{}, process.InvalidInput(validate.FieldErrors{{Field: "documents.documentId",
			Message: "document " + in.Document.DocumentID + " not found in the document store"}})
	}
	if err != nil {
		return kyc.UploadDocumentResult{}, err
	}
	// An image may take minutes to send: heartbeat, so that after a crash
	// the upload is retried within the heartbeat timeout.
	defer heartbeat.Every(ctx, uploadHeartbeat)()
	meta := provider.IDDocMetadata{IDDocType: in.Document.IDDocType, IDDocSubType: in.Document.IDDocSubType, Country: in.Document.Country}
	image, err := a.Client.AddIDDocument(ctx, in.ApplicantID, meta, doc.Title, content)
	if provider.ErrorCodeOf(err) == provider.ErrCodeDuplicateDocument {
		// A retry of an upload that reached IDnGO the first time: the image is there.
		activity.GetLogger(ctx).Info("document already uploaded", "ApplicantID", in.ApplicantID, "DocumentID", doc.ID)
		return kyc.UploadDocumentResult{}, nil
	}
	if err != nil {
		return kyc.UploadDocumentResult{}, idngoError(err)
	}
	activity.GetLogger(ctx).Info("document uploaded", "ApplicantID", in.ApplicantID, "DocumentID", doc.ID, "ImageID", image.ImageID)
	return kyc.UploadDocumentResult{ImageID: image.ImageID}, nil
}

// SetFixedInfo patches the applicant's fixedInfo, which IDnGO checks the documents against.
func (a *Activities) SetFixedInfo(ctx context.Context, in kyc.SetFixedInfoInput) error {
	if a.Client == nil {
		return claimcheck.ErrNotConfigured()
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
func (a *Activities) RequestReview(ctx context.Context, applicantID string) error {
	if a.Client == nil {
		return claimcheck.ErrNotConfigured()
	}
	// A retry must not start a second review: when an earlier attempt's
	// pending went through but its answer was lost, the applicant's current
	// review began after this activity was scheduled (and may be over already).
	if info := activity.GetInfo(ctx); info.Attempt > 1 {
		applicant, err := a.Client.GetApplicant(ctx, applicantID)
		if err != nil {
			return idngoError(err)
		}
		if reviewBegunSince(applicant.Review, info.ScheduledTime) {
			return nil
		}
	}
	err := a.Client.RequestCheck(ctx, applicantID)
	if err == nil || !provider.IsConflict(err) {
		return idngoError(err)
	}
	// Only the applicant's review tells a retry's conflict (in review
	// already) from another: until it is read, the attempt is retried.
	applicant, getErr := a.Client.GetApplicant(ctx, applicantID)
	if getErr != nil {
		return fmt.Errorf("request the check: IDnGO answered %v, and the applicant could not be read to tell why: %w", err, getErr)
	}
	if applicant.Review != nil && inReview(applicant.Review.ReviewStatus) {
		return nil
	}
	return idngoError(err)
}

// reviewBegunSince reports whether the review was created at or after t
// (IDnGO gives seconds: t is taken to its second).
func reviewBegunSince(r *provider.Review, t time.Time) bool {
	if r == nil || r.CreateDate == "" || r.ReviewStatus == "init" {
		return false
	}
	created, err := time.Parse("2006-01-02 15:04:05.999999999", r.CreateDate)
	return err == nil && !created.Before(t.UTC().Truncate(time.Second))
}

func inReview(status string) bool {
	return slices.Contains([]string{"pending", "queued", "prechecked", "onHold"}, status)
}

// ReadReview reads the applicant's review: the truth that webhooks only announce.
func (a *Activities) ReadReview(ctx context.Context, applicantID string) (kyc.ReviewState, error) {
	if a.Client == nil {
		return kyc.ReviewState{}, claimcheck.ErrNotConfigured()
	}
	applicant, err := a.Client.GetApplicant(ctx, applicantID)
	if err != nil {
		return kyc.ReviewState{}, idngoError(err)
	}
	review := applicant.Review
	if review == nil {
		return kyc.ReviewState{Status: "init"}, nil
	}
	state := kyc.ReviewState{ReviewID: review.ReviewID, AttemptCount: review.AttemptCnt, Status: review.ReviewStatus}
	if r := review.ReviewResult; r != nil {
		state.Answer, state.RejectType, state.RejectLabels, state.ModerationComment =
			r.ReviewAnswer, r.ReviewRejectType, r.RejectLabels, r.ModerationComment
	}
	return state, nil
}

// RejectedSteps reads requiredIdDocsStatus and keeps the steps answered RED,
// with their rejected images and moderation comments (never clientComment).
func (a *Activities) RejectedSteps(ctx context.Context, applicantID string) (kyc.RejectedStepsResult, error) {
	if a.Client == nil {
		return kyc.RejectedStepsResult{}, claimcheck.ErrNotConfigured()
	}
	steps, err := a.Client.RequiredIDDocsStatus(ctx, applicantID)
	if err != nil {
		return kyc.RejectedStepsResult{}, idngoError(err)
	}
	var out kyc.RejectedStepsResult
	for name, st := range steps {
		if st == nil || st.ReviewResult == nil || st.ReviewResult.ReviewAnswer != provider.AnswerRed {
			continue
		}
		out.Steps = append(out.Steps, rejectedStep(name, st))
	}
	slices.SortFunc(out.Steps, func(x, y kyc.RejectedStep) int { return cmp.Compare(x.Step, y.Step) })
	return out, nil
}

func rejectedStep(name string, st *provider.StepStatus) kyc.RejectedStep {
	step := kyc.RejectedStep{Step: name, IDDocType: st.IDDocType, Country: st.Country,
		ModerationComment: st.ReviewResult.ModerationComment, RejectLabels: st.ReviewResult.RejectLabels}
	for _, id := range st.ImageIDs {
		image, ok := st.ImageReviewResults[strconv.FormatInt(id, 10)]
		if !ok || image.ReviewAnswer != provider.AnswerRed {
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
func (a *Activities) resolveInfo(ctx context.Context, ref kyc.ApplicantRef) (*provider.ApplicantInfo, error) {
	info := ref.Info
	if info == nil && ref.InfoDocumentID != "" {
		info = &pii.ApplicantInfo{}
		if err := claimcheck.LoadJSON(ctx, a.Store, "applicant", ref.InfoDocumentID, info); err != nil {
			return nil, err
		}
	}
	if info == nil {
		return nil, nil
	}
	return &provider.ApplicantInfo{FirstName: info.FirstName, LastName: info.LastName, MiddleName: info.MiddleName,
		DOB: info.DOB, Country: info.Country, Phone: info.Phone}, nil
}

// idngoError keeps retryable provider errors as they are and makes final
// ones non-retryable, with IDnGO's own description.
func idngoError(err error) error {
	if err == nil || provider.IsRetryable(err) {
		return err
	}
	return process.FinalError(process.ErrTypeProviderRejected, err)
}
