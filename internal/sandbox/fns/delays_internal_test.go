package fns

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestSetPersonDelays: one setting makes every simulated step take d, and
// a negative d (what `IDFLOW_DEV_FNS_DELAY=0` becomes) makes them immediate.
func TestSetPersonDelays(t *testing.T) {
	var cfg Config
	cfg.SetPersonDelays(-1)
	s := newSandbox(cfg)
	for _, d := range []time.Duration{s.cfg.SMEVDelay, s.cfg.InstallDelay, s.cfg.PKCS10Delay, s.cfg.SecretKeyDelay,
		s.cfg.IssueDelay, s.cfg.SignDelay, s.cfg.SignRejectDelay, s.cfg.ExternalActivityDelay} {
		assert.Zero(t, d)
	}
	cfg.SetPersonDelays(3 * time.Second)
	assert.Equal(t, 3*time.Second, newSandbox(cfg).cfg.IssueDelay)
}
