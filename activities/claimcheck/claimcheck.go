// Package claimcheck loads values that workflows pass by document-store id
// (claim check), so that personal data stays out of workflow history.
package claimcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"idflow/internal/store"
	"idflow/workflows/process"
)

// LoadJSON reads the JSON document documentID into out. A missing or
// malformed document is invalid input, final; a store failure is returned
// as is, to be retried. what names the value in errors ("person").
func LoadJSON(ctx context.Context, st *store.Store, what, documentID string, out any) error {
	_, content, err := st.GetDocument(ctx, documentID)
	if errors.Is(err, store.ErrNotFound) {
		return process.FinalError(process.ErrTypeInvalidInput, fmt.Errorf("%s document %s not found", what, documentID))
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(content, out); err != nil {
		return process.FinalError(process.ErrTypeInvalidInput, fmt.Errorf("%s document %s is not a %s JSON object", what, documentID, what))
	}
	return nil
}

// ErrNotConfigured is the final error of an activity whose provider the
// worker has no credentials for.
func ErrNotConfigured() error {
	return process.FinalError(process.ErrTypeProviderNotConfigured,
		errors.New("provider not configured on this worker (see the README's configuration table)"))
}
