package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"idflow/internal/pii"
	"idflow/internal/validate"
	"idflow/workflows/simplifiedid"
)

// requestIDPattern keeps request ids (and so workflow ids) short and plain.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func identifyCommand(env *environment) *cobra.Command {
	var person pii.Person
	var passport, requestID string
	var smsTimeout time.Duration
	var again bool
	cmd := &cobra.Command{
		Use:   "identify --last-name L --first-name F --patronymic P --passport 1234-567890 (--snils S | --inn I) --phone +7XXXXXXXXXX",
		Short: "Start a Mandarin simplified identification (SMEV + SMS code)",
		Long: `Validates every field (SNILS/INN checksums, passport and phone formats) before
anything is sent, stores the person's data in the document store (so it stays out of
workflow history) and starts a SimplifiedIdentification workflow with id
simplified-identification-REQUEST_ID. Then send the SMS code with
'go run ./starter sms-code WORKFLOW_ID CODE' and follow it with
'go run ./starter status WORKFLOW_ID'.

A request id starts one identification: the same command again prints "already
running"; other data for a running id is refused, naming the fields; an id that
already ran is refused unless --new is given (a new session, billed again). A
refused start stores nothing.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if requestID == "" {
				requestID = uuid.NewString()
			}
			if err := checkIdentifyInput(&person, passport, requestID, smsTimeout); err != nil {
				return err
			}
			return startIdentification(cmd, env, person, requestID, smsTimeout, again)
		},
	}
	f := cmd.Flags()
	f.StringVar(&person.LastName, "last-name", "", "last name (фамилия)")
	f.StringVar(&person.FirstName, "first-name", "", "first name (имя)")
	f.StringVar(&person.Patronymic, "patronymic", "", "patronymic (отчество)")
	f.StringVar(&passport, "passport", "", "Russian passport, series and number: 1234-567890")
	f.StringVar(&person.SNILS, "snils", "", "SNILS, 11 digits (separators allowed)")
	f.StringVar(&person.INN, "inn", "", "personal INN, 12 digits")
	f.StringVar(&person.Phone, "phone", "", "Russian mobile phone, +7 and 10 digits; common spellings such as '+7 (900) 123-45-67' or '8 900 123 45 67' are accepted")
	f.StringVar(&requestID, "request-id", "", "your id for this request (default: a new UUID); the workflow id derives from it, "+
		"so the same command again finds the identification running instead of starting a second")
	f.BoolVar(&again, "new", false, "start again although this request id already ran (a new Mandarin session, billed again)")
	f.DurationVar(&smsTimeout, "sms-timeout", 0, fmt.Sprintf("how long to wait for a correct SMS code, %s to %s; 0 (or unset) means the default, %s",
		compactDuration(simplifiedid.MinSMSCodeTimeout), compactDuration(simplifiedid.MaxSMSCodeTimeout),
		compactDuration(simplifiedid.DefaultSMSCodeTimeout)))
	return cmd
}

// personFlags names the flag behind each field pii.Person.Validate reports.
var personFlags = map[string]string{
	"person.lastName": "--last-name", "person.firstName": "--first-name", "person.patronymic": "--patronymic",
	"person.passport": "--passport", "person.snils": "--snils", "person.inn": "--inn", "person.phone": "--phone",
}

// checkIdentifyInput normalizes the person and returns every bad field at
// once, each under its flag, as a usage error; it prints nothing.
func checkIdentifyInput(p *pii.Person, passport, requestID string, smsTimeout time.Duration) error {
	var errs validate.FieldErrors
	if !requestIDPattern.MatchString(requestID) {
		errs.Add("--request-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
	}
	series, number, passportErr := validate.ParsePassport(strings.TrimSpace(passport))
	p.PassportSeries, p.PassportNumber = series, number
	*p = p.Normalized()
	var fields validate.FieldErrors
	errors.As(p.Validate("person"), &fields)
	for _, f := range fields {
		switch {
		case f.Field == "person.passport" && passportErr != nil:
			errs.Check("--passport", passportErr) // the flag's own spelling, not the split halves
		case f.Field == "person.snils" && p.SNILS == "" && p.INN == "":
			errs.Add("--snils, --inn", "one of them is required")
		default:
			errs.Add(personFlags[f.Field], f.Message)
		}
	}
	if smsTimeout != 0 && (smsTimeout < simplifiedid.MinSMSCodeTimeout || smsTimeout > simplifiedid.MaxSMSCodeTimeout) {
		errs.Add("--sms-timeout", fmt.Sprintf("want %s to %s, or 0 for the default (%s)", compactDuration(simplifiedid.MinSMSCodeTimeout),
			compactDuration(simplifiedid.MaxSMSCodeTimeout), compactDuration(simplifiedid.DefaultSMSCodeTimeout)))
	}
	return invalidInput(errs)
}

// invalidInput is nil for no errors, else a usage error listing them.
func invalidInput(errs validate.FieldErrors) error {
	if len(errs) == 0 {
		return nil
	}
	return usageError{fieldErrorList(errs)}
}

// fieldErrorList prints one bad field per line.
type fieldErrorList validate.FieldErrors

func (l fieldErrorList) Error() string {
	msg := "invalid input, nothing was sent:"
	for _, e := range l {
		msg += fmt.Sprintf("\n  %s: %s", e.Field, e.Message)
	}
	return msg
}

// compactDuration writes d without zero tails: 15m, 24h, 1m30s.
func compactDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// personTitle is the title of the stored person: fixed, so that the same
// person stored again for the same workflow gets the same document id.
const personTitle = "person.json"

func startIdentification(cmd *cobra.Command, env *environment, p pii.Person, requestID string, smsTimeout time.Duration, again bool) error {
	workflowID := simplifiedid.WorkflowID(requestID)
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	timeout := smsTimeout
	if timeout == 0 {
		timeout = simplifiedid.DefaultSMSCodeTimeout
	}
	return startOnce(cmd, env, gw, startRequest{
		workflowID:   workflowID,
		workflowType: simplifiedid.WorkflowType,
		attrs:        simplifiedid.StartSearchAttributes(),
		summary:      "Simplified identification, request " + requestID,
		details: fmt.Sprintf("Started by the starter CLI. The person's data is in the document store (%s), "+
			"not in the history. SMS code awaited for %s.", personTitle, compactDuration(timeout)),
		again: again,
		next: []string{fmt.Sprintf("%s sms-code %s CODE", invocation, workflowID),
			fmt.Sprintf("%s status %s", invocation, workflowID)},
		input: func(ctx context.Context, docs documentSource) (any, error) {
			id, err := docs.json(ctx, p, personTitle, simplifiedid.PersonMediaType)
			if err != nil {
				return nil, err
			}
			return simplifiedid.Input{RequestID: requestID, PersonDocumentID: id, SMSCodeTimeout: smsTimeout}, nil
		},
	})
}

func smsCodeCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "sms-code WORKFLOW_ID CODE",
		Short: "Send the SMS code the person received (submit-sms-code update) and print the answer",
		Args:  args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, a []string) error {
			var errs validate.FieldErrors
			errs.Check("CODE", validate.SMSCode(a[1]))
			if err := invalidInput(errs); err != nil {
				return err
			}
			c, err := env.client(cmd.Context())
			if err != nil {
				return err
			}
			handle, err := c.UpdateWorkflow(env.subjectContext(cmd.Context(), a[0]), client.UpdateWorkflowOptions{
				WorkflowID: a[0], UpdateName: simplifiedid.SubmitSMSCodeUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
				Args: []any{simplifiedid.SMSCodeRequest{Code: a[1]}},
			})
			if err != nil {
				return workflowError("code not taken", a[0], env.namespace(), err)
			}
			var res simplifiedid.SMSCodeResult
			if err := handle.Get(cmd.Context(), &res); err != nil {
				return workflowError("code not taken", a[0], env.namespace(), err)
			}
			return printSMSCodeResult(cmd.OutOrStdout(), res)
		},
	}
}

func printSMSCodeResult(w io.Writer, res simplifiedid.SMSCodeResult) error {
	verdict := "accepted: the phone is verified"
	if !res.Accepted {
		verdict = fmt.Sprintf("not accepted: wrong code, %d attempt(s) left", res.AttemptsLeft)
	}
	_, err := fmt.Fprintf(w, "%s (attempts used %d of %d)\n", verdict, res.AttemptsUsed, simplifiedid.MaxSMSCodeAttempts)
	return err
}
