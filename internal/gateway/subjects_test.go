package gateway

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store"
	"idflow/internal/store/storetest"
)

type oneKey []byte

func (oneKey) ActiveKeyID() string { return "m1" }
func (k oneKey) MasterKey(id string) ([]byte, bool) {
	return k, id == "m1"
}

func sealedStore(t *testing.T) *store.Store {
	t.Helper()
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	st, err := store.Open(context.Background(), storetest.SQLiteURL(t), store.WithMasterKeys(oneKey(key)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestEraseSubjectRoute(t *testing.T) {
	st := sealedStore(t)
	running := map[string]bool{"fns-registration-r1": true}
	g := newSQLiteGateway(t, func(d *Deps) {
		d.Store = st
		d.Running = func(_ context.Context, ids []string) ([]string, error) {
			var out []string
			for _, id := range ids {
				if running[id] {
					out = append(out, id)
				}
			}
			return out, nil
		}
	})
	put := func(owner, subject string) string {
		resp := g.send("POST", "/v1/documents?title=scan.jpg&owner="+owner+"&subject="+subject, strings.NewReader("passport scan"), nil)
		doc := decodeJSON[map[string]any](t, resp, http.StatusCreated)
		assert.Equal(t, subject, doc["subject"])
		return doc["id"].(string)
	}
	mine := put("fns-registration-r1", "person-1")
	theirs := put("kyc-r2", "person-2")

	requireAPIError(t, g.postJSON("/v1/subjects/person-1/erase", map[string]any{}), http.StatusBadRequest, "bad_request")
	requireAPIError(t, g.postJSON("/v1/subjects/bad%20subject/erase", map[string]any{"actor": "ops"}), http.StatusBadRequest, "bad_request")
	requireAPIError(t, g.send("POST", "/v1/subjects/person-1/erase", strings.NewReader(`{"actor":"ops"}`), map[string]string{"Authorization": ""}),
		http.StatusUnauthorized, "unauthorized")
	busy := decodeJSON[map[string]any](t, g.postJSON("/v1/subjects/person-1/erase", map[string]any{"actor": "ops"}), http.StatusConflict)
	assert.Equal(t, "subject_in_use", busy["code"])
	assert.Equal(t, []any{"fns-registration-r1"}, busy["workflows"])
	still := g.send("GET", "/v1/documents/"+mine, nil, nil)
	assert.Equal(t, http.StatusOK, still.StatusCode, "not erased while in use")
	still.Body.Close()

	erased := decodeJSON[map[string]any](t, g.postJSON("/v1/subjects/person-1/erase", map[string]any{"actor": "ops", "force": true}), http.StatusOK)
	assert.Equal(t, true, erased["forced"])
	assert.EqualValues(t, 1, erased["documents"])
	requireAPIError(t, g.send("GET", "/v1/documents/"+mine, nil, nil), http.StatusNotFound, "not_found")
	resp := g.send("GET", "/v1/documents/"+theirs, nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another person's document stays")
	resp.Body.Close()
	requireAPIError(t, g.send("POST", "/v1/documents?title=x&owner=w9&subject=person-1", strings.NewReader("more"), nil),
		http.StatusGone, "subject_erased")

	// Owner-less uploads: each content its own subject, the same one again the same document.
	one := decodeJSON[map[string]any](t, g.send("POST", "/v1/documents?title=a", strings.NewReader("first"), nil), http.StatusCreated)
	again := decodeJSON[map[string]any](t, g.send("POST", "/v1/documents?title=a", strings.NewReader("first"), nil), http.StatusCreated)
	other := decodeJSON[map[string]any](t, g.send("POST", "/v1/documents?title=a", strings.NewReader("second"), nil), http.StatusCreated)
	assert.Equal(t, one["id"], again["id"])
	assert.NotEqual(t, one["subject"], other["subject"])
}
