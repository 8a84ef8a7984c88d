package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Statuses of an inbox event.
const (
	// InboxPending: stored, not yet delivered; the dispatcher will try (again).
	InboxPending = "pending"
	// InboxDelivered: signalled to its workflow; final.
	InboxDelivered = "delivered"
	// InboxUnmatched: no workflow took the event. While NextAttemptAt is set
	// the dispatcher still retries it (the workflow may be starting); once it
	// is zero the row is kept for operators and never retried.
	InboxUnmatched = "unmatched"
	// InboxFailed: Temporal refused the delivery for good (an invalid
	// argument, a workflow id that cannot exist); kept with the reason in
	// LastError for operators, never retried.
	InboxFailed = "failed"
)

// InboxStatuses lists every status, for filters and their errors.
var InboxStatuses = []string{InboxPending, InboxDelivered, InboxUnmatched, InboxFailed}

// Limits of the inbox's text fields, in bytes, and of ListInboxEvents.
const (
	MaxProviderLen     = 64
	MaxDedupeKeyLen    = 512
	MaxEventTypeLen    = 255
	MaxInboxErrorLen   = 1024 // longer LastError values are cut
	DefaultInboxLimit  = 100
	MaxInboxListLimit  = 1000
	inboxEventIDPrefix = "evt_"
)

// InboxEvent is one webhook as received, with its delivery state. Zero times
// mean "none": NextAttemptAt is zero once the event is delivered or given up,
// DeliveredAt until it is delivered.
type InboxEvent struct {
	ID                string    `json:"id"` // "evt_" + UUIDv7, sorts by arrival
	Provider          string    `json:"provider"`
	DedupeKey         string    `json:"dedupeKey"`
	EventType         string    `json:"eventType"`
	WorkflowID        string    `json:"workflowId"`
	Body              []byte    `json:"-"` // raw, exactly as received; never serialised
	ReceivedAt        time.Time `json:"receivedAt"`
	Status            string    `json:"status"`
	Attempts          int       `json:"attempts"`          // delivery attempts made
	UnmatchedAttempts int       `json:"unmatchedAttempts"` // of which ended unmatched
	NextAttemptAt     time.Time `json:"nextAttemptAt"`
	LeaseUntil        time.Time `json:"leaseUntil"`
	LastError         string    `json:"lastError"`
	DeliveredAt       time.Time `json:"deliveredAt"`
}

// InboxFilter selects the events ListInboxEvents returns; empty fields match all.
type InboxFilter struct {
	Provider string
	Status   string // "" or one of InboxStatuses
	Limit    int    // 0 means DefaultInboxLimit; at most MaxInboxListLimit
	// Before, an event's id, lists only the events after it in the list's
	// order (older ones): the next page after a page that ended with it.
	Before string
}

// inboxRow mirrors an inbox_events row; times are Unix microseconds, 0 for none.
type inboxRow struct {
	ID                string `db:"id"`
	Provider          string `db:"provider"`
	DedupeKey         string `db:"dedupe_key"`
	EventType         string `db:"event_type"`
	WorkflowID        string `db:"workflow_id"`
	Body              []byte `db:"body"`
	ReceivedAt        int64  `db:"received_at"`
	Status            string `db:"status"`
	Attempts          int    `db:"attempts"`
	UnmatchedAttempts int    `db:"unmatched_attempts"`
	NextAttemptAt     int64  `db:"next_attempt_at"`
	LeaseUntil        int64  `db:"lease_until"`
	LastError         string `db:"last_error"`
	DeliveredAt       int64  `db:"delivered_at"`
}

func (r inboxRow) event() InboxEvent {
	return InboxEvent{ID: r.ID, Provider: r.Provider, DedupeKey: r.DedupeKey, EventType: r.EventType,
		WorkflowID: r.WorkflowID, Body: r.Body, ReceivedAt: fromMicros(r.ReceivedAt), Status: r.Status,
		Attempts: r.Attempts, UnmatchedAttempts: r.UnmatchedAttempts, NextAttemptAt: fromMicros(r.NextAttemptAt),
		LeaseUntil: fromMicros(r.LeaseUntil), LastError: r.LastError, DeliveredAt: fromMicros(r.DeliveredAt)}
}

// inboxMeta lists every column but the body; inboxColumns adds it.
const (
	inboxMeta = "id, provider, dedupe_key, event_type, workflow_id, received_at, status, attempts, " +
		"unmatched_attempts, next_attempt_at, lease_until, last_error, delivered_at"
	inboxColumns = inboxMeta + ", body"
)

// AddInboxEvent stores a webhook body under (provider, dedupeKey) in one
// transaction. When the provider already sent that key, it stores nothing
// and returns the existing event with inserted false, also when the two
// inserts race. The new event is pending and due at once.
func (s *Store) AddInboxEvent(ctx context.Context, provider, dedupeKey, eventType string, body []byte) (ev InboxEvent, inserted bool, err error) {
	return s.AddRoutedInboxEvent(ctx, provider, dedupeKey, eventType, "", body)
}

// AddRoutedInboxEvent is AddInboxEvent for an event whose workflow is known
// when it arrives (the callback URL named it), kept in WorkflowID for the
// dispatcher's route.
func (s *Store) AddRoutedInboxEvent(ctx context.Context, provider, dedupeKey, eventType, workflowID string, body []byte) (ev InboxEvent, inserted bool, err error) {
	if err := validateInboxKey(provider, dedupeKey, eventType); err != nil {
		return InboxEvent{}, false, err
	}
	if !validText(workflowID) {
		return InboxEvent{}, false, fmt.Errorf("%w: workflow id is not valid text", ErrInvalid)
	}
	if body == nil {
		body = []byte{} // NOT NULL
	}
	id, err := newEventID()
	if err != nil {
		return InboxEvent{}, false, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := time.Now().UnixMicro()
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO inbox_events
			(id, provider, dedupe_key, event_type, workflow_id, body, received_at, status, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, dedupe_key) DO NOTHING`),
			id, provider, dedupeKey, eventType, workflowID, body, now, InboxPending, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		inserted = n == 1
		var r inboxRow
		query := tx.Rebind("SELECT " + inboxColumns + " FROM inbox_events WHERE provider = ? AND dedupe_key = ?")
		if err := tx.GetContext(ctx, &r, query, provider, dedupeKey); err != nil {
			return notFound(err)
		}
		ev = r.event()
		return nil
	})
	if err != nil {
		return InboxEvent{}, false, fmt.Errorf("store: add inbox event (provider %q): %w", provider, err)
	}
	return ev, inserted, nil
}

// validateInboxKey checks the text fields of a new event without quoting them.
func validateInboxKey(provider, dedupeKey, eventType string) error {
	switch {
	case provider == "":
		return fmt.Errorf("%w: empty provider", ErrInvalid)
	case dedupeKey == "":
		return fmt.Errorf("%w: empty dedupe key", ErrInvalid)
	case len(provider) > MaxProviderLen:
		return fmt.Errorf("%w: provider longer than %d bytes", ErrInvalid, MaxProviderLen)
	case len(dedupeKey) > MaxDedupeKeyLen:
		return fmt.Errorf("%w: dedupe key longer than %d bytes", ErrInvalid, MaxDedupeKeyLen)
	case len(eventType) > MaxEventTypeLen:
		return fmt.Errorf("%w: event type longer than %d bytes", ErrInvalid, MaxEventTypeLen)
	}
	for _, f := range []struct{ name, value string }{
		{"provider", provider}, {"dedupe key", dedupeKey}, {"event type", eventType},
	} {
		if !validText(f.value) {
			return fmt.Errorf("%w: %s is not valid UTF-8 text without NUL bytes", ErrInvalid, f.name)
		}
	}
	return nil
}

// newEventID returns a fresh, time-ordered inbox event id.
func newEventID() (string, error) { return newID(inboxEventIDPrefix) }

// newID is prefix and a time-ordered UUID (v7): ids sort by creation.
func newID(prefix string) (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("generate %sid: %w", prefix, err)
	}
	return prefix + u.String(), nil
}

// GetInboxEvent returns one event with its body, or ErrNotFound.
func (s *Store) GetInboxEvent(ctx context.Context, id string) (InboxEvent, error) {
	var r inboxRow
	query := s.db.Rebind("SELECT " + inboxColumns + " FROM inbox_events WHERE id = ?")
	if err := s.db.GetContext(ctx, &r, query, id); err != nil {
		return InboxEvent{}, fmt.Errorf("store: get inbox event %q: %w", id, notFound(err))
	}
	return r.event(), nil
}

// DueInboxEvents returns, with their bodies, up to limit events to deliver
// at now: pending or unmatched-under-retry events whose next attempt is due
// and that no dispatcher holds a lease on. They come in the order they
// became due (then by arrival), so an event that keeps failing, and so keeps
// being rescheduled, goes behind the others instead of taking every poll. A limit of 0
// or less means DefaultInboxLimit.
func (s *Store) DueInboxEvents(ctx context.Context, now time.Time, limit int) ([]InboxEvent, error) {
	if limit <= 0 {
		limit = DefaultInboxLimit
	}
	at := now.UnixMicro()
	var rows []inboxRow
	query := s.db.Rebind("SELECT " + inboxColumns + " FROM inbox_events " +
		"WHERE next_attempt_at > 0 AND next_attempt_at <= ? AND status <> ? AND lease_until < ? " +
		"ORDER BY next_attempt_at, id LIMIT ?")
	if err := s.db.SelectContext(ctx, &rows, query, at, InboxDelivered, at, limit); err != nil {
		return nil, fmt.Errorf("store: due inbox events: %w", err)
	}
	return inboxEvents(rows), nil
}

// pruneBatch is how many rows one PruneInboxEvents statement deletes.
const pruneBatch = 1000

// PruneInboxEvents deletes the events received before before that are done
// with: delivered, or given up (unmatched or failed, never retried). Those
// still pending or due again are kept, however old. It deletes in batches
// and returns how many it deleted.
func (s *Store) PruneInboxEvents(ctx context.Context, before time.Time) (int, error) {
	query := s.db.Rebind(`DELETE FROM inbox_events WHERE id IN (SELECT id FROM inbox_events
		WHERE status IN (?, ?, ?) AND next_attempt_at = 0 AND received_at < ? LIMIT ?)`)
	total := 0
	for {
		res, err := s.db.ExecContext(ctx, query, InboxDelivered, InboxUnmatched, InboxFailed, before.UnixMicro(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("store: prune inbox events: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("store: prune inbox events: %w", err)
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}

// ClaimInboxEvent leases a due event until leaseUntil, so that only one
// dispatcher delivers it at a time, and reports whether it got the lease. It
// fails to (false, nil) while another lease runs, and once the event was
// delivered, rescheduled or given up since it was read.
func (s *Store) ClaimInboxEvent(ctx context.Context, id string, now, leaseUntil time.Time) (bool, error) {
	if !leaseUntil.After(now) {
		return false, fmt.Errorf("%w: lease must end after now", ErrInvalid)
	}
	at := now.UnixMicro()
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE inbox_events SET lease_until = ?
		WHERE id = ? AND lease_until < ? AND status <> ? AND next_attempt_at > 0 AND next_attempt_at <= ?`),
		leaseUntil.UnixMicro(), id, at, InboxDelivered, at)
	if err != nil {
		return false, fmt.Errorf("store: claim inbox event %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim inbox event %q: %w", id, err)
	}
	return n == 1, nil
}

// MarkInboxDelivered records a successful delivery to workflowID at at: the
// event becomes delivered, counts the attempt, and is released and never due
// again. ErrNotFound when no such event exists.
func (s *Store) MarkInboxDelivered(ctx context.Context, id, workflowID string, at time.Time) error {
	if !validText(workflowID) {
		return fmt.Errorf("store: mark inbox event %q delivered: %w: workflow id is not valid text", id, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE inbox_events SET status = ?, workflow_id = ?,
		delivered_at = ?, attempts = attempts + 1, last_error = '', next_attempt_at = 0, lease_until = 0
		WHERE id = ?`), InboxDelivered, workflowID, at.UnixMicro(), id)
	if err == nil {
		err = affectedOne(res)
	}
	if err != nil {
		return fmt.Errorf("store: mark inbox event %q delivered: %w", id, err)
	}
	return nil
}

// MarkInboxRetry records a failed delivery attempt: it counts the attempt
// (and, for status InboxUnmatched, the unmatched attempt), stores status,
// workflowID and lastError (cut to MaxInboxErrorLen bytes), and releases the
// lease. The event is due again at nextAttempt; a zero nextAttempt, allowed
// for InboxUnmatched and required for InboxFailed, gives the event up: it is
// kept but never retried.
// An event delivered meanwhile (by another dispatcher) is left alone;
// ErrNotFound when no such event exists.
func (s *Store) MarkInboxRetry(ctx context.Context, id, workflowID, status, lastError string, nextAttempt time.Time) error {
	unmatched := 0
	switch {
	case status == InboxUnmatched:
		unmatched = 1
	case status == InboxFailed && !nextAttempt.IsZero():
		return fmt.Errorf("store: retry inbox event %q: %w: a failed event is never retried", id, ErrInvalid)
	case status == InboxFailed:
	case status != InboxPending:
		return fmt.Errorf("store: retry inbox event %q: %w: status must be %q, %q or %q", id, ErrInvalid, InboxPending, InboxUnmatched, InboxFailed)
	case nextAttempt.IsZero():
		return fmt.Errorf("store: retry inbox event %q: %w: a pending event needs a next attempt", id, ErrInvalid)
	}
	if !validText(workflowID) {
		return fmt.Errorf("store: retry inbox event %q: %w: workflow id is not valid text", id, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE inbox_events SET status = ?, workflow_id = ?,
		last_error = ?, next_attempt_at = ?, lease_until = 0, attempts = attempts + 1,
		unmatched_attempts = unmatched_attempts + ? WHERE id = ? AND status <> ?`),
		status, workflowID, cleanError(lastError), toMicros(nextAttempt), unmatched, id, InboxDelivered)
	if err == nil {
		if err = affectedOne(res); errors.Is(err, ErrNotFound) {
			// Zero rows: no such event, or one delivered meanwhile.
			var st string
			err = notFound(s.db.GetContext(ctx, &st, s.db.Rebind("SELECT status FROM inbox_events WHERE id = ?"), id))
		}
	}
	if err != nil {
		return fmt.Errorf("store: retry inbox event %q: %w", id, err)
	}
	return nil
}

// ListInboxEvents returns events matching f, newest first, without bodies.
func (s *Store) ListInboxEvents(ctx context.Context, f InboxFilter) ([]InboxEvent, error) {
	if f.Status != "" && !slices.Contains(InboxStatuses, f.Status) {
		return nil, fmt.Errorf("%w: unknown inbox status (want one of %s)", ErrInvalid, strings.Join(InboxStatuses, ", "))
	}
	switch {
	case f.Limit < 0:
		return nil, fmt.Errorf("%w: negative limit", ErrInvalid)
	case f.Limit == 0:
		f.Limit = DefaultInboxLimit
	case f.Limit > MaxInboxListLimit:
		f.Limit = MaxInboxListLimit
	}
	var where []string
	var args []any
	if f.Provider != "" {
		where, args = append(where, "provider = ?"), append(args, f.Provider)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Before != "" {
		var at int64
		err := s.db.GetContext(ctx, &at, s.db.Rebind("SELECT received_at FROM inbox_events WHERE id = ?"), f.Before)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: no inbox event with the id given as before", ErrInvalid)
		}
		if err != nil {
			return nil, fmt.Errorf("store: list inbox events: %w", err)
		}
		where = append(where, "(received_at < ? OR (received_at = ? AND id < ?))")
		args = append(args, at, at, f.Before)
	}
	query := "SELECT " + inboxMeta + " FROM inbox_events"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY received_at DESC, id DESC LIMIT ?"
	var rows []inboxRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), append(args, f.Limit)...); err != nil {
		return nil, fmt.Errorf("store: list inbox events: %w", err)
	}
	return inboxEvents(rows), nil
}

// inboxEvents converts rows to events; an empty result is an empty, non-nil slice.
func inboxEvents(rows []inboxRow) []InboxEvent {
	evs := make([]InboxEvent, 0, len(rows))
	for _, r := range rows {
		evs = append(evs, r.event())
	}
	return evs
}

// affectedOne returns ErrNotFound unless the statement changed a row.
func affectedOne(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// cleanError makes an error message storable as TEXT on both databases and
// cuts it to MaxInboxErrorLen bytes on a rune boundary.
func cleanError(msg string) string {
	msg = strings.ReplaceAll(strings.ToValidUTF8(msg, "\uFFFD"), "\x00", "")
	if len(msg) <= MaxInboxErrorLen {
		return msg
	}
	cut := MaxInboxErrorLen - len("…")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// toMicros stores a time as Unix microseconds, the zero time as 0.
func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reads Unix microseconds as a UTC time, 0 as the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
