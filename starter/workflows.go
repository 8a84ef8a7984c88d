package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"idflow/internal/validate"
)

func workflowsCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workflows",
		Short: "List workflows",
	}
	cmd.AddCommand(workflowsListCommand(env))
	return cmd
}

// maxWorkflowsLimit is the most workflows one list shows (one page).
const maxWorkflowsLimit = 1000

func workflowsListCommand(env *environment) *cobra.Command {
	var all bool
	var query string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List open workflows (or --all) with their search attributes",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if limit < 1 || limit > maxWorkflowsLimit {
				errs.Add("--limit", fmt.Sprintf("want 1 to %d", maxWorkflowsLimit))
			}
			if all && query != "" {
				errs.Add("--all", "not with --query (the query says which workflows)")
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			c, err := env.client(cmd.Context())
			if err != nil {
				return err
			}
			if query == "" && !all {
				query = "ExecutionStatus = 'Running'"
			}
			resp, err := c.ListWorkflow(cmd.Context(), &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: env.namespace(), Query: query, PageSize: int32(limit),
			})
			if err != nil {
				return fmt.Errorf("list workflows: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WORKFLOW ID\tTYPE\tSTATUS\tSTARTED\tSEARCH ATTRIBUTES")
			for _, ex := range resp.GetExecutions() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ex.GetExecution().GetWorkflowId(), ex.GetType().GetName(),
					ex.GetStatus(), ex.GetStartTime().AsTime().Local().Format(time.DateTime),
					formatSearchAttributes(ex.GetSearchAttributes()))
			}
			if len(resp.GetExecutions()) == 0 {
				fmt.Fprintln(tw, "(none)")
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include closed workflows")
	cmd.Flags().StringVarP(&query, "query", "q", "", "visibility query, e.g. \"IdflowOutcome = 'pending'\"")
	cmd.Flags().IntVar(&limit, "limit", 100, fmt.Sprintf("how many to show at most, 1 to %d", maxWorkflowsLimit))
	return cmd
}

// formatSearchAttributes prints the project's search attributes (Idflow*)
// as sorted key=value pairs.
func formatSearchAttributes(sa *commonpb.SearchAttributes) string {
	fields := sa.GetIndexedFields()
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if strings.HasPrefix(k, "Idflow") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var v any
		if err := converter.GetDefaultDataConverter().FromPayload(fields[k], &v); err != nil {
			v = "?"
		}
		if v == "" {
			continue // an attribute cleared by the workflow
		}
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	return strings.Join(parts, " ")
}
