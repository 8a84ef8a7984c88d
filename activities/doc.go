// Package activities holds everything workflows do to the world: provider
// calls and the database. Activities are methods on structs that hold their
// dependencies; the worker builds each struct once and registers it.
//
// Errors are classified for Temporal's retry policy: what may succeed later
// (network, 5xx, 429, "not finished yet") is returned as is and retried with
// backoff; what never will is a non-retryable application error whose type
// (the ErrType* constants) an operator can search for.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"idflow/internal/store"
)

// Application error types, as seen in the Temporal UI and in workflow code.
const (
	// ErrTypeInvalidInput: the data cannot pass the provider's checks; fix the input.
	ErrTypeInvalidInput = "InvalidInput"
	// ErrTypeProviderRejected: the provider refused the request for good (its 4xx).
	ErrTypeProviderRejected = "ProviderRejected"
	// ErrTypeProviderNotConfigured: the worker has no credentials for the provider.
	ErrTypeProviderNotConfigured = "ProviderNotConfigured"
	// ErrTypeCheckPending: the provider has not finished yet; retried by design.
	ErrTypeCheckPending = "CheckPending"
)

// errPending is the retryable "not finished yet" that drives polling through
// activity retries, so that a long poll costs a constant few history events.
func errPending(what string) error {
	return temporal.NewApplicationError(what+" not finished yet", ErrTypeCheckPending)
}

// finalError makes err non-retryable under the given type, keeping its text.
func finalError(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, nil)
}

// errNotConfigured is returned by activities of a provider the worker has no client for.
var errNotConfigured = errors.New("provider not configured on this worker (see the README's configuration table)")

// loadJSON reads a claim-checked value (personal data kept out of workflow
// history) from the document store. A missing or malformed document is
// invalid input, final; a store failure is retried.
func loadJSON(ctx context.Context, st *store.Store, what, documentID string, out any) error {
	_, content, err := st.GetDocument(ctx, documentID)
	if errors.Is(err, store.ErrNotFound) {
		return finalError(ErrTypeInvalidInput, fmt.Errorf("%s document %s not found", what, documentID))
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(content, out); err != nil {
		return finalError(ErrTypeInvalidInput, fmt.Errorf("%s document %s is not a %s JSON object", what, documentID, what))
	}
	return nil
}
