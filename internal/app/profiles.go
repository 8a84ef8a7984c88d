package app

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/zap"
)

// serveProfiles serves Go's runtime profiles (CPU, heap, goroutines) on
// addr, on a listener of their own: they tell where the worker spends its
// time (the bench figures in the README come from them) but also show its
// internals, so they are off unless IDFLOW_DEBUG_ADDR is set, need no
// token, and belong on loopback. It returns their URL.
func serveProfiles(addr string, log *zap.Logger, stack *cleanupStack) (string, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("profiles: listen on %s (IDFLOW_DEBUG_ADDR): %w", addr, err)
	}
	srv := &http.Server{Handler: profilesHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(listener) }()
	stack.push("profiles server", srv.Close)
	url := "http://" + listener.Addr().String() + "/debug/pprof/"
	log.Info("profiles served", zap.String("url", url))
	return url, nil
}

func profilesHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also the named profiles: heap, goroutine, allocs…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
