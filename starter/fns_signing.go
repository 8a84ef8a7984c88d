package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"idflow/internal/config"
	"idflow/internal/pii"
	"idflow/internal/validate"
	"idflow/workflows/fnssigning"
	"idflow/workflows/process"
)

func fnsSignCommand(env *environment) *cobra.Command {
	var requestID, consumer, inn, backref string
	var signer pii.FNSSigner
	var docs, mergeWith []string
	var again bool
	cmd := &cobra.Command{
		Use:   "sign --request-id ID (--consumer CONSUMER_UUID | --inn INN --phone PHONE) --doc FILE [--doc FILE...] [--legal-entity-inn INN] [--backref URL] [--merge-with N=FILE.p7s] [--new]",
		Short: "Send documents to a registered person to sign in the app (starts a DocumentSigning)",
		Long: `CONSUMER_UUID is the person's FNS consumer id: the "consumerId" of the finished
registration ('go run ./starter status fns-registration-REQUEST_ID --json').

Every problem is reported at once (1 to 50 files, each readable and not empty, the INN's
checksum), and nothing is uploaded then. Each file is stored in the document store, owned
by the workflow and titled by its base name, and a DocumentSigning workflow is started
with id fns-signing-REQUEST_ID. --legal-entity-inn has the person sign for that legal
entity (scenario 88); --backref is where the app sends the person after signing.
--inn and --phone instead of --consumer send the documents by the person's INN and phone
(the simplified signing, scenario 564): FNS picks the person's latest app activation that
can sign. --merge-with N=FILE.p7s merges the person's signature of the N-th --doc with
another signer's detached signature of the same document (signatures-merge): one CMS
holding both, saved beside the others by 'fns signed'.

A request id starts one signing: the same command again prints "already running"; other
documents for a running id are refused; an id that already ran is refused unless --new
is given. Once signed, 'go run ./starter fns signed WORKFLOW_ID -o DIR' saves the signed
documents and their signatures.`,
		Example: `  go run ./starter fns sign --request-id contract-1 \
    --consumer 80668f72-901c-4bdc-809a-2b903a831a42 --doc contract.pdf --doc annex.pdf`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, merges, err := checkSignRequest(requestID, consumer, signer, inn, backref, docs, mergeWith)
			if err != nil {
				return err
			}
			return startSigning(cmd, env, in, signer, docs, merges, again)
		},
	}
	f := cmd.Flags()
	f.StringVar(&requestID, "request-id", "", "your id for this signing (required; no personal data); the workflow id derives from it")
	f.StringVar(&consumer, "consumer", "", `the signer's FNS consumer id, a UUID: "consumerId" in the registration's status (required)`)
	f.StringArrayVar(&docs, "doc", nil, fmt.Sprintf("a document to sign (repeat; 1 to %d)", fnssigning.MaxDocuments))
	f.StringVar(&inn, "legal-entity-inn", "", "sign for this legal entity: its INN, 10 digits (scenario 88)")
	f.StringVar(&backref, "backref", "", "http(s) URL the app opens after signing (optional)")
	f.StringVar(&signer.INN, "inn", "", "instead of --consumer: the person's INN, with --phone (simplified signing)")
	f.StringVar(&signer.Phone, "phone", "", "instead of --consumer: the person's mobile phone, with --inn")
	f.StringArrayVar(&mergeWith, "merge-with", nil, "N=FILE.p7s: merge the signature of the N-th --doc with this other signer's (repeat)")
	f.BoolVar(&again, "new", false, "start again although this request id already ran")
	return cmd
}

// checkSignRequest reports every bad flag at once; the input it returns
// has no document ids yet; merges maps a --doc's index to a signature file.
func checkSignRequest(requestID, consumer string, signer pii.FNSSigner, inn, backref string, docs, mergeWith []string) (fnssigning.Input, map[int]string, error) {
	var errs validate.FieldErrors
	in := fnssigning.Input{RequestID: requestID, ConsumerID: strings.TrimSpace(consumer),
		LegalEntityINN: strings.TrimSpace(inn), Backref: strings.TrimSpace(backref)}
	if !requestIDPattern.MatchString(requestID) {
		errs.Add("--request-id", "want 1 to 64 letters, digits, '.', '_' or '-'")
	}
	checkSigner(&errs, in.ConsumerID, signer)
	if len(docs) > fnssigning.MaxDocuments {
		errs.Add("--doc", fmt.Sprintf("want at most %d files (one signing at FNS takes %d), got %d",
			fnssigning.MaxDocuments, fnssigning.MaxDocuments, len(docs)))
	}
	checkFiles("--doc", docs, &errs)
	for i, doc := range docs {
		if err := validate.FNSTitle(filepath.Base(doc)); err != nil {
			errs.Add(fmt.Sprintf("--doc #%d", i+1), "the file name (the document's title at FNS): "+fieldMessage(err))
		}
	}
	if in.LegalEntityINN != "" {
		errs.Check("--legal-entity-inn", validate.LegalINN(in.LegalEntityINN))
	}
	if in.Backref != "" {
		if u, err := url.Parse(in.Backref); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.Add("--backref", "want an absolute http or https URL")
		}
	}
	merges := checkMerges(&errs, mergeWith, len(docs))
	return in, merges, invalidInput(errs)
}

// checkSigner: exactly one of --consumer and --inn with --phone.
func checkSigner(errs *validate.FieldErrors, consumer string, signer pii.FNSSigner) {
	bySigner := strings.TrimSpace(signer.INN) != "" || strings.TrimSpace(signer.Phone) != ""
	switch {
	case consumer != "" && bySigner:
		errs.Add("--consumer", "give --consumer or --inn with --phone, not both")
	case consumer != "":
		errs.Check("--consumer", validate.UUID(consumer))
	case bySigner:
		var fields validate.FieldErrors
		if errors.As(signer.Normalized().Validate("--"), &fields) {
			*errs = append(*errs, fields...)
		}
	default:
		errs.Add("--consumer", `required (or --inn with --phone): the "consumerId" of the person's registration (go run ./starter status fns-registration-REQUEST_ID --json)`)
	}
}

// checkMerges reads --merge-with N=FILE flags against count documents.
func checkMerges(errs *validate.FieldErrors, mergeWith []string, count int) map[int]string {
	merges := map[int]string{}
	for i, m := range mergeWith {
		flag := fmt.Sprintf("--merge-with #%d", i+1)
		n, file, ok := strings.Cut(m, "=")
		index, err := strconv.Atoi(n)
		switch {
		case !ok || err != nil:
			errs.Add(flag, "want N=FILE.p7s, N the position of a --doc")
		case index < 1 || index > count:
			errs.Add(flag, fmt.Sprintf("no --doc #%d", index))
		case merges[index-1] != "":
			errs.Add(flag, fmt.Sprintf("--doc #%d already merged", index))
		default:
			checkFiles(flag, []string{file}, errs)
			merges[index-1] = file
		}
	}
	return merges
}

// fieldMessage is the message validate would list for err.
func fieldMessage(err error) string {
	var errs validate.FieldErrors
	errs.Check("x", err)
	if len(errs) == 1 {
		return errs[0].Message
	}
	return err.Error()
}

// signerTitle names the stored INN and phone of a simplified signing.
const signerTitle = "signer.json"

func startSigning(cmd *cobra.Command, env *environment, in fnssigning.Input, signer pii.FNSSigner, docs []string, merges map[int]string, again bool) error {
	workflowID := fnssigning.WorkflowID(in.RequestID)
	gw, err := env.gateway()
	if err != nil {
		return err
	}
	return startOnce(cmd, env, gw, startRequest{
		workflowID:   workflowID,
		workflowType: fnssigning.WorkflowType,
		attrs:        fnssigning.StartSearchAttributes(),
		summary:      fmt.Sprintf("FNS signing, request %s, %d document(s)", in.RequestID, len(docs)),
		details:      "Started by the starter CLI. The documents are in the document store (owned by this workflow), not in the history.",
		again:        again,
		next: []string{fmt.Sprintf("%s status %s", invocation, workflowID),
			fmt.Sprintf("%s fns signed %s -o DIR", invocation, workflowID)},
		input: func(ctx context.Context, store documentSource) (any, error) {
			signed := in
			for i, doc := range docs {
				id, err := store.file(ctx, doc)
				if err != nil {
					return nil, err
				}
				signed.DocumentIDs = append(signed.DocumentIDs, id)
				if sig := merges[i]; sig != "" {
					sigID, err := store.file(ctx, sig)
					if err != nil {
						return nil, err
					}
					signed.MergeWith = append(signed.MergeWith, fnssigning.Countersignature{DocumentID: id, SignatureID: sigID})
				}
			}
			if in.ConsumerID == "" {
				id, err := store.json(ctx, signer.Normalized(), signerTitle, fnssigning.SignerMediaType)
				if err != nil {
					return nil, err
				}
				signed.SignerDocumentID = id
			}
			return signed, nil
		},
	})
}

// signingStatus reads a DocumentSigning's status query.
func signingStatus(cmd *cobra.Command, env *environment, workflowID, what string) (fnssigning.Status, error) {
	var st fnssigning.Status
	err := queryStatus(cmd, env, workflowID, what, &st, &st.Status, fnssigning.WorkflowType)
	return st, err
}

func fnsSignedCommand(env *environment) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "signed WORKFLOW_ID -o DIR",
		Short: "Save the signed documents and their detached signatures (TITLE and TITLE.p7s) into DIR",
		Long: `Once the signing is accepted, each signed document and its detached CMS signature are
written side by side into DIR (created if need be), named by the document's title made
safe for a file name; each download's SHA-256 is checked. Before that it says what the
signing waits for. The signature chains to FNS's CA (under 'go run ./worker -dev', the
sandbox's test CA: 'go run ./starter fns ca -o ca.pem'); the printed openssl line
verifies it over the exact bytes.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if output == "" || output == "-" {
				return invalidInput(validate.FieldErrors{{Field: "--output", Message: "want a directory"}})
			}
			const what = "no signed documents"
			workflowID := a[0]
			gw, err := env.gateway()
			if err != nil {
				return err
			}
			st, err := signingStatus(cmd, env, workflowID, what)
			if err != nil {
				return err
			}
			if err := signedYet(st, workflowID, what); err != nil {
				return err
			}
			if err := os.MkdirAll(output, 0o755); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			out := cmd.OutOrStdout()
			names := signedFileNames(st.Documents)
			for i, d := range st.Documents {
				doc, sig := filepath.Join(output, names[i]), filepath.Join(output, names[i]+".p7s")
				n, err := gw.getFileTo(cmd.Context(), d.SignedDocumentID, doc, out)
				if err != nil {
					return fmt.Errorf("%s: signed document %s: %w", what, d.SignedDocumentID, err)
				}
				fmt.Fprintf(out, "document: %s (%d bytes)\n", doc, n)
				if n, err = gw.getFileTo(cmd.Context(), d.SignatureID, sig, out); err != nil {
					return fmt.Errorf("%s: signature %s: %w", what, d.SignatureID, err)
				}
				fmt.Fprintf(out, "signature: %s (%d bytes)\n", sig, n)
				if d.MergedSignatureID != "" {
					merged := filepath.Join(output, names[i]+".merged.p7s")
					if n, err = gw.getFileTo(cmd.Context(), d.MergedSignatureID, merged, out); err != nil {
						return fmt.Errorf("%s: merged signature %s: %w", what, d.MergedSignatureID, err)
					}
					fmt.Fprintf(out, "merged signature (every signer): %s (%d bytes)\n", merged, n)
				}
			}
			if s := st.Signer; s != nil {
				fmt.Fprintf(out, "signer: serial %s, issuer %s, valid until %s\n", s.Serial, s.Issuer,
					s.NotAfter.UTC().Format(time.DateTime+" MST"))
			}
			fmt.Fprintf(out, "verify (CA.pem: FNS's CA; under -dev '%s fns ca -o CA.pem'):\n", invocation)
			for _, name := range names {
				doc := filepath.Join(output, name)
				fmt.Fprintf(out, "  openssl cms -verify -binary -inform DER -in %s -content %s -CAfile CA.pem -purpose any -out /dev/null\n",
					shellQuote(doc+".p7s"), shellQuote(doc))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "directory to write into (required)")
	return cmd
}

// signedYet says why a signing has no signed documents to save.
func signedYet(st fnssigning.Status, workflowID, what string) error {
	switch {
	case st.Outcome == process.OutcomeAccepted && len(st.Documents) > 0:
		return nil
	case st.Outcome == process.OutcomeAccepted:
		return fmt.Errorf("%s: %s was accepted but lists no documents", what, workflowID)
	case st.Outcome == process.OutcomePending || st.Outcome == "":
		waits := make([]string, len(st.Waiting))
		for i, w := range st.Waiting {
			waits[i] = w.String()
		}
		waiting := ""
		if len(waits) > 0 {
			waiting = ", waiting for " + strings.Join(waits, "; ")
		}
		return fmt.Errorf("%s yet: %s is not signed (stage %s%s); see '%s status %s'",
			what, workflowID, st.Stage, waiting, invocation, workflowID)
	}
	reason := ""
	if st.Reason != "" {
		reason = ", " + st.Reason
	}
	return fmt.Errorf("%s: %s ended %s%s; see '%s status %s'", what, workflowID, st.Outcome, reason, invocation, workflowID)
}

// signedFileNames are the documents' titles made safe for a file name:
// only the characters FNS keeps in a title, never "." or "..", and unique
// (a repeated title gets "-2", "-3" before its extension).
func signedFileNames(docs []fnssigning.SignedDocument) []string {
	names := make([]string, len(docs))
	used := map[string]bool{}
	for i, d := range docs {
		name := strings.TrimSpace(validate.SanitizeFNSTitle(d.Title))
		if strings.Trim(name, ". ") == "" {
			name = fmt.Sprintf("document-%d", i+1)
		}
		name = strings.TrimLeft(name, ".") // no hidden files
		base, ext := name, filepath.Ext(name)
		base = strings.TrimSuffix(base, ext)
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		used[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("/._-+,:@%", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func fnsCACommand(env *environment) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "ca -o FILE",
		Short: "Save the FNS sandbox's test CA (PEM) that 'go run ./worker -dev' wrote, for openssl cms -verify",
		Long: `Copies ` + config.DevFNSCAFile + ` from the dev directory (.idflow, looked for in the working
directory and the directories above it, as the token is; IDFLOW_DEV_DIR names another).
It exists only under 'go run ./worker -dev': in production the signatures chain to FNS's
own CA, which FNS publishes.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFlag(output); err != nil {
				return err
			}
			const what = "no CA"
			path, looked, err := findDevFile(env.cfg.DevDir, config.DevFNSCAFile)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if path == "" {
				return fmt.Errorf("%s: %s is written by 'go run ./worker -dev' (the FNS sandbox's test CA); looked for %s. "+
					"Outside -dev there is none: production signatures chain to FNS's own CA", what, config.DevFNSCAFile, looked)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			if !bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")) {
				return fmt.Errorf("%s: %s holds no PEM certificate", what, path)
			}
			if output == "-" {
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := os.WriteFile(output, b, 0o644); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "written: %s (the FNS sandbox's test CA, from %s)\n", output, path)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (required; - for stdout)")
	return cmd
}
