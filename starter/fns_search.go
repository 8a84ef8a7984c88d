package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"idflow/internal/gateway"
	"idflow/internal/validate"
)

// FNS workflow search, removal and consumer search, through the gateway
// (the worker holds the partner credentials).

func fnsWorkflowsCommand(env *environment) *cobra.Command {
	var consumers []string
	var typ string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "workflows --consumer UUID [--consumer UUID…] [--type identification] [--json]",
		Short: "List a person's workflows at FNS (give all of the person's consumer ids)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if len(consumers) == 0 {
				errs.Add("--consumer", "required: the person's consumer ids ('go run ./starter fns consumer-search')")
			}
			for i, c := range consumers {
				errs.Check(fmt.Sprintf("--consumer #%d", i+1), validate.UUID(strings.TrimSpace(c)))
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			q := url.Values{"consumer": {strings.Join(consumers, ",")}}
			if typ != "" {
				q.Set("type", typ)
			}
			var out struct {
				Workflows []gateway.FNSWorkflowSummary `json:"workflows"`
			}
			if err := gw.fnsCall(cmd.Context(), http.MethodGet, "/v1/fns/workflows?"+q.Encode(), nil, http.StatusOK, &out); err != nil {
				return fmt.Errorf("no workflows listed: %w", err)
			}
			if asJSON {
				return printJSON(cmd, out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tSTATE\tSCENARIO\tPARENT\tUPDATED")
			for _, w := range out.Workflows {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", w.ID, w.Type, w.State, w.Scenario, joinIDs(w.Parent), w.Updated)
			}
			if len(out.Workflows) == 0 {
				fmt.Fprintln(tw, "(none)")
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&consumers, "consumer", nil, "a consumer id of the person (repeat for all of them)")
	f.StringVar(&typ, "type", "", "only workflows of this type (identification)")
	f.BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}

func fnsRemoveCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "remove FNS_WORKFLOW_ID...",
		Short: "Remove workflows at FNS; FNS removes what it can (not a completed signing) and says which it could not",
		Args:  args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			ids := make([]int64, 0, len(a))
			for i, s := range a {
				id, ok := positiveID(s)
				if !ok {
					errs.Add(fmt.Sprintf("FNS_WORKFLOW_ID #%d", i+1), "want a positive whole number")
				}
				ids = append(ids, id)
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			var res gateway.FNSRemoveResult
			if err := gw.fnsCall(cmd.Context(), http.MethodPost, "/v1/fns/workflows/remove", map[string]any{"ids": ids}, http.StatusOK, &res); err != nil {
				return fmt.Errorf("nothing removed: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed: %s\nnot removed: %s\n", orNone(joinIDs(res.Removed)), orNone(joinIDs(res.Failed)))
			if len(res.Failed) > 0 {
				return fmt.Errorf("FNS did not remove %d of %d workflow(s): %s (a completed signing cannot be removed)",
					len(res.Failed), len(ids), joinIDs(res.Failed))
			}
			return nil
		},
	}
}

func fnsConsumerSearchCommand(env *environment) *cobra.Command {
	var q struct {
		LastName   string `json:"last_name"`
		FirstName  string `json:"first_name"`
		MiddleName string `json:"middle_name,omitempty"`
		Birthed    string `json:"birthed,omitempty"`
		SNILS      string `json:"snils,omitempty"`
		INN        string `json:"inn,omitempty"`
		Phone      string `json:"phone"`
	}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "consumer-search --last-name X --first-name Y [--middle-name Z] --phone P [--snils S] [--inn I] [--birthed YYYY-MM-DD] [--json]",
		Short: "Find a person's consumers at FNS (one per app activation): ids, states and certificates",
		Long: `The person's data goes to the gateway in the request body only; the answer holds ids,
states and certificates, not the person's data.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			for _, f := range []struct{ flag, value string }{{"--last-name", q.LastName}, {"--first-name", q.FirstName}, {"--phone", q.Phone}} {
				if strings.TrimSpace(f.value) == "" {
					errs.Add(f.flag, "required")
				}
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			var out struct {
				Consumers []gateway.FNSConsumerSummary `json:"consumers"`
			}
			if err := gw.fnsCall(cmd.Context(), http.MethodPost, "/v1/fns/consumers/search", q, http.StatusOK, &out); err != nil {
				return fmt.Errorf("no consumer search: %w", err)
			}
			if asJSON {
				return printJSON(cmd, out)
			}
			return printConsumers(cmd, out.Consumers)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.LastName, "last-name", "", "last name (required)")
	f.StringVar(&q.FirstName, "first-name", "", "first name (required)")
	f.StringVar(&q.MiddleName, "middle-name", "", "middle name")
	f.StringVar(&q.Phone, "phone", "", "mobile phone (required)")
	f.StringVar(&q.SNILS, "snils", "", "SNILS")
	f.StringVar(&q.INN, "inn", "", "the person's INN")
	f.StringVar(&q.Birthed, "birthed", "", "date of birth, YYYY-MM-DD")
	f.BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}

func printConsumers(cmd *cobra.Command, consumers []gateway.FNSConsumerSummary) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONSUMER\tSTATE\tCERTIFICATE\tTYPE\tCERT STATE\tCONFIRMED\tNOT AFTER")
	for _, c := range consumers {
		if len(c.Certificates) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t\t\t\t\n", c.ID, c.State)
		}
		for i, crt := range c.Certificates {
			id, state := c.ID, c.State
			if i > 0 {
				id, state = "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%t\t%s\n", id, state, crt.ID, crt.Type, crt.State, crt.IsConfirmed, crt.NotAfter)
		}
	}
	if len(consumers) == 0 {
		fmt.Fprintln(tw, "(none found)")
	}
	return tw.Flush()
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
