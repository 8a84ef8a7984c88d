package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/fnsscenarios"
)

// The smaller FNS processes for a registered person, each a workflow:
// an additional signature, a pause, an external activity, a push and a
// revocation.

// scenarioFlags are the flags every scenario start has.
type scenarioFlags struct {
	requestID, consumer string
	again               bool
}

func (s *scenarioFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.requestID, "request-id", "", "your id for this request (required; no personal data); the workflow id derives from it")
	f.StringVar(&s.consumer, "consumer", "", `the person's FNS consumer id, a UUID: "consumerId" in the registration's status (required)`)
	f.BoolVar(&s.again, "new", false, "start again although this request id already ran")
}

// check reports the common flags' problems into errs.
func (s *scenarioFlags) check(errs *validate.FieldErrors) {
	if !requestIDPattern.MatchString(s.requestID) {
		errs.Add("--request-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
	}
	s.consumer = strings.TrimSpace(s.consumer)
	if s.consumer == "" {
		errs.Add("--consumer", `required: the "consumerId" of the person's registration (go run ./starter status fns-registration-REQUEST_ID --json)`)
	} else {
		errs.Check("--consumer", validate.UUID(s.consumer))
	}
}

// startScenario starts a scenario workflow once per request id.
func startScenario(cmd *cobra.Command, env *environment, s scenarioFlags, workflowID, workflowType, summary string, input any) error {
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	return startOnce(cmd, env, gw, startRequest{
		workflowID: workflowID, workflowType: workflowType, summary: summary + ", request " + s.requestID,
		details: "Started by the starter CLI.", again: s.again,
		next:  []string{fmt.Sprintf("%s status %s", invocation, workflowID)},
		input: func(context.Context, documentSource) (any, error) { return input, nil },
	})
}

func fnsExtraSignatureCommand(env *environment) *cobra.Command {
	var s scenarioFlags
	var ogrnip string
	var le fnsregistration.LegalEntityRef
	cmd := &cobra.Command{
		Use:   "extra-signature --request-id ID --consumer UUID (--ogrnip N | --legal-entity-inn INN [--kpp K] [--ogrn N] [--name S])",
		Short: "Issue an additional КЭП to a registered person: an entrepreneur's or a legal-entity representative's (scenario 84)",
		Long: `The person forms the certificate request in the app, as for the registration's КЭП; then
FNS asks for the signed certificate form and a photo: 'go run ./starter fns template
WORKFLOW_ID -o FILE' and 'go run ./starter fns upload-scans WORKFLOW_ID --scan FILE…', as
for a registration. 'go run ./starter fns certificate WORKFLOW_ID -o FILE' saves the КЭП.
A person holds at most one entrepreneur's signature and any number of representatives'.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			s.check(&errs)
			in := fnsregistration.ExtraSignatureInput{RequestID: s.requestID, ConsumerID: s.consumer, EntrepreneurOGRNIP: strings.TrimSpace(ogrnip)}
			le.INN = strings.TrimSpace(le.INN)
			switch {
			case (in.EntrepreneurOGRNIP == "") == (le.INN == ""):
				errs.Add("--ogrnip", "give exactly one of --ogrnip (an entrepreneur's) and --legal-entity-inn (a representative's)")
			case le.INN != "":
				errs.Check("--legal-entity-inn", validate.LegalINN(le.INN))
				in.LegalEntity = &le
			default:
				errs.Check("--ogrnip", validate.OGRNIP(in.EntrepreneurOGRNIP))
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			return startScenario(cmd, env, s, fnsregistration.ExtraSignatureWorkflowID(s.requestID), fnsregistration.ExtraSignatureWorkflowType,
				"FNS additional signature", in)
		},
	}
	s.add(cmd)
	f := cmd.Flags()
	f.StringVar(&ogrnip, "ogrnip", "", "the entrepreneur's OGRNIP, 15 digits")
	f.StringVar(&le.INN, "legal-entity-inn", "", "the legal entity's INN, 10 digits")
	f.StringVar(&le.KPP, "kpp", "", "the legal entity's KPP (optional)")
	f.StringVar(&le.OGRN, "ogrn", "", "the legal entity's OGRN (optional)")
	f.StringVar(&le.Name, "name", "", "the legal entity's name (optional)")
	return cmd
}

func fnsPauseCommand(env *environment) *cobra.Command {
	var s scenarioFlags
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "pause --request-id ID --consumer UUID [--timeout DURATION]",
		Short: "Show the person «Ожидайте поступления документов» until the next scenario starts (scenario 134)",
		Long: `FNS completes the pause when the next workflow starts for the person (a signing, an
external activity…); the pause's workflow then ends accepted. One nobody follows up within
--timeout expires and is removed at FNS.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			s.check(&errs)
			if err := invalidInput(errs); err != nil {
				return err
			}
			in := fnsscenarios.PauseInput{RequestID: s.requestID, ConsumerID: s.consumer, Timeout: timeout}
			return startScenario(cmd, env, s, fnsscenarios.PauseWorkflowID(s.requestID), fnsscenarios.PauseWorkflowType, "FNS pause", in)
		},
	}
	s.add(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "how long the pause may last (default 720h)")
	return cmd
}

func fnsExternalActivityCommand(env *environment) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "external-activity",
		Short: "A web page inside the person's app (scenario 102): start one, report it done",
	}
	cmd.AddCommand(fnsExternalActivityStartCommand(env), fnsExternalActivityDoneCommand(env))
	return cmd
}

func fnsExternalActivityStartCommand(env *environment) *cobra.Command {
	var s scenarioFlags
	var page string
	var headers []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "start --request-id ID --consumer UUID --url URL [--header NAME=VALUE…] [--timeout DURATION]",
		Short: "Open a page in the person's app; it waits for 'external-activity done'",
		Long: `Pass a short-lived token for the page in the URL or a header; some devices drop some
headers (document L323). When the person has finished (your system knows), run
'go run ./starter fns external-activity done WORKFLOW_ID': the worker ends the activity
at FNS.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			s.check(&errs)
			in := fnsscenarios.ExternalActivityInput{RequestID: s.requestID, ConsumerID: s.consumer, URL: strings.TrimSpace(page), Timeout: timeout}
			if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs.Add("--url", "want an absolute http or https URL")
			}
			for i, h := range headers {
				name, value, ok := strings.Cut(h, "=")
				if !ok || strings.TrimSpace(name) == "" {
					errs.Add(fmt.Sprintf("--header #%d", i+1), "want NAME=VALUE")
					continue
				}
				if in.Headers == nil {
					in.Headers = map[string]string{}
				}
				in.Headers[strings.TrimSpace(name)] = value
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			return startScenario(cmd, env, s, fnsscenarios.ExternalActivityWorkflowID(s.requestID), fnsscenarios.ExternalActivityWorkflowType,
				"FNS external activity", in)
		},
	}
	s.add(cmd)
	f := cmd.Flags()
	f.StringVar(&page, "url", "", "the page to open (required)")
	f.StringArrayVar(&headers, "header", nil, "an HTTP header for the page, NAME=VALUE (repeat)")
	f.DurationVar(&timeout, "timeout", 0, "how long the person (and a reviewer) may take (default 168h)")
	return cmd
}

func fnsExternalActivityDoneCommand(env *environment) *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "done WORKFLOW_ID [--by NAME]",
		Short: "Report that the person finished on the page: the worker sets complete_external_activity at FNS",
		Args:  args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			const what = "external activity not completed"
			ctx := env.subjectContext(cmd.Context(), a[0])
			c, err := env.client(ctx)
			if err != nil {
				return err
			}
			handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: a[0], UpdateName: fnsscenarios.ActivityDoneUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
				Args: []any{fnsscenarios.ActivityDoneRequest{By: strings.TrimSpace(by)}},
			})
			if err != nil {
				return workflowError(what, a[0], env.namespace(), err)
			}
			var res fnsregistration.StepResult
			if err := handle.Get(ctx, &res); err != nil {
				return workflowError(what, a[0], env.namespace(), err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "fns state: %s\nnext: %s status %s\n", res.State, invocation, a[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who reports it (a system or an operator; no personal data), for the log")
	return cmd
}

func fnsPushCommand(env *environment) *cobra.Command {
	var s scenarioFlags
	var title, message string
	var fnsWorkflow int64
	cmd := &cobra.Command{
		Use:   "push --request-id ID --consumer UUID --title TEXT --message TEXT [--fns-workflow N]",
		Short: "Send a push notification to the person's app (only templates agreed with FNS are delivered)",
		Args:  args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			s.check(&errs)
			if strings.TrimSpace(title) == "" {
				errs.Add("--title", "required")
			}
			if strings.TrimSpace(message) == "" {
				errs.Add("--message", "required")
			}
			if fnsWorkflow < 0 {
				errs.Add("--fns-workflow", "want a positive FNS workflow id")
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			in := fnsscenarios.PushInput{RequestID: s.requestID, ConsumerID: s.consumer, Title: title, Message: message, FNSWorkflowID: fnsWorkflow}
			return startScenario(cmd, env, s, fnsscenarios.PushWorkflowID(s.requestID), fnsscenarios.PushWorkflowType, "FNS push", in)
		},
	}
	s.add(cmd)
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "the title, shown in bold (required)")
	f.StringVar(&message, "message", "", "the text (required)")
	f.Int64Var(&fnsWorkflow, "fns-workflow", 0, "the FNS workflow the app opens when the push is tapped (optional)")
	return cmd
}

// revocationTitle names a revocation application in the document store.
const revocationTitle = "revocation-application.xml"

func fnsRevokeCommand(env *environment) *cobra.Command {
	var requestID, application, serial, reason string
	var again bool
	cmd := &cobra.Command{
		Use:   "revoke --request-id ID (--application FILE.xml | --serial HEX [--reason TEXT])",
		Short: "Revoke a КЭП: send its revocation application (an XML file) to FNS",
		Long: `FNS gives the application's XML schema on request; --application sends such a file as it
is. --serial writes the sandbox's own minimal application (under 'go run ./worker -dev')
for the certificate with that serial ('go run ./starter fns certificate WORKFLOW_ID -o
FILE' prints it). Once FNS takes it, the certificate shows as revoked in
'go run ./starter fns consumer-search'.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if !requestIDPattern.MatchString(requestID) {
				errs.Add("--request-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
			}
			switch {
			case (application == "") == (serial == ""):
				errs.Add("--application", "give exactly one of --application and --serial")
			case application != "":
				checkFiles("--application", []string{application}, &errs)
			case !isHexSerial(serial):
				errs.Add("--serial", "want the certificate's serial in hex")
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			content, err := revocationApplication(application, serial, reason)
			if err != nil {
				return err
			}
			workflowID := fnsscenarios.RevocationWorkflowID(requestID)
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			return startOnce(cmd, env, gw, startRequest{
				workflowID: workflowID, workflowType: fnsscenarios.RevocationWorkflowType,
				summary: "FNS certificate revocation, request " + requestID, details: "Started by the starter CLI. The application is in the document store.",
				again: again, next: []string{fmt.Sprintf("%s status %s", invocation, workflowID)},
				input: func(ctx context.Context, docs documentSource) (any, error) {
					id, err := docs.bytes(ctx, content, revocationTitle, "application/xml")
					if err != nil {
						return nil, err
					}
					return fnsscenarios.RevocationInput{RequestID: requestID, ApplicationDocumentID: id}, nil
				},
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&requestID, "request-id", "", "your id for this revocation (required; no personal data)")
	f.StringVar(&application, "application", "", "the revocation application, an XML file in FNS's schema")
	f.StringVar(&serial, "serial", "", "the certificate's serial (hex): writes the sandbox's minimal application")
	f.StringVar(&reason, "reason", "", "the reason, with --serial (optional)")
	f.BoolVar(&again, "new", false, "start again although this request id already ran")
	return cmd
}

func isHexSerial(s string) bool {
	s = strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(s))
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// revocationApplication is the file as given, or the sandbox's minimal
// application for serial.
func revocationApplication(file, serial, reason string) ([]byte, error) {
	if file != "" {
		content, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("no revocation: %w", err)
		}
		if err := xml.Unmarshal(content, new(struct{})); err != nil {
			return nil, invalidInput(validate.FieldErrors{{Field: "--application", Message: file + " is not XML"}})
		}
		return content, nil
	}
	app := struct {
		XMLName      xml.Name `xml:"RevocationApplication"`
		SerialNumber string   `xml:"SerialNumber"`
		Reason       string   `xml:"Reason,omitempty"`
	}{SerialNumber: strings.ToUpper(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(serial))), Reason: strings.TrimSpace(reason)}
	body, err := xml.MarshalIndent(app, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), body...), nil
}
