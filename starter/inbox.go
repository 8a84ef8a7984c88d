package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"idflow/internal/validate"
)

func inboxCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "Provider callbacks received by the gateway, and whether they reached their workflow",
	}
	cmd.AddCommand(inboxListCommand(env))
	return cmd
}

// The inbox's statuses and limits, as internal/store defines them (a test
// checks they agree); the starter does not link the store and its drivers.
var inboxStatuses = []string{"pending", "delivered", "unmatched", "failed"}

const (
	defaultInboxLimit = 100
	maxInboxListLimit = 1000
	maxProviderLen    = 64
)

// inboxEvent is one row of GET /v1/inbox (bodies are never listed).
type inboxEvent struct {
	ID         string `json:"id"`
	Provider   string `json:"provider"`
	DedupeKey  string `json:"dedupeKey"`
	EventType  string `json:"eventType"`
	WorkflowID string `json:"workflowId"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	LastError  string `json:"lastError"`
	ReceivedAt string `json:"receivedAt"`
}

func inboxListCommand(env *environment) *cobra.Command {
	var provider, status, before string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--status " + strings.Join(inboxStatuses, "|") + "] [--provider idngo] [--before EVENT_ID]",
		Short: "List received callbacks, newest first",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if status != "" && !slices.Contains(inboxStatuses, status) {
				errs.Add("--status", "want one of "+strings.Join(inboxStatuses, ", "))
			}
			if limit < 1 || limit > maxInboxListLimit {
				errs.Add("--limit", fmt.Sprintf("want 1 to %d", maxInboxListLimit))
			}
			if len(provider) > maxProviderLen {
				errs.Add("--provider", fmt.Sprintf("at most %d bytes", maxProviderLen))
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			q := url.Values{"provider": {provider}, "status": {status}, "limit": {strconv.Itoa(limit)}, "before": {before}}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, gw.baseURL+"/v1/inbox?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			var out struct {
				Events []inboxEvent
				Next   string
			}
			if err := gw.do(req, http.StatusOK, &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RECEIVED\tPROVIDER\tTYPE\tSTATUS\tATTEMPTS\tWORKFLOW ID\tKEY\tLAST ERROR")
			for _, ev := range out.Events {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", ev.ReceivedAt, ev.Provider, ev.EventType, ev.Status,
					ev.Attempts, ev.WorkflowID, ev.DedupeKey, ev.LastError)
			}
			if len(out.Events) == 0 {
				fmt.Fprintln(tw, "(none)")
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if out.Next != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "more: --before %s\n", out.Next)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "only this provider, e.g. idngo")
	cmd.Flags().StringVar(&status, "status", "", "only this status: "+strings.Join(inboxStatuses, ", "))
	cmd.Flags().IntVar(&limit, "limit", defaultInboxLimit, fmt.Sprintf("how many at most, 1 to %d", maxInboxListLimit))
	cmd.Flags().StringVar(&before, "before", "", "the next page: the id a full page ends with (its \"more:\" line)")
	return cmd
}
