package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// callbackTokenBytes is the entropy of a callback token (256 bits).
const callbackTokenBytes = 32

// NewCallbackToken makes an unguessable token for provider's callbacks to
// workflowID, keeps its SHA-256 and returns the token (URL-safe) to put in
// the callback URL. The token itself is not stored.
func (s *Store) NewCallbackToken(ctx context.Context, provider, workflowID string) (string, error) {
	if provider == "" || workflowID == "" || !validText(provider) || !validText(workflowID) {
		return "", fmt.Errorf("%w: callback token needs a provider and a workflow id", ErrInvalid)
	}
	raw := make([]byte, callbackTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("store: callback token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO callback_tokens (token_sha256, provider, workflow_id, created_at)
		VALUES (?, ?, ?, ?)`), tokenHash(token), provider, workflowID, time.Now().UnixMicro())
	if err != nil {
		return "", fmt.Errorf("store: callback token: %w", err)
	}
	return token, nil
}

// CallbackWorkflow is the workflow a provider's callback token was made
// for; ErrNotFound for a token never made (or deleted), or made for another
// provider.
func (s *Store) CallbackWorkflow(ctx context.Context, provider, token string) (string, error) {
	var workflowID string
	err := s.db.GetContext(ctx, &workflowID, s.db.Rebind(`SELECT workflow_id FROM callback_tokens
		WHERE token_sha256 = ? AND provider = ?`), tokenHash(token), provider)
	if err != nil {
		return "", fmt.Errorf("store: callback token: %w", notFound(err))
	}
	return workflowID, nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
