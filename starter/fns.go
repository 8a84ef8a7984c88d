package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"idflow/internal/pii"
	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/process"
)

func fnsCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fns",
		Short: "FNS «Мобильная подпись»: agents, registrations, the certificate form, the КЭП and document signing",
		Long: `A registration goes: 'fns register' (FNS checks the person; the person installs the app),
'fns agent-identify' (an agent identifies the person in person), 'fns template' (the
printable certificate form, to be signed), 'fns upload-scans' (the signed form and a
photo), 'fns certificate' (the issued КЭП). Follow each step with
'go run ./starter status WORKFLOW_ID'.

A registered person signs documents: 'fns sign' (sends them to the app), 'fns signed'
(saves the signed documents and their .p7s signatures), 'fns ca' (the sandbox's test CA,
to verify them with openssl under 'go run ./worker -dev').`,
	}
	cmd.AddCommand(group(fnsAgentsCommand(env)), fnsRegisterCommand(env), fnsAgentIdentifyCommand(env),
		fnsUploadScansCommand(env), fnsTemplateCommand(env), fnsCertificateCommand(env),
		fnsSignCommand(env), fnsSignedCommand(env), fnsCACommand(env),
		fnsExtraSignatureCommand(env), fnsPauseCommand(env), group(fnsExternalActivityCommand(env)), fnsPushCommand(env),
		fnsRevokeCommand(env), fnsWorkflowsCommand(env), fnsRemoveCommand(env), fnsConsumerSearchCommand(env))
	return cmd
}

// registrationTitle is the title of the stored registration data: fixed, so
// that the same data stored again for the same workflow gets the same id.
const registrationTitle = "registration.json"

func fnsRegisterCommand(env *environment) *cobra.Command {
	var requestID, file string
	var again bool
	cmd := &cobra.Command{
		Use:   "register --request-id ID --consumer FILE.json [--new]",
		Short: "Register a person at FNS for a КЭП (starts an FNSRegistration)",
		Long: `FILE is the registration's personal data in the FNS document's shape:
{"consumer": {...}, "entrepreneur": {...} (optional), "legal_entity": {...} (optional)}.
Common spellings are normalized (phone, SNILS separators, gender М/F, issue code) and
every problem is reported by its path at once, without the values; nothing is sent
then. The data is stored in the document store (registration.json, so that it stays
out of workflow history) and an FNSRegistration workflow is started with id
fns-registration-REQUEST_ID.

A request id starts one registration: the same command again prints "already
running"; other data for a running id is refused; an id that already ran is refused
unless --new is given. A refused start stores nothing.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if !requestIDPattern.MatchString(requestID) {
				errs.Add("--request-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
			}
			reg, ok := readRegistration(file, &errs)
			if ok {
				reg = reg.Normalized()
				var fields validate.FieldErrors
				errors.As(reg.Validate(""), &fields)
				for _, f := range fields {
					errs.Add("--consumer", f.Field+": "+f.Message)
				}
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			return startRegistration(cmd, env, requestID, reg, again)
		},
	}
	f := cmd.Flags()
	f.StringVar(&requestID, "request-id", "", "your id for this registration (required; no personal data); the workflow id derives from it, "+
		"so the same command again finds the registration running instead of starting a second")
	f.StringVar(&file, "consumer", "", `JSON file with the registration data: {"consumer":{...}[,"entrepreneur":{...}|,"legal_entity":{...}]}`)
	f.BoolVar(&again, "new", false, "start again although this request id already ran")
	return cmd
}

// readRegistration reads file as a pii.FNSRegistration, reporting under
// --consumer why it cannot; no message quotes the file's content.
func readRegistration(file string, errs *validate.FieldErrors) (pii.FNSRegistration, bool) {
	var reg pii.FNSRegistration
	if file == "" {
		errs.Add("--consumer", "required: a JSON file with the registration data")
		return reg, false
	}
	b, err := os.ReadFile(file)
	if err != nil {
		errs.Add("--consumer", "cannot read "+file+" ("+pathReason(err)+")")
		return reg, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(&reg)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err != nil {
		errs.Add("--consumer", file+": "+jsonProblem(err))
		return reg, false
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		errs.Add("--consumer", file+`: want an object {"consumer":{...}}`)
		return reg, false
	}
	return reg, true
}

// jsonProblem says what is wrong with a JSON document without quoting it:
// the position of a syntax error, the path and wanted type of a wrong value.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return `want an object {"consumer":{...}}`
		}
		return fmt.Sprintf("%s: want a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "not valid JSON (incomplete)"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") // a key, not a value
	case err.Error() == "trailing data":
		return "not valid JSON (data after the object)"
	}
	return "not a registration document"
}

// jsonKind names a Go kind as JSON does.
func jsonKind(kind string) string {
	switch kind {
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "string":
		return "string"
	}
	return kind
}

func startRegistration(cmd *cobra.Command, env *environment, requestID string, reg pii.FNSRegistration, again bool) error {
	workflowID := fnsregistration.WorkflowID(requestID)
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	return startOnce(cmd, env, gw, startRequest{
		workflowID:   workflowID,
		workflowType: fnsregistration.WorkflowType,
		attrs:        fnsregistration.StartSearchAttributes(),
		summary:      "FNS registration, request " + requestID,
		details: "Started by the starter CLI. The registration data is in the document store (" + registrationTitle +
			"), not in the history.",
		again: again,
		next:  []string{fmt.Sprintf("%s status %s", invocation, workflowID)},
		input: func(ctx context.Context, docs documentSource) (any, error) {
			id, err := docs.json(ctx, reg, registrationTitle, fnsregistration.RegistrationMediaType)
			if err != nil {
				return nil, err
			}
			return fnsregistration.Input{RequestID: requestID, RegistrationDocumentID: id}, nil
		},
	})
}

// checkFiles reports, under flag #N, every file that cannot be uploaded,
// and "required" under flag when there is none.
func checkFiles(flag string, files []string, errs *validate.FieldErrors) {
	if len(files) == 0 {
		errs.Add(flag, "required: at least one file")
	}
	for i, file := range files {
		name := fmt.Sprintf("%s #%d", flag, i+1)
		f, err := os.Open(file) // readable, not only there
		var info os.FileInfo
		if err == nil {
			info, err = f.Stat()
			f.Close()
		}
		switch {
		case err != nil:
			errs.Add(name, "cannot read "+file+" ("+pathReason(err)+")")
		case !info.Mode().IsRegular() || info.Size() == 0:
			errs.Add(name, file+" is empty or not a file")
		}
	}
}

func fnsAgentIdentifyCommand(env *environment) *cobra.Command {
	var agent, point string
	var scans []string
	cmd := &cobra.Command{
		Use:   "agent-identify WORKFLOW_ID --agent ID [--point N] --passport-scan FILE [--passport-scan FILE...]",
		Short: "The agent's in-person identification: upload the passport scans, send the agent-identify update",
		Long: `Run it while the registration waits for the agent (see 'go run ./starter status WORKFLOW_ID').
The agent is named by its id ('go run ./starter fns agents list'); its credentials stay
with the worker. --point is needed when the agent works at several identification points.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			req := fnsregistration.AgentIdentifyRequest{AgentID: strings.TrimSpace(agent)}
			if _, ok := positiveID(req.AgentID); !ok {
				errs.Add("--agent", "want the agent's id, a positive whole number (see 'go run ./starter fns agents list')")
			}
			if point != "" {
				n, ok := positiveID(point)
				if !ok {
					errs.Add("--point", "want a positive whole number")
				}
				req.IdentificationPoint = n
			}
			checkFiles("--passport-scan", scans, &errs)
			if err := invalidInput(errs); err != nil {
				return err
			}
			return fnsStep(cmd, env, a[0], "identification not taken", fnsregistration.AgentIdentifyUpdate, scans,
				func(ids []string) any {
					req.PassportScanDocumentIDs = ids
					return req
				})
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "the agent's id (required)")
	cmd.Flags().StringVar(&point, "point", "", "the identification point's id (when the agent works at several)")
	cmd.Flags().StringArrayVar(&scans, "passport-scan", nil, "a scan of a passport page (repeat)")
	return cmd
}

func fnsUploadScansCommand(env *environment) *cobra.Command {
	var scans []string
	cmd := &cobra.Command{
		Use:   "upload-scans WORKFLOW_ID --scan FILE [--scan FILE...]",
		Short: "Upload the signed certificate form and the photo FNS asks for (upload-certificate-scans update)",
		Long: `Run it while the registration waits for the scans (see 'go run ./starter status WORKFLOW_ID'):
the printed form from 'go run ./starter fns template', signed, and the photo of the person with it.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			checkFiles("--scan", scans, &errs)
			if err := invalidInput(errs); err != nil {
				return err
			}
			return fnsStep(cmd, env, a[0], "scans not taken", fnsregistration.UploadScansUpdate, scans,
				func(ids []string) any { return fnsregistration.UploadScansRequest{ScanDocumentIDs: ids} })
		},
	}
	cmd.Flags().StringArrayVar(&scans, "scan", nil, "a scan (repeat)")
	return cmd
}

// fnsStep uploads files for a running registration, owned by it, sends the
// update request(ids) builds and prints the FNS state it led to. The
// workflow is asked first, so that nothing is uploaded for one that cannot
// take it; a refusal is the workflow's own reason, after what.
func fnsStep(cmd *cobra.Command, env *environment, workflowID, what, update string, files []string, request func(ids []string) any) error {
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	ctx := env.subjectContext(cmd.Context(), workflowID)
	c, err := env.client(ctx)
	if err != nil {
		return err
	}
	info, err := describeExecution(ctx, c, workflowID)
	switch {
	case err != nil:
		return err
	case info == nil:
		return workflowError(what, workflowID, env.namespace(), &serviceerror.NotFound{})
	case info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return fmt.Errorf("%s: %s already ended (%s)", what, workflowID, closedState(info))
	}
	up := &uploader{gw: gw, owner: workflowID}
	ids := make([]string, 0, len(files))
	for _, file := range files {
		id, err := up.file(ctx, file)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		ids = append(ids, id)
	}
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{request(ids)},
	})
	if err != nil {
		return workflowError(what, workflowID, env.namespace(), err)
	}
	var res fnsregistration.StepResult
	if err := handle.Get(ctx, &res); err != nil {
		return workflowError(what, workflowID, env.namespace(), err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "taken: %d file(s)\nfns state: %s\nnext: %s status %s\n", len(ids), res.State, invocation, workflowID)
	return nil
}

// fnsStatus reads a registration's (or an additional signature's) status query.
func fnsStatus(cmd *cobra.Command, env *environment, workflowID, what string) (fnsregistration.Status, error) {
	var st fnsregistration.Status
	err := queryStatus(cmd, env, workflowID, what, &st, &st.Status, fnsregistration.WorkflowType, fnsregistration.ExtraSignatureWorkflowType)
	return st, err
}

// queryStatus reads a workflow's status query into into, whose process core
// is core, and refuses a workflow of another process than processes.
func queryStatus(cmd *cobra.Command, env *environment, workflowID, what string, into any, core *process.Status, processes ...string) error {
	c, err := env.client(cmd.Context())
	if err != nil {
		return err
	}
	value, err := c.QueryWorkflow(cmd.Context(), workflowID, "", process.StatusQuery)
	if err != nil {
		return workflowError(what, workflowID, env.namespace(), err)
	}
	if err := value.Get(into); err != nil {
		return fmt.Errorf("%s: decode the status of %s: %w", what, workflowID, err)
	}
	if core.Process != "" && !slices.Contains(processes, core.Process) {
		return fmt.Errorf("%s: %s is a %s, not a %s", what, workflowID, core.Process, strings.Join(processes, " or "))
	}
	return nil
}

// outputFlag reports a missing -o.
func outputFlag(output string) error {
	if output == "" {
		return invalidInput(validate.FieldErrors{{Field: "--output", Message: "want a file name, or - for stdout"}})
	}
	return nil
}

func fnsTemplateCommand(env *environment) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "template WORKFLOW_ID -o FILE",
		Short: "Save the printable certificate form (to be signed and scanned for 'fns upload-scans')",
		Long: `The form belongs to the certificate-issuing workflow at FNS, which follows the agent's
identification: before it exists there is no form.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := outputFlag(output); err != nil {
				return err
			}
			const what = "no template"
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			st, err := fnsStatus(cmd, env, a[0], what)
			if err != nil {
				return err
			}
			if st.CertificateWorkflowID == 0 {
				return fmt.Errorf("%s: the certificate workflow of %s does not exist yet (stage %s); it follows the agent's identification: see '%s status %s'",
					what, a[0], st.Stage, invocation, a[0])
			}
			path := "/v1/fns/workflows/" + strconv.FormatInt(st.CertificateWorkflowID, 10) + "/template"
			n, mediaType, err := gw.download(cmd.Context(), path, output, cmd.OutOrStdout())
			var apiErr *apiError
			if errors.As(err, &apiErr) && apiErr.code == "no_template" {
				return fmt.Errorf("%s: FNS has not made the form of its workflow %d yet (%w); see '%s status %s'",
					what, st.CertificateWorkflowID, err, invocation, a[0])
			}
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if output != "-" {
				fmt.Fprintf(cmd.OutOrStdout(), "template: FNS workflow %d, %d bytes (%s) written to %s\nnext: sign it, then %s fns upload-scans %s --scan FILE\n",
					st.CertificateWorkflowID, n, mediaType, output, invocation, a[0])
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (required; - for stdout)")
	return cmd
}

// download saves the answer to a GET into path ("-" for stdout).
func (g *gatewayClient) download(ctx context.Context, path, output string, stdout io.Writer) (int64, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.baseURL+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := g.send(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, "", decodeAPIError(resp)
	}
	n, err := writeVerifiedTo(resp.Body, output, "", stdout)
	return n, resp.Header.Get("Content-Type"), err
}

func fnsCertificateCommand(env *environment) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "certificate WORKFLOW_ID -o FILE",
		Short: "Save the issued КЭП (PEM) from the document store; prints its serial and validity",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if err := outputFlag(output); err != nil {
				return err
			}
			const what = "no certificate"
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			st, err := fnsStatus(cmd, env, a[0], what)
			if err != nil {
				return err
			}
			if st.Certificate == nil || st.Certificate.DocumentID == "" {
				return fmt.Errorf("%s: %s has none issued yet (stage %s); see '%s status %s'", what, a[0], st.Stage, invocation, a[0])
			}
			if _, err := gw.getFileTo(cmd.Context(), st.Certificate.DocumentID, output, cmd.OutOrStdout()); err != nil {
				return fmt.Errorf("%s: document %s: %w", what, st.Certificate.DocumentID, err)
			}
			out := cmd.OutOrStdout()
			if output == "-" {
				out = cmd.ErrOrStderr() // stdout holds the PEM
			}
			crt := st.Certificate
			fmt.Fprintf(out, "serial: %s\nissuer: %s\nvalid: %s to %s\n", crt.Serial, crt.Issuer,
				crt.NotBefore.UTC().Format(time.DateTime+" MST"), crt.NotAfter.UTC().Format(time.DateTime+" MST"))
			if output != "-" {
				fmt.Fprintf(out, "written: %s\nnext: openssl x509 -in %s -noout -subject -dates\n", output, output)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (required; - for stdout)")
	return cmd
}
