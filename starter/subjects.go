package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"idflow/internal/store"
	"idflow/internal/validate"
)

func subjectsCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subjects",
		Short: "The persons whose data the worker keeps: erase one",
	}
	cmd.AddCommand(subjectsEraseCommand(env))
	return cmd
}

func subjectsEraseCommand(env *environment) *cobra.Command {
	var actor string
	var force bool
	cmd := &cobra.Command{
		Use:   "erase SUBJECT --actor NAME [--force]",
		Short: "Erase a person's data: destroy the subject's key and delete its documents",
		Long: `SUBJECT is the --subject the person's processes were started with (by default a
workflow id). The subject's data key is destroyed and its documents deleted, so what the
key sealed — documents and the payloads of every history that carried the subject — can
no longer be read; other persons' data stays readable. Refused while one of the subject's
workflows runs (cancel it first) unless --force. Every erasure is recorded with --actor.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			if !store.ValidSubject(a[0]) {
				errs.Add("SUBJECT", "want 1 to 128 letters, digits, '.', '_', ':' or '-'")
			}
			if strings.TrimSpace(actor) == "" {
				errs.Add("--actor", "required: who asks for the erasure (no personal data), for the audit")
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			var out struct {
				ID        string `json:"id"`
				Documents int64  `json:"documents"`
				Forced    bool   `json:"forced"`
			}
			err = gw.fnsCall(cmd.Context(), http.MethodPost, "/v1/subjects/"+a[0]+"/erase", map[string]any{"actor": actor, "force": force},
				http.StatusOK, &out)
			var apiErr *apiError
			if errors.As(err, &apiErr) && apiErr.code == "subject_in_use" {
				return fmt.Errorf("not erased: %w (cancel them, or --force)", err)
			}
			if err != nil {
				return fmt.Errorf("not erased: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "erased: subject %s, %d document(s) deleted, its key destroyed (audit %s)\n", a[0], out.Documents, out.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&actor, "actor", "", "who asks for the erasure (required; recorded)")
	cmd.Flags().BoolVar(&force, "force", false, "erase although the subject's workflows still run")
	return cmd
}
