package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/testing/freeport"
	"go.uber.org/zap"

	"idflow/internal/devserver"
	"idflow/internal/temporalclient"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnssigning"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/simplifiedid"

	"idflow/internal/codec"
)

// One embedded Temporal server serves every test of the package that needs
// one; it starts on first use and stops after the last test.
var testTemporal struct {
	once sync.Once
	srv  *devserver.Server
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testTemporal.srv != nil {
		_ = testTemporal.srv.Stop()
	}
	if testTemporal.dir != "" {
		_ = os.RemoveAll(testTemporal.dir)
	}
	os.Exit(code)
}

// quietSDK keeps the test workers' routine logs out of the test output.
var quietSDK = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))

// useTemporal points the starter at the test server, on a task queue of
// the test's own, and returns a client to it and the task queue.
func useTemporal(t *testing.T) (client.Client, string) {
	t.Helper()
	testTemporal.once.Do(startTemporal)
	require.NoError(t, testTemporal.err, "embedded Temporal server")
	t.Setenv("TEMPORAL_ADDRESS", testTemporal.srv.FrontendAddress())
	t.Setenv("TEMPORAL_NAMESPACE", "default")
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	queue := "starter-test-" + testID(t)
	t.Setenv("IDFLOW_TASK_QUEUE", queue)
	dc := codec.NewDataConverter(testKeys)
	c, err := client.Dial(client.Options{HostPort: testTemporal.srv.FrontendAddress(), Logger: quietSDK,
		DataConverter: dc, FailureConverter: codec.FailureConverter(dc)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, queue
}

func startTemporal() {
	testTemporal.dir, testTemporal.err = os.MkdirTemp("", "starter-temporal-")
	if testTemporal.err != nil {
		return
	}
	testTemporal.srv, testTemporal.err = devserver.Start(devserver.Options{
		DatabaseFile: filepath.Join(testTemporal.dir, "temporal.db"), IP: "127.0.0.1",
		FrontendPort: freeport.MustGetFreePort(), Namespace: "default", Logger: zap.NewNop(),
	})
	if testTemporal.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if testTemporal.err = testTemporal.srv.WaitReady(ctx); testTemporal.err != nil {
		return
	}
	c, err := client.Dial(client.Options{HostPort: testTemporal.srv.FrontendAddress(), Logger: quietSDK})
	if err != nil {
		testTemporal.err = err
		return
	}
	defer c.Close()
	_, testTemporal.err = temporalclient.EnsureSearchAttributes(ctx, c, "default", process.SearchAttributeKeys())
}

// testID is a workflow-id-safe name for the test.
func testID(t *testing.T) string {
	return strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
}

// runStubWorker serves stand-ins for the workflows on queue (for
// FNSRegistration see stubFNSRegistration). A stand-in
// started for a request or user id beginning with "wait" keeps running and
// answers the status query and the updates the way the real workflow's
// validators refuse them; any other finishes at once as accepted.
func runStubWorker(t *testing.T, c client.Client, queue string) {
	t.Helper()
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(stubIdentification, workflow.RegisterOptions{Name: simplifiedid.WorkflowType})
	w.RegisterWorkflowWithOptions(stubKYC, workflow.RegisterOptions{Name: kyc.WorkflowType})
	w.RegisterWorkflowWithOptions(stubFNSRegistration, workflow.RegisterOptions{Name: fnsregistration.WorkflowType})
	w.RegisterWorkflowWithOptions(stubDocumentSigning, workflow.RegisterOptions{Name: fnssigning.WorkflowType})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}

func stubIdentification(ctx workflow.Context, in simplifiedid.Input) (simplifiedid.Status, error) {
	st := simplifiedid.Status{Status: process.Status{Process: simplifiedid.WorkflowType, Stage: simplifiedid.StageFinished,
		Outcome: process.OutcomeAccepted}}
	if !strings.HasPrefix(in.RequestID, "wait") {
		return st, workflow.UpsertTypedSearchAttributes(ctx, process.OutcomeKey.ValueSet(string(process.OutcomeAccepted)))
	}
	st.Stage, st.Outcome = simplifiedid.StageChecking, process.OutcomePending
	st.Waiting = []process.Wait{{For: "SMS code (submit-sms-code update)", From: process.FromPerson,
		Until: workflow.Now(ctx).Add(12 * time.Minute)}}
	st.Phone = simplifiedid.PhoneCheck{AttemptsLeft: simplifiedid.MaxSMSCodeAttempts, Deadline: workflow.Now(ctx).Add(12 * time.Minute)}
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (simplifiedid.Status, error) { return st, nil }); err != nil {
		return st, err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, simplifiedid.SubmitSMSCodeUpdate,
		func(workflow.Context, simplifiedid.SMSCodeRequest) (simplifiedid.SMSCodeResult, error) {
			return simplifiedid.SMSCodeResult{}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(workflow.Context, simplifiedid.SMSCodeRequest) error {
			return fmt.Errorf("identification already finished (%s)", process.OutcomeRejected)
		}})
	if err != nil {
		return st, err
	}
	return st, workflow.Await(ctx, func() bool { return false })
}

func stubKYC(ctx workflow.Context, in kyc.Input) (kyc.Status, error) {
	st := kyc.Status{Status: process.Status{Process: kyc.WorkflowType, Stage: kyc.StageMonitoring, Outcome: process.OutcomeAccepted}}
	if !strings.HasPrefix(in.ExternalUserID, "wait") {
		return st, workflow.UpsertTypedSearchAttributes(ctx, process.OutcomeKey.ValueSet(string(process.OutcomeAccepted)))
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, kyc.ResubmitDocumentsUpdate,
		func(workflow.Context, kyc.ResubmitDocumentsRequest) (kyc.ResubmitDocumentsResult, error) {
			return kyc.ResubmitDocumentsResult{}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(workflow.Context, kyc.ResubmitDocumentsRequest) error {
			return errors.New("no resubmission awaited (stage " + kyc.StageAwaitingReview + ")")
		}})
	if err != nil {
		return st, err
	}
	return st, workflow.Await(ctx, func() bool { return false })
}

// waitClosed waits until the workflow's latest run has closed.
func waitClosed(t *testing.T, c client.Client, workflowID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.GetWorkflow(ctx, workflowID, "").Get(ctx, nil))
}
