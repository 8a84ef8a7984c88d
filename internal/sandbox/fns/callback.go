package fns

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// CallbackRecord is one callback the sandbox sent or is sending.
type CallbackRecord struct {
	WorkflowID int64
	Type       string // workflow type
	State      string // state of the body (installed included)
	Body       []byte
	Attempts   int  // Attempts counts HTTP deliveries tried.
	Delivered  bool // Delivered is set once an attempt was answered exactly 200.
	Dropped    bool // Dropped is set when the schedule ran out first, or the workflow was removed before delivery.
}

// callbackRecord is the live record with its schedule.
type callbackRecord struct {
	CallbackRecord
	url     string
	attempt int
	due     time.Time
}

// callbackQueue holds one consumer's callbacks, delivered in order by one goroutine.
type callbackQueue struct {
	events  []*callbackRecord
	running bool
}

// Callbacks returns copies of every callback enqueued so far, in order.
func (s *Sandbox) Callbacks() []CallbackRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallbackRecord, len(s.sent))
	for i, c := range s.sent {
		out[i] = c.CallbackRecord
		out[i].Body = bytes.Clone(c.Body)
	}
	return out
}

// CallbacksDelivered counts delivered callbacks of a workflow in a state.
func (s *Sandbox) CallbacksDelivered(workflowID int64, state string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.sent {
		if c.WorkflowID == workflowID && c.State == state && c.Delivered {
			n++
		}
	}
	return n
}

// enqueueCallback queues body for wf's callback URL; the caller holds s.mu.
func (s *Sandbox) enqueueCallback(wf *workflow, state string, body map[string]any) {
	if wf.callback == "" || s.closed {
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		return
	}
	rec := &callbackRecord{CallbackRecord: CallbackRecord{WorkflowID: wf.id, Type: wf.typ, State: state, Body: b}, url: wf.callback}
	s.sent = append(s.sent, rec)
	key := wf.consumer.id
	q, ok := s.queues[key]
	if !ok {
		q = &callbackQueue{}
		s.queues[key] = q
	}
	q.events = append(q.events, rec)
	if !q.running {
		q.running = true
		s.wg.Add(1)
		go s.runQueue(key, q)
	}
}

// runQueue delivers a consumer's callbacks in order until its queue is empty.
func (s *Sandbox) runQueue(key string, q *callbackQueue) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if s.closed || len(q.events) == 0 {
			q.running = false
			q.events = nil
			delete(s.queues, key)
			s.mu.Unlock()
			return
		}
		rec := q.events[0]
		q.events = q.events[1:]
		if s.removedWorkflow(rec.WorkflowID) {
			rec.Dropped = true
			_ = s.save() // the next save retries a failed one
			s.mu.Unlock()
			continue
		}
		s.mu.Unlock()
		s.deliver(rec)
	}
}

// waitUntil sleeps until Config.Clock reaches due; false when closed first.
func (s *Sandbox) waitUntil(due time.Time) bool {
	for s.cfg.Clock().Before(due) {
		select {
		case <-s.ctx.Done():
			return false
		case <-time.After(s.cfg.PollInterval):
		}
	}
	return s.ctx.Err() == nil
}

// deliver posts rec until it is answered 200, the schedule runs out or the sandbox closes.
func (s *Sandbox) deliver(rec *callbackRecord) {
	for {
		if !rec.due.IsZero() && !s.waitUntil(rec.due) {
			return
		}
		s.mu.Lock()
		removed := s.removedWorkflow(rec.WorkflowID)
		if removed {
			rec.Dropped = true
			_ = s.save()
		}
		s.mu.Unlock()
		if removed {
			return
		}
		ok := s.post(rec)
		if s.ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		rec.Attempts++
		last := rec.attempt >= len(s.cfg.RetrySchedule)
		switch {
		case ok:
			rec.Delivered = true
		case last:
			rec.Dropped = true
		default:
			rec.due = s.cfg.Clock().Add(s.cfg.RetrySchedule[rec.attempt])
			rec.attempt++
		}
		_ = s.save() // the attempt is recorded; after a crash between post and here it is made again
		s.mu.Unlock()
		if ok || last {
			return
		}
	}
}

// post makes one attempt; only exactly HTTP 200 counts (L2782).
func (s *Sandbox) post(rec *callbackRecord) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rec.url, bytes.NewReader(rec.Body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}
