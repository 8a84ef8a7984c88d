package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/testing/freeport"
	"go.uber.org/zap/zaptest"

	"idflow/internal/app"
	"idflow/internal/codec"
	"idflow/internal/codec/codectest"
	"idflow/internal/devserver"
	"idflow/internal/sandbox/faults"
	"idflow/internal/store/storetest"
)

// cluster is the production shape on one machine: a Temporal server, one
// PostgreSQL store, the provider sandboxes in a process of their own
// (`worker -sandboxes`), and worker processes (not -dev) behind a load
// balancer that the sandboxes' webhooks and callbacks go through, as a
// provider's would.
type cluster struct {
	t          *testing.T
	bin        string   // bin is the worker binary.
	env        []string // env is what every worker process gets.
	sandboxURL string
	lb         *balancer
	lbURL      string
	token      string
	client     client.Client
	workers    []*clusterWorker
}

// clusterWorker is one worker process and the gateway address it serves.
type clusterWorker struct {
	addr string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // done is closed once the process has exited.
}

// clusterOptions shape a cluster.
type clusterOptions struct {
	workers int
	faults  string // faults is IDFLOW_SANDBOX_FAULTS for the sandboxes.
}

func startCluster(t *testing.T, opts clusterOptions) *cluster {
	t.Helper()
	dbURL := storetest.PostgresURL(t) // skips without IDFLOW_TEST_POSTGRES_URL
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir, "idflow/worker").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	temporalPort := freeport.MustGetFreePort()
	srv, err := devserver.Start(devserver.Options{DatabaseFile: filepath.Join(dir, "temporal.db"), IP: "127.0.0.1",
		FrontendPort: temporalPort, Namespace: "default", Logger: zaptest.NewLogger(t).Named("temporal")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	readyCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitReady(readyCtx))

	c := &cluster{t: t, bin: filepath.Join(dir, "worker"), lb: &balancer{}, token: "cluster-test-token-0123456789"}
	lbServer := httptest.NewServer(c.lb)
	t.Cleanup(lbServer.Close)
	c.lbURL = lbServer.URL
	c.startSandboxes(dir, opts.faults)

	c.env = append(os.Environ(), append(app.SandboxProviderEnv(c.sandboxURL),
		"IDFLOW_TASK_QUEUE=idflow-e2e", "IDFLOW_API_TOKEN="+c.token, "IDFLOW_ENCRYPTION_KEYS="+codectest.Keys,
		"IDFLOW_DATABASE_URL="+dbURL, "TEMPORAL_ADDRESS="+srv.FrontendAddress(), "IDFLOW_PUBLIC_URL="+c.lbURL,
		"IDFLOW_LOG_LEVEL=warn", "IDFLOW_SHUTDOWN_TIMEOUT=5s", "IDFLOW_DEV_DIR="+dir,
		"IDFLOW_VDC_SECRET=", "IDFLOW_PROOFING_NOTIFY_URL=")...)
	for range opts.workers {
		w := &clusterWorker{addr: "127.0.0.1:" + strconv.Itoa(freeport.MustGetFreePort())}
		c.workers = append(c.workers, w)
		c.lb.add("http://" + w.addr)
		c.start(w)
	}
	dc := codec.NewRemoteDataConverter(c.lbURL+"/v1/codec", func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+c.token)
		return nil
	})
	c.client, err = client.Dial(client.Options{HostPort: srv.FrontendAddress(), DataConverter: dc,
		FailureConverter: codec.FailureConverter(dc)})
	require.NoError(t, err)
	t.Cleanup(c.client.Close)
	return c
}

// startSandboxes runs `worker -sandboxes`, its webhooks and callbacks to
// the load balancer.
func (c *cluster) startSandboxes(dir, faultSpec string) {
	addr := "127.0.0.1:" + strconv.Itoa(freeport.MustGetFreePort())
	cmd := exec.Command(c.bin, "-sandboxes")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IDFLOW_DEV_SANDBOX_ADDR="+addr, "IDFLOW_GATEWAY_URL="+c.lbURL,
		"IDFLOW_DEV_DIR="+filepath.Join(dir, "sandboxes"), "IDFLOW_DEV_SMEV_DELAY=1s",
		"IDFLOW_DEV_IDNGO_REVIEW_DELAY=300ms", "IDFLOW_DEV_FNS_DELAY=300ms", "IDFLOW_SANDBOX_RETRY_FACTOR=600", "IDFLOW_SANDBOX_FAULTS="+faultSpec,
		"IDFLOW_LOG_LEVEL=warn")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(c.t, cmd.Start())
	c.t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	c.sandboxURL = "http://" + addr
	c.awaitOK(c.sandboxURL+app.CountsPath, out)
}

// start runs a worker process and waits until its gateway is ready.
func (c *cluster) start(w *clusterWorker) {
	c.t.Helper()
	require.NoError(c.t, c.launch(w))
}

// launch is start for any goroutine: it reports instead of failing the test.
func (c *cluster) launch(w *clusterWorker) error {
	w.cmd = exec.Command(c.bin)
	w.cmd.Env = append(c.env, "IDFLOW_HTTP_ADDR="+w.addr)
	w.out = &syncBuffer{}
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		return err
	}
	w.done = make(chan struct{})
	cmd, done := w.cmd, w.done
	go func() { _ = cmd.Wait(); close(done) }()
	c.t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	return ready("http://"+w.addr+"/readyz", w.out)
}

// kill ends a worker with SIGKILL: no graceful shutdown, leases left behind.
func (c *cluster) kill(w *clusterWorker) {
	_ = w.cmd.Process.Kill()
	<-w.done
}

func (c *cluster) awaitOK(url string, out *syncBuffer) {
	c.t.Helper()
	require.NoError(c.t, ready(url, out))
}

// ready waits up to 90 s for url to answer 200.
func ready(url string, out *syncBuffer) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready:\n%s", url, out.String())
}

// api sends a request through the load balancer with the API token.
func (c *cluster) api(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.lbURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// putDocument stores content, retrying while no gateway answers.
func (c *cluster) putDocument(ctx context.Context, title, mediaType string, content []byte) (string, error) {
	return retry(ctx, func() (string, error) {
		status, body, err := c.api(ctx, http.MethodPost, "/v1/documents?title="+title, mediaType, content)
		if err != nil {
			return "", err
		}
		if status != http.StatusCreated {
			return "", fmt.Errorf("put document: %d %s", status, body)
		}
		var doc struct{ ID string }
		return doc.ID, json.Unmarshal(body, &doc)
	})
}

// counts reads what the sandboxes did.
func (c *cluster) counts() faults.CountsReport {
	c.t.Helper()
	resp, err := http.Get(c.sandboxURL + app.CountsPath)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var report faults.CountsReport
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&report))
	return report
}

// inbox lists every stored webhook and callback.
func (c *cluster) inbox() []inboxRow {
	c.t.Helper()
	var rows []inboxRow
	for before := ""; ; {
		status, body, err := c.api(context.Background(), http.MethodGet, "/v1/inbox?limit=1000&before="+before, "", nil)
		require.NoError(c.t, err)
		require.Equal(c.t, http.StatusOK, status, "%s", body)
		var page struct {
			Events []inboxRow
			Next   string
		}
		require.NoError(c.t, json.Unmarshal(body, &page))
		rows = append(rows, page.Events...)
		if before = page.Next; before == "" {
			return rows
		}
	}
}

// retry calls fn until it succeeds or ctx ends, pausing between attempts:
// what a service does while a worker restarts.
func retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	for {
		v, err := fn()
		if err == nil {
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// balancer spreads requests over the live gateways, as a load balancer in
// front of several workers does: a gateway that refuses the connection or
// drops it is skipped and the request goes to the next.
type balancer struct {
	mu       sync.Mutex
	backends []string
	next     atomic.Int64
	failover atomic.Int64 // failover counts requests moved to another gateway.
}

func (b *balancer) add(url string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append(b.backends, url)
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	backends := append([]string(nil), b.backends...)
	b.mu.Unlock()
	start := int(b.next.Add(1))
	for i := range 2 * len(backends) {
		target := backends[(start+i)%len(backends)]
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			break
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			b.failover.Add(1)
			if r.Context().Err() != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no gateway answered", http.StatusBadGateway)
}

// joinErrors lists a few of errs in a message.
func joinErrors(errs []error) string {
	var b strings.Builder
	for i, err := range errs {
		if i == 10 {
			fmt.Fprintf(&b, "... and %d more\n", len(errs)-i)
			break
		}
		fmt.Fprintf(&b, "%v\n", err)
	}
	return b.String()
}
