package mandarin

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReplayGuardIsBounded(t *testing.T) {
	g := newReplayGuard(3)
	for i := range 3 {
		assert.True(t, g.use(strconv.Itoa(i)))
	}
	assert.False(t, g.use("0"))
	assert.False(t, g.use("2"))
	assert.True(t, g.use("3"), "evicts 0")
	assert.Len(t, g.seen, 3)
	assert.True(t, g.use("0"), "0 was forgotten")
	assert.False(t, g.use("3"))
}
