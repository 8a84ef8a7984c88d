package gateway

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/internal/store"
	"idflow/workflows/kyc"
	"idflow/workflows/onboarding"
	"idflow/workflows/proofing"
)

const testVDCSecret = "vdc-test-secret-0123456789abcdef"

// recordingProofings stands in for Temporal: it records what the gateway
// asked (the end-to-end tests run the real onboarding).
type recordingProofings struct {
	mu       sync.Mutex
	starts   []onboarding.Input
	cancels  []string
	startErr error
}

func (p *recordingProofings) StartOnboarding(_ context.Context, in onboarding.Input) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts = append(p.starts, in)
	return p.startErr
}

func (p *recordingProofings) CancelOnboarding(_ context.Context, workflowID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cancels = append(p.cancels, workflowID)
	return nil
}

func newVDCGateway(t *testing.T, opts ...option) (*testGateway, *recordingProofings) {
	p := &recordingProofings{}
	opts = append([]option{func(d *Deps) { d.Proofings, d.VDCSecret = p, testVDCSecret }}, opts...)
	return newSQLiteGateway(t, opts...), p
}

func evidence() onboarding.Evidence {
	return onboarding.Evidence{
		KYC:             &onboarding.KYCEvidence{LevelName: "basic", Documents: []kyc.Document{{IDDocType: "PASSPORT", Country: "RUS", DocumentID: "doc-1"}}},
		FNSRegistration: &onboarding.FNSEvidence{RegistrationDocumentID: "doc-2"},
	}
}

func meta(requestID string) map[string]any {
	return map[string]any{"requestId": requestID, "version": map[string]int{"major": 1, "minor": 3}}
}

// call posts body to a method and returns the status and the raw answer.
func (g *testGateway) call(method string, body any, header map[string]string) (int, []byte) {
	g.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(g.t, err)
	}
	if header == nil {
		header = map[string]string{}
	}
	if _, set := header["Authorization"]; !set {
		header["Authorization"] = "Bearer " + testVDCSecret
	}
	resp := g.send(http.MethodPost, "/api/v1/vdc/"+method, bytes.NewReader(raw), header)
	answer, err := io.ReadAll(resp.Body)
	require.NoError(g.t, err)
	return resp.StatusCode, answer
}

// errorKind checks an ErrorResponse: the echoed request id, a support id,
// a description and exactly one error kind, which it returns with its detail.
func errorKind(t *testing.T, answer []byte, requestID string) (string, json.RawMessage) {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(answer, &m), "%s", answer)
	assert.JSONEq(t, `{"requestId":"`+requestID+`"}`, string(m["responseMetadata"]))
	assert.Contains(t, string(m["issuerErrorIdentifier"]), "err_")
	assert.NotEmpty(t, m["errorDescription"])
	var kinds []string
	for k := range m {
		if k != "responseMetadata" && k != "issuerErrorIdentifier" && k != "errorDescription" {
			kinds = append(kinds, k)
		}
	}
	require.Len(t, kinds, 1, "exactly one error kind in %s", answer)
	return kinds[0], m[kinds[0]]
}

func TestIssuerAPIErrorResponses(t *testing.T) {
	g, _ := newVDCGateway(t)
	for _, tc := range []struct {
		name, method string
		body         any
		status       int
		kind, detail string
		description  string
	}{
		{"unsupported version", "getProofingStatus", map[string]any{"requestMetadata": map[string]any{"requestId": "r1",
			"version": map[string]int{"major": 2, "minor": 1}}, "deviceReferenceId": "d", "proofingId": "p"},
			400, "invalidApiVersion", `{"requestVersion":{"major":2,"minor":1},"expectedVersion":{"major":1,"minor":0}}`, ""},
		{"no device", "getProofingStatus", map[string]any{"requestMetadata": meta("r1"), "proofingId": "p"},
			400, "missingRequiredField", `{}`, "missing required field: deviceReferenceId"},
		{"no proofing id", "cancelProofing", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "d"},
			400, "missingRequiredField", `{}`, "missing required field: proofingId"},
		{"no version", "healthCheck", map[string]any{"requestMetadata": map[string]any{"requestId": "r1"}},
			400, "missingRequiredField", `{}`, "missing required field: requestMetadata.version"},
		{"no evidence", "proofUser", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "d", "proofingId": "p"},
			400, "missingRequiredField", `{}`, "missing required field: evidence"},
		{"no registration", "proofUser", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "d", "proofingId": "p",
			"evidence": onboarding.Evidence{KYC: evidence().KYC}},
			400, "missingRequiredField", `{}`, "missing required field: evidence.fnsRegistration.registrationDocumentId"},
		{"no identification", "proofUser", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "d", "proofingId": "p",
			"evidence": onboarding.Evidence{FNSRegistration: evidence().FNSRegistration}},
			400, "invalidFieldValue", `{}`, "invalid evidence: evidence: at least one identification check is required: simplifiedIdentification or kyc"},
		{"not JSON", "getProofingStatus", []byte(`{"requestMetadata":`),
			400, "invalidFieldValue", `{}`, "request body is not the method's JSON object"},
		{"wrong type", "getProofingStatus", []byte(`{"requestMetadata":{"requestId":"r1","version":{"major":1,"minor":0}},"proofingId":42}`),
			400, "invalidFieldValue", `{}`, "proofingId: want a JSON string"},
		{"unknown proofing", "getProofingStatus", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "d", "proofingId": "nope"},
			404, "invalidIdentifier", `{}`, "no proofing with this proofingId for this deviceReferenceId"},
		{"method not served", "provisionCredential", map[string]any{"requestMetadata": meta("r1")},
			404, "invalidFieldValue", `{}`, "method not served by this issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, answer := g.call(tc.method, tc.body, nil)
			assert.Equal(t, tc.status, status, "%s", answer)
			requestID := "r1"
			if tc.name == "not JSON" {
				requestID = ""
			}
			kind, detail := errorKind(t, answer, requestID)
			assert.Equal(t, tc.kind, kind)
			assert.JSONEq(t, tc.detail, string(detail))
			if tc.description != "" {
				var m map[string]any
				require.NoError(t, json.Unmarshal(answer, &m))
				assert.Equal(t, tc.description, m["errorDescription"])
			}
		})
	}
}

func TestIssuerAPIRequiresAuthentication(t *testing.T) {
	g, _ := newVDCGateway(t)
	body := map[string]any{"requestMetadata": meta("r1")}
	for _, auth := range []string{"", "Bearer wrong-secret", "Bearer " + testToken, "Basic " + testVDCSecret} {
		status, answer := g.call("healthCheck", body, map[string]string{"Authorization": auth})
		assert.Equal(t, http.StatusUnauthorized, status, "auth %q", auth)
		assert.Empty(t, answer, "no details for the unauthenticated")
	}
	status, answer := g.call("healthCheck", body, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"responseMetadata":{"requestId":"r1"}}`, string(answer))

	off := newSQLiteGateway(t) // neither a secret nor client certificates: the API is off
	status, _ = off.call("healthCheck", body, nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestProofUserIsIdempotentOnTheProofingID(t *testing.T) {
	g, p := newVDCGateway(t)
	for _, requestID := range []string{"r1", "r2"} { // every retry has a new requestId
		status, answer := g.call("proofUser", map[string]any{"requestMetadata": meta(requestID), "deviceReferenceId": "dev-1",
			"proofingId": "prf-1", "evidence": evidence()}, nil)
		require.Equal(t, http.StatusOK, status, "%s", answer)
		assert.JSONEq(t, `{"responseMetadata":{"requestId":"`+requestID+`"},"proofingId":"prf-1"}`, string(answer))
	}
	require.Len(t, p.starts, 2, "each call makes sure the onboarding runs (Temporal keeps one per proofing id)")
	assert.Equal(t, p.starts[0], p.starts[1])
	assert.Equal(t, "prf-1", p.starts[0].ProofingID)
	row, err := g.store.GetProofing(context.Background(), "prf-1")
	require.NoError(t, err)
	assert.Equal(t, onboarding.WorkflowID("prf-1"), row.WorkflowID)

	// The same proofing id from another device is refused as unknown.
	status, answer := g.call("proofUser", map[string]any{"requestMetadata": meta("r3"), "deviceReferenceId": "dev-2",
		"proofingId": "prf-1", "evidence": evidence()}, nil)
	assert.Equal(t, http.StatusNotFound, status)
	kind, _ := errorKind(t, answer, "r3")
	assert.Equal(t, "invalidIdentifier", kind)
	assert.Len(t, p.starts, 2)

	// Temporal unreachable: 503, and the retry will start it.
	p.startErr = assert.AnError
	status, _ = g.call("proofUser", map[string]any{"requestMetadata": meta("r4"), "deviceReferenceId": "dev-1",
		"proofingId": "prf-1", "evidence": evidence()}, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
}

func (g *testGateway) record(proofingID, device string, version int64, s proofing.Status) {
	g.t.Helper()
	_, err := g.store.RecordProofingStatus(context.Background(), store.Proofing{ProofingID: proofingID, DeviceReferenceID: device,
		WorkflowID: onboarding.WorkflowID(proofingID), Status: s.JSON(), Version: version}, false)
	require.NoError(g.t, err)
}

func TestGetProofingStatusServesTheRecordedStatus(t *testing.T) {
	g, _ := newVDCGateway(t)
	challenged := proofing.Challenge("in-person identification", proofing.PhysicalLocationVisit())
	g.record("prf-1", "dev-1", 2, challenged)
	status, answer := g.call("getProofingStatus", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "dev-1", "proofingId": "prf-1"}, nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"responseMetadata":{"requestId":"r1"},"proofingStatus":`+string(challenged.JSON())+`}`, string(answer))

	// Another device gets the very answer an unknown proofing gets.
	_, other := g.call("getProofingStatus", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "dev-2", "proofingId": "prf-1"}, nil)
	_, unknown := g.call("getProofingStatus", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "dev-1", "proofingId": "prf-9"}, nil)
	strip := func(b []byte) map[string]any {
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		delete(m, "issuerErrorIdentifier")
		return m
	}
	assert.Equal(t, strip(unknown), strip(other))
}

func TestCancelProofingFollowsTheStatus(t *testing.T) {
	g, p := newVDCGateway(t)
	cancel := func(id string) (int, []byte) {
		return g.call("cancelProofing", map[string]any{"requestMetadata": meta("r1"), "deviceReferenceId": "dev-1", "proofingId": id}, nil)
	}
	g.record("prf-pending", "dev-1", 1, proofing.Pending())
	g.record("prf-challenged", "dev-1", 3, proofing.Challenge("documents to upload again", proofing.IssuerURLVisit()))
	g.record("prf-canceled", "dev-1", 4, proofing.Canceled())
	g.record("prf-accepted", "dev-1", 5, proofing.Accepted())

	for _, id := range []string{"prf-pending", "prf-challenged", "prf-canceled"} {
		status, answer := cancel(id)
		assert.Equal(t, http.StatusOK, status, "%s: %s", id, answer)
		assert.JSONEq(t, `{"responseMetadata":{"requestId":"r1"}}`, string(answer))
	}
	assert.Equal(t, []string{onboarding.WorkflowID("prf-pending"), onboarding.WorkflowID("prf-challenged")}, p.cancels,
		"a canceled proofing is not cancelled again")

	status, answer := cancel("prf-accepted")
	assert.Equal(t, http.StatusConflict, status)
	kind, _ := errorKind(t, answer, "r1")
	assert.Equal(t, "invalidState", kind)
}

// TestIssuerAPIAcceptsAClientCertificate: with client certificates on, a
// certificate signed by the configured CA authenticates; none does not.
func TestIssuerAPIAcceptsAClientCertificate(t *testing.T) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wallet CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	clientDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "wallet"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, ca, &clientKey.PublicKey, caKey)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	p := &recordingProofings{}
	g := newSQLiteGateway(t, func(d *Deps) { d.Proofings, d.VDCClientCerts = p, true })
	srv := httptest.NewUnstartedServer(g.gw.Handler())
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	post := func(c *http.Client) int {
		resp, err := c.Post(srv.URL+"/api/v1/vdc/healthCheck", "application/json", bytes.NewReader([]byte(`{"requestMetadata":{"requestId":"r1","version":{"major":1,"minor":0}}}`)))
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	anonymous := srv.Client()
	assert.Equal(t, http.StatusUnauthorized, post(anonymous))
	transport := anonymous.Transport.(*http.Transport).Clone() // a new connection, with the certificate
	transport.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{clientDER}, PrivateKey: clientKey}}
	withCert := &http.Client{Transport: transport}
	assert.Equal(t, http.StatusOK, post(withCert))
}
