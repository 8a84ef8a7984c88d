package idngo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// maxWebhookAnswer bounds how much of a receiver's answer is read.
const maxWebhookAnswer = 64 << 10

// WebhookStat counts the deliveries of one webhook type.
type WebhookStat struct {
	Enqueued  int // Enqueued counts events queued, duplicates included.
	Attempts  int // Attempts counts HTTP deliveries tried.
	Delivered int // Delivered counts attempts answered 2xx.
	Failed    int // Failed counts attempts that failed (network error, non-2xx, timeout).
	Dropped   int // Dropped counts events given up after the last retry.
}

// webhookPayload is the body of every webhook; it carries no personal data.
type webhookPayload struct {
	ApplicantID    string        `json:"applicantId"`
	InspectionID   string        `json:"inspectionId"`
	ApplicantType  string        `json:"applicantType"`
	CorrelationID  string        `json:"correlationId"`
	LevelName      string        `json:"levelName"`
	SandboxMode    bool          `json:"sandboxMode"`
	ExternalUserID string        `json:"externalUserId"`
	Type           string        `json:"type"`
	ReviewStatus   string        `json:"reviewStatus"`
	ReviewResult   *ReviewResult `json:"reviewResult,omitempty"`
	CreatedAtMs    string        `json:"createdAtMs"`
}

// webhookEvent is one signed webhook ready to send.
type webhookEvent struct {
	seq         int64 // seq orders the events; it is their id in the state file.
	applicantID string
	typ         string
	body        []byte
	digest      string
	attempt     int       // attempt is the number of deliveries tried so far.
	due         time.Time // due is when the next delivery is tried, by Config.Clock; zero means at once.
}

// webhookQueue holds one applicant's events, delivered in order by one goroutine.
type webhookQueue struct {
	events  []*webhookEvent
	running bool
}

// WebhookStats returns a copy of the delivery counters per webhook type.
func (s *Sandbox) WebhookStats() map[string]WebhookStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]WebhookStat, len(s.stats))
	for typ, st := range s.stats {
		out[typ] = *st
	}
	return out
}

// WebhooksInFlight returns how many webhook events are queued or being delivered.
func (s *Sandbox) WebhooksInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.queues {
		n += len(q.events)
		if q.running {
			n++ // the one being delivered, counted while its goroutine runs
		}
	}
	return n
}

// stat returns the counters of a type; the caller holds s.mu.
func (s *Sandbox) stat(typ string) *WebhookStat {
	st, ok := s.stats[typ]
	if !ok {
		st = &WebhookStat{}
		s.stats[typ] = st
	}
	return st
}

// newDigest returns the HMAC constructor of the configured algorithm.
func (s *Sandbox) newDigest() func() hash.Hash {
	switch s.cfg.DigestAlg {
	case DigestSHA1:
		return sha1.New
	case DigestSHA512:
		return sha512.New
	}
	return sha256.New
}

// enqueueWebhook queues a webhook of type typ about a; the caller holds s.mu.
func (s *Sandbox) enqueueWebhook(a *applicant, typ string) {
	if s.cfg.WebhookURL == "" || s.closed {
		return
	}
	payload := webhookPayload{
		ApplicantID:    a.id,
		InspectionID:   a.inspectionID,
		ApplicantType:  "individual",
		CorrelationID:  "req-" + uuid.NewString(),
		LevelName:      a.levelName,
		SandboxMode:    true,
		ExternalUserID: a.externalUserID,
		Type:           typ,
		ReviewStatus:   a.reviewStatus,
		CreatedAtMs:    s.cfg.Clock().UTC().Format(dateTimeMsLayout),
	}
	if typ == WebhookApplicantReviewed {
		payload.ReviewResult = a.result.clone()
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return // cannot happen: the payload holds strings only
	}
	copies := 1
	if typ == WebhookApplicantReviewed && s.cfg.DuplicateWebhooks {
		copies = 2
	}
	for range copies {
		s.eventSeq++
		ev := &webhookEvent{seq: s.eventSeq, applicantID: a.id, typ: typ, body: body, digest: s.digestOf(body)}
		s.push(ev)
		s.stat(typ).Enqueued++
		if s.state != nil {
			s.unsaved = append(s.unsaved, ev)
		}
	}
}

// digestOf returns the X-Payload-Digest of body.
func (s *Sandbox) digestOf(body []byte) string {
	mac := hmac.New(s.newDigest(), []byte(s.cfg.WebhookSecret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// push appends ev to its applicant's queue, starting the queue's delivery
// goroutine when needed; the caller holds s.mu.
func (s *Sandbox) push(ev *webhookEvent) {
	q, ok := s.queues[ev.applicantID]
	if !ok {
		q = &webhookQueue{}
		s.queues[ev.applicantID] = q
	}
	q.events = append(q.events, ev)
	if !q.running {
		q.running = true
		s.wg.Add(1)
		go s.runQueue(ev.applicantID, q)
	}
}

// runQueue delivers an applicant's events in order until its queue is empty.
func (s *Sandbox) runQueue(applicantID string, q *webhookQueue) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if s.closed || len(q.events) == 0 {
			q.running = false
			q.events = nil
			delete(s.queues, applicantID)
			s.mu.Unlock()
			return
		}
		ev := q.events[0]
		q.events = q.events[1:]
		s.mu.Unlock()
		s.deliver(ev)
	}
}

// deliver sends ev, retrying on the schedule, until it is answered 2xx, the
// schedule runs out or the sandbox closes. It starts with attempt ev.attempt
// at ev.due, which a reopened sandbox may have loaded. With a state file,
// each failed attempt saves the next one's number and due time, and a
// delivered or dropped event is deleted; a failed write is not reported
// (the event is then sent again, or again dropped, after a reopen).
func (s *Sandbox) deliver(ev *webhookEvent) {
	for {
		if wait := ev.due.Sub(s.cfg.Clock()); !ev.due.IsZero() && wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-s.ctx.Done():
				timer.Stop()
				return
			}
		}
		ok := s.post(ev)
		if s.ctx.Err() != nil {
			if ok {
				s.mu.Lock()
				s.forgetEvent(ev) // delivered: not to be sent again after a reopen
				s.mu.Unlock()
			}
			return
		}
		i := ev.attempt
		last := i >= len(s.cfg.RetrySchedule)
		s.mu.Lock()
		st := s.stat(ev.typ)
		st.Attempts++
		switch {
		case ok:
			st.Delivered++
		case last:
			st.Failed++
			st.Dropped++
		default:
			st.Failed++
		}
		if ok || last {
			s.forgetEvent(ev)
			s.mu.Unlock()
			return
		}
		ev.attempt, ev.due = i+1, s.cfg.Clock().Add(s.cfg.RetrySchedule[i])
		s.saveEvent(ev)
		s.mu.Unlock()
	}
}

// post makes one delivery attempt and reports whether it was answered 2xx in time.
func (s *Sandbox) post(ev *webhookEvent) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(ev.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Payload-Digest", ev.digest)
	req.Header.Set("X-Payload-Digest-Alg", s.cfg.DigestAlg)
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookAnswer))
	_ = resp.Body.Close()
	return err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300
}
