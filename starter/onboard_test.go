package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/gateway"
	"idflow/internal/store"
	"idflow/workflows/onboarding"
	"idflow/workflows/proofing"
)

const testVDCSecret = "starter-vdc-secret-0123456789"

func TestOnboardReportsEveryBadFieldAtOnce(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	closedTemporal(t)
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.json", []byte(`{"consumer":{"last_name":"Иванов","snils":"123"}}`))
	r := invalid(t, []string{"--proofing-id: want 1 to 64 letters, digits, '.', '_' or '-'", "--device-ref: required",
		"--person: consumer.first_name: required", "--person: consumer.middle_name: required", "--person: consumer.gender: required",
		"--person: consumer.birthed: required", "--person: consumer.snils: wrong length: want 11 digits",
		"--person: consumer.inn: required", "--person: consumer.phone: required",
		"--person: consumer.addresses: required: at least one address",
		"--person: consumer.identities: required: at least one identity document",
		"--no-simplified: needs --kyc-doc: at least one identification check"},
		"onboard", "--proofing-id", "has space", "--person", bad, "--no-simplified")
	assert.NotContains(t, r.stderr, "Иванов", "no value is quoted")
}

// issuerGateway serves the issuer API with testVDCSecret; the tests record
// proofings straight into its store.
func issuerGateway(t *testing.T) *testGateway {
	t.Helper()
	return startGatewayDeps(t, nil, func(d *gateway.Deps) { d.VDCSecret = testVDCSecret })
}

func TestProofingStatusPrintsTheIssuerAPIAnswer(t *testing.T) {
	gw := issuerGateway(t)
	devDir := useGateway(t, gw.url, "") // the issuer API needs no API token
	challenged := proofing.Challenge("in-person identification", proofing.PhysicalLocationVisit())
	_, err := gw.store.RecordProofingStatus(context.Background(), store.Proofing{ProofingID: "prf-1", DeviceReferenceID: "dev-1",
		WorkflowID: onboarding.WorkflowID("prf-1"), Status: challenged.JSON(), Version: 2}, false)
	require.NoError(t, err)

	// Without a secret the starter says where it looked.
	unsetenv(t, "IDFLOW_VDC_SECRET")
	r := run(t, "proofing-status", "prf-1", "--device-ref", "dev-1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "IDFLOW_VDC_SECRET")

	// The -dev worker's secret file is found.
	writeFile(t, devDir, "vdc-secret", []byte(testVDCSecret+"\n"))
	r = run(t, "proofing-status", "prf-1", "--device-ref", "dev-1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"physicalLocationVisit": {}`)
	assert.Contains(t, r.stdout, `"requestId"`)

	// Another device: the API's invalidIdentifier, printed, exit 1.
	r = run(t, "proofing-status", "prf-1", "--device-ref", "dev-2")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "invalidIdentifier")
	assert.Contains(t, r.stderr, "404")

	// proofing-cancel reaches cancelProofing (no worker here: 503).
	t.Setenv("IDFLOW_VDC_SECRET", testVDCSecret)
	r = run(t, "proofing-cancel", "prf-1", "--device-ref", "dev-1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "cancelProofing answered 503 "+http.StatusText(http.StatusServiceUnavailable))

	r = run(t, "proofing-status", "prf-1")
	assert.Equal(t, 2, r.code, "--device-ref is required")
}
