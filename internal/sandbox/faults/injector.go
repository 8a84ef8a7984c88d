package faults

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Injector applies the faults of a Spec to inbound requests (Middleware) and
// outbound requests (Transport). It is safe for concurrent use.
type Injector struct {
	spec Spec

	mu     sync.Mutex
	seq    map[string]uint64 // requests seen per direction and key
	stats  map[string]int    // faults applied, by Decision name
	closed bool

	wg sync.WaitGroup // asynchronous outbound sends
}

// New returns an Injector for spec. Build spec with ParseSpec to have it
// validated.
func New(spec Spec) *Injector {
	return &Injector{spec: spec, seq: map[string]uint64{}, stats: map[string]int{}}
}

// Spec returns the spec the Injector was built with.
func (in *Injector) Spec() Spec { return in.spec }

// Stats returns how many faults of each kind were applied so far, keyed by
// Decision name ("error500", "timeout", "drop", ...).
func (in *Injector) Stats() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.stats))
	for k, v := range in.stats {
		out[k] = v
	}
	return out
}

func (in *Injector) count(d Decision) {
	if d == None {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stats[d.String()]++
}

// Middleware applies the inbound faults to next. With no inbound fault in the
// spec it returns next itself. Paths starting with /_sandbox/ or ending in
// /_sandbox/counts are never faulted: they are the test's own view.
func (in *Injector) Middleware(next http.Handler) http.Handler {
	if !in.spec.inboundEnabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		decision, latency := in.decideInbound(r)
		if !sleep(r.Context(), latency) {
			return // the client gave up during the latency
		}
		in.count(decision)
		in.apply(decision, w, r, next)
	})
}

func exempt(path string) bool {
	return strings.HasPrefix(path, "/_sandbox/") || strings.HasSuffix(path, "/_sandbox/counts")
}

func (in *Injector) apply(d Decision, w http.ResponseWriter, r *http.Request, next http.Handler) {
	switch d {
	case Error500:
		http.Error(w, "sandbox fault: internal server error", http.StatusInternalServerError)
	case Error502:
		http.Error(w, "sandbox fault: bad gateway", http.StatusBadGateway)
	case Error429:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "sandbox fault: too many requests", http.StatusTooManyRequests)
	case Timeout:
		// The server only notices the client leaving (and cancels the
		// context) once the request body has been read to its end.
		_, _ = io.Copy(io.Discard, r.Body)
		t := time.NewTimer(in.spec.hang())
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		dropConn(w, false)
	case Reset:
		dropConn(w, true)
	case Lost:
		// The handler does its work (and side effects) for real; only its
		// answer is thrown away.
		next.ServeHTTP(discard{header: http.Header{}}, r)
		dropConn(w, false)
	default:
		next.ServeHTTP(w, r)
	}
}

// dropConn closes the client connection without an answer. With reset it
// sets linger 0 first, so the kernel sends RST instead of FIN and the client
// sees "connection reset by peer".
func dropConn(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): ErrAbortHandler makes the
		// server abort the response without writing it.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// sleep waits d or until ctx is done, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// discard is the ResponseWriter a Lost request is handled with: it accepts
// the answer and forgets it.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
func (d discard) Flush()                      {}
