package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSpecFull(t *testing.T) {
	s, err := ParseSpec("seed=7,error=0.1,latency=20ms,timeout=0.02,hang=5s,reset=0.05,lost=0.05,drop=0.05,duplicate=0.1,delay=0.1,maxdelay=2s")
	require.NoError(t, err)
	assert.Equal(t, Spec{
		Seed: 7, Error: 0.1, Latency: 20 * time.Millisecond, Timeout: 0.02, Hang: 5 * time.Second,
		Reset: 0.05, Lost: 0.05, Drop: 0.05, Duplicate: 0.1, Delay: 0.1, MaxDelay: 2 * time.Second,
	}, s)
	assert.True(t, s.Enabled())
}

func TestParseSpecEmpty(t *testing.T) {
	for _, in := range []string{"", "  ", ","} {
		s, err := ParseSpec(in)
		require.NoError(t, err, in)
		assert.Equal(t, Spec{}, s, in)
		assert.False(t, s.Enabled(), in)
	}
	// A seed alone injects nothing.
	s, err := ParseSpec("seed=3")
	require.NoError(t, err)
	assert.False(t, s.Enabled())
}

func TestParseSpecAll(t *testing.T) {
	s, err := ParseSpec("all=0.3,seed=1")
	require.NoError(t, err)
	assert.InDelta(t, 0.12, s.Error, 1e-12)
	assert.InDelta(t, 0.03, s.Timeout, 1e-12)
	assert.InDelta(t, 0.06, s.Reset, 1e-12)
	assert.InDelta(t, 0.09, s.Lost, 1e-12)
	assert.InDelta(t, 0.3, s.Error+s.Timeout+s.Reset+s.Lost, 1e-12)
	for _, share := range []float64{s.Drop, s.Duplicate, s.Delay} {
		assert.InDelta(t, 0.1, share, 1e-12)
	}

	// Explicit keys win over the shorthand, in either order.
	s, err = ParseSpec("error=0,all=0.3,delay=0.5")
	require.NoError(t, err)
	assert.Zero(t, s.Error)
	assert.InDelta(t, 0.03, s.Timeout, 1e-12)
	assert.Equal(t, 0.5, s.Delay)
	assert.InDelta(t, 0.1, s.Drop, 1e-12)

	// all=1 sums to 1 up to rounding, which is accepted.
	_, err = ParseSpec("all=1")
	require.NoError(t, err)
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		in      string
		mention string // the error must name the culprit
	}{
		{"bogus=1", `"bogus"`},
		{"error", `"error"`},
		{"error=1.5", `"error"`},
		{"error=-0.1", `"error"`},
		{"reset=abc", `"abc"`},
		{"lost=NaN", `"lost"`},
		{"all=2", `"all"`},
		{"latency=fast", `"latency"`},
		{"hang=-1s", `"hang"`},
		{"seed=x", `"seed"`},
		{"error=0.1,error=0.2", `"error"`},
		{"error=0.6,timeout=0.3,reset=0.2", "inbound"},
		{"drop=0.6,delay=0.6", "outbound"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseSpec(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.mention)
		})
	}
}

func TestSpecStringRoundTrip(t *testing.T) {
	for _, in := range []string{
		"",
		"seed=7,error=0.1,latency=20ms,timeout=0.02,hang=5s,reset=0.05,lost=0.05,drop=0.05,duplicate=0.1,delay=0.1,maxdelay=2s",
		"all=0.3,seed=-42",
		"latency=1h30m",
	} {
		s, err := ParseSpec(in)
		require.NoError(t, err, in)
		back, err := ParseSpec(s.String())
		require.NoError(t, err, s.String())
		assert.Equal(t, s, back, s.String())
	}
	assert.Equal(t, "", Spec{}.String())
	assert.Equal(t, "seed=7,error=0.1,hang=5s", Spec{Seed: 7, Error: 0.1, Hang: 5 * time.Second}.String())
}
