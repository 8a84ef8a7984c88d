package fns

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseCallbackReadsEveryDocumentedBody: each callback body of the
// document (testdata/callback-L*.json, by line) parses, with its ids,
// normalised type and state, and SMEV's text.
func TestParseCallbackReadsEveryDocumentedBody(t *testing.T) {
	want := map[string]Callback{
		"callback-L2790.json": {ID: 10909, Type: "identification", State: "installed"},
		"callback-L2801.json": {ID: 10909, Type: "identification", State: "complete", ChildID: ptr(10910),
			ExternalID: "1c3b79f2-0f8e-4b62-a7b7-71aaf8c748c9"},
		"callback-L2909.json": {ID: 5040033, Type: "identification", State: "rejected",
			ErrorMessage: "Не пройдены проверки: Валидация ФИО-СНИЛС"},
		"callback-L2942.json": {ID: 5040075, Type: "identification", State: "rejected",
			ErrorMessage: "Не пройдены проверки: Проверка действительности паспорта"},
	}
	files, err := filepath.Glob("testdata/callback-L*.json")
	require.NoError(t, err)
	require.Len(t, files, 9, "every callback body of the document")
	for _, file := range files {
		body, err := os.ReadFile(file)
		require.NoError(t, err)
		cb, err := ParseCallback(body)
		require.NoError(t, err, file)
		assert.NotEmpty(t, cb.DedupeKey())
		if w, ok := want[filepath.Base(file)]; ok {
			if w.ExternalID == "" {
				w.ExternalID = cb.ExternalID
			}
			assert.Equal(t, w, cb, file)
		}
	}
	issued, err := os.ReadFile("testdata/callback-L2830.json")
	require.NoError(t, err)
	cb, err := ParseCallback(issued)
	require.NoError(t, err)
	assert.Equal(t, "certificate-issuing", cb.Type)
	assert.Equal(t, int64(10909), *cb.ParentID, "a child's callback names its parent")
}

func TestParseCallbackNormalisesAndRefuses(t *testing.T) {
	cb, err := ParseCallback([]byte(`{"id":"10910","type":"certificate_issuing","state":"Complete","error_code":5,"extra":{"x":1}}`))
	require.NoError(t, err)
	assert.Equal(t, Callback{ID: 10910, Type: "certificate-issuing", State: "complete", ErrorCode: "5"}, cb)
	assert.Equal(t, "10910/certificate-issuing/complete", cb.DedupeKey())

	for name, body := range map[string]string{
		"not JSON": `Шариков`, "no id": `{"type":"identification","state":"complete"}`,
		"no state": `{"id":1,"type":"identification"}`, "zero id": `{"id":0,"type":"x","state":"y"}`,
	} {
		_, err := ParseCallback([]byte(body))
		assert.ErrorIs(t, err, ErrBadCallback, name)
		if err != nil {
			assert.NotContains(t, err.Error(), "Шариков", "errors never quote the body")
		}
	}
}

func ptr(v int64) *int64 { return &v }
