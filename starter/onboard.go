package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"idflow/internal/config"
	"idflow/internal/pii"
	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/onboarding"
	"idflow/workflows/simplifiedid"
)

// onboardCommand starts the whole onboarding of one person.
func onboardCommand(env *environment) *cobra.Command {
	var proofingID, deviceRef, personFile, kycLevel string
	var kycDocs, signDocs []string
	var noSimplified bool
	cmd := &cobra.Command{
		Use:   "onboard --proofing-id ID --device-ref REF --person FILE.json [--kyc-doc TYPE:COUNTRY[:SIDE]=FILE ...] [--doc FILE ...]",
		Short: "Start an Onboarding: identification, FNS registration with the agent, certificate, signing",
		Long: `FILE is the person's registration data in the FNS document's shape (as for 'fns register
--consumer'). The simplified identification (Mandarin: SMEV and an SMS code) checks the same
person, unless --no-simplified; --kyc-doc adds an IDnGO KYC with those document images.
--doc gives documents to sign once the certificate is issued. Every file is stored in the
document store first (the data stays out of workflow history), then the Onboarding workflow
starts with id onboarding-PROOFING_ID; each step is a child workflow, listed by
'starter status onboarding-PROOFING_ID'. Steer the steps with their own commands
(sms-code, fns agent-identify, fns upload-scans, kyc resubmit) and read the proofing
status as the issuer API reports it with 'starter proofing-status'.`,
		Example: `  go run ./starter onboard --proofing-id prf-1 --device-ref dev-1 --person person.json --doc contract.pdf`,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs validate.FieldErrors
			if !requestIDPattern.MatchString(proofingID) {
				errs.Add("--proofing-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
			}
			if strings.TrimSpace(deviceRef) == "" {
				errs.Add("--device-ref", "required")
			}
			reg, ok := readRegistration(personFile, &errs)
			if ok {
				reg = reg.Normalized()
				var fields validate.FieldErrors
				if err := reg.Validate(""); err != nil {
					fields.Merge(err)
				}
				for _, f := range fields {
					errs.Add("--person", f.Field+": "+f.Message)
				}
			}
			specs := parseDocSpecs(kycDocs, &errs)
			if len(kycDocs) > 0 {
				checkDocSpecs(kycLevel, specs, len(kycDocs), true, &errs)
			}
			if noSimplified && len(kycDocs) == 0 {
				errs.Add("--no-simplified", "needs --kyc-doc: at least one identification check")
			}
			if len(signDocs) > 0 {
				checkFiles("--doc", signDocs, &errs)
			}
			if err := invalidInput(errs); err != nil {
				return err
			}
			plan := onboardPlan{proofingID: proofingID, deviceRef: deviceRef, reg: reg, simplified: !noSimplified,
				kycLevel: kycLevel, kycDocs: specs, signDocs: signDocs}
			return plan.start(cmd, env)
		},
	}
	f := cmd.Flags()
	f.StringVar(&proofingID, "proofing-id", "", "the proofing's id (required; no personal data): the workflow id derives from it")
	f.StringVar(&deviceRef, "device-ref", "", "the device reference id the proofing belongs to (required)")
	f.StringVar(&personFile, "person", "", `JSON file with the registration data: {"consumer":{...}}`)
	f.BoolVar(&noSimplified, "no-simplified", false, "skip the simplified identification (then --kyc-doc is required)")
	f.StringVar(&kycLevel, "kyc-level", "basic-kyc-level", "IDnGO verification level, with --kyc-doc")
	f.StringArrayVar(&kycDocs, "kyc-doc", nil, "a KYC document image (adds IDnGO KYC): "+docFlagHelp)
	f.StringArrayVar(&signDocs, "doc", nil, "a document to sign once the certificate is issued (repeatable)")
	return cmd
}

type onboardPlan struct {
	proofingID, deviceRef string
	reg                   pii.FNSRegistration
	simplified            bool
	kycLevel              string
	kycDocs               []docSpec
	signDocs              []string
}

func (p onboardPlan) start(cmd *cobra.Command, env *environment) error {
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	workflowID := onboarding.WorkflowID(p.proofingID)
	return startOnce(cmd, env, gw, startRequest{
		workflowID:   workflowID,
		workflowType: onboarding.WorkflowType,
		attrs:        onboarding.StartSearchAttributes(),
		summary:      "onboarding of proofing " + p.proofingID,
		details:      "Started by the starter CLI. The person's data is in the document store, not in the history.",
		next: []string{fmt.Sprintf("%s status %s", invocation, workflowID),
			fmt.Sprintf("%s proofing-status %s --device-ref %s", invocation, p.proofingID, p.deviceRef)},
		input: p.input,
	})
}

func (p onboardPlan) input(ctx context.Context, docs documentSource) (any, error) {
	in := onboarding.Input{ProofingID: p.proofingID, DeviceReferenceID: p.deviceRef}
	regID, err := docs.json(ctx, p.reg, registrationTitle, fnsregistration.RegistrationMediaType)
	if err != nil {
		return nil, err
	}
	in.Evidence.FNSRegistration = &onboarding.FNSEvidence{RegistrationDocumentID: regID}
	if p.simplified {
		personID, err := docs.json(ctx, personOf(p.reg), personTitle, simplifiedid.PersonMediaType)
		if err != nil {
			return nil, err
		}
		in.Evidence.SimplifiedIdentification = &onboarding.SimplifiedIDEvidence{PersonDocumentID: personID}
	}
	if len(p.kycDocs) > 0 {
		uploaded, err := uploadDocs(ctx, docs, p.kycDocs)
		if err != nil {
			return nil, err
		}
		in.Evidence.KYC = &onboarding.KYCEvidence{LevelName: p.kycLevel, Documents: uploaded}
	}
	for _, file := range p.signDocs {
		id, err := docs.file(ctx, file)
		if err != nil {
			return nil, err
		}
		if in.Evidence.Signing == nil {
			in.Evidence.Signing = &onboarding.SigningEvidence{}
		}
		in.Evidence.Signing.DocumentIDs = append(in.Evidence.Signing.DocumentIDs, id)
	}
	return in, nil
}

// personOf is the registration's consumer as the simplified
// identification checks them: name, passport, SNILS and INN, phone.
func personOf(reg pii.FNSRegistration) pii.Person {
	c := reg.Consumer
	p := pii.Person{LastName: c.LastName, FirstName: c.FirstName, Patronymic: c.MiddleName,
		SNILS: c.SNILS, INN: c.INN, Phone: "+" + c.Phone}
	if len(c.Identities) > 0 {
		p.PassportSeries, p.PassportNumber = c.Identities[0].Series, c.Identities[0].Number
	}
	return p
}

// proofingCommand calls one method of the issuer API for a proofing and
// prints its answer: getProofingStatus or cancelProofing.
func proofingCommand(env *environment, use, short, method string) *cobra.Command {
	var deviceRef string
	cmd := &cobra.Command{
		Use:   use + " PROOFING_ID --device-ref REF",
		Short: short,
		Long: short + `, through the worker's issuer API (POST /api/v1/vdc/` + method + `), as the wallet
calls it: authenticated with IDFLOW_VDC_SECRET (under -dev read from .idflow/` + config.DevVDCSecretFile + `).
The answer is printed as the API gave it.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if strings.TrimSpace(deviceRef) == "" {
				return invalidInput(validate.FieldErrors{{Field: "--device-ref", Message: "required"}})
			}
			return callIssuerAPI(cmd, env, method, map[string]any{"deviceReferenceId": deviceRef, "proofingId": a[0]})
		},
	}
	cmd.Flags().StringVar(&deviceRef, "device-ref", "", "the device reference id the proofing belongs to (required)")
	return cmd
}

func callIssuerAPI(cmd *cobra.Command, env *environment, method string, body map[string]any) error {
	secret, err := env.vdcSecret()
	if err != nil {
		return err
	}
	gw := env.gatewayAs(secret) // the issuer API's secret, not the API token
	body["requestMetadata"] = map[string]any{"requestId": uuid.NewString(), "version": map[string]int{"major": 1, "minor": 0}}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, gw.baseURL+"/api/v1/vdc/"+method, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := gw.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, answer, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(answer)
	}
	fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(pretty.String()))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", method, resp.Status)
	}
	return nil
}

// vdcSecret is IDFLOW_VDC_SECRET, or the one a -dev worker saved.
func (e *environment) vdcSecret() (string, error) {
	if e.cfg.VDCSecret != "" {
		return e.cfg.VDCSecret, nil
	}
	path, looked, err := findDevFile(e.cfg.DevDir, config.DevVDCSecretFile)
	if err != nil {
		return "", err
	}
	if path == "" {
		return "", fmt.Errorf("no issuer API secret: set IDFLOW_VDC_SECRET, or start 'go run ./worker -dev'; looked for %s", looked)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
