package idngo

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"idflow/internal/sandbox/sandboxstate"
)

// Name of this sandbox in a state file, and kinds of its stored objects.
const (
	stateSandbox  = "idngo"
	kindApplicant = "applicant" // kindApplicant is an applicant by id: applicantRecord.
	kindWebhook   = "webhook"   // kindWebhook is an undelivered webhook by zero-padded seq: eventRecord.
	kindCounter   = "counter"   // kindCounter is a counter by name: an integer.

	counterImageID = "nextImageID" // counterImageID is the last image id given out.
)

// Open returns a Sandbox with cfg's defaults filled in; it panics on an
// unknown DigestAlg, like New. With cfg.StatePath it opens (or creates) that
// file and loads the applicants saved there; reviews that were scheduled
// are decided at the time they were due (at once when it has passed) and
// undelivered webhooks are sent again, in order, each when its next attempt
// was due. Every later change is written to the file before it is
// answered. Without a StatePath, Open is New.
//
// What is stored: applicants with their images, step and review results
// (the externalUserId index is rebuilt from them), the image id counter, the
// due times of scheduled decisions and of FileMarkerBlacklist reviews, and
// every webhook event not yet delivered or dropped (body, attempts so far,
// next due time; the digest is computed again with the current
// WebhookSecret). WebhookStats are not stored: they count this process's
// deliveries.
func Open(cfg Config) (*Sandbox, error) {
	s := newSandbox(cfg)
	if cfg.StatePath == "" {
		return s, nil
	}
	ctx := context.Background()
	st, err := sandboxstate.Open(ctx, cfg.StatePath, stateSandbox)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("idngo sandbox: %w", err)
	}
	s.mu.Lock()
	err = s.load(ctx, st)
	if err == nil {
		s.state = st
	}
	s.mu.Unlock()
	if err != nil {
		s.Close()
		_ = st.Close()
		return nil, fmt.Errorf("idngo sandbox: load %s: %w", cfg.StatePath, err)
	}
	return s, nil
}

// applicantRecord is an applicant as stored.
type applicantRecord struct {
	ID             string         `json:"id"`
	InspectionID   string         `json:"inspectionId"`
	ExternalUserID string         `json:"externalUserId"`
	LevelName      string         `json:"levelName"`
	CreatedAt      time.Time      `json:"createdAt"`
	Email          string         `json:"email,omitempty"`
	Phone          string         `json:"phone,omitempty"`
	Info           map[string]any `json:"info,omitempty"`
	FixedInfo      map[string]any `json:"fixedInfo,omitempty"`

	Images []imageRecord            `json:"images,omitempty"`
	Steps  map[string]*ReviewResult `json:"steps,omitempty"`

	ReviewID     string        `json:"reviewId"`
	AttemptID    string        `json:"attemptId"`
	AttemptCnt   int           `json:"attemptCnt"`
	ReviewStatus string        `json:"reviewStatus"`
	CreateDate   time.Time     `json:"createDate"`
	ReviewDate   time.Time     `json:"reviewDate"`
	Result       *ReviewResult `json:"result,omitempty"`
	Reviews      int           `json:"reviews"`

	DecisionDue      time.Time `json:"decisionDue"`  // DecisionDue is when the running review is decided; zero for none.
	BlacklistDue     time.Time `json:"blacklistDue"` // BlacklistDue is when the FileMarkerBlacklist review comes; zero for none.
	BlacklistPlanned bool      `json:"blacklistPlanned"`
}

// imageRecord is an image as stored.
type imageRecord struct {
	ID       int64         `json:"id"`
	Step     string        `json:"step"`
	DocType  string        `json:"docType"`
	SubType  string        `json:"subType,omitempty"`
	Country  string        `json:"country"`
	FileName string        `json:"fileName"`
	Digest   string        `json:"digest,omitempty"`
	Size     int           `json:"size"`
	Result   *ReviewResult `json:"result,omitempty"`
}

// eventRecord is an undelivered webhook event as stored.
type eventRecord struct {
	Seq         int64           `json:"seq"`
	ApplicantID string          `json:"applicantId"`
	Type        string          `json:"type"`
	Body        json.RawMessage `json:"body"`
	Attempt     int             `json:"attempt"`
	Due         time.Time       `json:"due"`
}

// record copies the applicant for storing.
func (a *applicant) record() applicantRecord {
	r := applicantRecord{
		ID: a.id, InspectionID: a.inspectionID, ExternalUserID: a.externalUserID, LevelName: a.levelName,
		CreatedAt: a.createdAt, Email: a.email, Phone: a.phone, Info: a.info, FixedInfo: a.fixedInfo,
		Steps:    a.steps,
		ReviewID: a.reviewID, AttemptID: a.attemptID, AttemptCnt: a.attemptCnt, ReviewStatus: a.reviewStatus,
		CreateDate: a.createDate, ReviewDate: a.reviewDate, Result: a.result, Reviews: a.reviews,
		DecisionDue: a.decision.dueTime(), BlacklistDue: a.blacklistTask.dueTime(), BlacklistPlanned: a.blacklistPlanned,
	}
	for _, im := range a.images {
		r.Images = append(r.Images, imageRecord{ID: im.id, Step: im.step, DocType: im.docType, SubType: im.subType,
			Country: im.country, FileName: im.fileName, Size: im.size, Digest: im.digest, Result: im.result})
	}
	return r
}

// applicant rebuilds an applicant, without its scheduled tasks.
func (r applicantRecord) applicant() *applicant {
	a := &applicant{
		id: r.ID, inspectionID: r.InspectionID, externalUserID: r.ExternalUserID, levelName: r.LevelName,
		createdAt: r.CreatedAt, email: r.Email, phone: r.Phone, info: r.Info, fixedInfo: r.FixedInfo,
		steps:    r.Steps,
		reviewID: r.ReviewID, attemptID: r.AttemptID, attemptCnt: r.AttemptCnt, reviewStatus: r.ReviewStatus,
		createDate: r.CreateDate, reviewDate: r.ReviewDate, result: r.Result, reviews: r.Reviews,
		blacklistPlanned: r.BlacklistPlanned,
	}
	if a.steps == nil {
		a.steps = map[string]*ReviewResult{}
	}
	for _, im := range r.Images {
		a.images = append(a.images, &image{id: im.ID, step: im.Step, docType: im.DocType, subType: im.SubType,
			country: im.Country, fileName: im.FileName, size: im.Size, digest: im.Digest, result: im.Result})
	}
	return a
}

// eventKey is the id of an event in the state file; zero-padding makes the
// stored order the enqueueing order.
func eventKey(seq int64) string {
	return fmt.Sprintf("%020d", seq)
}

// eventOp is the write of ev's current state.
func eventOp(ev *webhookEvent) sandboxstate.Op {
	return sandboxstate.Put(kindWebhook, eventKey(ev.seq), eventRecord{
		Seq: ev.seq, ApplicantID: ev.applicantID, Type: ev.typ, Body: ev.body, Attempt: ev.attempt, Due: ev.due,
	})
}

// load fills an empty sandbox from st and then, when all of it was read,
// schedules what was due and starts the webhook queues; the caller holds s.mu.
func (s *Sandbox) load(ctx context.Context, st *sandboxstate.Store) error {
	var recs []applicantRecord
	counters, err := st.Load(ctx, kindCounter)
	if err != nil {
		return err
	}
	for _, r := range counters {
		if r.ID != counterImageID {
			continue
		}
		if err := json.Unmarshal(r.Body, &s.nextImageID); err != nil {
			return fmt.Errorf("counter %s: %w", r.ID, err)
		}
	}
	applicants, err := st.Load(ctx, kindApplicant)
	if err != nil {
		return err
	}
	for _, r := range applicants {
		var rec applicantRecord
		if err := json.Unmarshal(r.Body, &rec); err != nil {
			return fmt.Errorf("applicant %s: %w", r.ID, err)
		}
		recs = append(recs, rec)
	}
	events, err := st.Load(ctx, kindWebhook)
	if err != nil {
		return err
	}
	loaded := make([]*webhookEvent, 0, len(events))
	for _, r := range events {
		var rec eventRecord
		if err := json.Unmarshal(r.Body, &rec); err != nil {
			return fmt.Errorf("webhook %s: %w", r.ID, err)
		}
		s.eventSeq = max(s.eventSeq, rec.Seq)
		loaded = append(loaded, &webhookEvent{seq: rec.Seq, applicantID: rec.ApplicantID, typ: rec.Type,
			body: rec.Body, digest: s.digestOf(rec.Body), attempt: rec.Attempt, due: rec.Due})
	}
	for _, rec := range recs {
		a := rec.applicant()
		s.applicants[a.id] = a
		s.byExternal[a.externalUserID] = a.id
		for _, im := range a.images {
			s.nextImageID = max(s.nextImageID, im.id)
		}
		if !rec.DecisionDue.IsZero() && a.reviewStatus == StatusPending {
			s.scheduleDecision(a, rec.DecisionDue)
		}
		if !rec.BlacklistDue.IsZero() {
			s.scheduleBlacklist(a, rec.BlacklistDue)
		}
	}
	if s.cfg.WebhookURL == "" {
		return nil // no receiver now: the events stay in the file for a later Open that has one
	}
	slices.SortFunc(loaded, func(x, y *webhookEvent) int { return cmp.Compare(x.seq, y.seq) })
	for _, ev := range loaded {
		s.push(ev)
	}
	return nil
}

// persist writes the applicant a (nil for none), the events enqueued since
// the last persist, and extra, in one transaction; the caller holds s.mu.
// Nothing is written without a state file or once the sandbox is closed.
func (s *Sandbox) persist(a *applicant, extra ...sandboxstate.Op) error {
	events := s.unsaved
	s.unsaved = nil
	if s.state == nil || s.closed {
		return nil
	}
	ops := make([]sandboxstate.Op, 0, 1+len(events)+len(extra))
	if a != nil {
		ops = append(ops, sandboxstate.Put(kindApplicant, a.id, a.record()))
	}
	for _, ev := range events {
		ops = append(ops, eventOp(ev))
	}
	ops = append(ops, extra...)
	if err := s.state.Apply(context.Background(), ops...); err != nil {
		return fmt.Errorf("idngo sandbox: save state: %w", err)
	}
	return nil
}

// imageCounterOp is the write of the image id counter; the caller holds s.mu.
func (s *Sandbox) imageCounterOp() sandboxstate.Op {
	return sandboxstate.Put(kindCounter, counterImageID, s.nextImageID)
}

// saveEvent writes ev's retry state; the caller holds s.mu. Errors are dropped (see deliver).
func (s *Sandbox) saveEvent(ev *webhookEvent) {
	if s.state != nil {
		_ = s.state.Apply(context.Background(), eventOp(ev))
	}
}

// forgetEvent deletes ev from the state file; the caller holds s.mu. Errors are dropped (see deliver).
func (s *Sandbox) forgetEvent(ev *webhookEvent) {
	if s.state != nil {
		_ = s.state.Apply(context.Background(), sandboxstate.Delete(kindWebhook, eventKey(ev.seq)))
	}
}
