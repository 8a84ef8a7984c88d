package idngo

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// judge decides one image from its file name: forgery, then retry, else GREEN.
func judge(fileName string) *ReviewResult {
	name := strings.ToLower(fileName)
	switch {
	case strings.Contains(name, FileMarkerForgery):
		return forgeryResult()
	case strings.Contains(name, FileMarkerRetry):
		return &ReviewResult{
			ReviewAnswer:      AnswerRed,
			ReviewRejectType:  RejectRetry,
			RejectLabels:      []string{LabelUnsatisfactoryPhotos},
			ModerationComment: ModerationCommentRetry,
			ClientComment:     ClientCommentRetry,
		}
	}
	return &ReviewResult{ReviewAnswer: AnswerGreen}
}

// forgeryResult is the RED/FINAL [FORGERY] verdict.
func forgeryResult() *ReviewResult {
	return &ReviewResult{
		ReviewAnswer:      AnswerRed,
		ReviewRejectType:  RejectFinal,
		RejectLabels:      []string{LabelForgery},
		ModerationComment: ModerationCommentForgery,
		ClientComment:     ClientCommentForgery,
	}
}

// blacklistResult is the RED/FINAL [BLACKLIST] verdict.
func blacklistResult() *ReviewResult {
	return &ReviewResult{
		ReviewAnswer:      AnswerRed,
		ReviewRejectType:  RejectFinal,
		RejectLabels:      []string{LabelBlacklist},
		ModerationComment: ModerationCommentBlacklist,
		ClientComment:     ClientCommentBlacklist,
	}
}

// aggregate combines results: GREEN when all are GREEN, otherwise RED (FINAL
// when any is FINAL) with the union of labels and the distinct comments.
func aggregate(results []*ReviewResult) *ReviewResult {
	out := &ReviewResult{ReviewAnswer: AnswerGreen}
	var moderation, client []string
	for _, r := range results {
		if r == nil || r.ReviewAnswer != AnswerRed {
			continue
		}
		out.ReviewAnswer = AnswerRed
		if out.ReviewRejectType != RejectFinal {
			out.ReviewRejectType = r.ReviewRejectType
		}
		for _, l := range r.RejectLabels {
			if !slices.Contains(out.RejectLabels, l) {
				out.RejectLabels = append(out.RejectLabels, l)
			}
		}
		if r.ModerationComment != "" && !slices.Contains(moderation, r.ModerationComment) {
			moderation = append(moderation, r.ModerationComment)
		}
		if r.ClientComment != "" && !slices.Contains(client, r.ClientComment) {
			client = append(client, r.ClientComment)
		}
	}
	if out.ReviewAnswer == AnswerRed && out.ReviewRejectType == "" {
		out.ReviewRejectType = RejectRetry
	}
	out.ModerationComment = strings.Join(moderation, " ")
	out.ClientComment = strings.Join(client, " ")
	return out
}

// startAttempt begins a new review attempt; the caller holds s.mu.
func (s *Sandbox) startAttempt(a *applicant) {
	a.attemptCnt++
	a.attemptID = newShortID()
	a.reviewID = newShortID()
	a.createDate = s.cfg.Clock()
	a.reviewDate = time.Time{}
	a.result = nil
}

// submit moves the applicant to pending and schedules the verdict; the caller
// holds s.mu and has checked that the applicant may be submitted.
func (s *Sandbox) submit(a *applicant) {
	s.startAttempt(a)
	s.cfg.Counts.Add(CountReview, fmt.Sprintf("%s/%d", a.id, a.attemptCnt))
	a.reviewStatus = StatusPending
	s.enqueueWebhook(a, WebhookApplicantPending)
	s.scheduleDecision(a, s.cfg.Clock().Add(s.cfg.ReviewDelay))
}

// scheduleDecision makes the review engine decide the running attempt at
// due; the caller holds s.mu. The decision is saved with its outcome; a
// failed write is not reported (the whole applicant is written again with
// its next change).
func (s *Sandbox) scheduleDecision(a *applicant, due time.Time) {
	attemptID := a.attemptID
	a.decision = s.schedule(due, func() {
		if a.reviewStatus != StatusPending || a.attemptID != attemptID {
			return
		}
		a.decision = nil
		s.decide(a)
		_ = s.persist(a)
	})
}

// scheduleBlacklist gives the applicant its FileMarkerBlacklist review at
// due; the caller holds s.mu. It is saved like a decision.
func (s *Sandbox) scheduleBlacklist(a *applicant, due time.Time) {
	a.blacklistTask = s.schedule(due, func() {
		a.blacklistTask = nil
		s.blacklist(a)
		_ = s.persist(a)
	})
}

// decide is the review engine's verdict on the running attempt; the caller
// holds s.mu. Images judged by an earlier review keep their result; images
// uploaded since are judged now.
func (s *Sandbox) decide(a *applicant) {
	fraud := a.fraud()
	blacklisted := false
	var stepResults []*ReviewResult
	for _, step := range levels[a.levelName].steps {
		_, _, active := a.stepImages(step)
		if len(active) == 0 {
			continue
		}
		var results []*ReviewResult
		for _, im := range active {
			if im.result == nil {
				im.result = judge(im.fileName)
			}
			if fraud && step == StepIdentity {
				im.result = forgeryResult()
			}
			if strings.Contains(strings.ToLower(im.fileName), FileMarkerBlacklist) {
				blacklisted = true
			}
			results = append(results, im.result)
		}
		a.steps[step] = aggregate(results)
		stepResults = append(stepResults, a.steps[step])
	}
	res := aggregate(stepResults)
	s.complete(a, res)
	if res.ReviewAnswer == AnswerGreen && blacklisted && !a.blacklistPlanned {
		a.blacklistPlanned = true
		s.scheduleBlacklist(a, s.cfg.Clock().Add(BlacklistFactor*s.cfg.ReviewDelay))
	}
}

// complete records a finished review and sends applicantReviewed; the caller holds s.mu.
func (s *Sandbox) complete(a *applicant, res *ReviewResult) {
	a.reviewStatus = StatusCompleted
	a.result = res
	a.reviewDate = s.cfg.Clock()
	a.reviews++
	s.enqueueWebhook(a, WebhookApplicantReviewed)
}

// blacklist gives the applicant a later RED/FINAL [BLACKLIST] review; the
// caller holds s.mu. Step results are left as they were: the documents are
// fine, the person is not.
func (s *Sandbox) blacklist(a *applicant) {
	s.cancelTask(a.decision)
	a.decision = nil
	s.cancelTask(a.blacklistTask)
	a.blacklistTask = nil
	a.blacklistPlanned = true
	if a.reviewStatus == StatusInit {
		s.startAttempt(a)
	} else {
		a.reviewID = newShortID()
	}
	s.complete(a, blacklistResult())
}

// testCompletedBody is the body of POST .../status/testCompleted.
type testCompletedBody struct {
	ReviewAnswer      string   `json:"reviewAnswer"`
	ReviewRejectType  string   `json:"reviewRejectType"`
	RejectLabels      []string `json:"rejectLabels"`
	ModerationComment string   `json:"moderationComment"`
	ClientComment     string   `json:"clientComment"`
}

// testCompleted sets a review by hand; the caller holds s.mu and validated in.
// A running review is completed with it; otherwise a new attempt is started
// and completed at once. Every active image and every step with images gets
// the same result.
func (s *Sandbox) testCompleted(a *applicant, in testCompletedBody) {
	if a.reviewStatus == StatusPending {
		s.cancelTask(a.decision)
		a.decision = nil
	} else {
		s.startAttempt(a)
	}
	res := &ReviewResult{ReviewAnswer: in.ReviewAnswer}
	if in.ReviewAnswer == AnswerRed {
		res.ReviewRejectType = in.ReviewRejectType
		res.RejectLabels = slices.Clone(in.RejectLabels)
		res.ModerationComment = in.ModerationComment
		res.ClientComment = in.ClientComment
	}
	for _, step := range levels[a.levelName].steps {
		_, _, active := a.stepImages(step)
		if len(active) == 0 {
			continue
		}
		for _, im := range active {
			im.result = res.clone()
		}
		a.steps[step] = res.clone()
	}
	s.complete(a, res)
}
