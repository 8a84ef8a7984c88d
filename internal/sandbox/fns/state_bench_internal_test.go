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

// BenchmarkIdleAdvanceAmongRegistrations is the pump's tick (every 10 ms)
// and the start of every request when no step is due, with 300 persons in.
func BenchmarkIdleAdvanceAmongRegistrations(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "sandboxes.db"))
	defer s.Close()
	for range 300 {
		c, _, _ := issuedConsumer(b, s)
		s.mu.Lock()
		// Waiting for an agent: nothing scheduled.
		s.addWorkflow(&workflow{id: s.nextID(), typ: TypeIdentification, scenario: ScenarioRegistration,
			state: StateWaitIdentification, consumer: c, searchedBy: map[string]bool{}})
		s.mu.Unlock()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.mu.Lock()
		changed := s.advance()
		s.mu.Unlock()
		if changed {
			b.Fatal("nothing was due")
		}
	}
}
