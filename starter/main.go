// Command starter is the CLI for services and operators: it stores documents
// through the gateway, starts and steers workflows, and shows their status.
//
// Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:]))
}

// execute runs one command line and returns the process exit code.
func execute(ctx context.Context, args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "starter:", err)
	if isUsageError(err) {
		fmt.Fprintln(os.Stderr, "Run 'starter --help' for usage.")
		return 2
	}
	return 1
}

func newRootCommand() *cobra.Command {
	env := &environment{}
	root := &cobra.Command{
		Use:           "starter",
		Short:         "Start, steer and inspect idflow workflows; store documents",
		Long:          "starter talks to Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...) and to the worker's gateway (IDFLOW_GATEWAY_URL, IDFLOW_API_TOKEN; under -dev the token is read from .idflow/api-token).",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return env.load(cmd.Context())
		},
		PersistentPostRun: func(*cobra.Command, []string) { env.close() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(documentsCommand(env), workflowsCommand(env), statusCommand(env))
	return root
}

// usageError marks a command line that could not be understood (exit code 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func isUsageError(err error) bool {
	var u usageError
	// cobra reports unknown commands and missing required flags as plain errors.
	msg := err.Error()
	return errors.As(err, &u) || strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "required flag")
}

// args wraps a cobra argument check so that its failure is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}
