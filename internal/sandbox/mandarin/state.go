package mandarin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"idflow/internal/sandbox/sandboxstate"
)

// Name of this sandbox in a state file, and kinds of its stored objects.
const (
	stateSandbox = "mandarin"
	kindSession  = "session" // kindSession is a session by id: sessionRecord.
	kindRequest  = "request" // kindRequest is an accepted X-Auth request id: requestRecord.
)

// Open returns a Sandbox with cfg's defaults filled in. With cfg.StatePath it
// opens (or creates) that file and loads the sessions and the replay guard
// saved there; every later change is written to it before it is answered.
// Without it, Open is New.
func Open(cfg Config) (*Sandbox, error) {
	s := newSandbox(cfg)
	if cfg.StatePath == "" {
		return s, nil
	}
	ctx := context.Background()
	st, err := sandboxstate.Open(ctx, cfg.StatePath, stateSandbox)
	if err != nil {
		return nil, fmt.Errorf("mandarin sandbox: %w", err)
	}
	if err := s.load(ctx, st); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("mandarin sandbox: load %s: %w", cfg.StatePath, err)
	}
	s.state = st
	return s, nil
}

// Close closes the state file, if any. Changes made afterwards are kept in
// memory only. Every change was committed when it was made, so an error
// closing the file loses nothing and is not reported. Close is idempotent.
func (s *Sandbox) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		_ = s.state.Close()
		s.state = nil
	}
}

// sessionRecord is a session as stored.
type sessionRecord struct {
	Created      time.Time `json:"created"`
	Timing       timing    `json:"timing"`
	NotFound     bool      `json:"notFound"`
	RegistryMiss bool      `json:"registryMiss"`
	Attempts     int       `json:"attempts"`
	PhoneChecked bool      `json:"phoneChecked"`
	PhoneOK      bool      `json:"phoneOK"`
}

// requestRecord is an accepted request id as stored; Seq orders them.
type requestRecord struct {
	Seq int64 `json:"seq"`
}

// load fills an empty sandbox from st.
func (s *Sandbox) load(ctx context.Context, st *sandboxstate.Store) error {
	sessions, err := st.Load(ctx, kindSession)
	if err != nil {
		return err
	}
	for _, r := range sessions {
		var rec sessionRecord
		if err := json.Unmarshal(r.Body, &rec); err != nil {
			return fmt.Errorf("session %s: %w", r.ID, err)
		}
		s.sessions[r.ID] = &session{
			created: rec.Created, timing: rec.Timing, notFound: rec.NotFound, registryMiss: rec.RegistryMiss,
			attempts: rec.Attempts, phoneChecked: rec.PhoneChecked, phoneOK: rec.PhoneOK,
		}
	}
	requests, err := st.Load(ctx, kindRequest)
	if err != nil {
		return err
	}
	type seen struct {
		id  string
		seq int64
	}
	ids := make([]seen, 0, len(requests))
	for _, r := range requests {
		var rec requestRecord
		if err := json.Unmarshal(r.Body, &rec); err != nil {
			return fmt.Errorf("request id %s: %w", r.ID, err)
		}
		ids = append(ids, seen{r.ID, rec.Seq})
	}
	slices.SortFunc(ids, func(a, b seen) int { return cmp.Compare(a.seq, b.seq) })
	for _, r := range ids { // oldest first, so the guard forgets them first
		s.replay.use(r.id)
		s.replaySeq = max(s.replaySeq, r.seq)
	}
	return nil
}

// saveSession writes a session; the caller holds s.mu.
func (s *Sandbox) saveSession(id string, sess *session) error {
	if s.state == nil {
		return nil
	}
	return s.state.Apply(context.Background(), sandboxstate.Put(kindSession, id, sessionRecord{
		Created: sess.created, Timing: sess.timing, NotFound: sess.notFound, RegistryMiss: sess.registryMiss,
		Attempts: sess.attempts, PhoneChecked: sess.phoneChecked, PhoneOK: sess.phoneOK,
	}))
}

// useRequestID records an X-Auth request id and reports false when it was
// already used; the caller holds s.mu. With a state file the id (and the
// forgetting of the oldest one) is written first, so that memory changes
// only when the file did.
func (s *Sandbox) useRequestID(id string) (bool, error) {
	if s.replay.has(id) {
		return false, nil
	}
	if s.state != nil {
		ops := []sandboxstate.Op{sandboxstate.Put(kindRequest, id, requestRecord{Seq: s.replaySeq + 1})}
		if old := s.replay.evictee(); old != "" {
			ops = append(ops, sandboxstate.Delete(kindRequest, old))
		}
		if err := s.state.Apply(context.Background(), ops...); err != nil {
			return false, err
		}
		s.replaySeq++
	}
	return s.replay.use(id), nil
}
