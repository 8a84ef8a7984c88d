package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store/storetest"
)

func status(v int64) []byte { return fmt.Appendf(nil, `{"pending":{},"v":%d}`, v) }

func TestProofingProjectionNeverGoesBackwards(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		created, isNew, err := s.CreateProofing(ctx, Proofing{ProofingID: "prf-1", DeviceReferenceID: "dev-1", WorkflowID: "onboarding-prf-1"})
		require.NoError(t, err)
		assert.True(t, isNew)
		assert.JSONEq(t, `{"pending":{}}`, string(created.Status))
		again, isNew, err := s.CreateProofing(ctx, Proofing{ProofingID: "prf-1", DeviceReferenceID: "dev-other"})
		require.NoError(t, err)
		assert.False(t, isNew, "a proofing is created once")
		assert.Equal(t, "dev-1", again.DeviceReferenceID, "the first device stays")

		// Out of order and repeated: 3, 1, 2, 3 leaves 3.
		for i, v := range []int64{3, 1, 2, 3} {
			applied, err := s.RecordProofingStatus(ctx, Proofing{ProofingID: "prf-1", DeviceReferenceID: "dev-1",
				WorkflowID: "onboarding-prf-1", Status: status(v), Version: v}, false)
			require.NoError(t, err)
			assert.Equal(t, i == 0, applied, "version %d (write %d)", v, i)
		}
		got, err := s.GetProofing(ctx, "prf-1")
		require.NoError(t, err)
		assert.Equal(t, int64(3), got.Version)
		assert.JSONEq(t, string(status(3)), string(got.Status))
		assert.Equal(t, "dev-1", got.DeviceReferenceID)

		_, err = s.GetProofing(ctx, "prf-unknown")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.RecordProofingStatus(ctx, Proofing{ProofingID: "prf-1", Status: []byte("{"), Version: 4}, false)
		assert.ErrorIs(t, err, ErrInvalid)
	})
}

func TestProofingProjectionUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		var wg sync.WaitGroup
		applied := make([]bool, 21)
		for v := int64(20); v >= 1; v-- { // a first write may arrive without a CreateProofing
			wg.Go(func() {
				ok, err := s.RecordProofingStatus(ctx, Proofing{ProofingID: "prf-c", DeviceReferenceID: "dev", WorkflowID: "wf",
					Status: status(v), Version: v}, true)
				assert.NoError(t, err)
				applied[v] = ok
			})
		}
		wg.Wait()
		got, err := s.GetProofing(ctx, "prf-c")
		require.NoError(t, err)
		assert.Equal(t, int64(20), got.Version, "the highest version wins whatever the order")
		assert.True(t, applied[20])
		var notes int
		require.NoError(t, s.db.GetContext(ctx, &notes, "SELECT COUNT(*) FROM proofing_notifications"))
		n := 0
		for _, ok := range applied {
			if ok {
				n++
			}
		}
		assert.Equal(t, n, notes, "one notification per applied change, none for a refused one")
	})
}

func TestProofingNotificationsGoOutInOrder(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		for v := int64(1); v <= 3; v++ {
			_, err := s.RecordProofingStatus(ctx, Proofing{ProofingID: "prf-n", DeviceReferenceID: "dev", WorkflowID: "wf",
				Status: status(v), Version: v}, true)
			require.NoError(t, err)
		}
		_, err := s.RecordProofingStatus(ctx, Proofing{ProofingID: "prf-quiet", DeviceReferenceID: "dev", WorkflowID: "wf",
			Status: status(1), Version: 1}, false)
		require.NoError(t, err)

		now := time.Now().Add(time.Second)
		due, err := s.DueProofingNotifications(ctx, now, 10)
		require.NoError(t, err)
		require.Len(t, due, 1, "one at a time per proofing; none without notify")
		assert.Equal(t, int64(1), due[0].Sequence)

		require.NoError(t, s.MarkProofingNotificationRetry(ctx, due[0].ID, "receiver answered 500", now.Add(time.Minute)))
		due, err = s.DueProofingNotifications(ctx, now, 10)
		require.NoError(t, err)
		assert.Empty(t, due, "sequence 2 waits for 1")

		due, err = s.DueProofingNotifications(ctx, now.Add(2*time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, 1, due[0].Attempts)
		assert.Equal(t, "receiver answered 500", due[0].LastError)
		require.NoError(t, s.MarkProofingNotificationDelivered(ctx, due[0].ID, now))
		assert.ErrorIs(t, s.MarkProofingNotificationRetry(ctx, due[0].ID, "late", now), ErrNotFound, "a delivered one is not retried")

		due, err = s.DueProofingNotifications(ctx, now.Add(2*time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, int64(2), due[0].Sequence)
	})
}
