// Package faults injects faults into the provider sandboxes, set by a Spec
// and reproducible by its seed, so that a chaos test can prove the worker
// loses nothing and does nothing twice.
//
// Inbound (requests the sandbox serves), Injector.Middleware answers a share
// of requests with 500/502/429 without calling the handler, holds some
// unanswered until the client times out, resets some connections, and lets
// the handler process some whose answer is then lost (the case idempotency
// keys exist for); it can also add a uniform latency to every request.
// Outbound (webhooks the sandbox sends), Injector.Transport drops some while
// reporting 200 OK, sends some twice, and delays some so later ones
// overtake them.
//
// Each decision is a hash of (seed, method and path, number of earlier
// requests with that method and path), so the same seed and the same
// per-key request sequence give the same faults whatever the interleaving of
// concurrent requests.
//
// Counts records the side effects a sandbox performs; its Handler, mounted
// under /_sandbox/counts (never faulted), shows them, their duplicates and
// the injector's fault statistics.
//
// Caveat: Go's http.Transport retries an idempotent request (GET, or one
// with an Idempotency-Key header) that fails on a reused connection before
// any answer, so a Reset or Lost fault may be retried transparently by the
// client and the handler called again with a fresh decision.
package faults
