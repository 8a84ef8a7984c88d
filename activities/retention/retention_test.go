package retention

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/timestamppb"

	"idflow/internal/config"
	"idflow/internal/store"
	"idflow/internal/store/storetest"
	"idflow/workflows/retention"
)

// fakeTemporal answers DescribeWorkflowExecution from a table: a close
// time, or running when zero.
type fakeTemporal struct {
	client.Client
	closed map[string]time.Time
}

func (f fakeTemporal) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	at, ok := f.closed[id]
	if !ok {
		return nil, serviceerror.NewNotFound("gone")
	}
	info := &workflowpb.WorkflowExecutionInfo{Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
	if !at.IsZero() {
		info.Status, info.CloseTime = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, timestamppb.New(at)
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: info}, nil
}

func TestEraseExpiredKeepsWhatIsRecentOrRunning(t *testing.T) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), storetest.SQLiteURL(t), store.WithMasterKeys(config.KeyRing{Active: "k", Keys: map[string][]byte{"k": key}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	now := time.Now()
	for _, d := range []struct{ owner, subject string }{{"old-1", "p-old"}, {"old-2", "p-old"}, {"recent", "p-recent"},
		{"running", "p-running"}, {"old-3", "p-mixed"}, {"running-2", "p-mixed"}} {
		_, err := st.PutDocument(context.Background(), store.NewDocument{Owner: d.owner, Subject: d.subject, Title: "scan", Content: []byte("scan of " + d.owner)})
		require.NoError(t, err)
	}
	temporal := fakeTemporal{closed: map[string]time.Time{"old-1": now.Add(-48 * time.Hour), "recent": now.Add(-time.Hour),
		"running": {}, "old-3": now.Add(-48 * time.Hour), "running-2": {}}} // old-2 is gone from Temporal: long closed
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := &Activities{Store: st, Temporal: temporal}
	Register(env, a)
	v, err := env.ExecuteActivity(retention.EraseExpiredActivity, retention.EraseExpiredInput{Before: now.Add(-24 * time.Hour)})
	require.NoError(t, err)
	var out retention.Result
	require.NoError(t, v.Get(&out))
	assert.Equal(t, 4, out.Checked)
	assert.Empty(t, out.Erased, "every document was stored just now: nothing is past retention yet")

	// A day and more later (as the retention sees it), the subject whose
	// workflows all closed long ago, or are gone, is erased.
	temporal.closed["recent"] = now.Add(24 * time.Hour)
	v, err = env.ExecuteActivity(retention.EraseExpiredActivity, retention.EraseExpiredInput{Before: now.Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, v.Get(&out))
	assert.Equal(t, []string{"p-old"}, out.Erased)
	left, err := st.ListSubjects(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"p-mixed", "p-recent", "p-running"}, left)
}
