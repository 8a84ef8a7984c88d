package fns

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/smallstep/pkcs7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"idflow/activities/activitytest"
	"idflow/internal/pii"
	. "idflow/workflows/fnsregistration" // the contract's names read as the activities' own
	"idflow/workflows/fnssigning"
)

// registered takes a person through registration with the activities and
// returns the consumer id.
func (f *fixture) registered() string {
	f.t.Helper()
	regDoc := activitytest.PutJSON(f.t, f.a.Store, person("Иванов"), RegistrationMediaType)
	var created CreateRegistrationResult
	require.NoError(f.t, f.run(f.a.CreateRegistration, CreateRegistrationInput{RegistrationDocumentID: regDoc, ExternalID: uuid.NewString(),
		WorkflowID: "fns-registration-t"}, &created))
	f.awaitState(created.FNSWorkflowID, "wait-consumer-identification")
	f.identifyAndConfirm(created.FNSWorkflowID, regDoc, f.newAgent())
	var wf FNSWorkflow
	require.NoError(f.t, f.run(f.a.ReadWorkflow, ReadWorkflowInput{FNSWorkflowID: created.FNSWorkflowID}, &wf))
	require.NotEmpty(f.t, wf.ConsumerID)
	return wf.ConsumerID
}

// otherSigner signs content as a second party (a counterparty's own КЭП).
func otherSigner(t *testing.T, content []byte) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "ООО Контрагент"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	sd, err := pkcs7.NewSignedData(content)
	require.NoError(t, err)
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	require.NoError(t, sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}))
	sd.Detach()
	sig, err := sd.Finish()
	require.NoError(t, err)
	return sig
}

// TestSimplifiedSigningTitlesAndMerge: documents sent by the signer's INN
// and phone reach the registered consumer with their titles cleaned the
// Unicode way (Cyrillic kept), come back signed, and one signature merges
// with a counterparty's into a CMS holding both signers.
func TestSimplifiedSigningTitlesAndMerge(t *testing.T) {
	f := newFixture(t)
	consumer := f.registered()
	contract := []byte("Договор поставки № 1")
	docs := []string{f.document("Заявление (копия).txt", []byte("Прошу выпустить КЭП.")), f.document("Договор №1?.txt", contract)}
	signer := activitytest.PutJSON(t, f.a.Store, pii.FNSSigner{INN: "312324014516", Phone: "+7 (900) 123-45-67"}, fnssigning.SignerMediaType)

	var sent fnssigning.SendDocumentsResult
	require.NoError(t, f.run(f.a.SendDocuments, fnssigning.SendDocumentsInput{SignerDocumentID: signer, DocumentIDs: docs,
		ExternalID: uuid.NewString(), WorkflowID: "fns-signing-t"}, &sent))
	assert.Equal(t, consumer, sent.ConsumerID, "FNS chose the registered consumer")
	f.awaitState(sent.FNSWorkflowID, "complete")

	var signed fnssigning.FetchSignedResult
	require.NoError(t, f.run(f.a.FetchSigned, fnssigning.FetchSignedInput{FNSWorkflowID: sent.FNSWorkflowID, DocumentIDs: docs, Owner: "t"}, &signed))
	require.Len(t, signed.Documents, 2)
	assert.Equal(t, "Заявление (копия).txt", signed.Documents[0].Title, "Cyrillic, spaces and brackets kept")
	assert.Equal(t, "Договор _1_.txt", signed.Documents[1].Title, "№ and ? are not word characters")

	counter := f.document("counterparty.p7s", otherSigner(t, contract))
	var merged fnssigning.MergeSignaturesResult
	require.NoError(t, f.run(f.a.MergeSignatures, fnssigning.MergeSignaturesInput{Documents: signed.Documents,
		MergeWith: []fnssigning.Countersignature{{DocumentID: docs[1], SignatureID: counter}}, Owner: "t"}, &merged))
	assert.Empty(t, merged.Documents[0].MergedSignatureID)
	require.NotEmpty(t, merged.Documents[1].MergedSignatureID)
	_, cms, err := f.a.Store.GetDocument(context.Background(), merged.Documents[1].MergedSignatureID)
	require.NoError(t, err)
	p7, err := verifySigners(cms, contract, 2)
	require.NoError(t, err, "the merged CMS verifies over the document")
	assert.Len(t, p7.Signers, 2)

	// A counterparty signature over other bytes is refused before the merge.
	wrong := f.document("wrong.p7s", otherSigner(t, []byte("another document")))
	err = f.run(f.a.MergeSignatures, fnssigning.MergeSignaturesInput{Documents: signed.Documents,
		MergeWith: []fnssigning.Countersignature{{DocumentID: docs[1], SignatureID: wrong}}, Owner: "t"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not verify")
}
