package config

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// KeyRing is the parsed IDFLOW_ENCRYPTION_KEYS: master keys by id and the
// active one. It never prints key material.
type KeyRing struct {
	Active string
	Keys   map[string][]byte
}

// String names the ids only.
func (k KeyRing) String() string {
	ids := make([]string, 0, len(k.Keys))
	for id := range k.Keys {
		ids = append(ids, id)
	}
	return fmt.Sprintf("KeyRing{active %s, %d key(s)}", k.Active, len(ids))
}

// GoString names the ids only, as String does.
func (k KeyRing) GoString() string { return k.String() }

// ActiveKeyID names the key new data is sealed with.
func (k KeyRing) ActiveKeyID() string { return k.Active }

// MasterKey returns the key with that id.
func (k KeyRing) MasterKey(id string) ([]byte, bool) {
	key, ok := k.Keys[id]
	return key, ok
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseKeyRing reads "id:base64,id:base64" (standard or URL base64 of 32
// bytes each) and the active id (default: the first). Errors name the
// key's id or position, never its value.
func ParseKeyRing(spec, active string) (KeyRing, error) {
	ring := KeyRing{Keys: map[string][]byte{}}
	for i, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, encoded, ok := strings.Cut(item, ":")
		if !ok || !keyIDPattern.MatchString(id) {
			return KeyRing{}, fmt.Errorf("key #%d: want id:base64 with an id of 1 to 64 letters, digits, '.', '_' or '-'", i+1)
		}
		if strings.HasPrefix(id, "sk_") {
			return KeyRing{}, fmt.Errorf("key %s: ids starting sk_ name subjects' data keys", id)
		}
		if _, dup := ring.Keys[id]; dup {
			return KeyRing{}, fmt.Errorf("key %s given twice", id)
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return KeyRing{}, fmt.Errorf("key %s: %w", id, err)
		}
		ring.Keys[id] = key
		if ring.Active == "" {
			ring.Active = id
		}
	}
	if len(ring.Keys) == 0 {
		return KeyRing{}, fmt.Errorf("no key")
	}
	if active != "" {
		if _, ok := ring.Keys[active]; !ok {
			return KeyRing{}, fmt.Errorf("active key %s (IDFLOW_ENCRYPTION_KEY_ID) is not among the keys", active)
		}
		ring.Active = active
	}
	return ring, nil
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("want 32 bytes (AES-256), got %d", len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64")
}

// FormatKey writes one key as ParseKeyRing reads it.
func FormatKey(id string, key []byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}
