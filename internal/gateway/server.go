package gateway

import (
	"net/http"
	"time"
)

// Timeouts bound how long the gateway keeps a connection; zero fields take
// the defaults shown.
type Timeouts struct {
	ReadHeader time.Duration // 10s: the request line and headers
	Read       time.Duration // 10m: a whole request, body included (a large document on a slow link)
	Write      time.Duration // 10m: a whole response (a large document)
	Idle       time.Duration // 2m: a keep-alive connection between requests
	// Webhook bounds reading a webhook body (5s): it must be read whole
	// before its signature can be checked, so a slow sender must not hold
	// the connection for the whole Read timeout.
	Webhook time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&t.ReadHeader, 10*time.Second)
	def(&t.Read, 10*time.Minute)
	def(&t.Write, 10*time.Minute)
	def(&t.Idle, 2*time.Minute)
	def(&t.Webhook, 5*time.Second)
	return t
}

// maxHeaderBytes bounds the request headers (the standard default is 1 MiB).
const maxHeaderBytes = 64 << 10

// Server is an HTTP server for the gateway with its timeouts set.
func (g *Gateway) Server() *http.Server {
	t := g.deps.Timeouts.withDefaults()
	return &http.Server{
		Handler:           g.Handler(),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    maxHeaderBytes,
		TLSConfig:         g.deps.TLS,
	}
}
