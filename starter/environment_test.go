package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGatewayThatNeverAnswers: a gateway that takes the connection and
// never answers fails the command after the header timeout (30 s; shortened
// here), not after the overall bound, and says so.
func TestGatewayThatNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	old := gatewayHeaderTimeout
	gatewayHeaderTimeout = 200 * time.Millisecond
	t.Cleanup(func() { gatewayHeaderTimeout = old })
	useGateway(t, "http://"+l.Addr().String(), testToken)

	r := run(t, "documents", "put", writeFile(t, t.TempDir(), "a.txt", []byte("x")))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "did not answer in time")
	assert.Contains(t, r.stderr, "timeout awaiting response headers")
	assert.Contains(t, r.stderr, "IDFLOW_GATEWAY_URL")
}

// TestDevTokenFoundAboveTheWorkingDirectory: with the default relative
// IDFLOW_DEV_DIR, the starter run from a subdirectory (cd starter && go run
// . ...) finds the token the -dev worker wrote in the project root.
func TestDevTokenFoundAboveTheWorkingDirectory(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, "")
	unsetenv(t, "IDFLOW_DEV_DIR") // the default, .idflow
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".idflow"), 0o700))
	writeFile(t, filepath.Join(root, ".idflow"), "api-token", []byte(testToken+"\n"))
	sub := filepath.Join(root, "starter", "deeper")
	require.NoError(t, os.MkdirAll(sub, 0o700))
	t.Chdir(sub)

	r := run(t, "documents", "put", writeFile(t, t.TempDir(), "a.txt", []byte("found upward")))
	require.Equal(t, 0, r.code, r.stderr)
}

// TestNoDevTokenSaysWhereItLooked: without a token anywhere above, the
// error names the file and the directories searched.
func TestNoDevTokenSaysWhereItLooked(t *testing.T) {
	useGateway(t, "http://127.0.0.1:1", "")
	unsetenv(t, "IDFLOW_DEV_DIR")
	wd := t.TempDir()
	t.Chdir(wd)

	r := run(t, "documents", "put", writeFile(t, t.TempDir(), "a.txt", []byte("x")))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "IDFLOW_API_TOKEN")
	assert.Contains(t, r.stderr, "'go run ./worker -dev'")
	assert.Contains(t, r.stderr, filepath.Join(".idflow", "api-token")+" in "+wd+" and every directory above it")
}

// TestTemporalUnreachableNamesTheAddress: the connection error says which
// address was dialled (the SDK's default when TEMPORAL_ADDRESS is unset)
// and what to do.
func TestTemporalUnreachableNamesTheAddress(t *testing.T) {
	useGateway(t, "http://127.0.0.1:1", testToken)
	t.Setenv("TEMPORAL_NAMESPACE", "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	t.Run("TEMPORAL_ADDRESS", func(t *testing.T) {
		t.Setenv("TEMPORAL_ADDRESS", addr)
		r := run(t, "status", "some-workflow")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "starter: cannot reach Temporal at "+addr+" (namespace default): ")
		assert.Contains(t, r.stderr, "is 'go run ./worker -dev' running? (TEMPORAL_ADDRESS sets another)")
	})
	t.Run("default", func(t *testing.T) {
		unsetenv(t, "TEMPORAL_ADDRESS")
		t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
		if available("localhost:7233") {
			t.Skip("a Temporal server listens on localhost:7233")
		}
		r := run(t, "status", "some-workflow")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "cannot reach Temporal at localhost:7233 (namespace default)")
		assert.False(t, strings.Contains(r.stderr, "at  ("), r.stderr)
	})
}

// available reports whether something accepts connections at addr.
func available(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
