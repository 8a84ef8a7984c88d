package temporalclient

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

func TestNoGzipOnLoopback(t *testing.T) {
	for address, loopback := range map[string]bool{
		"":                         true, // the SDK dials localhost:7233
		"127.0.0.1:7233":           true,
		"localhost:7233":           true,
		"[::1]:7233":               true,
		"temporal:7233":            false,
		"10.0.0.5:7233":            false,
		"example.tmprl.cloud:7233": false,
	} {
		t.Run(address, func(t *testing.T) {
			t.Setenv("TEMPORAL_ADDRESS", address)
			opts, err := Options(nil, nil, "")
			require.NoError(t, err)
			assert.Equal(t, address, opts.HostPort)
			if loopback {
				assert.IsType(t, &client.GrpcCompressionNone{}, opts.ConnectionOptions.GrpcCompression)
			} else {
				assert.Nil(t, opts.ConnectionOptions.GrpcCompression, "the SDK's default, gzip")
			}
		})
	}
}

func TestNoGzipForTheEmbeddedServer(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "") // restores it after the test
	// An unset TEMPORAL_ADDRESS falls back to -dev's own server.
	require.NoError(t, os.Unsetenv("TEMPORAL_ADDRESS"))
	opts, err := Options(nil, nil, "127.0.0.1:17233")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:17233", opts.HostPort)
	assert.IsType(t, &client.GrpcCompressionNone{}, opts.ConnectionOptions.GrpcCompression)
}
