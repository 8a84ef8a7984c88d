package e2e

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/testing/freeport"
)

// devBinaries builds the worker and starter commands once per test run.
type devBinaries struct {
	dir, work string
	env       []string
	uiURL     string
}

func buildBinaries(t *testing.T) *devBinaries {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir, "idflow/worker", "idflow/starter").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	port := func() string { return strconv.Itoa(freeport.MustGetFreePort()) }
	temporalPort, uiPort, gatewayPort := port(), port(), port()
	b := &devBinaries{dir: dir, work: t.TempDir(), uiURL: "http://127.0.0.1:" + uiPort}
	b.env = append(os.Environ(),
		"IDFLOW_DEV_TEMPORAL_PORT="+temporalPort, "IDFLOW_DEV_UI_PORT="+uiPort,
		"IDFLOW_HTTP_ADDR=127.0.0.1:"+gatewayPort, "IDFLOW_GATEWAY_URL=http://127.0.0.1:"+gatewayPort,
		"IDFLOW_DEV_SANDBOX_ADDR=127.0.0.1:"+port(), "IDFLOW_DEV_SMEV_DELAY=1s",
		"TEMPORAL_ADDRESS=127.0.0.1:"+temporalPort, "IDFLOW_API_TOKEN=", "IDFLOW_DATABASE_URL=",
	)
	return b
}

// startWorker runs `worker -dev` in the work directory until it is ready.
func (b *devBinaries) startWorker(t *testing.T, extraEnv ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(b.dir, "worker"), "-dev")
	cmd.Dir, cmd.Env = b.work, append(b.env, extraEnv...)
	output := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = output, output
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	gateway := strings.TrimPrefix(b.lookup("IDFLOW_GATEWAY_URL"), "")
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(gateway + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, output
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("worker -dev not ready:\n%s", output.String())
	return nil, nil
}

// syncBuffer is the worker's output, written by exec's copying goroutine
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (b *devBinaries) lookup(key string) string {
	for i := len(b.env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(b.env[i], "="); k == key {
			return v
		}
	}
	return ""
}

// starter runs the starter CLI and returns its stdout, stderr and exit code.
func (b *devBinaries) starter(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(b.dir, "starter"), args...)
	cmd.Dir, cmd.Env = b.work, b.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

// interrupt sends Ctrl-C and returns how long the worker took to exit, and its exit code.
func interrupt(t *testing.T, cmd *exec.Cmd) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not exit within 30s of Ctrl-C")
	}
	return time.Since(start), cmd.ProcessState.ExitCode()
}

// TestDevBinaryEndToEnd is the README's newcomer path: `worker -dev`, then
// the starter stores and reads back a document, lists workflows and runs an
// identification and a KYC; Ctrl-C stops the worker within seconds, mid-SMEV
// and mid-review, and after a restart both processes finish accepted: the
// sandboxes kept their sessions and applicants, the scheduled review and
// its webhook.
func TestDevBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	b := buildBinaries(t)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(b.work, "README.md"), readme, 0o644))
	for _, name := range []string{"front.jpg", "back.jpg", "selfie.jpg"} {
		require.NoError(t, os.WriteFile(filepath.Join(b.work, name), []byte("image "+name), 0o644))
	}
	// SMEV and the review take long enough for the restart to fall inside them.
	slowProviders := []string{"IDFLOW_DEV_SMEV_DELAY=8s", "IDFLOW_DEV_IDNGO_REVIEW_DELAY=8s"}
	worker, output := b.startWorker(t, slowProviders...)
	token, err := os.ReadFile(filepath.Join(b.work, ".idflow", "api-token"))
	require.NoError(t, err)
	// The banner follows readiness: wait for it rather than race it.
	require.Eventually(t, func() bool { return strings.Contains(output.String(), ".idflow/api-token") }, 30*time.Second, 100*time.Millisecond,
		"no banner:\n%s", output.String())
	banner := output.String()
	for _, want := range []string{"Temporal UI", "Gateway", "Mandarin", "/mandarin", "IDnGO", "/idngo", ".idflow/api-token"} {
		assert.Contains(t, banner, want, "the banner lists it")
	}
	assert.NotContains(t, banner, strings.TrimSpace(string(token)), "the token is not printed")

	stdout, stderr, code := b.starter(t, "documents", "put", "README.md")
	require.Equal(t, 0, code, stderr)
	docID := strings.Fields(stdout)[0]
	_, stderr, code = b.starter(t, "documents", "get", docID, "-o", "copy.md")
	require.Equal(t, 0, code, stderr)
	copied, err := os.ReadFile(filepath.Join(b.work, "copy.md"))
	require.NoError(t, err)
	assert.Equal(t, readme, copied, "documents get returns identical bytes")

	_, stderr, code = b.starter(t, "identify", "--request-id", "dev-binary", "--last-name", "Шариков", "--first-name", "Полиграф",
		"--patronymic", "Полиграфович", "--passport", "1111-111111", "--snils", "112-233-445 95", "--phone", "+7 (900) 123-45-67")
	require.Equal(t, 0, code, stderr)
	stdout, stderr, code = b.starter(t, "sms-code", "simplified-identification-dev-binary", "000000")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "accepted: the phone is verified")
	_, stderr, code = b.starter(t, "kyc", "start", "--external-user-id", "dev-binary", "--level", "basic-kyc-level",
		"--doc", "ID_CARD:RUS:FRONT_SIDE=front.jpg", "--doc", "ID_CARD:RUS:BACK_SIDE=back.jpg", "--doc", "SELFIE:RUS=selfie.jpg")
	require.Equal(t, 0, code, stderr)
	stdout, stderr, code = b.starter(t, "workflows", "list")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "simplified-identification-dev-binary")
	assert.Contains(t, stdout, "IdflowProcess=SimplifiedIdentification")

	resp, err := http.Get(b.uiURL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the Temporal UI answers")

	b.awaitStage(t, "kyc-dev-binary", "awaiting-review", 30*time.Second)
	agentID := b.fnsBegin(t)
	took, exitCode := interrupt(t, worker)
	t.Logf("worker -dev stopped %s after Ctrl-C", took.Round(time.Millisecond))
	assert.Equal(t, 0, exitCode, output.String())
	assert.Less(t, took, 10*time.Second)

	_, output = b.startWorker(t, slowProviders...)
	_, stderr, code = b.starter(t, "documents", "get", docID, "-o", "again.md")
	require.Equal(t, 0, code, "the document survives a restart: %s", stderr)
	for _, id := range []string{"simplified-identification-dev-binary", "kyc-dev-binary"} {
		status := b.awaitOutcome(t, id, 90*time.Second)
		assert.Contains(t, status, `"outcome": "accepted"`, "%s after the restart:\n%s\nworker:\n%s", id, status, output)
	}
	b.fnsFinish(t, agentID)
}

// mustRun runs the starter and requires exit code 0; it returns stdout.
func (b *devBinaries) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := b.starter(t, args...)
	require.Equal(t, 0, code, "starter %v: %s", args, stderr)
	return stdout
}

// fnsRegistration is the workflow of the README's FNS walk-through.
const fnsRegistration = "fns-registration-ivanov-1"

// fnsBegin is the first half of the README's FNS walk-through with the
// starter binary: an agent and a registration waiting for the agent. It
// returns the agent's id.
func (b *devBinaries) fnsBegin(t *testing.T) string {
	t.Helper()
	files := map[string]string{"agent.pw": "agent-Pa55word\n", "passport.jpg": "passport", "form-signed.jpg": "form", "photo.jpg": "photo",
		"ivanov.json": `{"consumer": {"last_name": "Иванов", "first_name": "Иван", "middle_name": "Иванович", "gender": "М",
			"birthed": "1990-01-01", "snils": "12362931139", "inn": "312324014516", "phone": "79001234567",
			"addresses": [{"type": "permanent", "index": "426000", "region": "18", "city": "Ижевск", "street": "Пушкинская", "house": "1"}],
			"identities": [{"type": "internal-passport", "series": "9400", "number": "123456", "issue_code": "180-001",
				"issued_by": "МВД по Удмуртской Республике", "issued": "2010-01-01"}]}}`}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(b.work, name), []byte(content), 0o600))
	}
	out := b.mustRun(t, "fns", "agents", "create", "--username", "agent1", "--password-file", "agent.pw", "--last-name", "Агентов",
		"--first-name", "Агент", "--middle-name", "Агентович", "--phone", "79012345678", "--passport-text", "4500 023 Выдан ПВД ОВД 12.05.2011",
		"--snils", "11223344595", "--position", "оператор", "--company", "1", "--permission", "consumer_identify", "--point", "1")
	agentID := strings.TrimSpace(strings.TrimPrefix(strings.Fields(out)[1], "agent:"))
	b.mustRun(t, "fns", "register", "--request-id", "ivanov-1", "--consumer", "ivanov.json")
	b.awaitStage(t, fnsRegistration, "awaiting-agent", 60*time.Second)
	return agentID
}

// fnsFinish is the rest, after a restart of worker -dev: the agent's
// identification, the printable form, the scans and the issued
// certificate, which parses as X.509 naming the person.
func (b *devBinaries) fnsFinish(t *testing.T, agentID string) {
	t.Helper()
	wf := fnsRegistration
	b.mustRun(t, "fns", "agent-identify", wf, "--agent", agentID, "--passport-scan", "passport.jpg")
	b.awaitStage(t, wf, "awaiting-scans", 60*time.Second)
	b.mustRun(t, "fns", "template", wf, "-o", "form.html")
	form, err := os.ReadFile(filepath.Join(b.work, "form.html"))
	require.NoError(t, err)
	assert.Contains(t, string(form), "СЕРТИФИКАТ КЛЮЧА ПРОВЕРКИ ЭЛЕКТРОННОЙ ПОДПИСИ")
	b.mustRun(t, "fns", "upload-scans", wf, "--scan", "form-signed.jpg", "--scan", "photo.jpg")
	status := b.awaitOutcome(t, wf, 60*time.Second)
	require.Contains(t, status, `"outcome": "accepted"`, status)
	b.mustRun(t, "fns", "certificate", wf, "-o", "ivanov.pem")
	pemBytes, err := os.ReadFile(filepath.Join(b.work, "ivanov.pem"))
	require.NoError(t, err)
	block, _ := pem.Decode(pemBytes)
	require.NotNil(t, block, "a PEM certificate")
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	assert.Equal(t, "Иванов Иван Иванович", cert.Subject.CommonName)
	b.fnsSign(t)
}

// fnsSign is the README's signing walk-through: the registered person signs
// two documents; each signature written by `fns signed` verifies over its
// document and chains to the CA `fns ca` writes.
func (b *devBinaries) fnsSign(t *testing.T) {
	t.Helper()
	var reg struct {
		ConsumerID string `json:"consumerId"`
	}
	require.NoError(t, json.Unmarshal([]byte(b.mustRun(t, "status", fnsRegistration, "--json")), &reg))
	docs := map[string]string{"contract.pdf": "%PDF-1.7 contract", "Заявление.txt": "Прошу выпустить КЭП."}
	for name, content := range docs {
		require.NoError(t, os.WriteFile(filepath.Join(b.work, name), []byte(content), 0o600))
	}
	b.mustRun(t, "fns", "sign", "--request-id", "contract-1", "--consumer", reg.ConsumerID, "--doc", "contract.pdf", "--doc", "Заявление.txt")
	status := b.awaitOutcome(t, "fns-signing-contract-1", 60*time.Second)
	require.Contains(t, status, `"outcome": "accepted"`, status)
	b.mustRun(t, "fns", "signed", "fns-signing-contract-1", "-o", "signed")
	b.mustRun(t, "fns", "ca", "-o", "ca.pem")
	caPEM, err := os.ReadFile(filepath.Join(b.work, "ca.pem"))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(caPEM))
	for name, content := range docs {
		signed, err := os.ReadFile(filepath.Join(b.work, "signed", name))
		require.NoError(t, err)
		assert.Equal(t, content, string(signed), name)
		sig, err := os.ReadFile(filepath.Join(b.work, "signed", name+".p7s"))
		require.NoError(t, err)
		p7, err := pkcs7.Parse(sig)
		require.NoError(t, err)
		p7.Content = signed
		assert.NoError(t, p7.VerifyWithChain(roots), "%s.p7s verifies and chains to the sandbox CA", name)
	}
}

// awaitStage polls `starter status --json` until the workflow is in stage.
func (b *devBinaries) awaitStage(t *testing.T, workflowID, stage string, within time.Duration) {
	t.Helper()
	var stdout string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		stdout, _, _ = b.starter(t, "status", workflowID, "--json")
		if strings.Contains(stdout, `"stage": "`+stage+`"`) {
			return
		}
	}
	t.Fatalf("%s not in stage %s within %s:\n%s", workflowID, stage, within, stdout)
}

// awaitOutcome polls `starter status --json` until the outcome is no
// longer pending or challenged, and returns the last status.
func (b *devBinaries) awaitOutcome(t *testing.T, workflowID string, within time.Duration) string {
	t.Helper()
	var stdout string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(time.Second) {
		var code int
		stdout, _, code = b.starter(t, "status", workflowID, "--json")
		if code == 0 && !strings.Contains(stdout, `"outcome": "pending"`) && !strings.Contains(stdout, `"outcome": "challenged"`) {
			break
		}
	}
	return stdout
}

// TestDevBinaryBadConfiguration: a malformed setting stops the worker at
// start with one line naming the variable.
func TestDevBinaryBadConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	b := buildBinaries(t)
	for key, value := range map[string]string{"IDFLOW_DOCUMENT_MAX_BYTES": "ten", "IDFLOW_SHUTDOWN_TIMEOUT": "soon"} {
		cmd := exec.Command(filepath.Join(b.dir, "worker"), "-dev")
		cmd.Dir, cmd.Env = b.work, append(b.env, key+"="+value)
		out, err := cmd.CombinedOutput()
		require.Error(t, err)
		assert.Equal(t, 1, cmd.ProcessState.ExitCode())
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		assert.Len(t, lines, 1, "one line: %s", out)
		assert.Contains(t, lines[0], key, fmt.Sprintf("names %s", key))
	}
	_, err := os.Stat(filepath.Join(b.work, ".idflow"))
	assert.True(t, os.IsNotExist(err), "nothing was started or written")
}
