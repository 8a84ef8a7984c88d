package faults

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// duplicateGap is how long after the first copy a duplicate is sent.
const duplicateGap = 50 * time.Millisecond

// asyncTimeout bounds each asynchronous send.
const asyncTimeout = 30 * time.Second

// Transport applies the outbound faults to requests sent through base
// (http.DefaultTransport if nil). With no outbound fault in the spec it
// returns base itself. Call Close to wait for the delayed and duplicate
// sends still in flight.
func (in *Injector) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if !in.spec.outboundEnabled() {
		return base
	}
	return &transport{in: in, base: base}
}

type transport struct {
	in   *Injector
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	decision, delay := t.in.decideOutbound(req)
	if decision == None {
		return t.base.RoundTrip(req)
	}
	// Every fault needs the body closed, and the asynchronous ones need it
	// copied: the caller may reuse or close it once RoundTrip returns.
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	t.in.count(decision)
	switch decision {
	case Drop:
		return fakeOK(req), nil
	case Delay:
		t.in.async(func() { t.sendCopy(req, body, delay) })
		return fakeOK(req), nil
	default: // Duplicate
		resp, err := t.base.RoundTrip(withBody(req.Context(), req, body))
		t.in.async(func() { t.sendCopy(req, body, duplicateGap) })
		return resp, err
	}
}

// sendCopy sends a copy of req after a wait. It runs detached from the
// caller, so it uses a context that outlives the original request's, and
// its outcome is discarded: the sender already has its answer.
func (t *transport) sendCopy(req *http.Request, body []byte, after time.Duration) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(req.Context()), asyncTimeout)
	defer cancel()
	if !sleep(ctx, after) {
		return
	}
	resp, err := t.base.RoundTrip(withBody(ctx, req, body))
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// async runs fn in a goroutine that Close waits for. After Close it runs fn
// in the caller instead, so the WaitGroup is never added to while Close is
// waiting on it.
func (in *Injector) async(fn func()) {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		fn()
		return
	}
	in.wg.Add(1)
	in.mu.Unlock()
	go func() {
		defer in.wg.Done()
		fn()
	}()
}

// Close waits for the asynchronous outbound sends (delayed and duplicate
// copies) to finish. Sends faulted after Close run synchronously.
func (in *Injector) Close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	in.wg.Wait()
}

// readBody reads and closes req.Body.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// withBody returns a copy of req carrying ctx and body.
func withBody(ctx context.Context, req *http.Request, body []byte) *http.Request {
	c := req.Clone(ctx)
	c.ContentLength = int64(len(body))
	if len(body) == 0 {
		c.Body, c.GetBody = http.NoBody, nil
		return c
	}
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	c.Body, _ = c.GetBody()
	return c
}

// fakeOK is the answer a sender gets for a dropped or delayed request.
func fakeOK(req *http.Request) *http.Response {
	return &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{},
		Body:       http.NoBody,
		Request:    req,
	}
}
