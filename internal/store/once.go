package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Once is the record of a side effect that must happen at most once per
// key (a billable provider call retried by Temporal).
type Once struct {
	Key string
	// Attempts counts the calls started under the key, this one included.
	Attempts int
	// Value is the provider's answer recorded by CompleteOnce; "" while unknown.
	Value string
}

// BeginOnce returns the record of key, creating it, and counts one more
// attempt unless the value is already known. A caller that finds a Value
// reuses it instead of calling again; one that finds Attempts > 1 and no
// Value knows an earlier attempt may have reached the provider unrecorded.
func (s *Store) BeginOnce(ctx context.Context, key string) (Once, error) {
	if key == "" || !validText(key) {
		return Once{}, fmt.Errorf("%w: once key must be non-empty text", ErrInvalid)
	}
	var rec Once
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := time.Now().UnixMicro()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO once_records (key, created_at, updated_at)
			VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`), key, now, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE once_records SET attempts = attempts + 1, updated_at = ?
			WHERE key = ? AND value = ''`), now, key); err != nil {
			return err
		}
		return notFound(tx.QueryRowxContext(ctx, tx.Rebind(`SELECT key, attempts, value FROM once_records WHERE key = ?`), key).
			Scan(&rec.Key, &rec.Attempts, &rec.Value))
	})
	if err != nil {
		return Once{}, fmt.Errorf("store: begin once: %w", err)
	}
	return rec, nil
}

// CompleteOnce records the answer of the call under key. A value recorded
// before is kept: the first answer wins.
func (s *Store) CompleteOnce(ctx context.Context, key, value string) error {
	if value == "" || !validText(value) {
		return fmt.Errorf("%w: once value must be non-empty text", ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE once_records SET value = ?, updated_at = ?
		WHERE key = ? AND value = ''`), value, time.Now().UnixMicro(), key)
	if err != nil {
		return fmt.Errorf("store: complete once: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if _, err := s.LookupOnce(ctx, key); err != nil {
			return fmt.Errorf("store: complete once: %w", err)
		}
	}
	return nil
}

// LookupOnce reads the record of key without counting an attempt.
func (s *Store) LookupOnce(ctx context.Context, key string) (Once, error) {
	var rec Once
	err := notFound(s.db.QueryRowxContext(ctx, s.db.Rebind(`SELECT key, attempts, value FROM once_records WHERE key = ?`), key).
		Scan(&rec.Key, &rec.Attempts, &rec.Value))
	return rec, err
}
