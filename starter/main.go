// Command starter is the CLI for services and operators: it stores documents
// through the gateway, starts and steers workflows, and shows their status.
//
// Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:]))
}

// execute runs one command line and returns the process exit code.
func execute(ctx context.Context, args []string) int {
	return executeWith(ctx, args, os.Stdout, os.Stderr)
}

// executeWith is execute with the command's output and error streams given.
func executeWith(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "starter:", describe(err))
	if isUsageError(err) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", typed(cmd))
		return 2
	}
	return 1
}

// invocation is how the README's users run the starter; every hint the
// starter prints is written that way, so that it can be copied as is.
const invocation = "go run ./starter"

// typed is the command line that runs cmd, as a user types it:
// "go run ./starter kyc start".
func typed(cmd *cobra.Command) string {
	if cmd == nil {
		return invocation
	}
	return strings.Replace(cmd.CommandPath(), cmd.Root().Name(), invocation, 1)
}

func newRootCommand() *cobra.Command {
	env := &environment{}
	root := &cobra.Command{
		Use:   "starter",
		Short: "Start, steer and inspect idflow workflows; store documents",
		Long: `starter talks to Temporal (TEMPORAL_ADDRESS, default localhost:7233; TEMPORAL_NAMESPACE, ...) and
to the worker's gateway (IDFLOW_GATEWAY_URL, IDFLOW_API_TOKEN). Under 'go run ./worker -dev'
the token is read from .idflow/api-token, looked for in the working directory and the
directories above it (IDFLOW_DEV_DIR names another directory).

Exit codes: 0 success, 1 failure, 2 usage error (including input that fails the checks:
nothing is sent then).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return env.load(cmd.Context())
		},
		PersistentPostRun: func(*cobra.Command, []string) { env.close() },
	}
	root.PersistentFlags().StringVar(&env.subject, "subject", "",
		"the person the data is about, an opaque id without personal data (default: the workflow id); one key seals a subject's "+
			"documents and payloads, and 'subjects erase' erases them: give the same --subject for every process of one person")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(group(documentsCommand(env)), group(workflowsCommand(env)), statusCommand(env),
		identifyCommand(env), smsCodeCommand(env), group(kycCommand(env)), group(inboxCommand(env)),
		group(fnsCommand(env)), group(subjectsCommand(env)), onboardCommand(env),
		proofingCommand(env, "proofing-status", "Print a proofing's status as the wallet sees it", "getProofingStatus"),
		proofingCommand(env, "proofing-cancel", "Cancel a pending or challenged proofing", "cancelProofing"),
		benchCommand(env))
	return root
}

// group makes a command that only holds subcommands print its help when run
// alone and reject anything else as a usage error; left to cobra, an unknown
// subcommand (a typo) would print the help and exit 0.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = args(cobra.NoArgs)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	return cmd
}

// describe drops the SDK's "(type: ..., retryable: ...)" decorations, which
// say nothing to a person at a terminal, keeping the messages themselves.
func describe(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return strings.Replace(err.Error(), appErr.Error(), appErr.Message(), 1)
	}
	return err.Error()
}

// workflowError is err from a call about workflowID, after what: a
// workflow that does not exist is said so once, with where to look, instead
// of the SDK's "workflow not found for ID: ..." after our own prefix.
func workflowError(what, workflowID, namespace string, err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%s: no workflow %s in namespace %s (see '%s workflows list --all')", what, workflowID, namespace, invocation)
	}
	return fmt.Errorf("%s: %w", what, err)
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
