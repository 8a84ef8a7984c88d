package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	sandbox "idflow/internal/sandbox/mandarin"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
)

// TestPersonalDataStaysOut runs an identification, a KYC (whose applicant
// names travel inline in the input) and an FNS registration, then looks
// for the test persons' names, SNILS, INN and phone in the raw bytes of
// every history, in workflow ids and search attributes, and in every log
// line: with payload encryption on there must be none.
func TestPersonalDataStaysOut(t *testing.T) {
	sys := kycSystem(t)
	ident := sys.startIdentification(t, "pii-1", sandboxPerson(sandbox.TestLastName), nil)
	res, err := sys.sendCode(ident.GetID(), sandbox.DefaultAcceptedCode)
	require.NoError(t, err)
	require.True(t, res.Accepted)
	require.Equal(t, process.OutcomeAccepted, result(t, ident).Outcome)

	kycRun := sys.startKYC(t, "pii-user", sys.document(t, "ID_CARD", "FRONT_SIDE", "front.jpg"),
		sys.document(t, "ID_CARD", "BACK_SIDE", "back.jpg"), sys.document(t, "SELFIE", "", "selfie.jpg"))
	sys.awaitKYC(t, kycRun.GetID(), func(st kyc.Status) bool { return st.Outcome == process.OutcomeAccepted })
	fnsRun, _ := sys.registerFNSPerson(t, "pii-fns")

	personal := []string{sandbox.TestLastName, sandbox.TestFirstName, sandbox.TestSNILS, "9001234567", // Mandarin's person
		"Иванов", "Иванович", "12362931139", "312324014516", "Пушкинская", // KYC's and FNS's
		"МВД по Удмуртской"}
	found := func(where, text string) {
		t.Helper()
		for _, v := range personal {
			assert.NotContains(t, text, v, "personal data in %s", where)
		}
	}
	for _, id := range []string{ident.GetID(), kycRun.GetID(), fnsRun.GetID()} {
		found("the workflow id", id)
		raw, err := proto.Marshal(sys.history(t, id))
		require.NoError(t, err)
		found("the history of "+id, string(raw))
		desc, err := sys.client.DescribeWorkflowExecution(context.Background(), id, "")
		require.NoError(t, err)
		sa, err := proto.Marshal(desc.GetWorkflowExecutionInfo().GetSearchAttributes())
		require.NoError(t, err)
		found("the search attributes of "+id, string(sa))
	}
	lines := 0
	for _, e := range sys.logs.All() {
		var b strings.Builder
		b.WriteString(e.LoggerName + " " + e.Message)
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
		found("the log line «"+e.Message+"»", b.String())
		lines++
	}
	t.Logf("scanned 3 histories, their search attributes and %d log lines for %d personal values", lines, len(personal))
}

// TestUIDecodesThroughTheCodecEndpoint: the embedded UI is configured with
// the gateway's codec endpoint, which opens a sealed payload for a browser
// on the UI's origin (CORS) and refuses a wrong token.
func TestUIDecodesThroughTheCodecEndpoint(t *testing.T) {
	sys := startSystem(t, nil)
	resp, err := http.Get(sys.info.UIURL + "/api/v1/settings")
	require.NoError(t, err)
	defer resp.Body.Close()
	var settings struct{ Codec struct{ Endpoint string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&settings))
	endpoint := settings.Codec.Endpoint
	require.True(t, strings.HasPrefix(endpoint, sys.info.GatewayURL+"/codec/"), "the UI's codec endpoint: %q", endpoint)

	sealed, err := sys.dc.ToPayload(fnsPerson().Consumer.LastName)
	require.NoError(t, err)
	require.Equal(t, "binary/encrypted", string(sealed.GetMetadata()["encoding"]))
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{sealed}})
	require.NoError(t, err)
	decode := func(url string) (*http.Response, []byte) {
		req, err := http.NewRequest(http.MethodPost, url+"/decode", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", sys.info.UIURL)
		req.Header.Set("X-Namespace", "default")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, b
	}
	ok, answer := decode(endpoint)
	require.Equal(t, http.StatusOK, ok.StatusCode, "%s", answer)
	assert.Equal(t, sys.info.UIURL, ok.Header.Get("Access-Control-Allow-Origin"))
	var opened commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(answer, &opened))
	var lastName string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(opened.GetPayloads()[0], &lastName))
	assert.Equal(t, "Иванов", lastName)

	refused, _ := decode(sys.info.GatewayURL + "/codec/not-the-token")
	assert.Equal(t, http.StatusUnauthorized, refused.StatusCode)
}
