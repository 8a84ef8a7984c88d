package e2e

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchFigures are the parts of `starter bench --json` this test reads.
type benchFigures struct {
	Kind           string         `json:"kind"`
	Flows          int            `json:"flows"`
	Failures       map[string]int `json:"failures"`
	FlowsPerSecond float64        `json:"flowsPerSecond"`
	Callbacks      int            `json:"callbacks"`
	EventsMean     float64        `json:"historyEventsMean"`
	StackCPUMS     float64        `json:"stackCpuMsPerFlow"`
	BenchCPUMS     float64        `json:"benchCpuMsPerFlow"`
	Share          float64        `json:"throughputShareOfBaseline"`
	Shape          struct {
		Activities, Updates, Signals, Queries int
	} `json:"shape"`
}

// TestDevBinaryBench runs `starter bench` against `worker -dev`, as the
// README's figures were made: each kind's flows reach their outcome, the
// bare baseline runs their shape, and the figures are there.
func TestDevBinaryBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	b := buildBinaries(t)
	b.startWorker(t, "IDFLOW_DEV_SMEV_DELAY=0", "IDFLOW_DEV_IDNGO_REVIEW_DELAY=0", "IDFLOW_DEV_FNS_DELAY=0")

	id := b.bench(t, "--kind", "identification", "-n", "4", "-c", "2")
	assert.Equal(t, 4, id[0].Shape.Activities, "session, SMS, code, SMEV")
	assert.Equal(t, 1, id[0].Shape.Updates, "the SMS code")
	assert.Zero(t, id[0].Shape.Queries, "nothing waits for a stage")

	fns := b.bench(t, "--kind", "fns-registration", "-n", "2", "-c", "2")
	assert.Equal(t, 2, fns[0].Shape.Updates, "the agent's identification and the scans")
	assert.Positive(t, fns[0].Shape.Queries, "the screen asked the stage before each step")
	assert.Positive(t, fns[0].Callbacks, "FNS's callbacks went through the inbox")
}

// bench runs `starter bench --json` with args and checks what every run
// of a kind shows: its flows and the baseline's all finished, with their
// figures.
func (b *devBinaries) bench(t *testing.T, args ...string) []benchFigures {
	t.Helper()
	stdout, stderr, code := b.starter(t, append([]string{"bench", "--json"}, args...)...)
	require.Equal(t, 0, code, stderr)
	var results []benchFigures
	require.NoError(t, json.Unmarshal([]byte(stdout), &results), stdout)
	require.Len(t, results, 2, "the kind and its bare baseline")
	assert.Equal(t, "bare baseline", results[1].Kind)
	for _, r := range results {
		assert.Empty(t, r.Failures, r.Kind)
		assert.Positive(t, r.FlowsPerSecond, r.Kind)
		assert.Positive(t, r.EventsMean, r.Kind)
		assert.Positive(t, r.StackCPUMS+r.BenchCPUMS, "%s: CPU per flow", r.Kind)
	}
	assert.Equal(t, results[0].Shape, results[1].Shape, "the baseline repeats the shape")
	assert.Positive(t, results[0].Share, "a share of the baseline")
	return results
}
