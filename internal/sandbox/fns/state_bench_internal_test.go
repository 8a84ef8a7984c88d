package fns

import (
	"path/filepath"
	"testing"
)

// BenchmarkSaveAmongRegistrations: one save of a change (a consumer's
// update time) with 300 persons already registered, each with an issued
// certificate and its key, as a stack long used by benches holds.
func BenchmarkSaveAmongRegistrations(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "sandboxes.db"))
	defer s.Close()
	var last *consumer
	for range 300 {
		last, _, _ = issuedConsumer(b, s)
	}
	verifySaves = false // it would serialise every part at every save
	defer func() { verifySaves = true }()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.mu.Lock()
		last.updated = last.updated.Add(1)
		s.touch(last)
		err := s.save()
		s.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
}
