package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store/storetest"
)

// testKeys is a master key ring for tests.
type testKeys struct {
	active string
	keys   map[string][]byte
}

func (k testKeys) ActiveKeyID() string { return k.active }
func (k testKeys) MasterKey(id string) ([]byte, bool) {
	key, ok := k.keys[id]
	return key, ok
}

func newKey(t *testing.T) []byte {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func openSealed(t *testing.T, url string, keys testKeys) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, WithMasterKeys(keys))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

var passportScan = []byte("ПАСПОРТ 9400 123456 Иванов Иван Иванович")

// TestDocumentsAreSealedAtRest: the raw rows hold no plaintext, the read
// opens and checks it, tampering is refused.
func TestDocumentsAreSealedAtRest(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openSealed(t, url, testKeys{"m1", map[string][]byte{"m1": newKey(t)}})
		doc, err := s.PutDocument(ctx, NewDocument{Owner: "fns-registration-r1", Subject: "person-1", Title: "паспорт.jpg", Content: passportScan})
		require.NoError(t, err)
		assert.Equal(t, "person-1", doc.Subject)
		again, err := s.PutDocument(ctx, NewDocument{Owner: "fns-registration-r1", Subject: "person-1", Title: "паспорт.jpg", Content: passportScan})
		require.NoError(t, err)
		assert.Equal(t, doc.ID, again.ID, "still idempotent")

		assert.Zero(t, countRows(t, s, "blobs"), "no plaintext blob")
		var raw []byte
		require.NoError(t, s.db.GetContext(ctx, &raw, s.db.Rebind("SELECT content FROM sealed_blobs WHERE subject = ?"), "person-1"))
		assert.False(t, bytes.Contains(raw, []byte("Иванов")), "the row is ciphertext")
		assert.False(t, bytes.Contains(raw, passportScan[:10]))

		_, content, err := s.GetDocument(ctx, doc.ID)
		require.NoError(t, err)
		assert.Equal(t, passportScan, content)

		owned, err := s.PutDocument(ctx, NewDocument{Owner: "kyc-r2", Title: "selfie.jpg", Content: []byte("selfie")})
		require.NoError(t, err)
		assert.Equal(t, "kyc-r2", owned.Subject, "no subject: the owner's")

		raw[len(raw)-1] ^= 1
		_, err = s.db.ExecContext(ctx, s.db.Rebind("UPDATE sealed_blobs SET content = ? WHERE subject = ?"), raw, "person-1")
		require.NoError(t, err)
		_, _, err = s.GetDocument(ctx, doc.ID)
		assert.ErrorIs(t, err, ErrTampered)
	})
}

// TestEraseSubject: one subject's key and documents go, another's stay;
// the erasure is recorded.
func TestEraseSubject(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openSealed(t, url, testKeys{"m1", map[string][]byte{"m1": newKey(t)}})
		mine, err := s.PutDocument(ctx, NewDocument{Owner: "w1", Subject: "person-1", Title: "a", Content: passportScan})
		require.NoError(t, err)
		theirs, err := s.PutDocument(ctx, NewDocument{Owner: "w2", Subject: "person-2", Title: "a", Content: passportScan})
		require.NoError(t, err)
		key, err := s.SubjectKeyFor(ctx, "person-1")
		require.NoError(t, err)
		owners, err := s.SubjectOwners(ctx, "person-1")
		require.NoError(t, err)
		assert.Equal(t, []string{"w1"}, owners)

		listed, err := s.ListSubjects(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"person-1", "person-2"}, listed)
		e, err := s.EraseSubject(ctx, "person-1", "operator:ops", true)
		require.NoError(t, err)
		assert.EqualValues(t, 1, e.Documents)
		_, _, err = s.GetDocument(ctx, mine.ID)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = s.SubjectKeyByID(ctx, key.KeyID)
		assert.ErrorIs(t, err, ErrErased, "what the key sealed elsewhere is unreadable")
		_, err = s.SubjectKeyFor(ctx, "person-1")
		assert.ErrorIs(t, err, ErrErased, "an erased subject gets no new key")
		_, content, err := s.GetDocument(ctx, theirs.ID)
		require.NoError(t, err)
		assert.Equal(t, passportScan, content, "another person's data stays readable")
		assert.Equal(t, 1, countRows(t, s, "erasures"))
		listed, err = s.ListSubjects(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"person-2"}, listed)
		var actor string
		require.NoError(t, s.db.GetContext(ctx, &actor, "SELECT actor FROM erasures"))
		assert.Equal(t, "operator:ops", actor)
	})
}

// TestMasterKeyRotation: subject keys wrapped by an older master key
// still open while it is configured; new ones use the active key.
func TestMasterKeyRotation(t *testing.T) {
	url := storetest.SQLiteURL(t)
	ctx := context.Background()
	k1, k2 := newKey(t), newKey(t)
	old := openSealed(t, url, testKeys{"k1", map[string][]byte{"k1": k1}})
	doc, err := old.PutDocument(ctx, NewDocument{Owner: "w1", Subject: "person-1", Title: "a", Content: passportScan})
	require.NoError(t, err)
	plain, err := Open(ctx, url)
	require.NoError(t, err)
	before, err := plain.PutDocument(ctx, NewDocument{Owner: "w0", Title: "before.txt", Content: []byte("stored before encryption")})
	require.NoError(t, err)
	require.NoError(t, plain.Close())

	rotated := openSealed(t, url, testKeys{"k2", map[string][]byte{"k1": k1, "k2": k2}})
	_, content, err := rotated.GetDocument(ctx, doc.ID)
	require.NoError(t, err)
	assert.Equal(t, passportScan, content)
	_, content, err = rotated.GetDocument(ctx, before.ID)
	require.NoError(t, err)
	assert.Equal(t, "stored before encryption", string(content), "plaintext from before encryption still reads")
	_, err = rotated.PutDocument(ctx, NewDocument{Owner: "w2", Subject: "person-2", Title: "a", Content: passportScan})
	require.NoError(t, err)
	var master string
	require.NoError(t, rotated.db.GetContext(ctx, &master, "SELECT master_key_id FROM subject_keys WHERE subject = 'person-2'"))
	assert.Equal(t, "k2", master)

	withoutK1 := openSealed(t, url, testKeys{"k2", map[string][]byte{"k2": k2}})
	_, _, err = withoutK1.GetDocument(ctx, doc.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `master key "k1"`)
}

// TestAgentTokensAreSealed: the row holds no token; the read gives it back.
func TestAgentTokensAreSealed(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openSealed(t, url, testKeys{"m1", map[string][]byte{"m1": newKey(t)}})
		const token = "0123456789abcdef0123456789abcdef01234567"
		require.NoError(t, s.PutFNSAgent(ctx, FNSAgent{ID: "7", Username: "agent1", Token: token}))
		var raw string
		require.NoError(t, s.db.GetContext(ctx, &raw, "SELECT token FROM fns_agents"))
		assert.NotContains(t, raw, token)
		a, err := s.GetFNSAgent(ctx, "7")
		require.NoError(t, err)
		assert.Equal(t, token, a.Token)
	})
}

// TestSameBytesForTwoSubjectsAreTwoDocuments: deduplication keeps subjects apart.
func TestSameBytesForTwoSubjectsAreTwoDocuments(t *testing.T) {
	ctx := context.Background()
	s := openSealed(t, storetest.SQLiteURL(t), testKeys{"m1", map[string][]byte{"m1": newKey(t)}})
	a, err := s.PutDocument(ctx, NewDocument{Owner: "w", Subject: "person-a", Title: "scan", Content: passportScan})
	require.NoError(t, err)
	b, err := s.PutDocument(ctx, NewDocument{Owner: "w", Subject: "person-b", Title: "scan", Content: passportScan})
	require.NoError(t, err)
	assert.NotEqual(t, a.ID, b.ID)
	_, err = s.EraseSubject(ctx, "person-a", "ops", true)
	require.NoError(t, err)
	_, content, err := s.GetDocument(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, passportScan, content, "erasing one leaves the other's copy")
	_, err = s.PutDocument(ctx, NewDocument{Owner: "w", Subject: "person-a", Title: "new", Content: []byte("again")})
	assert.ErrorIs(t, err, ErrErased, "an erased subject keeps no new data")
}
