package mandarin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// hashHexLen is the length of a hex-encoded SHA-256 sum.
const hashHexLen = 64

// maxRequestIDLen bounds the request id part of X-Auth.
const maxRequestIDLen = 128

// checkAuth verifies an X-Auth header and returns its request id.
func (s *Sandbox) checkAuth(header string) (string, bool) {
	rest, ok := strings.CutPrefix(header, s.cfg.MerchantID+"-")
	if !ok || len(rest) < hashHexLen+2 || rest[hashHexLen] != '-' {
		return "", false
	}
	got, requestID := rest[:hashHexLen], rest[hashHexLen+1:]
	if len(requestID) > maxRequestIDLen {
		return "", false
	}
	sum := sha256.Sum256([]byte(s.cfg.MerchantID + "-" + requestID + "-" + s.cfg.Secret))
	want := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "", false
	}
	return requestID, true
}

// replayGuard remembers the last n request ids in arrival order.
type replayGuard struct {
	seen  map[string]struct{}
	order []string
	next  int
}

// newReplayGuard returns a guard remembering up to n ids.
func newReplayGuard(n int) replayGuard {
	return replayGuard{seen: make(map[string]struct{}, n), order: make([]string, n)}
}

// has reports whether id is remembered; the caller holds the lock.
func (g *replayGuard) has(id string) bool {
	_, ok := g.seen[id]
	return ok
}

// evictee returns the id the next use of a new id forgets, or "" when none; the caller holds the lock.
func (g *replayGuard) evictee() string {
	return g.order[g.next]
}

// use records id and reports false when it was already seen; the caller holds the lock.
func (g *replayGuard) use(id string) bool {
	if _, dup := g.seen[id]; dup {
		return false
	}
	if old := g.order[g.next]; old != "" {
		delete(g.seen, old)
	}
	g.order[g.next] = id
	g.next = (g.next + 1) % len(g.order)
	g.seen[id] = struct{}{}
	return true
}
