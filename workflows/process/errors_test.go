package process

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/temporal"
)

func TestErrorTextAndType(t *testing.T) {
	err := FinalError(ErrTypeProviderRejected, errors.New("idngo: HTTP 409: Документ не нужен"))
	assert.Equal(t, "idngo: HTTP 409: Документ не нужен", ErrorText(err), "without the SDK's decorations")
	assert.Equal(t, ErrTypeProviderRejected, ErrorType(err))
	assert.Equal(t, "Canceled", ErrorType(temporal.NewCanceledError()))
	assert.Equal(t, "Failure", ErrorType(errors.New("plain")))

	long := FinalError(ErrTypeProviderRejected, errors.New(strings.Repeat("я", 400)))
	text := ErrorText(long)
	assert.True(t, utf8.ValidString(text), "cut on a rune boundary")
	assert.LessOrEqual(t, len(text), maxErrorText+len("…"))
	assert.True(t, strings.HasSuffix(text, "…"))
}

func TestPendingErrorIsBenignAndRetryable(t *testing.T) {
	var appErr *temporal.ApplicationError
	assert.True(t, errors.As(PendingError("SMEV person check"), &appErr))
	assert.Equal(t, temporal.ApplicationErrorCategoryBenign, appErr.Category())
	assert.False(t, appErr.NonRetryable())
	assert.Equal(t, ErrTypeCheckPending, appErr.Type())
}

func TestWaitAndDetailsRead(t *testing.T) {
	w := Wait{For: "SMS code", From: FromPerson, Until: time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)}
	assert.Equal(t, "SMS code from person until 2026-12-02 10:30 UTC", w.String())
	st := Status{Process: "SimplifiedIdentification", Stage: "awaiting-sms-code", Outcome: OutcomePending, Waiting: []Wait{w}}
	assert.Contains(t, st.details(), "- SMS code from person until 2026-12-02 10:30 UTC")
	failed := Status{Process: "KYCVerification", Stage: "uploading-documents", Outcome: OutcomeFailed, Reason: "ProviderRejected", Error: "idngo: HTTP 409"}
	assert.Contains(t, failed.details(), "Error: idngo: HTTP 409")
	assert.False(t, OutcomeFailed.Open())
	assert.True(t, OutcomeChallenged.Open())
}

func TestWorkflowIDIsSafeForAnyKey(t *testing.T) {
	assert.Equal(t, "kyc-user-42", WorkflowID("kyc", "user-42"), "ASCII keys read as themselves")
	assert.Equal(t, "kyc-%D0%98%D0%B2%D0%B0%D0%BD", WorkflowID("kyc", "Иван"))
	assert.Equal(t, "kyc-a%25b%20c%0A", WorkflowID("kyc", "a%b c\n"), "% is escaped too, so the mapping is one to one")
	assert.NotEqual(t, WorkflowID("kyc", "a%25"), WorkflowID("kyc", "a%"))
	for _, key := range []string{"Иван", "a\x00b", "\xff", "emoji 🙂"} {
		id := WorkflowID("kyc", key)
		for i := 0; i < len(id); i++ {
			assert.True(t, id[i] > ' ' && id[i] < 0x7f, "printable ASCII only: %q", id)
		}
	}
}

func TestDurationReads(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 30 * time.Minute: "30m", 90 * time.Minute: "1h30m", 300 * time.Minute: "5h",
		time.Hour + 30*time.Second: "1h0m30s", 200 * time.Millisecond: "200ms", 45 * time.Second: "45s",
	} {
		assert.Equal(t, want, Duration(d), d.String())
	}
}

func TestRunKeyIsStablePerRunAndPurpose(t *testing.T) {
	a := RunKeyOf("fns-registration", "fns-registration-r1", "run-1")
	assert.Equal(t, a, RunKeyOf("fns-registration", "fns-registration-r1", "run-1"), "the same on replay and retry")
	assert.NotEqual(t, a, RunKeyOf("fns-registration", "fns-registration-r1", "run-2"), "a new run is a new key")
	assert.NotEqual(t, a, RunKeyOf("fns-signing", "fns-registration-r1", "run-1"))
	assert.Len(t, a, 36, "a UUID")
}
