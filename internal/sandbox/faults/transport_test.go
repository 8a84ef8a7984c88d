package faults

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receiver is a webhook target that records the bodies it receives.
type receiver struct {
	mu     sync.Mutex
	bodies []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, string(b))
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted) // tells a real answer from the fake 200
}

func (rc *receiver) received() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...)
}

func startReceiver(t *testing.T) (*httptest.Server, *receiver) {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv, rc
}

func send(t *testing.T, ctx context.Context, rt http.RoundTripper, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := (&http.Client{Transport: rt}).Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// assertFakeOK checks the answer is the injector's own 200, not the server's.
func assertFakeOK(t *testing.T, resp *http.Response) {
	t.Helper()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 0, resp.ContentLength)
	require.NotNil(t, resp.Request)
	assert.Equal(t, http.MethodPost, resp.Request.Method)
}

func TestTransportDrop(t *testing.T) {
	srv, rc := startReceiver(t)
	in := New(Spec{Drop: 1})
	resp := send(t, context.Background(), in.Transport(nil), srv.URL+"/hook", "event-1")
	assertFakeOK(t, resp)
	in.Close()
	assert.Empty(t, rc.received(), "a dropped request never arrives")
	assert.Equal(t, map[string]int{"drop": 1}, in.Stats())
}

func TestTransportDuplicate(t *testing.T) {
	srv, rc := startReceiver(t)
	in := New(Spec{Duplicate: 1})
	resp := send(t, context.Background(), in.Transport(nil), srv.URL+"/hook", "event-1")
	assert.Equal(t, http.StatusAccepted, resp.StatusCode, "the first copy is really sent")
	in.Close()
	assert.Equal(t, []string{"event-1", "event-1"}, rc.received())
	assert.Equal(t, map[string]int{"duplicate": 1}, in.Stats())
}

func TestTransportDelay(t *testing.T) {
	srv, rc := startReceiver(t)
	in := New(Spec{Seed: 5, Delay: 1, MaxDelay: 200 * time.Millisecond})
	// The sender's context ends as soon as it has its answer; the delayed
	// copy must be delivered all the same.
	ctx, cancel := context.WithCancel(context.Background())
	resp := send(t, ctx, in.Transport(nil), srv.URL+"/hook", "event-1")
	cancel()
	assertFakeOK(t, resp)
	in.Close()
	assert.Equal(t, []string{"event-1"}, rc.received())
	assert.Equal(t, map[string]int{"delay": 1}, in.Stats())
}

func TestTransportDelayReorders(t *testing.T) {
	srv, rc := startReceiver(t)
	// Delay half of the requests: some later requests arrive first.
	in := New(Spec{Seed: 11, Delay: 0.5, MaxDelay: 300 * time.Millisecond})
	rt := in.Transport(nil)
	var sent []string
	for i := 0; i < 10; i++ {
		body := string(rune('a' + i))
		send(t, context.Background(), rt, srv.URL+"/hook", body)
		sent = append(sent, body)
	}
	in.Close()
	got := rc.received()
	assert.ElementsMatch(t, sent, got, "nothing lost, nothing doubled")
	assert.NotEqual(t, sent, got, "the order changed")
}

func TestTransportNoOutboundFaults(t *testing.T) {
	base := &http.Transport{}
	assert.Same(t, base, New(Spec{}).Transport(base))
	assert.Same(t, base, New(Spec{Error: 1}).Transport(base), "inbound faults only")
	assert.Equal(t, http.DefaultTransport, New(Spec{}).Transport(nil))

	srv, rc := startReceiver(t)
	in := New(Spec{})
	resp := send(t, context.Background(), in.Transport(nil), srv.URL+"/hook", "event-1")
	in.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, []string{"event-1"}, rc.received())
}

func TestTransportAfterClose(t *testing.T) {
	srv, rc := startReceiver(t)
	in := New(Spec{Delay: 1, MaxDelay: time.Millisecond})
	in.Close()
	send(t, context.Background(), in.Transport(nil), srv.URL+"/hook", "late")
	// After Close the delayed send runs in the caller, so it is done.
	assert.Equal(t, []string{"late"}, rc.received())
}
