package main

import (
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFNSScenarioCommandsReportEveryBadFieldAtOnce(t *testing.T) {
	gw, fake := fnsGateway(t)
	closedTemporal(t)
	consumerHint := `required: the "consumerId" of the person's registration (go run ./starter status fns-registration-REQUEST_ID --json)`
	invalid(t, []string{
		"--request-id: want 1 to 64 letters, digits, '.', '_' or '-'",
		"--consumer: " + consumerHint,
		"--ogrnip: give exactly one of --ogrnip (an entrepreneur's) and --legal-entity-inn (a representative's)",
	}, "fns", "extra-signature")
	invalid(t, []string{"--ogrnip: checksum mismatch"},
		"fns", "extra-signature", "--request-id", "x1", "--consumer", testConsumerID, "--ogrnip", "319240000120000")
	invalid(t, []string{"--legal-entity-inn: checksum mismatch"},
		"fns", "extra-signature", "--request-id", "x1", "--consumer", testConsumerID, "--legal-entity-inn", "7707083890")
	invalid(t, []string{"--consumer: wrong length: want 36 characters"}, "fns", "pause", "--request-id", "p1", "--consumer", "nope")
	invalid(t, []string{"--url: want an absolute http or https URL", "--header #1: want NAME=VALUE"},
		"fns", "external-activity", "start", "--request-id", "e1", "--consumer", testConsumerID, "--url", "/form", "--header", "X-Token")
	invalid(t, []string{"--title: required", "--message: required", "--fns-workflow: want a positive FNS workflow id"},
		"fns", "push", "--request-id", "n1", "--consumer", testConsumerID, "--fns-workflow", "-3")
	invalid(t, []string{"--application: give exactly one of --application and --serial"}, "fns", "revoke", "--request-id", "r1")
	invalid(t, []string{"--serial: want the certificate's serial in hex"}, "fns", "revoke", "--request-id", "r1", "--serial", "xyz")
	invalid(t, []string{"--consumer: required: the person's consumer ids ('go run ./starter fns consumer-search')"}, "fns", "workflows")
	invalid(t, []string{"FNS_WORKFLOW_ID #2: want a positive whole number"}, "fns", "remove", "12", "x")
	invalid(t, []string{"--last-name: required", "--first-name: required", "--phone: required"}, "fns", "consumer-search")
	assert.Empty(t, fake.sent(), "nothing reached FNS")
	assert.Empty(t, documents(t, gw, "fns-revocation-r1"))
}

func TestSandboxRevocationApplication(t *testing.T) {
	body, err := revocationApplication("", "0a:1b 2c", "ключ скомпрометирован")
	require.NoError(t, err)
	var app struct {
		SerialNumber string `xml:"SerialNumber"`
		Reason       string `xml:"Reason"`
	}
	require.NoError(t, xml.Unmarshal(body, &app))
	assert.Equal(t, "0A1B2C", app.SerialNumber)
	assert.Equal(t, "ключ скомпрометирован", app.Reason)
}
