package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"idflow/internal/store"
	"idflow/internal/store/storetest"
)

var secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a test secret of thirty-two bytes"))

// receiver answers 500 to its first failures requests, then 204; it keeps
// every verified body it acknowledged.
type receiver struct {
	t        *testing.T
	verify   *standardwebhooks.Webhook
	mu       sync.Mutex
	failures int
	seen     int
	acked    []Payload
	ids      map[string]int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	require.NoError(r.t, err)
	assert.NoError(r.t, r.verify.Verify(body, req.Header), "signed per Standard Webhooks")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	if r.seen <= r.failures {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var p Payload
	assert.NoError(r.t, json.Unmarshal(body, &p))
	r.acked = append(r.acked, p)
	r.ids[req.Header.Get("webhook-id")]++
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) snapshot() ([]Payload, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Payload(nil), r.acked...), r.seen
}

func TestEachChangeIsDeliveredOnceAfterTheReceiverFails(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, storetest.SQLiteURL(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	verify, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	recv := &receiver{t: t, verify: verify, failures: 4, ids: map[string]int{}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)

	d, err := New(st, srv.URL, secret, zaptest.NewLogger(t), Options{Poll: 20 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	for v := int64(1); v <= 3; v++ {
		for _, id := range []string{"prf-a", "prf-b"} {
			_, err := st.RecordProofingStatus(ctx, store.Proofing{ProofingID: id, DeviceReferenceID: "dev", WorkflowID: "wf",
				Status: []byte(`{"pending":{}}`), Version: v}, true)
			require.NoError(t, err)
		}
		d.Notify()
	}
	require.Eventually(t, func() bool { acked, _ := recv.snapshot(); return len(acked) >= 6 }, 30*time.Second, 10*time.Millisecond)
	time.Sleep(200 * time.Millisecond) // several more polls: nothing acknowledged is sent again
	acked, seen := recv.snapshot()
	cancel()
	<-done

	assert.Len(t, acked, 6, "once per change")
	assert.GreaterOrEqual(t, seen, 10, "the four failures were retried")
	order := map[string][]string{}
	for _, p := range acked {
		order[p.ProofingID] = append(order[p.ProofingID], p.SequenceNumber)
	}
	assert.Equal(t, []string{"1", "2", "3"}, order["prf-a"], "in sequence order")
	assert.Equal(t, []string{"1", "2", "3"}, order["prf-b"])
	for id, n := range recv.ids {
		assert.Equal(t, 1, n, "webhook-id %s acknowledged once", id)
	}
	due, err := st.DueProofingNotifications(context.Background(), time.Now().Add(time.Hour), 10)
	require.NoError(t, err)
	assert.Empty(t, due)
}

func TestBackoffGrowsToItsCap(t *testing.T) {
	d := &Dispatcher{opts: Options{MinBackoff: time.Second, MaxBackoff: 10 * time.Minute}}
	assert.InDelta(t, float64(time.Second), float64(d.backoff(0)), float64(time.Second/5))
	assert.InDelta(t, float64(8*time.Second), float64(d.backoff(3)), float64(8*time.Second/5))
	assert.LessOrEqual(t, d.backoff(40), 12*time.Minute)
	assert.GreaterOrEqual(t, d.backoff(40), 10*time.Minute)
}
