package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Proofing is one proofing's row of the projection.
type Proofing struct {
	ProofingID        string          `db:"proofing_id"`
	DeviceReferenceID string          `db:"device_reference_id"`
	WorkflowID        string          `db:"workflow_id"`
	Status            json.RawMessage `db:"-"`
	Version           int64           `db:"version"`
	CreatedAt         time.Time       `db:"-"`
	UpdatedAt         time.Time       `db:"-"`
}

type proofingRow struct {
	Proofing
	StatusJSON string `db:"status"`
	Created    int64  `db:"created_at"`
	Updated    int64  `db:"updated_at"`
}

// pendingStatus is the status of a proofing just asked for.
var pendingStatus = json.RawMessage(`{"pending":{}}`)

// CreateProofing records a proofing as pending (version 0) unless it is
// known, and returns the stored row and whether this call created it.
// Safe under concurrent calls: one insert wins, every caller reads it.
func (s *Store) CreateProofing(ctx context.Context, p Proofing) (Proofing, bool, error) {
	if p.ProofingID == "" || p.DeviceReferenceID == "" || !validText(p.ProofingID) || !validText(p.DeviceReferenceID) {
		return Proofing{}, false, fmt.Errorf("%w: a proofing needs a proofing id and a device reference id", ErrInvalid)
	}
	now := time.Now().UnixMicro()
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO proofings
		(proofing_id, device_reference_id, workflow_id, status, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT (proofing_id) DO NOTHING`),
		p.ProofingID, p.DeviceReferenceID, p.WorkflowID, string(pendingStatus), now, now)
	if err != nil {
		return Proofing{}, false, fmt.Errorf("store: create proofing: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Proofing{}, false, fmt.Errorf("store: create proofing: %w", err)
	}
	stored, err := s.GetProofing(ctx, p.ProofingID)
	return stored, n == 1, err
}

// GetProofing reads one proofing; ErrNotFound when it is unknown.
func (s *Store) GetProofing(ctx context.Context, proofingID string) (Proofing, error) {
	return getProofing(ctx, s.db, s.db.Rebind, proofingID)
}

func getProofing(ctx context.Context, q sqlx.QueryerContext, rebind func(string) string, proofingID string) (Proofing, error) {
	var row proofingRow
	err := sqlx.GetContext(ctx, q, &row, rebind(`SELECT proofing_id, device_reference_id, workflow_id, status, version,
		created_at, updated_at FROM proofings WHERE proofing_id = ?`), proofingID)
	if err != nil {
		return Proofing{}, fmt.Errorf("store: proofing: %w", notFound(err))
	}
	p := row.Proofing
	p.Status = json.RawMessage(row.StatusJSON)
	p.CreatedAt, p.UpdatedAt = fromMicros(row.Created), fromMicros(row.Updated)
	return p, nil
}

// RecordProofingStatus writes p's status when p's version is above the
// recorded one (or the proofing is new), and reports whether it did: a
// repeated or overtaken write changes nothing, so the status never goes
// backwards. With notify, an applied change also queues its notification,
// in the same transaction.
func (s *Store) RecordProofingStatus(ctx context.Context, p Proofing, notify bool) (applied bool, err error) {
	if p.ProofingID == "" || !validText(p.ProofingID) || !json.Valid(p.Status) || p.Version < 1 {
		return false, fmt.Errorf("%w: a proofing status needs a proofing id, a JSON status and a version from 1", ErrInvalid)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := time.Now().UnixMicro()
		// One statement decides, so two writers cannot both pass a check.
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO proofings
			(proofing_id, device_reference_id, workflow_id, status, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (proofing_id) DO UPDATE SET status = excluded.status, version = excluded.version,
				updated_at = excluded.updated_at
			WHERE proofings.version < excluded.version`),
			p.ProofingID, p.DeviceReferenceID, p.WorkflowID, string(p.Status), p.Version, now, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		applied = true
		if !notify {
			return nil
		}
		id, err := newID("prf_")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO proofing_notifications
			(id, proofing_id, sequence, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (proofing_id, sequence) DO NOTHING`), id, p.ProofingID, p.Version, now, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: record proofing status: %w", err)
	}
	return applied, nil
}

// ProofingNotification is one queued announcement of a status change.
type ProofingNotification struct {
	ID          string `db:"id"`
	ProofingID  string `db:"proofing_id"`
	Sequence    int64  `db:"sequence"`
	Attempts    int    `db:"attempts"`
	LastError   string `db:"last_error"`
	NextAttempt int64  `db:"next_attempt_at"`
	Delivered   int64  `db:"delivered_at"`
	Created     int64  `db:"created_at"`
}

// DueProofingNotifications lists undelivered notifications due by now,
// oldest first, at most one per proofing (its lowest sequence): a
// proofing's announcements go out in order.
func (s *Store) DueProofingNotifications(ctx context.Context, now time.Time, limit int) ([]ProofingNotification, error) {
	var rows []ProofingNotification
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT n.id, n.proofing_id, n.sequence, n.attempts, n.last_error,
		n.next_attempt_at, n.delivered_at, n.created_at
		FROM proofing_notifications n
		WHERE n.delivered_at = 0 AND n.next_attempt_at <= ?
		  AND n.sequence = (SELECT MIN(m.sequence) FROM proofing_notifications m
		                    WHERE m.proofing_id = n.proofing_id AND m.delivered_at = 0)
		ORDER BY n.created_at, n.id LIMIT ?`), toMicros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due proofing notifications: %w", err)
	}
	return rows, nil
}

// MarkProofingNotificationDelivered records the receiver's acknowledgement.
func (s *Store) MarkProofingNotificationDelivered(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE proofing_notifications
		SET delivered_at = ?, next_attempt_at = 0, attempts = attempts + 1 WHERE id = ?`), toMicros(at), id)
	if err != nil {
		return fmt.Errorf("store: proofing notification: %w", err)
	}
	return affectedOne(res)
}

// MarkProofingNotificationRetry records a failed attempt and when to try again.
func (s *Store) MarkProofingNotificationRetry(ctx context.Context, id, lastError string, next time.Time) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE proofing_notifications
		SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND delivered_at = 0`),
		cleanError(lastError), toMicros(next), id)
	if err != nil {
		return fmt.Errorf("store: proofing notification: %w", err)
	}
	return affectedOne(res)
}
