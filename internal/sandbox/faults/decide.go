package faults

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"time"
)

// Decision is the fault chosen for one request.
type Decision int

// The possible decisions. None means the request is handled or sent
// normally (apart from any latency).
const (
	None Decision = iota
	Error500
	Error502
	Error429
	Timeout
	Reset
	Lost
	Drop
	Duplicate
	Delay
)

var decisionNames = [...]string{
	None:      "none",
	Error500:  "error500",
	Error502:  "error502",
	Error429:  "error429",
	Timeout:   "timeout",
	Reset:     "reset",
	Lost:      "lost",
	Drop:      "drop",
	Duplicate: "duplicate",
	Delay:     "delay",
}

// String returns the name used as the Stats key, e.g. "error502".
func (d Decision) String() string {
	if d < 0 || int(d) >= len(decisionNames) {
		return "unknown"
	}
	return decisionNames[d]
}

// band is one slice of the unit interval mapped to a decision.
type band struct {
	share    float64
	decision Decision
}

// pick maps p in [0,1) to the decision whose cumulative band contains it.
func pick(p float64, bands []band) Decision {
	upper := 0.0
	for _, b := range bands {
		upper += b.share
		if p < upper {
			return b.decision
		}
	}
	return None
}

var errorKinds = [...]Decision{Error500, Error502, Error429}

// decideInbound chooses the fault and the extra latency for r.
func (in *Injector) decideInbound(r *http.Request) (Decision, time.Duration) {
	d := in.draws("in", r.Method+" "+r.URL.Path)
	s := in.spec
	latency := uniform(d[2], s.Latency)
	decision := pick(unit(d[0]), []band{
		{s.Error, Error500}, // refined below into one of the three codes
		{s.Timeout, Timeout},
		{s.Reset, Reset},
		{s.Lost, Lost},
	})
	if decision == Error500 {
		// A separate draw, so the choice of code is even whatever Error is.
		decision = errorKinds[d[1]%uint64(len(errorKinds))]
	}
	return decision, latency
}

// decideOutbound chooses the fault for an outbound request and, for Delay,
// how long to hold it.
func (in *Injector) decideOutbound(r *http.Request) (Decision, time.Duration) {
	d := in.draws("out", r.Method+" "+r.URL.Path)
	s := in.spec
	decision := pick(unit(d[0]), []band{
		{s.Drop, Drop},
		{s.Duplicate, Duplicate},
		{s.Delay, Delay},
	})
	return decision, uniform(d[1], s.maxDelay())
}

// draws returns four independent pseudo-random numbers for the n-th request
// with this key, n counted per key. Hashing (seed, key, n) instead of reading
// one shared random stream keeps the decisions independent of how
// concurrent requests with different keys interleave.
func (in *Injector) draws(direction, key string) [4]uint64 {
	n := in.next(direction + " " + key)
	h := sha256.New()
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(in.spec.Seed))
	h.Write(buf[:])
	h.Write([]byte(direction + "\x00" + key + "\x00"))
	binary.BigEndian.PutUint64(buf[:], n)
	h.Write(buf[:])
	sum := h.Sum(nil)
	var out [4]uint64
	for i := range out {
		out[i] = binary.BigEndian.Uint64(sum[8*i:])
	}
	return out
}

// next returns how many earlier requests had this key, and counts this one.
func (in *Injector) next(key string) uint64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := in.seq[key]
	in.seq[key] = n + 1
	return n
}

// unit maps u to a float in [0,1) using its top 53 bits.
func unit(u uint64) float64 { return float64(u>>11) / (1 << 53) }

// uniform maps u to a duration in [0, max].
func uniform(u uint64, max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(u % (uint64(max) + 1))
}
