package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/pii"
	"idflow/internal/store"
)

// closedTemporal points the starter at an address where nothing listens, so
// that a command that got past its checks fails (exit 1) instead of
// reaching a server.
func closedTemporal(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Setenv("TEMPORAL_ADDRESS", l.Addr().String())
	require.NoError(t, l.Close())
}

// invalid runs a command that must fail its checks: exit 2, nothing on
// stdout, and exactly the wanted "  FIELD: MESSAGE" lines, in order.
func invalid(t *testing.T, wantLines []string, args ...string) result {
	t.Helper()
	r := run(t, args...)
	assert.Equal(t, 2, r.code)
	assert.Empty(t, r.stdout)
	require.True(t, strings.HasPrefix(r.stderr, "starter: invalid input, nothing was sent:\n"), r.stderr)
	var got []string
	for _, line := range strings.Split(r.stderr, "\n")[1:] {
		if strings.HasPrefix(line, "  ") {
			got = append(got, strings.TrimPrefix(line, "  "))
		}
	}
	assert.Equal(t, wantLines, got)
	assert.Contains(t, r.stderr, "\nRun 'go run ./starter ")
	return r
}

func TestIdentifyReportsEveryBadFieldAtOnce(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	closedTemporal(t)
	invalid(t, []string{
		"--request-id: want 1 to 64 letters, digits, '.', '_' or '-'",
		"--last-name: required",
		"--patronymic: required",
		"--passport: invalid format: only digits are allowed",
		"--snils: checksum mismatch",
		"--phone: invalid format: want +7 and 10 digits",
		"--sms-timeout: want 1m to 24h, or 0 for the default (15m)",
	}, "identify", "--request-id", "bad id", "--first-name", "Полиграф", "--passport", "11-11-111111",
		"--snils", "112-233-445 96", "--phone", "12345", "--sms-timeout", "1ns")

	invalid(t, []string{
		"--passport: empty",
		"--snils, --inn: one of them is required",
		"--phone: empty",
	}, "identify", "--last-name", "Шариков", "--first-name", "Полиграф", "--patronymic", "Полиграфович")

	invalid(t, []string{"--inn: checksum mismatch", "--sms-timeout: want 1m to 24h, or 0 for the default (15m)"},
		"identify", "--last-name", "Шариков", "--first-name", "Полиграф", "--patronymic", "Полиграфович",
		"--passport", "1111 111111", "--inn", "500100732250", "--phone", "+79001234567", "--sms-timeout", "-5m")

	docs, err := gw.store.ListDocuments(context.Background(), "api")
	require.NoError(t, err)
	assert.Empty(t, docs)
}

func TestIdentifyInputSpellings(t *testing.T) {
	for _, phone := range []string{"+79001234567", "+7 (900) 123-45-67", "8 900 123 45 67", "8-900-123-45-67", "79001234567"} {
		for _, timeout := range []time.Duration{0, time.Minute, 24 * time.Hour} {
			p := pii.Person{LastName: " Шариков ", FirstName: "Полиграф", Patronymic: "Полиграфович",
				SNILS: "112-233-445 95", Phone: phone}
			require.NoError(t, checkIdentifyInput(&p, "1111-111111", "demo-1", timeout), phone)
			assert.Equal(t, "+79001234567", p.Phone)
			assert.Equal(t, "Шариков", p.LastName)
			assert.Equal(t, "11223344595", p.SNILS)
			assert.Equal(t, "1111", p.PassportSeries)
			assert.Equal(t, "111111", p.PassportNumber)
		}
	}
}

func TestIdentifyHelpNamesTheSpellingsAndTheTimeoutBounds(t *testing.T) {
	r := run(t, "identify", "--help")
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "'+7 (900) 123-45-67'")
	assert.Contains(t, r.stdout, "1m to 24h; 0 (or unset) means the default, 15m")
	assert.Contains(t, r.stdout, "go run ./starter sms-code WORKFLOW_ID CODE")
}

func TestKYCStartReportsEveryBadFieldAtOnce(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	closedTemporal(t)
	dir := t.TempDir()
	front := writeFile(t, dir, "front.jpg", []byte("front"))
	back := writeFile(t, dir, "back.jpg", []byte("back"))
	selfie := writeFile(t, dir, "selfie.jpg", []byte("me"))
	empty := writeFile(t, dir, "empty.jpg", nil)

	invalid(t, []string{
		"--external-user-id: want 1 to 64 letters, digits, '.', '_' or '-'",
		"--doc #1 (ID_CARD:RU:FRONT_SIDE=" + front + "): country: invalid format: want an ISO 3166-1 alpha-3 code such as RUS",
		"--doc #2 (PASSPORT:RUS:FRONT_SIDE=" + front + "): side: PASSPORT is one-sided: no side expected",
		"--doc #3 (FOO:RUS=" + selfie + "): type: unknown document type FOO (known: DRIVERS, ID_CARD, PASSPORT, RESIDENCE_PERMIT, SELFIE)",
		"--doc #4 (DRIVERS:RUS=" + back + "): side: DRIVERS is two-sided: want FRONT_SIDE or BACK_SIDE",
		"--doc: DRIVERS needs both FRONT_SIDE and BACK_SIDE",
		"--doc: ID_CARD needs both FRONT_SIDE and BACK_SIDE",
		"--doc: no document for step SELFIE of level basic-kyc-level",
		"--dob: invalid format: want a real date as yyyy-mm-dd",
		"--country: invalid format: want an ISO 3166-1 alpha-3 code such as RUS",
		"--phone: invalid format: want + and 8 to 15 digits",
	}, "kyc", "start", "--external-user-id", "user 42", "--doc", "ID_CARD:RU:FRONT_SIDE="+front,
		"--doc", "PASSPORT:RUS:FRONT_SIDE="+front, "--doc", "FOO:RUS="+selfie, "--doc", "DRIVERS:RUS="+back,
		"--dob", "1990-13-01", "--country", "RU", "--phone", "12345")

	invalid(t, []string{
		"--doc #1 (ID_CARD:RUS=" + front + "=x): cannot read " + front + "=x (no such file or directory)",
		"--doc #2 (SELFIE=" + selfie + "): want TYPE:COUNTRY[:SIDE]=FILE, e.g. ID_CARD:RUS:FRONT_SIDE=front.jpg",
		"--doc #3 (SELFIE:RUS=" + empty + "): " + empty + " is empty or not a file",
		"--doc #4 (PASSPORT:RUS=" + dir + "/missing.jpg): cannot read " + dir + "/missing.jpg (no such file or directory)",
	}, "kyc", "start", "--external-user-id", "user-42", "--doc", "ID_CARD:RUS="+front+"=x",
		"--doc", "SELFIE="+selfie, "--doc", "SELFIE:RUS="+empty, "--doc", "PASSPORT:RUS="+dir+"/missing.jpg")

	invalid(t, []string{
		"--doc #2 (SELFIE:RUS=" + selfie + "): type: SELFIE (step SELFIE) is not part of level id-only-level (steps: IDENTITY)",
	}, "kyc", "start", "--external-user-id", "user-42", "--level", "id-only-level",
		"--doc", "PASSPORT:RUS="+front, "--doc", "SELFIE:RUS="+selfie)

	invalid(t, []string{"--level: required", "--doc: at least one document required"},
		"kyc", "start", "--external-user-id", "user-42", "--level", " ")

	docs, err := gw.store.ListDocuments(context.Background(), "kyc-user-42")
	require.NoError(t, err)
	assert.Empty(t, docs, "nothing was uploaded")
}

func TestKYCStartAcceptsWhatTheChecksPass(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	closedTemporal(t)
	dir := t.TempDir()
	r := run(t, "kyc", "start", "--external-user-id", "user-42", "--level", "basic-kyc-level",
		"--doc", "id_card:rus:front_side="+writeFile(t, dir, "front.jpg", []byte("f")),
		"--doc", "ID_CARD:RUS:BACK_SIDE="+writeFile(t, dir, "back.jpg", []byte("b")),
		"--doc", "SELFIE:RUS="+writeFile(t, dir, "selfie.jpg", []byte("s")),
		"--dob", "1990-01-31", "--country", "rus", "--phone", "8 900 123-45-67")
	assert.Equal(t, 1, r.code, "past the checks, it fails on Temporal")
	assert.Contains(t, r.stderr, "cannot reach Temporal")
}

func TestKYCResubmitChecksDocuments(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	closedTemporal(t)
	front := writeFile(t, t.TempDir(), "front.jpg", []byte("front"))
	invalid(t, []string{
		"--doc #1 (ID_CARD:RUS=" + front + "): side: ID_CARD is two-sided: want FRONT_SIDE or BACK_SIDE",
		"--doc #2 (SELFIE:RUSSIA=" + front + "): country: invalid format: want an ISO 3166-1 alpha-3 code such as RUS",
	}, "kyc", "resubmit", "kyc-user-42", "--doc", "ID_CARD:RUS="+front, "--doc", "SELFIE:RUSSIA="+front)
	invalid(t, []string{"--doc: at least one document required"}, "kyc", "resubmit", "kyc-user-42")

	// One side alone is a valid resubmission (only the rejected image is
	// sent again); the workflow's validator checks the steps.
	r := run(t, "kyc", "resubmit", "kyc-user-42", "--doc", "ID_CARD:RUS:FRONT_SIDE="+front)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "cannot reach Temporal")
	docs, err := gw.store.ListDocuments(context.Background(), "kyc-user-42")
	require.NoError(t, err)
	assert.Empty(t, docs, "nothing is uploaded while Temporal is unreachable")
}

func TestSMSCodeMalformedIsAUsageError(t *testing.T) {
	useGateway(t, "http://127.0.0.1:1", testToken)
	closedTemporal(t)
	invalid(t, []string{"CODE: invalid format: only digits are allowed"}, "sms-code", "wf-1", "12ab56")
	invalid(t, []string{"CODE: wrong length: want 4 to 8 digits"}, "sms-code", "wf-1", "123")
	invalid(t, []string{"CODE: empty"}, "sms-code", "wf-1", "")
	r := run(t, "sms-code", "wf-1", "000000")
	assert.Equal(t, 1, r.code, "a well-formed code goes to Temporal")
}

func TestInboxListChecksItsFlags(t *testing.T) {
	gw := startGateway(t)
	useGateway(t, gw.url, testToken)
	invalid(t, []string{"--status: want one of pending, delivered, unmatched, failed"}, "inbox", "list", "--status", "bogus")
	invalid(t, []string{"--status: want one of pending, delivered, unmatched, failed", "--limit: want 1 to 1000"},
		"inbox", "list", "--status", "Pending", "--limit", "0")
	invalid(t, []string{"--provider: at most 64 bytes"}, "inbox", "list", "--provider", strings.Repeat("p", 65))
	for _, status := range []string{"", "pending", "delivered", "unmatched", "failed"} {
		r := run(t, "inbox", "list", "--status", status, "--limit", "1000")
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "(none)")
	}
}

func TestInboxConstantsAreTheStores(t *testing.T) {
	assert.Equal(t, store.InboxStatuses, inboxStatuses)
	assert.Equal(t, store.DefaultInboxLimit, defaultInboxLimit)
	assert.Equal(t, store.MaxInboxListLimit, maxInboxListLimit)
	assert.Equal(t, store.MaxProviderLen, maxProviderLen)
}

func TestOtherFlagChecks(t *testing.T) {
	useGateway(t, "http://127.0.0.1:1", testToken)
	closedTemporal(t)
	invalid(t, []string{"--limit: want 1 to 1000"}, "workflows", "list", "--limit", "0")
	invalid(t, []string{"--all: not with --query (the query says which workflows)"}, "workflows", "list", "--all", "-q", "WorkflowType = 'X'")
	invalid(t, []string{"--output: want a file name, or - for stdout"}, "documents", "get", "doc_1", "-o", "")
}
