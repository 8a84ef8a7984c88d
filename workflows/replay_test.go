package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/codec"
	"idflow/internal/codec/codectest"
	"idflow/internal/config"
	"idflow/internal/subject"
)

// TestReplayRecordedHistories replays histories recorded from real runs
// (make record-histories) against today's workflow code: a change that would
// break workflows already running fails here, before it ships. Histories
// recorded before payload encryption are plaintext; later ones are sealed
// with the end-to-end tests' fixed key: both replay.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories")
	ring, err := config.ParseKeyRing(codectest.Keys, "")
	require.NoError(t, err)
	dc := codec.NewDataConverter(&codec.Ring{Master: ring})
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc,
				FailureConverter: codec.FailureConverter(dc), ContextPropagators: []workflow.ContextPropagator{subject.Propagator()}})
			require.NoError(t, err)
			Register(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}
