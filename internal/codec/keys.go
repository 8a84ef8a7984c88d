package codec

import (
	"context"
	"strings"
	"sync"
	"time"

	"idflow/internal/aead"
)

// MasterKeys are the configured keys: an active one and older ones that
// still open what they sealed (config.KeyRing).
type MasterKeys interface {
	ActiveKeyID() string
	MasterKey(id string) ([]byte, bool)
}

// SubjectKeyPrefix starts the id of a subject's data key.
const SubjectKeyPrefix = "sk_"

// Ring resolves keys: master keys from the configuration and, when the
// store is wired in, subjects' data keys. Subject keys are cached for
// CacheFor: an erasure reaches a running process within that time.
type Ring struct {
	Master MasterKeys
	// ForSubject returns the subject's data key (made on first use).
	ForSubject func(ctx context.Context, subject string) (id string, key Key, err error)
	// ByID returns a subject's data key by its id.
	ByID func(ctx context.Context, id string) (Key, error)
	// CacheFor is how long a subject key is kept in memory (default 30 s;
	// negative: not cached).
	CacheFor time.Duration

	mu    sync.Mutex
	cache map[string]cached // by subject and by key id
}

type cached struct {
	id, subject string
	key         Key
	until       time.Time
}

// For returns the keys of a process of subject ("" for none: the master key).
func (r *Ring) For(subject string) Keys { return subjectKeys{r, subject} }

type subjectKeys struct {
	ring    *Ring
	subject string
}

func (k subjectKeys) SealKey(ctx context.Context) (string, Key, error) {
	if k.subject == "" || k.ring.ForSubject == nil {
		return k.ring.masterSealKey()
	}
	return k.ring.subjectKey(ctx, k.subject)
}

func (k subjectKeys) OpenKey(ctx context.Context, id string) (Key, error) {
	return k.ring.OpenKey(ctx, id)
}

func (r *Ring) masterSealKey() (string, Key, error) {
	id := r.Master.ActiveKeyID()
	key, ok := r.Master.MasterKey(id)
	if !ok {
		return "", nil, ErrUnknownKey
	}
	return id, aead.Key(key), nil
}

// OpenKey returns the key with id: a subject's, or a master key.
func (r *Ring) OpenKey(ctx context.Context, id string) (Key, error) {
	if !strings.HasPrefix(id, SubjectKeyPrefix) {
		key, ok := r.Master.MasterKey(id)
		if !ok {
			return nil, ErrUnknownKey
		}
		return aead.Key(key), nil
	}
	if c, ok := r.cached("id:" + id); ok {
		return c.key, nil
	}
	if r.ByID == nil {
		return nil, ErrUnknownKey
	}
	key, err := r.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	r.keep("id:"+id, cached{id: id, key: key, subject: subjectOf(key)})
	return key, nil
}

func (r *Ring) subjectKey(ctx context.Context, subject string) (string, Key, error) {
	if c, ok := r.cached("subject:" + subject); ok {
		return c.id, c.key, nil
	}
	id, key, err := r.ForSubject(ctx, subject)
	if err != nil {
		return "", nil, err
	}
	r.keep("subject:"+subject, cached{id: id, key: key, subject: subject})
	r.keep("id:"+id, cached{id: id, key: key, subject: subject}) // what this process seals it opens without a lookup
	return id, key, nil
}

func (r *Ring) cached(k string) (cached, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cache[k]
	if !ok || time.Now().After(c.until) {
		delete(r.cache, k)
		return cached{}, false
	}
	return c, true
}

func (r *Ring) keep(k string, c cached) {
	if r.CacheFor < 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cache == nil {
		r.cache = map[string]cached{}
	}
	ttl := r.CacheFor
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	now := time.Now()
	for key, old := range r.cache { // expired keys leave memory, not only when looked up again
		if now.After(old.until) {
			delete(r.cache, key)
		}
	}
	c.until = now.Add(ttl)
	r.cache[k] = c
}

// Forget drops what is cached of a subject (after its erasure here).
func (r *Ring) Forget(subject string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, c := range r.cache {
		if c.subject == subject {
			delete(r.cache, k)
		}
	}
}

// subjectOf is the subject a key names, when it says (a store's subject key does).
func subjectOf(k Key) string {
	if s, ok := k.(interface{ SubjectID() string }); ok {
		return s.SubjectID()
	}
	return ""
}
