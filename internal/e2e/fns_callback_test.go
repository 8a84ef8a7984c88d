package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"idflow/internal/store"
	"idflow/workflows/fnsregistration"
)

// TestFNSCallbackReachesItsWorkflow: a callback posted, unsigned as FNS
// posts it, to the URL with a workflow's token is stored and signalled to
// that workflow; posted twice, it is delivered once; a URL with an unknown
// token is answered 404.
func TestFNSCallbackReachesItsWorkflow(t *testing.T) {
	sys := startSystem(t, nil)
	st, err := store.Open(context.Background(), sys.databaseURL)
	require.NoError(t, err)
	defer st.Close()
	const workflowID = "fns-registration-e2e-callback"
	token, err := st.NewCallbackToken(context.Background(), "fns", workflowID)
	require.NoError(t, err)
	// A workflow waiting for the callback (no worker runs it: a signal only needs it open).
	_, err = sys.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: workflowID, TaskQueue: "nobody"}, "Waiting")
	require.NoError(t, err)

	body, err := os.ReadFile("../providers/fns/testdata/callback-L2801.json") // identification complete
	require.NoError(t, err)
	post := func(path string) int {
		resp, err := http.Post(sys.info.GatewayURL+path, "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusNotFound, post("/webhooks/fns/unknown-token"))
	assert.Equal(t, http.StatusOK, post("/webhooks/fns/"+token))
	assert.Equal(t, http.StatusOK, post("/webhooks/fns/"+token), "FNS repeats a callback until it is answered 200")

	var got []fnsregistration.Callback
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		got = got[:0]
		iter := sys.client.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(c, err)
			if attrs := ev.GetWorkflowExecutionSignaledEventAttributes(); attrs != nil {
				assert.Equal(c, fnsregistration.CallbackSignal, attrs.GetSignalName())
				var cb fnsregistration.Callback
				require.NoError(c, sys.dc.FromPayloads(attrs.GetInput(), &cb))
				got = append(got, cb)
			}
		}
		assert.Len(c, got, 1)
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, fnsregistration.Callback{FNSWorkflowID: 10909, Type: "identification", State: "complete", ChildID: 10910}, got[0])
	time.Sleep(2 * time.Second) // two dispatcher polls
	assert.Equal(t, 1, eventCount(sys.history(t, workflowID), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
		"the repeat was stored once and delivered once")
}
