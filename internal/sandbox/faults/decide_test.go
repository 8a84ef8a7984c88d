package faults

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var mixed = Spec{Error: 0.2, Timeout: 0.1, Reset: 0.1, Lost: 0.1, Latency: 10 * time.Millisecond}

// sequence returns the inbound decisions for the requests, in order.
func sequence(in *Injector, requests [][2]string) []Decision {
	out := make([]Decision, len(requests))
	for i, mp := range requests {
		out[i], _ = in.decideInbound(httptest.NewRequest(mp[0], mp[1], nil))
	}
	return out
}

// byKey groups decisions by request key, keeping the per-key order.
func byKey(requests [][2]string, ds []Decision) map[string][]Decision {
	out := map[string][]Decision{}
	for i, mp := range requests {
		k := mp[0] + " " + mp[1]
		out[k] = append(out[k], ds[i])
	}
	return out
}

func TestDecisionsReproducible(t *testing.T) {
	// 200 requests over three keys, and the same requests interleaved
	// differently: per key they are the same sequence.
	var a, b [][2]string
	keys := [][2]string{{"POST", "/a"}, {"GET", "/a"}, {"POST", "/b"}}
	for i := 0; i < 200; i++ {
		a = append(a, keys[i%3])
	}
	for _, k := range keys {
		for i := 0; i < 200; i++ {
			if keys[i%3] == k {
				b = append(b, k)
			}
		}
	}
	seed7 := mixed
	seed7.Seed = 7

	first := sequence(New(seed7), a)
	assert.Equal(t, first, sequence(New(seed7), a), "same seed, same order")
	assert.Equal(t, byKey(a, first), byKey(b, sequence(New(seed7), b)), "same seed, other interleaving")

	seed8 := mixed
	seed8.Seed = 8
	assert.NotEqual(t, first, sequence(New(seed8), a), "another seed")
}

func TestDecisionShares(t *testing.T) {
	in := New(Spec{Seed: 1, Error: 0.3, Timeout: 0.1, Latency: 40 * time.Millisecond})
	const n = 2000
	got := map[Decision]int{}
	latencies := map[time.Duration]bool{}
	for i := 0; i < n; i++ {
		d, lat := in.decideInbound(httptest.NewRequest("POST", "/x", nil))
		got[d]++
		require.GreaterOrEqual(t, lat, time.Duration(0))
		require.LessOrEqual(t, lat, 40*time.Millisecond)
		latencies[lat] = true
	}
	errs := got[Error500] + got[Error502] + got[Error429]
	assert.InDelta(t, 0.3, float64(errs)/n, 0.05)
	assert.InDelta(t, 0.1, float64(got[Timeout])/n, 0.05)
	for _, d := range errorKinds {
		assert.InDelta(t, 0.1, float64(got[d])/n, 0.03, d.String())
	}
	assert.Zero(t, got[Reset]+got[Lost])
	assert.Greater(t, len(latencies), n/2, "latency is uniform, not constant")
}

func TestOutboundDecisionShares(t *testing.T) {
	in := New(Spec{Seed: 2, Drop: 0.2, Duplicate: 0.2, Delay: 0.2, MaxDelay: time.Second})
	const n = 2000
	got := map[Decision]int{}
	for i := 0; i < n; i++ {
		d, delay := in.decideOutbound(httptest.NewRequest("POST", "/hook", nil))
		got[d]++
		require.LessOrEqual(t, delay, time.Second)
	}
	for _, d := range []Decision{Drop, Duplicate, Delay} {
		assert.InDelta(t, 0.2, float64(got[d])/n, 0.05, d.String())
	}
}
