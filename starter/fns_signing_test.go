package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/config"
	"idflow/workflows/fnssigning"
	"idflow/workflows/process"

	"idflow/internal/codec"
)

const testConsumerID = "80668f72-901c-4bdc-809a-2b903a831a42"

// The stand-in signing's fixed signed documents and signatures, served by
// the test gateway under these ids (see signedContent).
var signedContent = map[string]string{
	"fns-test-signed-1":    "%PDF-1.4 the signed contract",
	"fns-test-signature-1": "0\x82 detached CMS of the contract",
	"fns-test-signed-2":    "%PDF-1.4 the signed annex",
	"fns-test-signature-2": "0\x82 detached CMS of the annex",
	"fns-test-corrupt":     "bytes that do not match their SHA-256",
}

// stubDocumentSigning stands in for DocumentSigning. Started for a request
// id beginning with "wait" it keeps running, awaiting the person's
// signature; with "refused" it ends rejected; any other ends accepted with
// two fixed signed documents (one Cyrillic title with a slash, one
// "../annex.pdf"); with "corrupt" the first signature's download does not
// match its SHA-256.
func stubDocumentSigning(ctx workflow.Context, in fnssigning.Input) (fnssigning.Status, error) {
	st := fnssigning.Status{Status: process.Status{Process: fnssigning.WorkflowType, Stage: fnssigning.StageFinished,
		Outcome: process.OutcomeAccepted}}
	switch {
	case strings.HasPrefix(in.RequestID, "wait"):
		st.Stage, st.Outcome = fnssigning.StageAwaiting, process.OutcomePending
		st.Waiting = []process.Wait{{For: "the person to sign in the app", From: process.FromPerson,
			Until: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)}}
	case strings.HasPrefix(in.RequestID, "refused"):
		st.Outcome, st.Reason = process.OutcomeRejected, fnssigning.ReasonRefused
	default:
		first := "fns-test-signature-1"
		if strings.HasPrefix(in.RequestID, "corrupt") {
			first = "fns-test-corrupt"
		}
		st.Documents = []fnssigning.SignedDocument{
			{DocumentID: in.DocumentIDs[0], SignedDocumentID: "fns-test-signed-1", SignatureID: first, Title: "Договор/№1.pdf"},
			{DocumentID: in.DocumentIDs[len(in.DocumentIDs)-1], SignedDocumentID: "fns-test-signed-2", SignatureID: "fns-test-signature-2",
				Title: "../annex.pdf"},
		}
		st.Signer = &fnssigning.Signer{Serial: "0A1B2C", Issuer: "CN=FNS sandbox CA", NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	if err := workflow.SetQueryHandler(ctx, process.StatusQuery, func() (fnssigning.Status, error) { return st, nil }); err != nil {
		return st, err
	}
	if st.Outcome != process.OutcomePending {
		return st, workflow.UpsertTypedSearchAttributes(ctx, process.OutcomeKey.ValueSet(string(st.Outcome)))
	}
	return st, workflow.Await(ctx, func() bool { return false })
}

// signingGateway is fnsGateway with the stand-in's signed documents served.
func signingGateway(t *testing.T) *testGateway {
	t.Helper()
	fake := &fakeFNS{}
	gw := startGatewayWith(t, func(real http.Handler) http.Handler {
		mux := http.NewServeMux()
		for id, content := range signedContent {
			sum := sha256.Sum256([]byte(content))
			if id == "fns-test-corrupt" {
				sum = sha256.Sum256([]byte("other bytes"))
			}
			mux.HandleFunc("GET /v1/documents/"+id, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer "+testToken {
					writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "unauthorized", "error": "bad token"})
					return
				}
				w.Header().Set("X-Document-Sha256", hex.EncodeToString(sum[:]))
				_, _ = w.Write([]byte(content))
			})
		}
		mux.Handle("/", fake.wrap(real))
		return mux
	})
	useGateway(t, gw.url, testToken)
	return gw
}

func signArgs(requestID string, docs ...string) []string {
	a := []string{"fns", "sign", "--request-id", requestID, "--consumer", testConsumerID}
	for _, d := range docs {
		a = append(a, "--doc", d)
	}
	return a
}

func TestFNSSignReportsEveryProblemAtOnce(t *testing.T) {
	gw := signingGateway(t)
	closedTemporal(t)
	dir := t.TempDir()
	docs := make([]string, 51)
	for i := range docs {
		docs[i] = writeFile(t, dir, fmt.Sprintf("doc-%02d.pdf", i+1), []byte("document"))
	}
	empty := writeFile(t, dir, "empty.pdf", nil)
	docs[3] = empty
	args := append(signArgs("bad id", docs...), "--consumer", "not-a-uuid", "--legal-entity-inn", "7707083894",
		"--backref", "example.org/back")
	r := invalid(t, []string{
		"--request-id: want 1 to 64 letters, digits, '.', '_' or '-'",
		"--consumer: wrong length: want 36 characters",
		"--doc: want at most 50 files (one signing at FNS takes 50), got 51",
		"--doc #4: " + empty + " is empty or not a file",
		"--legal-entity-inn: checksum mismatch",
		"--backref: want an absolute http or https URL",
	}, args...)
	assert.NotContains(t, r.stderr, "7707083894", "no value echoed")

	invalid(t, []string{
		"--consumer: required (or --inn with --phone): the \"consumerId\" of the person's registration (go run ./starter status fns-registration-REQUEST_ID --json)",
		"--doc: required: at least one file",
	}, "fns", "sign", "--request-id", "r1")
	sig := writeFile(t, dir, "other.p7s", []byte("0\x82 CMS"))
	r = invalid(t, []string{
		"--inn: checksum mismatch",
		"--phone: invalid format: want 7 and 10 digits",
		"--merge-with #1: no --doc #2",
		"--merge-with #2: want N=FILE.p7s, N the position of a --doc",
	}, "fns", "sign", "--request-id", "r2", "--inn", "312324014510", "--phone", "12345", "--doc", docs[0],
		"--merge-with", "2="+sig, "--merge-with", sig)
	assert.NotContains(t, r.stderr, "312324014510", "no value echoed")
	invalid(t, []string{"--consumer: give --consumer or --inn with --phone, not both"},
		"fns", "sign", "--request-id", "r3", "--consumer", testConsumerID, "--inn", "312324014516", "--doc", docs[0])
	invalid(t, []string{"--doc #1: cannot read /nonexistent.pdf (no such file or directory)",
		"--legal-entity-inn: wrong length: want 10 digits"},
		append(signArgs("r1", "/nonexistent.pdf"), "--legal-entity-inn", "12")...)
	for _, id := range []string{"bad id", "r1", "r2", "r3"} {
		assert.Empty(t, documents(t, gw, fnssigning.WorkflowID(id)), "nothing uploaded")
	}
}

// TestFNSSignStartsOnce: sign uploads the documents for the workflow,
// starts it with their ids and a fixed summary; the same command again
// finds it running and uploads nothing new.
func TestFNSSignStartsOnce(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	gw := signingGateway(t)
	requestID := "wait-" + testID(t)
	workflowID := fnssigning.WorkflowID(requestID)
	dir := t.TempDir()
	contract := writeFile(t, dir, "Договор.pdf", []byte("%PDF-1.4 contract"))
	annex := writeFile(t, dir, "annex.pdf", []byte("%PDF-1.4 annex"))
	args := append(signArgs(requestID, contract, annex), "--legal-entity-inn", "7707083893", "--backref", "https://example.org/back")

	r := run(t, args...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "started: "+workflowID+"\nui: http://localhost:8233/namespaces/default/workflows/"+workflowID+
		"\nnext: go run ./starter status "+workflowID+"\n      go run ./starter fns signed "+workflowID+" -o DIR\n", r.stdout)
	stored := documents(t, gw, workflowID)
	require.Len(t, stored, 2)
	ids := map[string]string{}
	for _, d := range stored {
		ids[d.Title] = d.ID
	}

	desc, err := c.DescribeWorkflow(context.Background(), workflowID, "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	assert.Equal(t, "FNS signing, request "+requestID+", 2 document(s)", summary)
	info, err := describeExecution(context.Background(), c, workflowID)
	require.NoError(t, err)
	raw, err := startInput(context.Background(), c, codec.NewDataConverter(testKeys), workflowID, info)
	require.NoError(t, err)
	var in fnssigning.Input
	require.NoError(t, json.Unmarshal(raw, &in))
	assert.Equal(t, fnssigning.Input{RequestID: requestID, ConsumerID: testConsumerID,
		DocumentIDs: []string{ids["Договор.pdf"], ids["annex.pdf"]}, LegalEntityINN: "7707083893",
		Backref: "https://example.org/back"}, in)

	again := run(t, args...)
	require.Equal(t, 0, again.code, again.stderr)
	assert.True(t, strings.HasPrefix(again.stdout, "already running: "+workflowID+"\n"), again.stdout)
	assert.Equal(t, stored, documents(t, gw, workflowID), "nothing new stored")

	other := run(t, signArgs(requestID, contract)...)
	assert.Equal(t, 1, other.code)
	assert.Contains(t, other.stderr, "already running with a different input (backref, documentIds, legalEntityInn)")

	r = run(t, "fns", "signed", workflowID, "-o", filepath.Join(dir, "out"))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no signed documents yet: "+workflowID+" is not signed (stage awaiting-signature, waiting for "+
		"the person to sign in the app from person until 2030-01-02 03:04 UTC); see 'go run ./starter status "+workflowID+"'\n", r.stderr)
	assert.NoDirExists(t, filepath.Join(dir, "out"))
}

// TestFNSSignedWritesDocumentsAndSignatures: after an accepted signing,
// signed writes each document and its .p7s side by side, names made safe.
func TestFNSSignedWritesDocumentsAndSignatures(t *testing.T) {
	c, queue := useTemporal(t)
	runStubWorker(t, c, queue)
	signingGateway(t)
	id := testID(t)
	doc := writeFile(t, t.TempDir(), "contract.pdf", []byte("%PDF-1.4 contract"))
	workflowID := fnssigning.WorkflowID("done-" + id)
	require.Equal(t, 0, run(t, signArgs("done-"+id, doc)...).code)
	waitClosed(t, c, workflowID)

	out := filepath.Join(t.TempDir(), "signed")
	r := run(t, "fns", "signed", workflowID, "-o", out)
	require.Equal(t, 0, r.code, r.stderr)
	// "/" and "№" are not kept in a title; "../" does not leave DIR.
	first, second := filepath.Join(out, "Договор__1.pdf"), filepath.Join(out, "_annex.pdf")
	assert.Equal(t, "document: "+first+" (28 bytes)\nsignature: "+first+".p7s (31 bytes)\n"+
		"document: "+second+" (25 bytes)\nsignature: "+second+".p7s (28 bytes)\n"+
		"signer: serial 0A1B2C, issuer CN=FNS sandbox CA, valid until 2027-01-01 00:00:00 UTC\n"+
		"verify (CA.pem: FNS's CA; under -dev 'go run ./starter fns ca -o CA.pem'):\n"+
		"  openssl cms -verify -binary -inform DER -in "+first+".p7s -content "+first+" -CAfile CA.pem -purpose any -out /dev/null\n"+
		"  openssl cms -verify -binary -inform DER -in "+second+".p7s -content "+second+" -CAfile CA.pem -purpose any -out /dev/null\n",
		r.stdout)
	for file, id := range map[string]string{first: "fns-test-signed-1", first + ".p7s": "fns-test-signature-1",
		second: "fns-test-signed-2", second + ".p7s": "fns-test-signature-2"} {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, signedContent[id], string(b), file)
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "nothing else, nothing outside DIR")

	corrupt := fnssigning.WorkflowID("corrupt-" + id)
	require.Equal(t, 0, run(t, signArgs("corrupt-"+id, doc)...).code)
	waitClosed(t, c, corrupt)
	out2 := filepath.Join(t.TempDir(), "signed")
	r = run(t, "fns", "signed", corrupt, "-o", out2)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no signed documents: signature fns-test-corrupt: downloaded content does not match its SHA-256\n", r.stderr)
	assert.NoFileExists(t, filepath.Join(out2, "Договор__1.pdf.p7s"))

	refused := fnssigning.WorkflowID("refused-" + id)
	require.Equal(t, 0, run(t, signArgs("refused-"+id, doc)...).code)
	waitClosed(t, c, refused)
	r = run(t, "fns", "signed", refused, "-o", out2)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no signed documents: "+refused+" ended rejected, signing-refused; see 'go run ./starter status "+refused+"'\n", r.stderr)

	invalid(t, []string{"--output: want a directory"}, "fns", "signed", workflowID)
}

func TestFNSCA(t *testing.T) {
	devDir := useGateway(t, "http://127.0.0.1:1", testToken)
	out := filepath.Join(t.TempDir(), "ca.pem")
	r := run(t, "fns", "ca", "-o", out)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "starter: no CA: fns-sandbox-ca.pem is written by 'go run ./worker -dev' (the FNS sandbox's test CA); looked for "+
		filepath.Join(devDir, config.DevFNSCAFile)+". Outside -dev there is none: production signatures chain to FNS's own CA\n", r.stderr)
	assert.NoFileExists(t, out)

	const pem = "-----BEGIN CERTIFICATE-----\nMIIBsandbox\n-----END CERTIFICATE-----\n"
	path := writeFile(t, devDir, config.DevFNSCAFile, []byte(pem))
	r = run(t, "fns", "ca", "-o", out)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "written: "+out+" (the FNS sandbox's test CA, from "+path+")\n", r.stdout)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, pem, string(b))

	// A relative dev directory is looked for upward, as the token is.
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".idflow"), 0o755))
	writeFile(t, filepath.Join(root, ".idflow"), config.DevFNSCAFile, []byte(pem))
	sub := filepath.Join(root, "a", "b")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	t.Setenv("IDFLOW_DEV_DIR", ".idflow")
	t.Chdir(sub)
	r = run(t, "fns", "ca", "-o", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, pem, r.stdout)

	invalid(t, []string{"--output: want a file name, or - for stdout"}, "fns", "ca")
}
