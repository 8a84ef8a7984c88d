package faults

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve starts a server whose handler counts its calls and answers "ok",
// behind the Middleware of spec.
func serve(t *testing.T, spec Spec) (*httptest.Server, *Injector, *atomic.Int64) {
	t.Helper()
	calls := &atomic.Int64{}
	in := New(spec)
	srv := httptest.NewServer(in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	return srv, in, calls
}

// client opens a fresh connection per request: Go's transport silently
// retries a request that fails on a reused connection, which would hide
// the faults (and call the handler again).
func client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

func post(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	resp, err := c.Post(url, "text/plain", strings.NewReader("payload"))
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestMiddlewareErrors(t *testing.T) {
	srv, in, calls := serve(t, Spec{Seed: 3, Error: 1})
	seen := map[int]int{}
	for i := 0; i < 30; i++ {
		resp, err := post(t, client(5*time.Second), srv.URL+"/applicants")
		require.NoError(t, err)
		seen[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			assert.Equal(t, "1", resp.Header.Get("Retry-After"))
		}
	}
	assert.Len(t, seen, 3)
	for _, code := range []int{500, 502, 429} {
		assert.Positive(t, seen[code], code)
	}
	assert.Zero(t, calls.Load(), "the handler is not called")
	st := in.Stats()
	assert.Equal(t, 30, st["error500"]+st["error502"]+st["error429"])
}

func TestMiddlewareConnectionFaults(t *testing.T) {
	tests := []struct {
		name        string
		spec        Spec
		called      int64
		wantTimeout bool
		wantReset   bool
	}{
		{"timeout", Spec{Timeout: 1, Hang: 5 * time.Second}, 0, true, false},
		{"reset", Spec{Reset: 1}, 0, false, true},
		{"lost", Spec{Lost: 1}, 1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, in, calls := serve(t, tt.spec)
			start := time.Now()
			_, err := post(t, client(200*time.Millisecond), srv.URL+"/applicants")
			require.Error(t, err)
			var netErr net.Error
			timedOut := errors.As(err, &netErr) && netErr.Timeout()
			assert.Equal(t, tt.wantTimeout, timedOut, "error: %v", err)
			assert.Equal(t, tt.wantReset, errors.Is(err, syscall.ECONNRESET), "error: %v", err)
			if !tt.wantTimeout {
				assert.Less(t, time.Since(start), 200*time.Millisecond, "answered at once")
			}
			assert.Equal(t, tt.called, calls.Load(), "handler calls")
			srv.Close() // waits for the handler, so the stats are final
			assert.Equal(t, map[string]int{tt.name: 1}, in.Stats())
		})
	}
}

func TestMiddlewareLatency(t *testing.T) {
	srv, in, calls := serve(t, Spec{Latency: 30 * time.Millisecond})
	resp, err := post(t, client(5*time.Second), srv.URL+"/x")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 1, calls.Load())
	assert.Empty(t, in.Stats(), "latency alone is not a fault")

	// The latency itself: drawn from the decision, within [0, Latency].
	for i := 0; i < 50; i++ {
		_, lat := in.decideInbound(httptest.NewRequest("GET", "/y", nil))
		assert.GreaterOrEqual(t, lat, time.Duration(0))
		assert.LessOrEqual(t, lat, 30*time.Millisecond)
	}
}

func TestMiddlewareSandboxPathsExempt(t *testing.T) {
	srv, in, calls := serve(t, Spec{Error: 1})
	for _, p := range []string{"/_sandbox/counts", "/_sandbox/state", "/idngo/_sandbox/counts"} {
		resp, err := http.Get(srv.URL + p)
		require.NoError(t, err, p)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, p)
	}
	assert.EqualValues(t, 3, calls.Load())
	assert.Empty(t, in.Stats())

	resp, err := http.Get(srv.URL + "/idngo/_sandbox/other")
	require.NoError(t, err)
	resp.Body.Close()
	assert.NotEqual(t, http.StatusOK, resp.StatusCode, "only the listed paths are exempt")
}

func TestMiddlewareNoInboundFaults(t *testing.T) {
	mux := http.NewServeMux()
	for _, spec := range []Spec{{}, {Seed: 9, Drop: 0.5, Delay: 0.5}} {
		assert.Same(t, mux, New(spec).Middleware(mux), spec.String())
	}
}
