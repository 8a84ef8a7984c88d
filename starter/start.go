package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"idflow/workflows/process"
)

// startRequest is a workflow start that happens once per workflow id: a
// repeat of the same command finds the workflow running and says so, a
// different input for a running id is refused, and an id that already ran
// is started again only when asked (a new start is a new billable session).
type startRequest struct {
	workflowID   string
	workflowType string
	// attrs are the workflow's search attributes at start (its package's
	// StartSearchAttributes), if it has them.
	attrs temporal.SearchAttributes
	// summary and details are the UI's fixed summary and details: never personal data.
	summary, details string
	// again allows a start after a closed run (--new).
	again bool
	// next is the hint printed once the workflow runs.
	next []string
	// input builds the workflow input, its documents stored through docs.
	input func(ctx context.Context, docs documentSource) (any, error)
}

// documentSource gives the document-store id of content the input refers to.
type documentSource interface {
	// file is the id of a file, stored under its base name.
	file(ctx context.Context, path string) (string, error)
	// json is the id of a value stored as JSON under a fixed title.
	json(ctx context.Context, value any, title, mediaType string) (string, error)
	// bytes is the id of content stored under a fixed title.
	bytes(ctx context.Context, content []byte, title, mediaType string) (string, error)
}

// startOnce starts req's workflow unless its id is taken. It asks Temporal
// first so that a refused start stores nothing: for a closed workflow it
// refuses at once; for a running one it finds the ids that the documents
// would get (the store keeps one document per owner, content, title and
// media type) without uploading them, and compares the inputs.
func startOnce(cmd *cobra.Command, env *environment, gw *gatewayClient, req startRequest) error {
	ctx := cmd.Context()
	c, err := env.client(ctx)
	if err != nil {
		return err
	}
	existing, err := describeExecution(ctx, c, req.workflowID)
	if err != nil {
		return err
	}
	if existing != nil {
		if existing.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			input, err := req.input(ctx, &storedLookup{gw: gw, owner: req.workflowID})
			if err != nil {
				return err
			}
			return compareRunning(cmd, env, c, req, existing, input)
		}
		if !req.again {
			return alreadyRan(req.workflowID, existing)
		}
	}
	// The subject rides with the start (a header the workflow hands to its
	// activities) and with every upload.
	ctx = env.subjectContext(ctx, req.workflowID)
	input, err := req.input(ctx, &uploader{gw: gw, owner: req.workflowID})
	if err != nil {
		return err
	}
	reuse := enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	if req.again {
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       req.workflowID,
		TaskQueue:                                env.cfg.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    reuse,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            req.summary,
		StaticDetails:                            req.details,
		TypedSearchAttributes:                    req.attrs,
	}, req.workflowType, input)
	var taken *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &taken) {
		// Started meanwhile by someone else, or closed before our describe.
		if existing, err = describeExecution(ctx, c, req.workflowID); err != nil || existing == nil {
			return fmt.Errorf("start %s: %w", req.workflowID, taken)
		}
		if existing.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return compareRunning(cmd, env, c, req, existing, input)
		}
		return alreadyRan(req.workflowID, existing)
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", req.workflowID, err)
	}
	printRunning(cmd, env, "started", run.GetID(), req.next)
	return nil
}

func printRunning(cmd *cobra.Command, env *environment, verb, workflowID string, next []string) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s: %s\nui: %s\n", verb, workflowID, env.workflowURL(workflowID))
	for i, line := range next {
		label := "next:"
		if i > 0 {
			label = "     "
		}
		fmt.Fprintf(out, "%s %s\n", label, line)
	}
}

// describeExecution describes the workflow's latest run, nil when the id was never used.
func describeExecution(ctx context.Context, c client.Client, workflowID string) (*workflowpb.WorkflowExecutionInfo, error) {
	resp, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	return resp.GetWorkflowExecutionInfo(), nil
}

// alreadyRan refuses to start a closed workflow again without --new.
func alreadyRan(workflowID string, info *workflowpb.WorkflowExecutionInfo) error {
	return fmt.Errorf("%s already ran (%s); a new start would open a new billable session: pass --new to start again",
		workflowID, closedState(info))
}

// closedState is "COMPLETED, outcome accepted", or the status alone when
// the run ended without a final outcome (terminated while still pending).
func closedState(info *workflowpb.WorkflowExecutionInfo) string {
	state := statusName(info.GetStatus())
	if outcome := process.Outcome(searchAttribute(info, process.OutcomeKey.GetName())); outcome != "" && !outcome.Open() {
		state += ", outcome " + string(outcome)
	}
	return state
}

// statusName is COMPLETED for WORKFLOW_EXECUTION_STATUS_COMPLETED.
func statusName(s enumspb.WorkflowExecutionStatus) string {
	return strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(s)], "WORKFLOW_EXECUTION_STATUS_")
}

// searchAttribute is a keyword search attribute's value, "" when unset.
func searchAttribute(info *workflowpb.WorkflowExecutionInfo, name string) string {
	payload, ok := info.GetSearchAttributes().GetIndexedFields()[name]
	if !ok {
		return ""
	}
	var v string
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &v); err != nil {
		return ""
	}
	return v
}

// compareRunning answers a start for a running workflow: done when it runs
// with our input, refused (naming the fields) when with another.
func compareRunning(cmd *cobra.Command, env *environment, c client.Client, req startRequest,
	info *workflowpb.WorkflowExecutionInfo, input any) error {
	ctx := cmd.Context()
	theirs, err := startInput(ctx, c, env.tOptions.DataConverter, req.workflowID, info)
	if err != nil {
		return err
	}
	ours, err := json.Marshal(input)
	if err != nil {
		return err
	}
	differ, err := differingFields(ours, theirs)
	if err != nil {
		return fmt.Errorf("compare with the input of %s: %w", req.workflowID, err)
	}
	if len(differ) > 0 {
		return fmt.Errorf("%s is already running with a different input (%s); one workflow per id runs at a time: follow it with '%s status %s'",
			req.workflowID, strings.Join(differ, ", "), invocation, req.workflowID)
	}
	printRunning(cmd, env, "already running", req.workflowID, req.next)
	return nil
}

// startInput is the input the workflow was started with: the first
// argument in the first event of its first run (a run continued as new
// carries the workflow's own additions).
func startInput(ctx context.Context, c client.Client, dc converter.DataConverter, workflowID string, info *workflowpb.WorkflowExecutionInfo) (json.RawMessage, error) {
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	runs := []string{info.GetFirstRunId(), info.GetExecution().GetRunId()}
	var lastErr error
	for _, runID := range runs {
		if runID == "" {
			continue
		}
		iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		if !iter.HasNext() {
			continue
		}
		ev, err := iter.Next()
		if err != nil {
			lastErr = err
			continue // the first run's history may be gone after retention
		}
		payloads := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
		if len(payloads) == 0 {
			return json.RawMessage("null"), nil
		}
		var raw json.RawMessage
		if err := dc.FromPayload(payloads[0], &raw); err != nil {
			return nil, fmt.Errorf("read the input of %s: %w", workflowID, err)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("read the input of %s: %w", workflowID, lastErr)
}

// ignoredInputFields are set by the workflow itself when it continues as new.
var ignoredInputFields = []string{"resume"}

// differingFields lists, sorted, the top-level fields of two JSON objects
// whose values differ; a missing field equals its zero value.
func differingFields(a, b []byte) ([]string, error) {
	var ma, mb map[string]any
	if err := json.Unmarshal(a, &ma); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		return nil, err
	}
	var differ []string
	for key := range union(ma, mb) {
		if slices.Contains(ignoredInputFields, key) {
			continue
		}
		va, vb := ma[key], mb[key]
		if isZero(va) && isZero(vb) {
			continue
		}
		if !reflect.DeepEqual(va, vb) {
			differ = append(differ, key)
		}
	}
	slices.Sort(differ)
	return differ, nil
}

func union(a, b map[string]any) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// isZero reports a JSON value that omitempty would leave out.
func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case float64:
		return v == 0
	case bool:
		return !v
	case []any:
		return len(v) == 0
	case map[string]any:
		for _, child := range v {
			if !isZero(child) {
				return false
			}
		}
		return true
	}
	return false
}

// uploader stores the documents, owned by the workflow.
type uploader struct {
	gw    *gatewayClient
	owner string
}

func (u *uploader) file(ctx context.Context, path string) (string, error) {
	doc, err := u.gw.putFile(ctx, path, u.owner, "")
	if err != nil {
		return "", withFile(path, err)
	}
	return doc.ID, nil
}

func (u *uploader) json(ctx context.Context, value any, title, mediaType string) (string, error) {
	body, err := json.Marshal(value)
	if err != nil {
		return "", err
	}
	return u.bytes(ctx, body, title, mediaType)
}

func (u *uploader) bytes(ctx context.Context, body []byte, title, mediaType string) (string, error) {
	doc, err := u.gw.putBytes(ctx, body, title, u.owner, mediaType)
	if err != nil {
		return "", fmt.Errorf("store %s: %w", title, err)
	}
	return doc.ID, nil
}

// storedLookup finds the id each document already has in the store,
// uploading nothing; a document not stored yet gets notStored for an id, and
// so differs from whatever the running workflow has.
type storedLookup struct {
	gw     *gatewayClient
	owner  string
	listed bool
	docs   []storedDocument
}

func (l *storedLookup) file(ctx context.Context, path string) (string, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return l.find(ctx, content, filepath.Base(path), fileMediaType(path, ""))
}

func (l *storedLookup) json(ctx context.Context, value any, title, mediaType string) (string, error) {
	body, err := json.Marshal(value)
	if err != nil {
		return "", err
	}
	return l.find(ctx, body, title, mediaType)
}

func (l *storedLookup) bytes(ctx context.Context, content []byte, title, mediaType string) (string, error) {
	return l.find(ctx, content, title, mediaType)
}

func (l *storedLookup) find(ctx context.Context, content []byte, title, mediaType string) (string, error) {
	if !l.listed {
		docs, err := l.gw.listDocuments(ctx, l.owner)
		if err != nil {
			return "", fmt.Errorf("list the documents of %s: %w", l.owner, err)
		}
		l.docs, l.listed = docs, true
	}
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	mediaType = storedMediaType(mediaType)
	for _, d := range l.docs {
		if d.SHA256 == hash && d.Title == title && d.MediaType == mediaType {
			return d.ID, nil
		}
	}
	return notStored, nil
}

// notStored stands for the id of a document the store does not have.
const notStored = "(not stored)"

// storedMediaType is the media type as the gateway stores it: parsed and
// formatted again, application/octet-stream when none or malformed.
func storedMediaType(mediaType string) string {
	t, params, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return "application/octet-stream"
	}
	return cmp.Or(mime.FormatMediaType(t, params), "application/octet-stream")
}
