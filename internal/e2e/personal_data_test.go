package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
