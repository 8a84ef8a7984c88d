package config

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadWorker(t *testing.T, env map[string]string, dev bool) (Worker, error) {
	t.Helper()
	return LoadWorker(context.Background(), envconfig.MapLookuper(env), dev)
}

// testKeys is one master key as IDFLOW_ENCRYPTION_KEYS takes it.
const testKeys = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestParseKeyRing(t *testing.T) {
	ring, err := ParseKeyRing(testKeys+", k2:"+strings.Repeat("A", 43)+"=", "k2")
	require.NoError(t, err)
	assert.Equal(t, "k2", ring.ActiveKeyID())
	k1, ok := ring.MasterKey("k1")
	require.True(t, ok)
	assert.Equal(t, byte(31), k1[31])
	assert.NotContains(t, ring.String(), "AAEC")
	for spec, want := range map[string]string{"": "no key", "k1": "key #1: want id:base64", testKeys + "," + testKeys: "key k1 given twice"} {
		_, err := ParseKeyRing(spec, "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "AAEC", "no key material in errors")
	}
	_, err = ParseKeyRing(testKeys, "k9")
	assert.ErrorContains(t, err, "active key k9")
}

func TestLoadWorkerDefaultsInDev(t *testing.T) {
	c, err := loadWorker(t, nil, true)
	require.NoError(t, err)
	assert.Equal(t, "idflow", c.TaskQueue)
	assert.Equal(t, "sqlite://.idflow/idflow.db", c.DatabaseURL)
	assert.Equal(t, "console", c.LogFormat)
	assert.Equal(t, int64(20<<20), c.DocumentMaxBytes)
	assert.Equal(t, 10*time.Second, c.ShutdownTimeout)
	assert.Equal(t, 8233, c.DevUIPort)
	_, set := c.FNSDelay()
	assert.False(t, set, "unset: the FNS sandbox's own delays")

	c, err = loadWorker(t, map[string]string{"IDFLOW_DEV_FNS_DELAY": "0"}, true)
	require.NoError(t, err)
	d, set := c.FNSDelay()
	assert.True(t, set, "0 is a value: at once")
	assert.Zero(t, d)
}

func TestLoadWorkerProductionNeedsToken(t *testing.T) {
	_, err := loadWorker(t, map[string]string{"IDFLOW_ENCRYPTION_KEYS": testKeys}, false)
	require.Error(t, err)
	assert.Equal(t, "config: IDFLOW_API_TOKEN: missing required value (outside -dev a token must be set)", err.Error())
	_, err = loadWorker(t, map[string]string{"IDFLOW_API_TOKEN": "0123456789abcdef0123"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "config: IDFLOW_ENCRYPTION_KEYS: missing required value")

	c, err := loadWorker(t, map[string]string{"IDFLOW_API_TOKEN": "0123456789abcdef0123", "IDFLOW_ENCRYPTION_KEYS": testKeys}, false)
	require.NoError(t, err)
	assert.Equal(t, "json", c.LogFormat)
}

func TestLoadWorkerNamesTheBadVariable(t *testing.T) {
	token := map[string]string{"IDFLOW_API_TOKEN": "0123456789abcdef0123", "IDFLOW_ENCRYPTION_KEYS": testKeys}
	cases := map[string]struct {
		key, value, want string
	}{
		"malformed number":   {"IDFLOW_DOCUMENT_MAX_BYTES", "ten", "config: IDFLOW_DOCUMENT_MAX_BYTES: malformed value"},
		"negative number":    {"IDFLOW_DOCUMENT_MAX_BYTES", "-1", "config: IDFLOW_DOCUMENT_MAX_BYTES: must be a positive"},
		"malformed duration": {"IDFLOW_SHUTDOWN_TIMEOUT", "soon", "config: IDFLOW_SHUTDOWN_TIMEOUT: malformed value"},
		"short token":        {"IDFLOW_API_TOKEN", "abc", "config: IDFLOW_API_TOKEN: too short"},
		"database scheme":    {"IDFLOW_DATABASE_URL", "mysql://x", "config: IDFLOW_DATABASE_URL: must start with"},
		"http address":       {"IDFLOW_HTTP_ADDR", "8080", "config: IDFLOW_HTTP_ADDR: must be host:port"},
		"debug address":      {"IDFLOW_DEBUG_ADDR", "6060", "config: IDFLOW_DEBUG_ADDR: must be host:port"},
		"log level":          {"IDFLOW_LOG_LEVEL", "loud", "config: IDFLOW_LOG_LEVEL: must be one of"},
		"port":               {"IDFLOW_DEV_UI_PORT", "70000", "config: IDFLOW_DEV_UI_PORT: must be a TCP port"},
		"short key":          {"IDFLOW_ENCRYPTION_KEYS", "k1:c2hvcnQ=", "config: IDFLOW_ENCRYPTION_KEYS: key k1: want 32 bytes"},
		"not base64":         {"IDFLOW_ENCRYPTION_KEYS", "k1:!!!!", "config: IDFLOW_ENCRYPTION_KEYS: key k1: not base64"},
		"fns delay":          {"IDFLOW_DEV_FNS_DELAY", "soon", "config: IDFLOW_DEV_FNS_DELAY: must be a duration"},
		"negative fns delay": {"IDFLOW_DEV_FNS_DELAY", "-1s", "config: IDFLOW_DEV_FNS_DELAY: must be a duration"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{tc.key: tc.value}
			for k, v := range token {
				if k != tc.key {
					env[k] = v
				}
			}
			_, err := loadWorker(t, env, false)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q", err.Error())
			assert.NotContains(t, err.Error(), "\n", "one line per bad setting")
		})
	}
}

func TestLoadStarter(t *testing.T) {
	c, err := LoadStarter(context.Background(), envconfig.MapLookuper(nil))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080", c.GatewayURL)

	_, err = LoadStarter(context.Background(), envconfig.MapLookuper(map[string]string{"IDFLOW_GATEWAY_URL": "localhost:8080"}))
	require.EqualError(t, err, "config: IDFLOW_GATEWAY_URL: must start with http:// or https://")
}

// TestReadmeListsEverySetting keeps the README's configuration table honest.
func TestReadmeListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, key := range append(Keys(&Worker{}), Keys(&Starter{})...) {
		assert.Contains(t, string(readme), "`"+key+"`", "README.md must document %s", key)
	}
}
