package store

import (
	"context"
	"encoding/binary"
	"idflow/internal/store/storetest"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkPutDocument measures PutDocument of new, distinct content on an SQLite file.
func BenchmarkPutDocument(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			ctx := context.Background()
			s := openTestStore(b, storetest.SQLiteURL(b))
			content := randomBytes(b, size.bytes)
			b.SetBytes(int64(size.bytes))
			b.ReportAllocs()
			var n uint64
			for b.Loop() {
				n++
				binary.LittleEndian.PutUint64(content, n) // new content, new blob
				_, err := s.PutDocument(ctx, NewDocument{Owner: "bench", Title: "b", Content: content})
				require.NoError(b, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
