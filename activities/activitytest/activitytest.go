// Package activitytest helps test activities: a fresh store, JSON documents,
// an activity environment, a provider that fails on demand, and assertions
// on final and retryable errors.
package activitytest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"idflow/internal/store"
)

// NewStore opens a fresh SQLite store for one test.
func NewStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "idflow.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// PutJSON stores a value as a JSON document and returns its id.
func PutJSON(t *testing.T, st *store.Store, value any, mediaType string) string {
	t.Helper()
	body, err := json.Marshal(value)
	require.NoError(t, err)
	doc, err := st.PutDocument(context.Background(), store.NewDocument{Owner: "test", Title: "data.json", MediaType: mediaType, Content: body})
	require.NoError(t, err)
	return doc.ID
}

// ActivityEnv runs activities the way a worker does, outside a workflow.
func ActivityEnv(t *testing.T, register func(env *testsuite.TestActivityEnvironment)) *testsuite.TestActivityEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	register(env)
	return env
}

// RequireFinal asserts a non-retryable application error of the given type.
func RequireFinal(t *testing.T, err error, errType string) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	require.Equal(t, errType, appErr.Type())
	require.True(t, appErr.NonRetryable(), "must not be retried")
	return appErr
}

// RequireRetryable asserts an application error that will be retried.
func RequireRetryable(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an application error, got %v", err)
	require.False(t, appErr.NonRetryable(), "must be retried: %v", err)
	return appErr
}

// Gate serves h, except that while the returned flag is set it answers the
// requests fail picks with 502, as a provider's failing gateway would.
func Gate(h http.Handler, fail func(*http.Request) bool) (http.Handler, *atomic.Bool) {
	closed := &atomic.Bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if closed.Load() && fail(r) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		h.ServeHTTP(w, r)
	}), closed
}
