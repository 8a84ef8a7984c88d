package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"idflow/internal/store/storetest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addEvent stores an event that must be new.
func addEvent(t *testing.T, s *Store, provider, key string) InboxEvent {
	t.Helper()
	ev, inserted, err := s.AddInboxEvent(context.Background(), provider, key, "test.event", []byte(`{"key":"`+key+`"}`))
	require.NoError(t, err)
	require.True(t, inserted, "event %s/%s already stored", provider, key)
	return ev
}

func getEvent(t *testing.T, s *Store, id string) InboxEvent {
	t.Helper()
	ev, err := s.GetInboxEvent(context.Background(), id)
	require.NoError(t, err)
	return ev
}

func TestInboxAddAndDedupe(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		body := append([]byte(`{"id":"e1"}`), 0x00, 0xff, '\n') // raw bytes, kept exactly
		before := time.Now().UTC().Truncate(time.Microsecond)
		ev, inserted, err := s.AddInboxEvent(ctx, "idngo", "e1", "verification.completed", body)
		require.NoError(t, err)
		after := time.Now().UTC()
		require.True(t, inserted)

		assert.True(t, strings.HasPrefix(ev.ID, "evt_"), ev.ID)
		assert.Equal(t, "idngo", ev.Provider)
		assert.Equal(t, "e1", ev.DedupeKey)
		assert.Equal(t, "verification.completed", ev.EventType)
		assert.Equal(t, body, ev.Body)
		assert.Equal(t, InboxPending, ev.Status)
		assert.Empty(t, ev.WorkflowID)
		assert.Zero(t, ev.Attempts)
		assert.Empty(t, ev.LastError)
		assert.True(t, ev.DeliveredAt.IsZero())
		assert.True(t, ev.LeaseUntil.IsZero())
		assert.Equal(t, time.UTC, ev.ReceivedAt.Location())
		assert.False(t, ev.ReceivedAt.Before(before) || ev.ReceivedAt.After(after), ev.ReceivedAt)
		assert.Equal(t, ev.ReceivedAt, ev.NextAttemptAt, "a new event is due at once")

		again, inserted, err := s.AddInboxEvent(ctx, "idngo", "e1", "other.type", []byte("a different body"))
		require.NoError(t, err)
		assert.False(t, inserted)
		assert.Equal(t, ev, again, "a duplicate returns the stored event, unchanged")

		other, inserted, err := s.AddInboxEvent(ctx, "otherprovider", "e1", "", nil)
		require.NoError(t, err)
		assert.True(t, inserted, "dedupe keys are per provider")
		assert.NotEqual(t, ev.ID, other.ID)
		assert.Empty(t, other.Body)

		assert.Equal(t, 2, countRows(t, s, "inbox_events"))
		assert.Equal(t, ev, getEvent(t, s, ev.ID))
		_, err = s.GetInboxEvent(ctx, "evt_missing")
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

func TestInboxConcurrentAddSameKey(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		const workers = 8
		ids := make([]string, workers)
		inserted := make([]bool, workers)
		errs := make([]error, workers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				var ev InboxEvent
				ev, inserted[i], errs[i] = s.AddInboxEvent(ctx, "idngo", "same-event", "t", fmt.Appendf(nil, "body %d", i))
				ids[i] = ev.ID
			})
		}
		close(start)
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		n := 0
		for i := range workers {
			assert.Equal(t, ids[0], ids[i], "racing inserts must agree on one event")
			if inserted[i] {
				n++
			}
		}
		assert.Equal(t, 1, n, "exactly one insert wins")
		assert.Equal(t, 1, countRows(t, s, "inbox_events"))
	})
}

func TestInboxAddInvalid(t *testing.T) {
	t.Parallel()
	const secret = "Jane-Doe-secret"
	cases := []struct{ name, provider, key, eventType string }{
		{"empty provider", "", secret, "t"},
		{"empty key", "idngo", "", secret},
		{"long provider", strings.Repeat("p", MaxProviderLen+1), secret, "t"},
		{"long key", "idngo", secret + strings.Repeat("k", MaxDedupeKeyLen), "t"},
		{"long event type", "idngo", secret, strings.Repeat("e", MaxEventTypeLen+1)},
		{"NUL in key", "idngo", secret + "\x00", "t"},
		{"invalid UTF-8 event type", "idngo", secret, secret + "\xff"},
	}
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		s := openTestStore(t, url)
		for _, c := range cases {
			_, _, err := s.AddInboxEvent(context.Background(), c.provider, c.key, c.eventType, []byte(secret))
			require.ErrorIs(t, err, ErrInvalid, c.name)
			assert.NotContains(t, err.Error(), "Jane", c.name)
		}
		assert.Zero(t, countRows(t, s, "inbox_events"))
	})
}

// TestInboxErrorsHideBodies: a failing store names the provider, never the body.
func TestInboxErrorsHideBodies(t *testing.T) {
	t.Parallel()
	s := openTestStore(t, storetest.SQLiteURL(t))
	ev := addEvent(t, s, "idngo", "e1")
	require.NoError(t, s.Close())
	ctx := context.Background()
	_, _, err := s.AddInboxEvent(ctx, "idngo", "e2", "t", []byte("BODY-SECRET"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "idngo")
	assert.NotContains(t, err.Error(), "BODY-SECRET")
	err = s.MarkInboxRetry(ctx, ev.ID, "wf", InboxPending, "x", time.Now())
	require.Error(t, err)
	assert.Contains(t, err.Error(), ev.ID)
}

func TestInboxDueClaimAndLease(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		a := addEvent(t, s, "idngo", "a")
		b := addEvent(t, s, "idngo", "b")
		c := addEvent(t, s, "other", "c")
		now := time.Now().Add(time.Second)

		due, err := s.DueInboxEvents(ctx, a.ReceivedAt.Add(-time.Microsecond), 10)
		require.NoError(t, err)
		assert.Empty(t, due, "nothing is due before it arrived")
		due, err = s.DueInboxEvents(ctx, now, 10)
		require.NoError(t, err)
		assert.Equal(t, []InboxEvent{a, b, c}, due, "oldest first, with bodies")
		due, err = s.DueInboxEvents(ctx, now, 2)
		require.NoError(t, err)
		assert.Equal(t, []InboxEvent{a, b}, due)

		lease := now.Add(30 * time.Second)
		ok, err := s.ClaimInboxEvent(ctx, a.ID, now, lease)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.ClaimInboxEvent(ctx, a.ID, now.Add(time.Second), lease.Add(time.Second))
		require.NoError(t, err)
		assert.False(t, ok, "a leased event is not claimable")
		ok, err = s.ClaimInboxEvent(ctx, a.ID, lease, lease.Add(time.Second))
		require.NoError(t, err)
		assert.False(t, ok, "not even at the lease's last instant")
		due, err = s.DueInboxEvents(ctx, now, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{b.ID, c.ID}, ids(due), "a leased event is not due")
		assert.Equal(t, lease.UTC().Truncate(time.Microsecond), getEvent(t, s, a.ID).LeaseUntil)

		// The holder died: once the lease has passed, another dispatcher takes over.
		after := lease.Add(time.Microsecond)
		due, err = s.DueInboxEvents(ctx, after, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{a.ID, b.ID, c.ID}, ids(due))
		ok, err = s.ClaimInboxEvent(ctx, a.ID, after, after.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, ok)

		ok, err = s.ClaimInboxEvent(ctx, "evt_missing", now, lease)
		require.NoError(t, err)
		assert.False(t, ok)
		_, err = s.ClaimInboxEvent(ctx, b.ID, now, now)
		assert.ErrorIs(t, err, ErrInvalid, "a lease must end after now")
	})
}

// TestInboxConcurrentClaim: of dispatchers racing for one event, one wins.
func TestInboxConcurrentClaim(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		s := openTestStore(t, url)
		ev := addEvent(t, s, "idngo", "a")
		now := time.Now().Add(time.Second)
		const workers = 8
		won := make([]bool, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				won[i], errs[i] = s.ClaimInboxEvent(context.Background(), ev.ID, now, now.Add(time.Minute))
			})
		}
		wg.Wait()
		require.NoError(t, errors.Join(errs...))
		n := 0
		for _, w := range won {
			if w {
				n++
			}
		}
		assert.Equal(t, 1, n)
	})
}

func TestInboxTransitions(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		ev := addEvent(t, s, "idngo", "a")
		now := time.Now().UTC().Add(time.Second).Truncate(time.Microsecond)

		// Temporal unreachable: pending again, due later.
		next := now.Add(2 * time.Second)
		require.NoError(t, s.MarkInboxRetry(ctx, ev.ID, "wf-1", InboxPending, "unavailable: connection refused", next))
		got := getEvent(t, s, ev.ID)
		assert.Equal(t, InboxPending, got.Status)
		assert.Equal(t, "wf-1", got.WorkflowID)
		assert.Equal(t, 1, got.Attempts)
		assert.Zero(t, got.UnmatchedAttempts)
		assert.Equal(t, "unavailable: connection refused", got.LastError)
		assert.Equal(t, next, got.NextAttemptAt)
		assert.Empty(t, dueIDs(t, s, now), "not due before its next attempt")
		assert.Equal(t, []string{ev.ID}, dueIDs(t, s, next))

		// The workflow does not exist yet: unmatched, still retried.
		next = next.Add(4 * time.Second)
		require.NoError(t, s.MarkInboxRetry(ctx, ev.ID, "wf-1", InboxUnmatched, "workflow not found", next))
		got = getEvent(t, s, ev.ID)
		assert.Equal(t, InboxUnmatched, got.Status)
		assert.Equal(t, 2, got.Attempts)
		assert.Equal(t, 1, got.UnmatchedAttempts)
		assert.Equal(t, []string{ev.ID}, dueIDs(t, s, next), "unmatched under retry is due")

		// Delivered: final, released, never due again.
		at := next.Add(time.Second)
		ok, err := s.ClaimInboxEvent(ctx, ev.ID, next, at)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.MarkInboxDelivered(ctx, ev.ID, "wf-1", at))
		got = getEvent(t, s, ev.ID)
		assert.Equal(t, InboxDelivered, got.Status)
		assert.Equal(t, 3, got.Attempts)
		assert.Equal(t, at, got.DeliveredAt)
		assert.Empty(t, got.LastError)
		assert.True(t, got.NextAttemptAt.IsZero())
		assert.True(t, got.LeaseUntil.IsZero())
		assert.Empty(t, dueIDs(t, s, at.Add(time.Hour)))
		ok, err = s.ClaimInboxEvent(ctx, ev.ID, at.Add(time.Hour), at.Add(2*time.Hour))
		require.NoError(t, err)
		assert.False(t, ok, "a delivered event is never claimed")

		// A late failure report of another dispatcher does not undo the delivery.
		require.NoError(t, s.MarkInboxRetry(ctx, ev.ID, "wf-1", InboxPending, "late", at.Add(time.Hour)))
		assert.Equal(t, got, getEvent(t, s, ev.ID))

		// Given up: unmatched with no next attempt is kept and never due.
		lost := addEvent(t, s, "idngo", "b")
		require.NoError(t, s.MarkInboxRetry(ctx, lost.ID, "", InboxUnmatched, "route: no verification id", time.Time{}))
		got = getEvent(t, s, lost.ID)
		assert.Equal(t, InboxUnmatched, got.Status)
		assert.True(t, got.NextAttemptAt.IsZero())
		assert.Equal(t, "route: no verification id", got.LastError)
		assert.Empty(t, dueIDs(t, s, at.Add(time.Hour)))

		assert.ErrorIs(t, s.MarkInboxDelivered(ctx, "evt_missing", "wf", at), ErrNotFound)
		assert.ErrorIs(t, s.MarkInboxRetry(ctx, "evt_missing", "wf", InboxPending, "x", at), ErrNotFound)
		assert.ErrorIs(t, s.MarkInboxRetry(ctx, lost.ID, "wf", InboxDelivered, "x", at), ErrInvalid)
		assert.ErrorIs(t, s.MarkInboxRetry(ctx, lost.ID, "wf", "bogus", "x", at), ErrInvalid)
		assert.ErrorIs(t, s.MarkInboxRetry(ctx, lost.ID, "wf", InboxPending, "x", time.Time{}), ErrInvalid,
			"a pending event needs a next attempt")
	})
}

func TestInboxLastErrorIsCleaned(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		s := openTestStore(t, url)
		ev := addEvent(t, s, "idngo", "a")
		long := "bad\x00 \xff" + strings.Repeat("é", MaxInboxErrorLen)
		require.NoError(t, s.MarkInboxRetry(context.Background(), ev.ID, "", InboxPending, long, time.Now()))
		got := getEvent(t, s, ev.ID).LastError
		assert.LessOrEqual(t, len(got), MaxInboxErrorLen)
		assert.True(t, utf8.ValidString(got))
		assert.True(t, strings.HasPrefix(got, "bad \uFFFDé"), got[:16])
		assert.True(t, strings.HasSuffix(got, "…"))
	})
}

func TestListInboxEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		var all []InboxEvent
		for i := range 6 {
			provider := "idngo"
			if i%3 == 2 {
				provider = "other"
			}
			all = append(all, addEvent(t, s, provider, fmt.Sprint("e", i)))
		}
		require.NoError(t, s.MarkInboxDelivered(ctx, all[0].ID, "wf-0", time.Now()))
		require.NoError(t, s.MarkInboxRetry(ctx, all[1].ID, "", InboxUnmatched, "no route", time.Time{}))
		require.NoError(t, s.MarkInboxRetry(ctx, all[2].ID, "wf-2", InboxUnmatched, "not found", time.Now()))

		list := func(f InboxFilter) []string {
			t.Helper()
			evs, err := s.ListInboxEvents(ctx, f)
			require.NoError(t, err)
			require.NotNil(t, evs, "an empty list must not be nil (JSON [])")
			for _, ev := range evs {
				assert.Nil(t, ev.Body, "listings carry no bodies")
			}
			return ids(evs)
		}
		id := func(i ...int) []string {
			var out []string
			for _, n := range i {
				out = append(out, all[n].ID)
			}
			return out
		}
		assert.Equal(t, id(5, 4, 3, 2, 1, 0), list(InboxFilter{}), "newest first")
		assert.Equal(t, id(4, 3, 1, 0), list(InboxFilter{Provider: "idngo"}))
		assert.Equal(t, id(5, 2), list(InboxFilter{Provider: "other"}))
		assert.Equal(t, id(2, 1), list(InboxFilter{Status: InboxUnmatched}))
		assert.Equal(t, id(1), list(InboxFilter{Provider: "idngo", Status: InboxUnmatched}))
		assert.Equal(t, id(0), list(InboxFilter{Status: InboxDelivered}))
		assert.Equal(t, id(5, 4, 3), list(InboxFilter{Status: InboxPending}))
		assert.Equal(t, id(5, 4), list(InboxFilter{Limit: 2}))
		assert.Equal(t, id(3, 2), list(InboxFilter{Limit: 2, Before: all[4].ID}), "the next page")
		assert.Equal(t, id(1, 0), list(InboxFilter{Limit: 2, Before: all[2].ID}))
		assert.Empty(t, list(InboxFilter{Limit: 2, Before: all[0].ID}), "past the last page")
		assert.Equal(t, id(1, 0), list(InboxFilter{Provider: "idngo", Before: all[3].ID}), "with a filter")
		assert.Empty(t, list(InboxFilter{Provider: "nobody"}))

		evs, err := s.ListInboxEvents(ctx, InboxFilter{Status: InboxDelivered})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, "wf-0", evs[0].WorkflowID)
		assert.False(t, evs[0].DeliveredAt.IsZero())

		_, err = s.ListInboxEvents(ctx, InboxFilter{Status: "bogus"})
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = s.ListInboxEvents(ctx, InboxFilter{Limit: -1})
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = s.ListInboxEvents(ctx, InboxFilter{Before: "evt_unknown"})
		assert.ErrorIs(t, err, ErrInvalid)
	})
}

func ids(evs []InboxEvent) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

func dueIDs(t *testing.T, s *Store, now time.Time) []string {
	t.Helper()
	due, err := s.DueInboxEvents(context.Background(), now, 100)
	require.NoError(t, err)
	return ids(due)
}

// TestInboxRescheduledEventsGoBehindAndFailedIsFinal: due events come in
// the order they became due, so one that keeps failing cannot take every
// poll; a failed event is kept with its reason, never due again, and
// listed by its status.
func TestInboxRescheduledEventsGoBehindAndFailedIsFinal(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		poison := addEvent(t, s, "idngo", "poison")
		fresh := addEvent(t, s, "idngo", "fresh")
		now := time.Now().Add(time.Second)
		due, err := s.DueInboxEvents(ctx, now, 1)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, poison.ID, due[0].ID, "the older event first")
		require.NoError(t, s.MarkInboxRetry(ctx, poison.ID, "wf", InboxPending, "signal failed", now))
		due, err = s.DueInboxEvents(ctx, now, 1)
		require.NoError(t, err)
		assert.Equal(t, fresh.ID, due[0].ID, "the rescheduled event goes behind")

		require.ErrorIs(t, s.MarkInboxRetry(ctx, poison.ID, "wf", InboxFailed, "x", now), ErrInvalid, "a failed event has no next attempt")
		require.NoError(t, s.MarkInboxRetry(ctx, poison.ID, "wf", InboxFailed, "invalid argument: bad id", time.Time{}))
		got := getEvent(t, s, poison.ID)
		assert.Equal(t, InboxFailed, got.Status)
		assert.Equal(t, "invalid argument: bad id", got.LastError)
		assert.True(t, got.NextAttemptAt.IsZero())
		due, err = s.DueInboxEvents(ctx, now.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, fresh.ID, due[0].ID)
		listed, err := s.ListInboxEvents(ctx, InboxFilter{Status: InboxFailed})
		require.NoError(t, err)
		require.Len(t, listed, 1)
		assert.Equal(t, poison.ID, listed[0].ID)
	})
}

// TestPruneInboxEvents: old events that are done with go; pending ones,
// those due again and recent ones stay.
func TestPruneInboxEvents(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		delivered, unmatched, failed := addEvent(t, s, "idngo", "delivered"), addEvent(t, s, "idngo", "unmatched"), addEvent(t, s, "idngo", "failed")
		pending, retrying := addEvent(t, s, "idngo", "pending"), addEvent(t, s, "idngo", "retrying")
		now := time.Now()
		require.NoError(t, s.MarkInboxDelivered(ctx, delivered.ID, "wf", now))
		require.NoError(t, s.MarkInboxRetry(ctx, unmatched.ID, "wf", InboxUnmatched, "given up", time.Time{}))
		require.NoError(t, s.MarkInboxRetry(ctx, failed.ID, "wf", InboxFailed, "refused", time.Time{}))
		require.NoError(t, s.MarkInboxRetry(ctx, retrying.ID, "wf", InboxUnmatched, "not yet", now.Add(time.Minute)))

		n, err := s.PruneInboxEvents(ctx, delivered.ReceivedAt) // received before the first: none
		require.NoError(t, err)
		assert.Zero(t, n)
		n, err = s.PruneInboxEvents(ctx, now.Add(time.Second))
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		for _, ev := range []InboxEvent{delivered, unmatched, failed} {
			_, err := s.GetInboxEvent(ctx, ev.ID)
			assert.ErrorIs(t, err, ErrNotFound)
		}
		for _, ev := range []InboxEvent{pending, retrying} {
			_, err := s.GetInboxEvent(ctx, ev.ID)
			assert.NoError(t, err, "kept: not done with")
		}
		_, inserted, err := s.AddInboxEvent(ctx, "idngo", "delivered", "test.event", []byte("{}"))
		require.NoError(t, err)
		assert.True(t, inserted, "a redelivery after pruning is stored again (workflows ignore repeats)")
	})
}
