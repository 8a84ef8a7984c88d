package store

import (
	"context"
	"fmt"
	"time"
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
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO fns_agents (agent_id, username, token, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (agent_id) DO UPDATE SET username = excluded.username, token = excluded.token`),
		a.ID, a.Username, a.Token, time.Now().UnixMicro())
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
	return a, nil
}
