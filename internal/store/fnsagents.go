package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"idflow/internal/aead"
)

// FNSAgent is an FNS identification agent's account: its FNS id, login and
// API token.
type FNSAgent struct {
	ID       string
	Username string
	Token    string
}

// String hides the token.
func (a FNSAgent) String() string {
	return "store.FNSAgent{" + a.ID + " " + a.Username + " token:REDACTED}"
}

// PutFNSAgent keeps (or replaces) an agent's account.
func (s *Store) PutFNSAgent(ctx context.Context, a FNSAgent) error {
	if a.ID == "" || a.Token == "" || !validText(a.ID) || !validText(a.Username) || !validText(a.Token) {
		return fmt.Errorf("%w: an FNS agent needs an id and a token", ErrInvalid)
	}
	token, err := s.sealSecret(a.Token, "fns agent|"+a.ID)
	if err != nil {
		return fmt.Errorf("store: put FNS agent: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO fns_agents (agent_id, username, token, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (agent_id) DO UPDATE SET username = excluded.username, token = excluded.token`),
		a.ID, a.Username, token, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("store: put FNS agent: %w", err)
	}
	return nil
}

// GetFNSAgent returns an agent's account; ErrNotFound for an unknown id.
func (s *Store) GetFNSAgent(ctx context.Context, id string) (FNSAgent, error) {
	var a FNSAgent
	err := s.db.QueryRowxContext(ctx, s.db.Rebind(`SELECT agent_id, username, token FROM fns_agents WHERE agent_id = ?`), id).
		Scan(&a.ID, &a.Username, &a.Token)
	if err != nil {
		return FNSAgent{}, fmt.Errorf("store: FNS agent: %w", notFound(err))
	}
	if a.Token, err = s.openSecret(a.Token, "fns agent|"+a.ID); err != nil {
		return FNSAgent{}, fmt.Errorf("store: FNS agent %s: %w", a.ID, err)
	}
	return a, nil
}

// sealedPrefix marks a secret sealed with a master key: "sealed:KEYID:BASE64".
const sealedPrefix = "sealed:"

// sealSecret seals a short secret (a provider token) with the active
// master key, bound to where it belongs; without keys it is kept as is.
func (s *Store) sealSecret(secret, aad string) (string, error) {
	if s.keys == nil {
		return secret, nil
	}
	id := s.keys.ActiveKeyID()
	master, ok := s.keys.MasterKey(id)
	if !ok {
		return "", fmt.Errorf("active master key %q missing", id)
	}
	sealed, err := aead.Key(master).Seal([]byte(secret), []byte(aad))
	if err != nil {
		return "", err
	}
	return sealedPrefix + id + ":" + base64.StdEncoding.EncodeToString(sealed), nil
}

// openSecret opens what sealSecret made; a secret stored before
// encryption reads as it is.
func (s *Store) openSecret(stored, aad string) (string, error) {
	rest, sealed := strings.CutPrefix(stored, sealedPrefix)
	if !sealed {
		return stored, nil
	}
	id, encoded, _ := strings.Cut(rest, ":")
	if s.keys == nil {
		return "", errors.New("sealed, and no master keys are configured")
	}
	master, ok := s.keys.MasterKey(id)
	if !ok {
		return "", fmt.Errorf("master key %q is not configured", id)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", ErrTampered
	}
	plain, err := aead.Key(master).Open(raw, []byte(aad))
	if err != nil {
		return "", ErrTampered
	}
	return string(plain), nil
}
