package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"idflow/internal/pii"
	"idflow/internal/validate"
	"idflow/workflows/kyc"
)

func kycCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kyc",
		Short: "IDnGO KYC verification: start one, resubmit rejected documents",
	}
	cmd.AddCommand(kycStartCommand(env), kycResubmitCommand(env))
	return cmd
}

// docSpec is one --doc TYPE:COUNTRY[:SIDE]=FILE.
type docSpec struct {
	doc  kyc.Document
	file string
	flag string // "--doc #2 (ID_CARD:RUS:BACK_SIDE=back.jpg)", to report it by
}

// docFlagHelp describes --doc.
var docFlagHelp = "TYPE:COUNTRY[:SIDE]=FILE (repeat): TYPE one of " + strings.Join(kyc.DocTypes(), ", ") +
	"; COUNTRY ISO 3166-1 alpha-3 (RUS); SIDE " + kyc.SideFront + " or " + kyc.SideBack + " for a two-sided type"

// parseDocSpecs reads --doc values, reporting every one that is malformed
// or whose file cannot be read.
func parseDocSpecs(values []string, errs *validate.FieldErrors) []docSpec {
	specs := make([]docSpec, 0, len(values))
	for i, v := range values {
		flag := fmt.Sprintf("--doc #%d (%s)", i+1, v)
		kind, file, ok := strings.Cut(v, "=")
		parts := strings.Split(kind, ":")
		if !ok || file == "" || len(parts) < 2 || len(parts) > 3 {
			errs.Add(flag, "want TYPE:COUNTRY[:SIDE]=FILE, e.g. ID_CARD:RUS:FRONT_SIDE=front.jpg")
			continue
		}
		if info, err := os.Stat(file); err != nil {
			var pathErr *os.PathError
			if errors.As(err, &pathErr) {
				err = pathErr.Err
			}
			errs.Add(flag, fmt.Sprintf("cannot read %s (%v)", file, err))
			continue
		} else if !info.Mode().IsRegular() || info.Size() == 0 {
			errs.Add(flag, file+" is empty or not a file")
			continue
		}
		spec := docSpec{file: file, flag: flag, doc: kyc.Document{IDDocType: strings.ToUpper(parts[0]), Country: strings.ToUpper(parts[1])}}
		if len(parts) == 3 {
			spec.doc.IDDocSubType = strings.ToUpper(parts[2])
		}
		specs = append(specs, spec)
	}
	return specs
}

// docFields names the parts of a document that kyc.CheckDocuments reports.
var docFields = map[string]string{"idDocType": "type", "idDocSubType": "side", "country": "country"}

// checkDocSpecs runs the workflow's own document checks (kyc.CheckDocuments)
// on the parsed specs and reports each problem under its --doc. given is
// the number of --doc values: when some could not be parsed (and are
// reported already), what the whole set lacks is not reported, as the
// unparsed ones may be what it lacks.
func checkDocSpecs(level string, specs []docSpec, given int, complete bool, errs *validate.FieldErrors) {
	docs := make([]kyc.Document, len(specs))
	for i, spec := range specs {
		docs[i] = spec.doc
		docs[i].DocumentID = "to-be-uploaded" // ids come with the upload, after the checks
	}
	for _, f := range kyc.CheckDocuments(level, docs, complete) {
		var i int
		var part string
		if _, err := fmt.Sscanf(f.Field, "documents[%d]", &i); err != nil || i < 0 || i >= len(specs) {
			if len(specs) == given {
				errs.Add("--doc", f.Message) // about the documents as a whole
			}
			continue
		}
		_, part, _ = strings.Cut(f.Field, "].")
		if part == "documentId" {
			continue
		}
		errs.Add(specs[i].flag, docFields[part]+": "+f.Message)
	}
}

// applicantFlags names the flag behind each field pii.ApplicantInfo.Validate reports.
var applicantFlags = map[string]string{"applicant.dob": "--dob", "applicant.country": "--country", "applicant.phone": "--phone"}

// checkApplicant normalizes the declared data and reports every bad field under its flag.
func checkApplicant(info *pii.ApplicantInfo, errs *validate.FieldErrors) {
	*info = info.Normalized()
	var fields validate.FieldErrors
	errors.As(info.Validate("applicant"), &fields)
	for _, f := range fields {
		errs.Add(applicantFlags[f.Field], f.Message)
	}
}

// uploadDocs stores the files through docs and returns their references.
func uploadDocs(ctx context.Context, docs documentSource, specs []docSpec) ([]kyc.Document, error) {
	out := make([]kyc.Document, 0, len(specs))
	for _, spec := range specs {
		id, err := docs.file(ctx, spec.file)
		if err != nil {
			return nil, err
		}
		spec.doc.DocumentID = id
		out = append(out, spec.doc)
	}
	return out, nil
}

// knownLevels lists the levels the starter knows the steps of.
func knownLevels() string {
	names := make([]string, 0, len(kyc.Levels))
	for name := range kyc.Levels {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + " (" + strings.Join(kyc.Levels[name], " + ") + ")"
	}
	return "known here: " + strings.Join(parts, ", ")
}

func kycStartCommand(env *environment) *cobra.Command {
	var externalUserID, level string
	var docs []string
	var info pii.ApplicantInfo
	var again bool
	cmd := &cobra.Command{
		Use:   "start --external-user-id ID --level LEVEL --doc TYPE:COUNTRY[:SIDE]=FILE ...",
		Short: "Upload the documents to the document store and start a KYCVerification",
		Long: `Checks the arguments (the documents as the workflow does, for the level's steps,
and the declared data), stores each file in the document store (and the declared
data, if given, so that it stays out of workflow history), then starts the
KYCVerification workflow with id kyc-EXTERNAL_USER_ID. Follow it with
'go run ./starter status kyc-EXTERNAL_USER_ID'.

An external user id starts one verification: the same command again prints
"already running"; other documents or data for a running id are refused, naming
the fields; an id that already ran is refused unless --new is given (a new
review, billed again). A refused start uploads nothing.`,
		Example: `  go run ./starter kyc start --external-user-id user-42 --level basic-kyc-level \
    --doc ID_CARD:RUS:FRONT_SIDE=front.jpg --doc ID_CARD:RUS:BACK_SIDE=back.jpg --doc SELFIE:RUS=selfie.jpg`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if !requestIDPattern.MatchString(externalUserID) {
				errs.Add("--external-user-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
			}
			if level = strings.TrimSpace(level); level == "" {
				errs.Add("--level", "required")
			}
			specs := parseDocSpecs(docs, &errs)
			checkDocSpecs(level, specs, len(docs), true, &errs)
			checkApplicant(&info, &errs)
			if err := invalidInput(errs); err != nil {
				return err
			}
			return startKYC(cmd, env, externalUserID, level, info, specs, again)
		},
	}
	f := cmd.Flags()
	f.StringVar(&externalUserID, "external-user-id", "", "your user's id at IDnGO (no personal data); the workflow id derives from it, "+
		"so the same command again finds the verification running instead of starting a second")
	f.BoolVar(&again, "new", false, "start again although kyc-EXTERNAL_USER_ID already ran (a new review, billed again)")
	f.StringVar(&level, "level", "basic-kyc-level", "IDnGO verification level; "+knownLevels()+"; another level is checked by IDnGO alone")
	f.StringArrayVar(&docs, "doc", nil, "a document image: "+docFlagHelp)
	f.StringVar(&info.FirstName, "first-name", "", "declared first name (optional)")
	f.StringVar(&info.LastName, "last-name", "", "declared last name (optional)")
	f.StringVar(&info.MiddleName, "middle-name", "", "declared middle name (optional)")
	f.StringVar(&info.DOB, "dob", "", "declared date of birth, yyyy-mm-dd (optional)")
	f.StringVar(&info.Country, "country", "", "declared country, ISO 3166-1 alpha-3 such as RUS (optional)")
	f.StringVar(&info.Phone, "phone", "", "declared phone, + and 8 to 15 digits; spaces, dashes and parentheses are dropped, and a Russian 8 900 ... is read as +7 900 ... (optional)")
	return cmd
}

// applicantTitle is the title of the stored declared data: fixed, so that
// the same data stored again for the same workflow gets the same document id.
const applicantTitle = "applicant.json"

func startKYC(cmd *cobra.Command, env *environment, externalUserID, level string, info pii.ApplicantInfo, specs []docSpec, again bool) error {
	workflowID := kyc.WorkflowID(externalUserID)
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	kinds := make([]string, len(specs))
	for i, spec := range specs {
		kinds[i] = strings.TrimSpace(spec.doc.IDDocType + " " + spec.doc.Country + " " + spec.doc.IDDocSubType)
	}
	details := "Started by the starter CLI. Documents: " + strings.Join(kinds, ", ") + "."
	if info != (pii.ApplicantInfo{}) {
		details += " The declared data is in the document store (" + applicantTitle + "), not in the history."
	}
	return startOnce(cmd, env, gw, startRequest{
		workflowID:   workflowID,
		workflowType: kyc.WorkflowType,
		attrs:        kyc.StartSearchAttributes(),
		summary:      fmt.Sprintf("KYC of external user %s, level %s", externalUserID, level),
		details:      details,
		again:        again,
		next:         []string{fmt.Sprintf("%s status %s", invocation, workflowID)},
		input: func(ctx context.Context, docs documentSource) (any, error) {
			input := kyc.Input{ExternalUserID: externalUserID, LevelName: level}
			var err error
			if input.Documents, err = uploadDocs(ctx, docs, specs); err != nil {
				return nil, err
			}
			if info != (pii.ApplicantInfo{}) {
				if input.Applicant.InfoDocumentID, err = docs.json(ctx, info, applicantTitle, kyc.ApplicantInfoMediaType); err != nil {
					return nil, err
				}
			}
			return input, nil
		},
	})
}

func kycResubmitCommand(env *environment) *cobra.Command {
	var docs []string
	cmd := &cobra.Command{
		Use:   "resubmit WORKFLOW_ID --doc TYPE:COUNTRY[:SIDE]=FILE ...",
		Short: "Send new documents for the steps a RED:RETRY rejected (resubmit-documents update)",
		Long: `Checks each document as far as it can without the workflow (type, side, country; the
workflow's validator then checks that each belongs to a rejected step), stores the files
in the document store and sends them with the resubmit-documents update.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			specs := parseDocSpecs(docs, &errs)
			// The level is the workflow's: its validator checks the steps.
			checkDocSpecs("", specs, len(docs), false, &errs)
			if err := invalidInput(errs); err != nil {
				return err
			}
			return resubmitKYC(cmd, env, a[0], specs)
		},
	}
	cmd.Flags().StringArrayVar(&docs, "doc", nil, "a new document image: "+docFlagHelp)
	return cmd
}

func resubmitKYC(cmd *cobra.Command, env *environment, workflowID string, specs []docSpec) error {
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	// Temporal first, so that nothing is uploaded for a workflow that cannot take it.
	c, err := env.client(cmd.Context())
	if err != nil {
		return err
	}
	info, err := describeExecution(cmd.Context(), c, workflowID)
	switch {
	case err != nil:
		return err
	case info == nil:
		return workflowError("documents not taken", workflowID, env.namespace(), &serviceerror.NotFound{})
	case info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return fmt.Errorf("documents not taken: %s already ended (%s)", workflowID, closedState(info))
	}
	ctx := env.subjectContext(cmd.Context(), workflowID)
	docs, err := uploadDocs(ctx, &uploader{gw: gw, owner: workflowID}, specs)
	if err != nil {
		return err
	}
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: kyc.ResubmitDocumentsUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{kyc.ResubmitDocumentsRequest{Documents: docs}},
	})
	if err != nil {
		return workflowError("documents not taken", workflowID, env.namespace(), err)
	}
	var res kyc.ResubmitDocumentsResult
	if err := handle.Get(cmd.Context(), &res); err != nil {
		return workflowError("documents not taken", workflowID, env.namespace(), err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "taken: %d document(s); review attempt %d follows\n", res.Uploaded, res.Attempt)
	return nil
}
