package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"idflow/internal/subject"
)

// DefaultMediaType is stored when a new document names no media type.
const DefaultMediaType = "application/octet-stream"

// Length limits, in bytes, for the indexed text fields of a document.
const (
	MaxOwnerLen     = 256
	MaxMediaTypeLen = 255
)

// Document is the metadata of one stored document.
type Document struct {
	ID        string    `db:"id" json:"id"`         // opaque id, "doc_" + UUIDv7
	SHA256    string    `db:"sha256" json:"sha256"` // lowercase hex of content
	Owner     string    `db:"owner" json:"owner"`
	Subject   string    `db:"subject" json:"subject,omitempty"` // whose data key seals it ("" before encryption)
	Title     string    `db:"title" json:"title"`
	MediaType string    `db:"media_type" json:"mediaType"`
	Size      int64     `db:"size" json:"size"`
	CreatedAt time.Time `db:"created_at" json:"createdAt"` // UTC, microsecond precision
}

// NewDocument is the input to PutDocument. Subject names the person the
// document is about (an opaque id); empty means the context's subject
// (internal/subject: an activity's workflow's), else the owner. With master
// keys configured the content is sealed with the subject's data key.
type NewDocument struct {
	Owner, Subject, Title, MediaType string
	Content                          []byte
}

// documentRow mirrors a documents row; created_at is Unix microseconds.
type documentRow struct {
	ID        string `db:"id"`
	SHA256    string `db:"sha256"`
	Owner     string `db:"owner"`
	Subject   string `db:"subject"`
	Title     string `db:"title"`
	MediaType string `db:"media_type"`
	Size      int64  `db:"size"`
	CreatedAt int64  `db:"created_at"`
}

// document converts the row to its API form.
func (r documentRow) document() Document {
	return Document{ID: r.ID, SHA256: r.SHA256, Owner: r.Owner, Subject: r.Subject, Title: r.Title,
		MediaType: r.MediaType, Size: r.Size, CreatedAt: time.UnixMicro(r.CreatedAt).UTC()}
}

// docColumns lists the documents columns read into a documentRow (alias d).
const docColumns = "d.id, d.sha256, d.owner, d.subject, d.title, d.media_type, d.size, d.created_at"

// PutDocument stores content and its metadata in one transaction and returns the document; it is idempotent.
func (s *Store) PutDocument(ctx context.Context, d NewDocument) (Document, error) {
	d.MediaType = cmp.Or(d.MediaType, DefaultMediaType)
	if err := d.validate(); err != nil {
		return Document{}, err
	}
	if s.keys == nil {
		d.Subject = ""
	} else if d.Subject = cmp.Or(d.Subject, subject.From(ctx), d.Owner); !ValidSubject(d.Subject) {
		return Document{}, fmt.Errorf("%w: subject must be 1 to 128 of A-Z a-z 0-9 . _ : -", ErrInvalid)
	}
	sum := sha256.Sum256(d.Content)
	hash := hex.EncodeToString(sum[:])
	key := dedupKey(d.Owner, hash, d.Title, d.MediaType, d.Subject)
	// A retried put usually finds its document already there: answer
	// without shipping the content to the database again.
	existing, err := s.documentByKey(ctx, s.db, key)
	if !errors.Is(err, ErrNotFound) {
		return existing, wrapPut(hash, err)
	}
	// The subject's key is read (or made) before the transaction: on
	// SQLite a second connection could not write while it holds the lock.
	var sk *SubjectKey
	if d.Subject != "" {
		k, err := s.SubjectKeyFor(ctx, d.Subject)
		if err != nil {
			return Document{}, wrapPut(hash, err)
		}
		sk = &k
	}
	var doc Document
	err = s.inTx(ctx, func(tx *sqlx.Tx) (err error) {
		doc, err = s.putTx(ctx, tx, key, hash, d, sk)
		return err
	})
	if err != nil {
		return Document{}, wrapPut(hash, err)
	}
	return doc, nil
}

// putTx writes the blob and the document row if missing, then reads the document back.
func (s *Store) putTx(ctx context.Context, tx *sqlx.Tx, key, hash string, d NewDocument, sk *SubjectKey) (Document, error) {
	now := time.Now().UnixMicro()
	var err error
	if sk != nil {
		err = s.putSealedBlob(ctx, tx, *sk, hash, d.Content, now)
		if err == nil {
			err = s.notErased(ctx, tx, sk.Subject) // an erasure between the key's read and this transaction wins
		}
	} else {
		err = s.putBlob(ctx, tx, hash, d.Content, now)
	}
	if err != nil {
		return Document{}, err
	}
	if err := s.insertDocument(ctx, tx, key, hash, d, now); err != nil {
		return Document{}, err
	}
	return s.documentByKey(ctx, tx, key)
}

// wrapPut adds context to a PutDocument error, naming only the content hash.
func wrapPut(hash string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: put document (sha256 %s): %w", hash, err)
}

// validate checks a new document; errors wrap ErrInvalid and never quote field values.
func (d NewDocument) validate() error {
	switch {
	case len(d.Content) == 0:
		return fmt.Errorf("%w: empty content", ErrInvalid)
	case d.Owner == "":
		return fmt.Errorf("%w: empty owner", ErrInvalid)
	case len(d.Owner) > MaxOwnerLen:
		return fmt.Errorf("%w: owner longer than %d bytes", ErrInvalid, MaxOwnerLen)
	case len(d.MediaType) > MaxMediaTypeLen:
		return fmt.Errorf("%w: media type longer than %d bytes", ErrInvalid, MaxMediaTypeLen)
	}
	fields := []struct{ name, value string }{
		{"owner", d.Owner}, {"title", d.Title}, {"media type", d.MediaType},
	}
	for _, f := range fields {
		if !validText(f.value) {
			return fmt.Errorf("%w: %s is not valid UTF-8 text without NUL bytes", ErrInvalid, f.name)
		}
	}
	return nil
}

// validText reports whether v can be stored as TEXT on both databases.
func validText(v string) bool {
	return utf8.ValidString(v) && !strings.ContainsRune(v, 0)
}

// dedupKey identifies a document by (owner, sha256, title, media type and,
// when sealed, subject), unambiguously; documents from before subjects
// keep their keys.
func dedupKey(owner, hash, title, mediaType, subject string) string {
	h := sha256.New()
	fields := []string{owner, hash, title, mediaType}
	if subject != "" {
		fields = append(fields, subject)
	}
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f)) + ":" + f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// putBlob stores content under its hash unless a blob with that hash exists.
func (s *Store) putBlob(ctx context.Context, tx *sqlx.Tx, hash string, content []byte, now int64) error {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind("SELECT COUNT(*) FROM blobs WHERE sha256 = ?"), hash)
	if err != nil || n > 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO blobs (sha256, size, content, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`), hash, len(content), content, now)
	return err
}

// insertDocument adds a document row unless one with the same dedup key exists.
func (s *Store) insertDocument(ctx context.Context, tx *sqlx.Tx, key, hash string, d NewDocument, now int64) error {
	id, err := newDocumentID()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO documents
		(id, dedup_key, owner, subject, sha256, title, media_type, size, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`),
		id, key, d.Owner, d.Subject, hash, d.Title, d.MediaType, len(d.Content), now)
	return err
}

// newDocumentID returns a fresh, time-ordered document id.
func newDocumentID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("generate document id: %w", err)
	}
	return "doc_" + u.String(), nil
}

// documentByKey reads the document with the given dedup key.
func (s *Store) documentByKey(ctx context.Context, q sqlx.ExtContext, key string) (Document, error) {
	var r documentRow
	query := q.Rebind("SELECT " + docColumns + " FROM documents d WHERE d.dedup_key = ?")
	if err := sqlx.GetContext(ctx, q, &r, query, key); err != nil {
		return Document{}, notFound(err)
	}
	return r.document(), nil
}

// GetDocument returns a document and its content, or ErrNotFound. Sealed
// content is opened with its subject's key and must hash to the
// document's address (ErrTampered otherwise; ErrErased once erased).
func (s *Store) GetDocument(ctx context.Context, id string) (Document, []byte, error) {
	var r struct {
		documentRow
		Plain  []byte  `db:"plain"`
		Sealed []byte  `db:"sealed"`
		KeyID  *string `db:"key_id"`
	}
	query := s.db.Rebind("SELECT " + docColumns + ", b.content AS plain, sb.content AS sealed, sb.key_id FROM documents d " +
		"LEFT JOIN blobs b ON d.subject = '' AND b.sha256 = d.sha256 " +
		"LEFT JOIN sealed_blobs sb ON sb.subject = d.subject AND sb.sha256 = d.sha256 WHERE d.id = ?")
	if err := s.db.GetContext(ctx, &r, query, id); err != nil {
		return Document{}, nil, fmt.Errorf("store: get document %q: %w", id, notFound(err))
	}
	doc := r.document()
	if doc.Subject == "" {
		return doc, r.Plain, nil
	}
	if r.KeyID == nil {
		return Document{}, nil, fmt.Errorf("store: get document %q: %w", id, ErrTampered)
	}
	content, err := s.openSealed(ctx, doc, *r.KeyID, r.Sealed)
	if err != nil {
		return Document{}, nil, fmt.Errorf("store: get document %q: %w", id, err)
	}
	return doc, content, nil
}

// DocumentInfo returns a document's metadata without its content, or ErrNotFound.
func (s *Store) DocumentInfo(ctx context.Context, id string) (Document, error) {
	var r documentRow
	query := s.db.Rebind("SELECT " + docColumns + " FROM documents d WHERE d.id = ?")
	if err := s.db.GetContext(ctx, &r, query, id); err != nil {
		return Document{}, fmt.Errorf("store: document info %q: %w", id, notFound(err))
	}
	return r.document(), nil
}

// ListDocuments returns the owner's documents ordered by creation time, then id.
func (s *Store) ListDocuments(ctx context.Context, owner string) ([]Document, error) {
	return s.ListDocumentsPage(ctx, owner, "", 0)
}

// Limits of ListDocumentsPage.
const (
	DefaultDocumentPage = 100
	MaxDocumentPage     = 1000
)

// ListDocumentsPage returns up to limit of owner's documents, oldest first,
// starting after the document with id after ("" for the first page); a
// limit of 0 means all. The last id of a full page is the next page's after.
func (s *Store) ListDocumentsPage(ctx context.Context, owner, after string, limit int) ([]Document, error) {
	if owner == "" {
		return nil, fmt.Errorf("%w: empty owner", ErrInvalid)
	}
	if limit < 0 {
		return nil, fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	query := "SELECT " + docColumns + " FROM documents d WHERE d.owner = ?"
	args := []any{owner}
	if after != "" {
		query += " AND (d.created_at, d.id) > (SELECT a.created_at, a.id FROM documents a WHERE a.id = ?)"
		args = append(args, after)
	}
	query += " ORDER BY d.created_at, d.id"
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	var rows []documentRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("store: list documents: %w", err)
	}
	docs := make([]Document, 0, len(rows))
	for _, r := range rows {
		docs = append(docs, r.document())
	}
	return docs, nil
}

// putSealedBlob seals content with the subject's key under its plaintext
// hash, unless the subject already has it.
func (s *Store) putSealedBlob(ctx context.Context, tx *sqlx.Tx, key SubjectKey, hash string, content []byte, now int64) error {
	subject := key.Subject
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind("SELECT COUNT(*) FROM sealed_blobs WHERE subject = ? AND sha256 = ?"), subject, hash)
	if err != nil || n > 0 {
		return err
	}
	sealed, err := key.Seal(content, blobAAD(subject, hash))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sealed_blobs (subject, sha256, key_id, size, content, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subject, sha256) DO NOTHING`), subject, hash, key.KeyID, len(content), sealed, now)
	return err
}

// openSealed opens a sealed blob and checks its content address.
func (s *Store) openSealed(ctx context.Context, doc Document, keyID string, sealed []byte) ([]byte, error) {
	if s.keys == nil {
		return nil, errors.New("the document is sealed and no master keys are configured")
	}
	key, err := s.SubjectKeyByID(ctx, keyID)
	if err != nil {
		return nil, err
	}
	content, err := key.Open(sealed, blobAAD(doc.Subject, doc.SHA256))
	if err != nil {
		return nil, ErrTampered
	}
	if sum := sha256.Sum256(content); hex.EncodeToString(sum[:]) != doc.SHA256 {
		return nil, ErrTampered
	}
	return content, nil
}

// blobAAD binds sealed content to its subject and plaintext hash.
func blobAAD(subject, hash string) []byte { return []byte("idflow document|" + subject + "|" + hash) }

// notErased fails with ErrErased when the subject's key was destroyed.
func (s *Store) notErased(ctx context.Context, tx *sqlx.Tx, subject string) error {
	var erased int
	err := tx.GetContext(ctx, &erased, tx.Rebind("SELECT COUNT(*) FROM subject_keys WHERE subject = ? AND erased_at IS NOT NULL"), subject)
	if err == nil && erased > 0 {
		return ErrErased
	}
	return err
}
