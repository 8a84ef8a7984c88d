package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestZeroDevDelayMeansAtOnce(t *testing.T) {
	assert.Negative(t, sandboxDelay(0), "0 is at once, not the sandbox's 2 s default")
	assert.Equal(t, 20*time.Second, sandboxDelay(20*time.Second))
}
