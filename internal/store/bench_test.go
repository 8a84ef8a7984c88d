package store

import (
	"context"
	"encoding/binary"
	"strconv"
	"sync/atomic"
	"testing"

	"idflow/internal/store/storetest"

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

// BenchmarkAddInboxEvent measures storing one webhook (the work the gateway
// does before answering 200), new and duplicate, on an SQLite file.
func BenchmarkAddInboxEvent(b *testing.B) {
	ctx := context.Background()
	body := []byte(`{"applicantId":"0123456789abcdef01234567","correlationId":"c","type":"applicantReviewed"}`)
	b.Run("new", func(b *testing.B) {
		s := openTestStore(b, storetest.SQLiteURL(b))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n++
			_, inserted, err := s.AddInboxEvent(ctx, "idngo", "c-"+strconv.Itoa(n), "applicantReviewed", body)
			require.NoError(b, err)
			require.True(b, inserted)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("duplicate", func(b *testing.B) {
		s := openTestStore(b, storetest.SQLiteURL(b))
		_, _, err := s.AddInboxEvent(ctx, "idngo", "same", "applicantReviewed", body)
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			_, inserted, err := s.AddInboxEvent(ctx, "idngo", "same", "applicantReviewed", body)
			require.NoError(b, err)
			require.False(b, inserted)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkConcurrentPutDocument measures 4 KiB PutDocument from 1 and 64
// writers at once on an SQLite file: the figure the one-connection pool is for.
func BenchmarkConcurrentPutDocument(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(strconv.Itoa(writers)+"writers", func(b *testing.B) {
			ctx := context.Background()
			s := openTestStore(b, storetest.SQLiteURL(b))
			b.SetParallelism(writers) // × GOMAXPROCS goroutines
			var seq atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				content := randomBytes(b, 4<<10)
				for pb.Next() {
					binary.LittleEndian.PutUint64(content, seq.Add(1))
					if _, err := s.PutDocument(ctx, NewDocument{Owner: "bench", Title: "b", Content: content}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
