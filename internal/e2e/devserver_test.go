package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/common/testing/freeport"
	"go.uber.org/zap/zaptest"

	"idflow/internal/devserver"
	"idflow/internal/temporalclient"
	"idflow/workflows/process"
)

// TestDevServerSearchAttributesAreUsableAtOnce: a new database's namespace
// has its search attributes from the start, and one that a newer version
// registers on an existing database is usable the moment it is registered,
// though the server stops reading them from its database on every use.
func TestDevServerSearchAttributesAreUsableAtOnce(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "temporal.db")
	older := []temporal.SearchAttributeKey{process.ProcessTypeKey}
	newer := []temporal.SearchAttributeKey{process.ProcessTypeKey, process.StageKey}

	srv, c := startDevServer(t, dbFile, older)
	added, err := temporalclient.EnsureSearchAttributes(context.Background(), c, "default", older)
	require.NoError(t, err)
	require.False(t, added, "a new database has them already")
	srv.SearchAttributesRegistered(added)
	startWithAttributes(t, c, "sa-first-run", process.ProcessTypeKey.ValueSet("Probe"))
	c.Close()
	require.NoError(t, srv.Stop())

	srv, c = startDevServer(t, dbFile, newer) // the database exists: it keeps what it had
	added, err = temporalclient.EnsureSearchAttributes(context.Background(), c, "default", newer)
	require.NoError(t, err)
	require.True(t, added, "the existing database lacked the newer attribute")
	srv.SearchAttributesRegistered(added)
	startWithAttributes(t, c, "sa-second-run", process.StageKey.ValueSet("probing"))
	c.Close()
	require.NoError(t, srv.Stop())
}

func startDevServer(t *testing.T, dbFile string, keys []temporal.SearchAttributeKey) (*devserver.Server, client.Client) {
	t.Helper()
	srv, err := devserver.Start(devserver.Options{DatabaseFile: dbFile, IP: "127.0.0.1", FrontendPort: freeport.MustGetFreePort(),
		Namespace: "default", Logger: zaptest.NewLogger(t).Named("temporal"),
		SearchAttributes: temporalclient.SearchAttributeTypes(keys)})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitReady(ctx))
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress()})
	require.NoError(t, err)
	return srv, c
}

// startWithAttributes starts a workflow (that no worker runs) carrying attr.
func startWithAttributes(t *testing.T, c client.Client, id string, attr temporal.SearchAttributeUpdate) {
	t.Helper()
	_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: "no-worker",
		TypedSearchAttributes: temporal.NewSearchAttributes(attr)}, "Probe")
	require.NoError(t, err)
}
