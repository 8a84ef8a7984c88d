package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"idflow/internal/store/storetest"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	binary := append(make([]byte, 16), 0xff, 0x00, 0xfe, 0x00)
	for i := range 256 {
		binary = append(binary, byte(i))
	}
	cases := []struct {
		name    string
		content []byte
	}{
		{"text", []byte("hello, world\n")},
		{"binary with zero bytes", binary},
		{"single zero byte", []byte{0}},
		{"5MB", randomBytes(t, 5<<20)},
	}
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		for _, c := range cases {
			before := time.Now().UTC().Truncate(time.Microsecond)
			doc, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Title: c.name, Content: c.content})
			require.NoError(t, err, c.name)
			after := time.Now().UTC()

			sum := sha256.Sum256(c.content)
			assert.Equal(t, hex.EncodeToString(sum[:]), doc.SHA256)
			assert.True(t, strings.HasPrefix(doc.ID, "doc_"), doc.ID)
			assert.Equal(t, "alice", doc.Owner)
			assert.Equal(t, c.name, doc.Title)
			assert.Equal(t, DefaultMediaType, doc.MediaType)
			assert.Equal(t, int64(len(c.content)), doc.Size)
			assert.Equal(t, time.UTC, doc.CreatedAt.Location())
			assert.False(t, doc.CreatedAt.Before(before) || doc.CreatedAt.After(after), doc.CreatedAt)

			got, content, err := s.GetDocument(ctx, doc.ID)
			require.NoError(t, err)
			assert.Equal(t, doc, got)
			assert.True(t, bytes.Equal(c.content, content), "%s: content differs", c.name)
			info, err := s.DocumentInfo(ctx, doc.ID)
			require.NoError(t, err)
			assert.Equal(t, doc, info)
		}
	})
}

func TestSameContentDifferentTitles(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		content := []byte("shared bytes")
		a, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Title: "one", Content: content})
		require.NoError(t, err)
		b, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Title: "two", Content: content})
		require.NoError(t, err)
		c, err := s.PutDocument(ctx, NewDocument{Owner: "bob", Title: "one", Content: content})
		require.NoError(t, err)

		assert.NotEqual(t, a.ID, b.ID)
		assert.NotEqual(t, a.ID, c.ID)
		assert.Equal(t, a.SHA256, b.SHA256)
		assert.Equal(t, 3, countRows(t, s, "documents"))
		assert.Equal(t, 1, countRows(t, s, "blobs"))
	})
}

func TestIdenticalPutReturnsSameDocument(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		in := NewDocument{Owner: "alice", Title: "report", MediaType: "text/plain", Content: []byte("v1")}
		first, err := s.PutDocument(ctx, in)
		require.NoError(t, err)
		again, err := s.PutDocument(ctx, in)
		require.NoError(t, err)
		assert.Equal(t, first, again)

		other, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Title: "report", MediaType: "text/markdown", Content: []byte("v1")})
		require.NoError(t, err)
		assert.NotEqual(t, first.ID, other.ID, "a different media type is a different document")

		// An empty media type means the default, so both spellings are the same document.
		def, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Content: []byte("v1")})
		require.NoError(t, err)
		explicit, err := s.PutDocument(ctx, NewDocument{Owner: "alice", MediaType: DefaultMediaType, Content: []byte("v1")})
		require.NoError(t, err)
		assert.Equal(t, def.ID, explicit.ID)

		assert.Equal(t, 3, countRows(t, s, "documents"))
		assert.Equal(t, 1, countRows(t, s, "blobs"))
	})
}

func TestConcurrentPuts(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		const workers = 16
		shared := NewDocument{Owner: "alice", Title: "same", Content: []byte("everyone puts this")}
		sharedIDs := make([]string, workers)
		uniqueIDs := make([]string, workers)
		errs := make([]error, workers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				doc, err := s.PutDocument(ctx, shared)
				if err != nil {
					errs[i] = err
					return
				}
				sharedIDs[i] = doc.ID
				content := fmt.Appendf(nil, "unique content %d", i)
				doc, err = s.PutDocument(ctx, NewDocument{Owner: "alice", Title: "mine", Content: content})
				errs[i] = err
				uniqueIDs[i] = doc.ID
			})
		}
		close(start)
		wg.Wait()

		require.NoError(t, errors.Join(errs...))
		for _, id := range sharedIDs {
			assert.Equal(t, sharedIDs[0], id, "racing identical puts must agree on one document")
		}
		seen := map[string]bool{}
		for _, id := range uniqueIDs {
			assert.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
		}
		assert.Equal(t, workers+1, countRows(t, s, "documents"))
		assert.Equal(t, workers+1, countRows(t, s, "blobs"))
	})
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		_, content, err := s.GetDocument(ctx, "doc_missing")
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Nil(t, content)
		assert.Contains(t, err.Error(), "doc_missing")
		_, err = s.DocumentInfo(ctx, "doc_missing")
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

func TestInvalidPutWritesNothing(t *testing.T) {
	t.Parallel()
	const secret = "Private Title of Jane Doe"
	cases := []struct {
		name string
		doc  NewDocument
	}{
		{"nil content", NewDocument{Owner: "alice", Title: secret}},
		{"empty content", NewDocument{Owner: "alice", Title: secret, Content: []byte{}}},
		{"empty owner", NewDocument{Title: secret, Content: []byte("x")}},
		{"long owner", NewDocument{Owner: strings.Repeat("o", MaxOwnerLen+1), Content: []byte("x")}},
		{"long media type", NewDocument{Owner: "alice", MediaType: strings.Repeat("m", MaxMediaTypeLen+1), Content: []byte("x")}},
		{"invalid UTF-8 title", NewDocument{Owner: "alice", Title: secret + "\xff", Content: []byte("x")}},
		{"NUL in owner", NewDocument{Owner: "al\x00ice", Title: secret, Content: []byte("x")}},
	}
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		for _, c := range cases {
			_, err := s.PutDocument(ctx, c.doc)
			require.ErrorIs(t, err, ErrInvalid, c.name)
			assert.NotContains(t, err.Error(), "Jane", "errors must not quote titles")
		}
		_, err := s.ListDocuments(ctx, "")
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Zero(t, countRows(t, s, "documents"))
		assert.Zero(t, countRows(t, s, "blobs"))
	})
}

func TestFailedTransactionWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		d := NewDocument{Owner: "alice", Title: "t", MediaType: DefaultMediaType, Content: []byte("half")}
		boom := errors.New("boom")
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := s.putTx(ctx, tx, "key", "hash", d, nil); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Zero(t, countRows(t, s, "documents"))
		assert.Zero(t, countRows(t, s, "blobs"))
	})
}

func TestListDocuments(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openTestStore(t, url)
		var want []Document
		for i := range 5 {
			doc, err := s.PutDocument(ctx, NewDocument{Owner: "alice", Title: fmt.Sprint("doc ", i), Content: []byte{byte(i)}})
			require.NoError(t, err)
			want = append(want, doc)
			_, err = s.PutDocument(ctx, NewDocument{Owner: "bob", Title: "b", Content: []byte{byte(i)}})
			require.NoError(t, err)
		}

		got, err := s.ListDocuments(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, want, got)
		for i := 1; i < len(got); i++ {
			prev, cur := got[i-1], got[i]
			ordered := prev.CreatedAt.Before(cur.CreatedAt) ||
				prev.CreatedAt.Equal(cur.CreatedAt) && prev.ID < cur.ID
			assert.True(t, ordered, "documents %d and %d out of order", i-1, i)
		}

		bob, err := s.ListDocuments(ctx, "bob")
		require.NoError(t, err)
		assert.Len(t, bob, 5)
		for _, d := range bob {
			assert.Equal(t, "bob", d.Owner)
		}

		none, err := s.ListDocuments(ctx, "nobody")
		require.NoError(t, err)
		assert.NotNil(t, none, "an empty list must not be nil (JSON [])")
		assert.Empty(t, none)
	})
}
