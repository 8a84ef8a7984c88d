package fns

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// verifySaves makes every save check that the state file now holds the
// whole model: the package's tests set it, so that a change made without
// touch (which the next restart would lose) fails them.
var verifySaves bool

// unsavedChanges are what verifySaved found, for the tests to report.
var unsavedChanges []string

// verifySaved records in unsavedChanges where the parts written are not the model:
// a consumer's part that changed without being touched, a workflow,
// certificate or document in no part, a file not written, a create count
// not written; the caller holds s.mu, in save, before the marks are cleared.
func (s *Sandbox) verifySaved() {
	fail := func(format string, args ...any) {
		unsavedChanges = append(unsavedChanges, fmt.Sprintf(format, args...))
	}
	var workflows, certs, confDocs, scans, docs int
	for id, c := range s.consumers {
		b, err := json.Marshal(s.part(c))
		if err != nil {
			fail("consumer %s: %v", id, err)
		}
		if s.dirty[id] {
			s.savedParts[id] = b
		} else if !bytes.Equal(b, s.savedParts[id]) {
			fail("consumer %s changed without touch, at %s", id, firstDifference(s.savedParts[id], b))
		}
		certs += len(c.certs)
		for _, w := range s.byConsumer[id] {
			workflows, confDocs, scans, docs = workflows+1, confDocs+len(w.confDocs), scans+len(w.scans), docs+len(w.docs)
		}
	}
	for what, counts := range map[string][2]int{"workflows": {workflows, len(s.workflows)}, "certificates": {certs, len(s.certs)},
		"confirmation documents": {confDocs, len(s.confDocs)}, "scans": {scans, len(s.scans)}, "documents": {docs, len(s.docs)}} {
		if counts[0] != counts[1] {
			fail("%d %s in the consumers' parts, %d in the model", counts[0], what, counts[1])
		}
	}
	for id, c := range s.consumers {
		if ops, _, err := s.unsavedFiles(c); err != nil || len(ops) > 0 {
			fail("consumer %s: %d files not written (%v)", id, len(ops), err)
		}
	}
	for ext, n := range s.creates {
		if s.savedCreates[ext] != n && !s.dirtyCreates[ext] {
			fail("create count of %s changed without a mark", ext)
		}
		s.savedCreates[ext] = n
	}
}

// firstDifference shows where a and b first differ.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-60)
	return fmt.Sprintf("…%s| was %.40q, now %.40q", b[from:i], a[i:], b[i:])
}
