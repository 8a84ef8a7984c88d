package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
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

// docSpec is one --doc TYPE:COUNTRY[:SUBTYPE]=FILE.
type docSpec struct {
	doc  kyc.Document
	file string
}

// parseDocSpecs reads --doc values, reporting every bad one.
func parseDocSpecs(values []string, errs *validate.FieldErrors) []docSpec {
	specs := make([]docSpec, 0, len(values))
	for i, v := range values {
		field := fmt.Sprintf("doc[%d]", i)
		kind, file, ok := strings.Cut(v, "=")
		parts := strings.Split(kind, ":")
		if !ok || file == "" || len(parts) < 2 || len(parts) > 3 || parts[0] == "" || len(parts[1]) != 3 {
			errs.Add(field, "want TYPE:COUNTRY[:SUBTYPE]=FILE, e.g. ID_CARD:RUS:FRONT_SIDE=front.jpg")
			continue
		}
		if _, err := os.Stat(file); err != nil {
			errs.Add(field, "cannot read "+file)
			continue
		}
		spec := docSpec{file: file, doc: kyc.Document{IDDocType: strings.ToUpper(parts[0]), Country: strings.ToUpper(parts[1])}}
		if len(parts) == 3 {
			spec.doc.IDDocSubType = strings.ToUpper(parts[2])
		}
		specs = append(specs, spec)
	}
	if len(values) == 0 {
		errs.Add("doc", "at least one --doc required")
	}
	return specs
}

// uploadDocs stores the files, owned by the workflow, and returns their references.
func uploadDocs(cmd *cobra.Command, gw *gatewayClient, specs []docSpec, owner string) ([]kyc.Document, error) {
	docs := make([]kyc.Document, 0, len(specs))
	for _, spec := range specs {
		stored, err := gw.putFile(cmd.Context(), spec.file, owner, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.file, err)
		}
		spec.doc.DocumentID = stored.ID
		docs = append(docs, spec.doc)
	}
	return docs, nil
}

func kycStartCommand(env *environment) *cobra.Command {
	var externalUserID, level string
	var docs []string
	var info pii.ApplicantInfo
	cmd := &cobra.Command{
		Use:   "start --external-user-id ID --level LEVEL --doc TYPE:COUNTRY[:SUBTYPE]=FILE ...",
		Short: "Upload the documents to the document store and start a KYCVerification",
		Long: `Checks the arguments, stores each file in the document store (and the applicant's
declared data, if given, so that it stays out of workflow history), then starts the
KYCVerification workflow with id kyc-EXTERNAL_USER_ID. Follow it with 'starter status'.`,
		Example: `  starter kyc start --external-user-id user-42 --level basic-kyc-level \
    --doc ID_CARD:RUS:FRONT_SIDE=front.jpg --doc ID_CARD:RUS:BACK_SIDE=back.jpg --doc SELFIE:RUS=selfie.jpg`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if !requestIDPattern.MatchString(externalUserID) {
				errs.Add("external-user-id", "1 to 64 letters, digits, '.', '_' or '-'")
			}
			specs := parseDocSpecs(docs, &errs)
			if len(errs) > 0 {
				return usageError{fieldErrorList(errs)}
			}
			return startKYC(cmd, env, externalUserID, level, info, specs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&externalUserID, "external-user-id", "", "your user's id at IDnGO (no personal data); the workflow id derives from it")
	f.StringVar(&level, "level", "basic-kyc-level", "IDnGO verification level")
	f.StringArrayVar(&docs, "doc", nil, "a document image: TYPE:COUNTRY[:SUBTYPE]=FILE (repeat)")
	f.StringVar(&info.FirstName, "first-name", "", "declared first name (optional)")
	f.StringVar(&info.LastName, "last-name", "", "declared last name (optional)")
	f.StringVar(&info.MiddleName, "middle-name", "", "declared middle name (optional)")
	f.StringVar(&info.DOB, "dob", "", "declared date of birth, yyyy-mm-dd (optional)")
	f.StringVar(&info.Country, "country", "", "declared country, ISO alpha-3 (optional)")
	return cmd
}

func startKYC(cmd *cobra.Command, env *environment, externalUserID, level string, info pii.ApplicantInfo, specs []docSpec) error {
	workflowID := kyc.WorkflowID(externalUserID)
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	input := kyc.Input{ExternalUserID: externalUserID, LevelName: level}
	if input.Documents, err = uploadDocs(cmd, gw, specs, workflowID); err != nil {
		return err
	}
	if info != (pii.ApplicantInfo{}) {
		if input.Applicant.InfoDocumentID, err = storeJSON(cmd, gw, info, workflowID, kyc.ApplicantInfoMediaType); err != nil {
			return err
		}
	}
	c, err := env.client(cmd.Context())
	if err != nil {
		return err
	}
	run, err := c.ExecuteWorkflow(cmd.Context(), client.StartWorkflowOptions{ID: workflowID, TaskQueue: env.cfg.TaskQueue},
		kyc.WorkflowType, input)
	if err != nil {
		return fmt.Errorf("start workflow: %w", err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "workflow: %s\nui: %s\n", run.GetID(), env.workflowURL(run.GetID()))
	fmt.Fprintf(out, "next: starter status %s\n", run.GetID())
	return nil
}

// storeJSON puts a value in the document store as JSON, owned by the workflow.
func storeJSON(cmd *cobra.Command, gw *gatewayClient, value any, owner, mediaType string) (string, error) {
	body, err := json.Marshal(value)
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp("", "idflow-*.json")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	doc, err := gw.putFile(cmd.Context(), tmp.Name(), owner, mediaType)
	if err != nil {
		return "", fmt.Errorf("store data: %w", err)
	}
	return doc.ID, nil
}

func kycResubmitCommand(env *environment) *cobra.Command {
	var docs []string
	cmd := &cobra.Command{
		Use:   "resubmit WORKFLOW_ID --doc TYPE:COUNTRY[:SUBTYPE]=FILE ...",
		Short: "Send new documents for the steps a RED:RETRY rejected (resubmit-documents update)",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			specs := parseDocSpecs(docs, &errs)
			if len(errs) > 0 {
				return usageError{fieldErrorList(errs)}
			}
			return resubmitKYC(cmd, env, a[0], specs)
		},
	}
	cmd.Flags().StringArrayVar(&docs, "doc", nil, "a new document image: TYPE:COUNTRY[:SUBTYPE]=FILE (repeat)")
	return cmd
}

func resubmitKYC(cmd *cobra.Command, env *environment, workflowID string, specs []docSpec) error {
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	docs, err := uploadDocs(cmd, gw, specs, workflowID)
	if err != nil {
		return err
	}
	c, err := env.client(cmd.Context())
	if err != nil {
		return err
	}
	handle, err := c.UpdateWorkflow(cmd.Context(), client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: kyc.ResubmitDocumentsUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{kyc.ResubmitDocumentsRequest{Documents: docs}},
	})
	if err != nil {
		return fmt.Errorf("documents not taken: %w", err)
	}
	var res kyc.ResubmitDocumentsResult
	if err := handle.Get(cmd.Context(), &res); err != nil {
		return fmt.Errorf("documents not taken: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "taken: %d document(s); review attempt %d follows\n", res.Uploaded, res.Attempt)
	return nil
}
