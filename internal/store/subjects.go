package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"idflow/internal/aead"
)

// MasterKeys wraps subject data keys: an active key for new ones and older
// keys that still unwrap (a rotation needs no downtime).
type MasterKeys interface {
	// ActiveKeyID names the key new subject keys are wrapped with.
	ActiveKeyID() string
	// MasterKey returns the 32-byte key with that id.
	MasterKey(id string) ([]byte, bool)
}

// ErrErased is wrapped by reads of an erased subject's data.
var ErrErased = errors.New("store: subject erased")

// ErrTampered: sealed content did not open or did not hash to its address.
var ErrTampered = errors.New("store: sealed content does not verify")

// subjectPattern: a subject is an opaque id chosen by the caller, never
// personal data (it is logged and shown to operators).
var subjectPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ValidSubject reports whether s can name a subject.
func ValidSubject(s string) bool { return subjectPattern.MatchString(s) }

// SubjectKey is a subject's data key, unwrapped.
type SubjectKey struct {
	Subject string
	KeyID   string
	key     aead.Key
}

// Seal encrypts plaintext with the subject's key, binding aad.
func (k SubjectKey) Seal(plaintext, aad []byte) ([]byte, error) { return k.key.Seal(plaintext, aad) }

// String never prints the key.
func (k SubjectKey) String() string {
	return "store.SubjectKey{" + k.Subject + " " + k.KeyID + " REDACTED}"
}

// GoString never prints it either.
func (k SubjectKey) GoString() string { return k.String() }

// SubjectID names the key's subject (for caches that must forget it).
func (k SubjectKey) SubjectID() string { return k.Subject }

// Open decrypts what Seal made with the same aad.
func (k SubjectKey) Open(sealed, aad []byte) ([]byte, error) { return k.key.Open(sealed, aad) }

type subjectKeyRow struct {
	Subject     string        `db:"subject"`
	KeyID       string        `db:"key_id"`
	MasterKeyID string        `db:"master_key_id"`
	Wrapped     []byte        `db:"wrapped_key"`
	ErasedAt    sql.NullInt64 `db:"erased_at"`
}

// SubjectKeyFor returns the subject's data key, making one on first use.
func (s *Store) SubjectKeyFor(ctx context.Context, subject string) (SubjectKey, error) {
	if s.keys == nil {
		return SubjectKey{}, errors.New("store: no master keys configured")
	}
	if !ValidSubject(subject) {
		return SubjectKey{}, fmt.Errorf("%w: subject must be 1 to 128 of A-Z a-z 0-9 . _ : -", ErrInvalid)
	}
	row, err := s.subjectKeyRow(ctx, s.db, "subject", subject)
	if errors.Is(err, ErrNotFound) {
		if err := s.newSubjectKey(ctx, subject); err != nil {
			return SubjectKey{}, err
		}
		row, err = s.subjectKeyRow(ctx, s.db, "subject", subject)
	}
	if err != nil {
		return SubjectKey{}, err
	}
	return s.unwrap(row)
}

// SubjectKeyByID returns the data key with that id (as sealed content and
// payloads name it), ErrNotFound for an unknown one, ErrErased for one
// destroyed by an erasure.
func (s *Store) SubjectKeyByID(ctx context.Context, keyID string) (SubjectKey, error) {
	if s.keys == nil {
		return SubjectKey{}, errors.New("store: no master keys configured")
	}
	row, err := s.subjectKeyRow(ctx, s.db, "key_id", keyID)
	if err != nil {
		return SubjectKey{}, err
	}
	return s.unwrap(row)
}

func (s *Store) subjectKeyRow(ctx context.Context, q sqlx.QueryerContext, column, value string) (subjectKeyRow, error) {
	var r subjectKeyRow
	query := s.db.Rebind("SELECT subject, key_id, master_key_id, wrapped_key, erased_at FROM subject_keys WHERE " + column + " = ?")
	if err := sqlx.GetContext(ctx, q, &r, query, value); err != nil {
		return r, notFound(err)
	}
	return r, nil
}

// newSubjectKey makes and wraps a data key; a concurrent first use keeps
// whichever was inserted first.
func (s *Store) newSubjectKey(ctx context.Context, subject string) error {
	dek, err := aead.New()
	if err != nil {
		return err
	}
	masterID := s.keys.ActiveKeyID()
	master, ok := s.keys.MasterKey(masterID)
	if !ok {
		return fmt.Errorf("store: active master key %q missing", masterID)
	}
	keyID := "sk_" + uuid.NewString()
	wrapped, err := aead.Key(master).Seal(dek, wrapAAD(subject, keyID))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO subject_keys (subject, key_id, master_key_id, wrapped_key, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject) DO NOTHING`), subject, keyID, masterID, wrapped, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("store: new subject key: %w", err)
	}
	return nil
}

func (s *Store) unwrap(r subjectKeyRow) (SubjectKey, error) {
	if r.ErasedAt.Valid || r.Wrapped == nil {
		return SubjectKey{}, fmt.Errorf("%w (key %s)", ErrErased, r.KeyID)
	}
	master, ok := s.keys.MasterKey(r.MasterKeyID)
	if !ok {
		return SubjectKey{}, fmt.Errorf("store: master key %q of subject key %s is not configured", r.MasterKeyID, r.KeyID)
	}
	dek, err := aead.Key(master).Open(r.Wrapped, wrapAAD(r.Subject, r.KeyID))
	if err != nil {
		return SubjectKey{}, fmt.Errorf("%w: subject key %s does not unwrap", ErrTampered, r.KeyID)
	}
	return SubjectKey{Subject: r.Subject, KeyID: r.KeyID, key: dek}, nil
}

// wrapAAD binds a wrapped key to its subject and id.
func wrapAAD(subject, keyID string) []byte {
	return []byte("idflow subject key|" + subject + "|" + keyID)
}

// Erasure is one audited erasure.
type Erasure struct {
	ID        string    `db:"id" json:"id"`
	Subject   string    `db:"subject" json:"subject"`
	Actor     string    `db:"actor" json:"actor"`
	Forced    bool      `db:"-" json:"forced"`
	Documents int64     `db:"documents" json:"documents"`
	ErasedAt  time.Time `db:"-" json:"erasedAt"`
}

// SubjectOwners lists the owners (workflow ids) of the subject's
// documents: what to check for running workflows before an erasure.
func (s *Store) SubjectOwners(ctx context.Context, subject string) ([]string, error) {
	var owners []string
	err := s.db.SelectContext(ctx, &owners, s.db.Rebind("SELECT DISTINCT owner FROM documents WHERE subject = ? ORDER BY owner"), subject)
	return owners, err
}

// EraseSubject destroys the subject's data key and deletes its documents
// and sealed content in one transaction, and records who did it. Erasing
// an unknown or erased subject records the request too (nothing left to
// delete). What the subject's key sealed elsewhere is unreadable after.
func (s *Store) EraseSubject(ctx context.Context, subject, actor string, forced bool) (Erasure, error) {
	if !ValidSubject(subject) {
		return Erasure{}, fmt.Errorf("%w: bad subject", ErrInvalid)
	}
	if actor == "" || !validText(actor) || len(actor) > MaxOwnerLen {
		return Erasure{}, fmt.Errorf("%w: actor required", ErrInvalid)
	}
	now := time.Now().UTC()
	e := Erasure{ID: "er_" + uuid.NewString(), Subject: subject, Actor: actor, Forced: forced, ErasedAt: now.Truncate(time.Microsecond)}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE subject_keys SET wrapped_key = NULL, erased_at = ?
			WHERE subject = ? AND erased_at IS NULL`), now.UnixMicro(), subject); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind("DELETE FROM documents WHERE subject = ?"), subject)
		if err != nil {
			return err
		}
		e.Documents, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, tx.Rebind("DELETE FROM sealed_blobs WHERE subject = ?"), subject); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO erasures (id, subject, actor, forced, documents, erased_at)
			VALUES (?, ?, ?, ?, ?, ?)`), e.ID, subject, actor, boolInt(forced), e.Documents, now.UnixMicro())
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("store: erase subject %s: %w", subject, err)
	}
	return e, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ListSubjects lists the subjects whose keys are not erased, in order.
func (s *Store) ListSubjects(ctx context.Context) ([]string, error) {
	var subjects []string
	err := s.db.SelectContext(ctx, &subjects, "SELECT subject FROM subject_keys WHERE erased_at IS NULL ORDER BY subject")
	return subjects, err
}

// SubjectNewestDocument is when the subject's newest document was stored
// (zero when it has none).
func (s *Store) SubjectNewestDocument(ctx context.Context, subject string) (time.Time, error) {
	var newest sql.NullInt64
	err := s.db.GetContext(ctx, &newest, s.db.Rebind("SELECT MAX(created_at) FROM documents WHERE subject = ?"), subject)
	if err != nil || !newest.Valid {
		return time.Time{}, err
	}
	return time.UnixMicro(newest.Int64).UTC(), nil
}
