package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dial(t *testing.T, g *testGateway) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// TestSlowWebhookBodyIsCutOff: a sender that announces a body and sends it
// too slowly gets 408 once the webhook read bound passes, and nothing is
// stored; the connection is not held for the server's whole read timeout.
func TestSlowWebhookBodyIsCutOff(t *testing.T) {
	var calls webhookCounter
	g := newSQLiteGateway(t, withWebhooks(&calls), withTimeouts(Timeouts{Webhook: 200 * time.Millisecond}))
	conn := dial(t, g)
	_, err := io.WriteString(conn, "POST /webhooks/"+acmeProvider+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: 100\r\n\r\n{\"id\":")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the server answers before the client's 5 s deadline")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Empty(t, g.inbox())
	assert.Zero(t, calls.calls())
}

// TestIdleConnectionsAreClosed: a keep-alive connection that sends nothing
// after its request is closed by the server once the idle timeout passes.
func TestIdleConnectionsAreClosed(t *testing.T) {
	g := newSQLiteGateway(t, withTimeouts(Timeouts{Idle: 200 * time.Millisecond}))
	conn := dial(t, g)
	_, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = reader.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "closed by the server, not by the client's deadline")
}

func TestServerHasEveryTimeout(t *testing.T) {
	srv := newSQLiteGateway(t).gw.Server()
	assert.Equal(t, 10*time.Second, srv.ReadHeaderTimeout)
	assert.Positive(t, srv.ReadTimeout)
	assert.Positive(t, srv.WriteTimeout)
	assert.Positive(t, srv.IdleTimeout)
	assert.Equal(t, maxHeaderBytes, srv.MaxHeaderBytes)
}
