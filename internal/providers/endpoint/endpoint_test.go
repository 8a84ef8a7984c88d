package endpoint

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.example.com/":         "https://api.example.com",
		"https://api.example.com/v1?x=1#f": "https://api.example.com/v1",
		"http://127.0.0.1:8090/idngo":      "http://127.0.0.1:8090/idngo",
		"http://localhost:8090":            "http://localhost:8090",
		"http://[::1]:8090/mandarin":       "http://[::1]:8090/mandarin",
	} {
		u, err := ParseBaseURL("p", raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want, u.String())
	}
	for _, raw := range []string{"", "api.example.com", "http://api.example.com", "ftp://127.0.0.1", "https://user:secret@api.example.com"} {
		_, err := ParseBaseURL("p", raw)
		require.Error(t, err, raw)
		assert.NotContains(t, err.Error(), "secret")
	}
}

func TestRetryableStatus(t *testing.T) {
	for _, code := range []int{408, 425, 429, 500, 502, 503, 504} {
		assert.True(t, RetryableStatus(code), code)
	}
	for _, code := range []int{200, 301, 400, 401, 403, 404, 409, 422} {
		assert.False(t, RetryableStatus(code), code)
	}
}

func TestNewHTTPClientDoesNotFollowRedirects(t *testing.T) {
	c := NewHTTPClient()
	require.NotNil(t, c.CheckRedirect)
	assert.ErrorIs(t, c.CheckRedirect(nil, nil), http.ErrUseLastResponse)
}

func TestCleanText(t *testing.T) {
	assert.Equal(t, "line one line two", CleanText("  line one\nline two\t", 100))
	assert.Equal(t, "Док…", CleanText("Документ", 7), "cut on a rune boundary")
	assert.Equal(t, "short", CleanText("short", 5))
}
