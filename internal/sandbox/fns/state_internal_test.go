package fns

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"idflow/internal/sandbox/sandboxstate"
)

// issuedConsumer adds a consumer with an issued sign certificate whose key
// it keeps, as a registration leaves them; the caller holds no lock.
func issuedConsumer(t testing.TB, s *Sandbox) (*consumer, *certificate, *ecdsa.PrivateKey) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.newConsumer(person{LastName: "Иванов"})
	cert, key, err := s.ca.request(s.nextID(), CertSign, map[string]string{"CN": "Иванов"})
	require.NoError(t, err)
	require.NoError(t, s.ca.issue(cert, s.now()))
	s.certs[cert.id], c.signKeys[cert.id] = cert, key
	c.certs = append(c.certs, cert)
	require.NoError(t, s.save())
	return c, cert, key
}

func openAt(t testing.TB, path string) *Sandbox {
	t.Helper()
	s, err := Open(Config{Username: "partner", Password: "partner-pass", StatePath: path})
	require.NoError(t, err)
	return s
}

// TestCertificatesAreFilesNotModel: the certificates' requests and DER and
// the signing keys are written once as files; the model, serialised at
// every save, holds none of their bytes, and a reopen has them all.
func TestCertificatesAreFilesNotModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandboxes.db")
	s := openAt(t, path)
	c, cert, key := issuedConsumer(t, s)
	s.Close()

	st, err := sandboxstate.Open(context.Background(), path, stateSandbox)
	require.NoError(t, err)
	defer st.Close()
	models, err := st.Load(context.Background(), kindModel)
	require.NoError(t, err)
	require.Len(t, models, 1)
	var r stateRecord
	require.NoError(t, json.Unmarshal(models[0].Body, &r))
	require.Len(t, r.Certs, 1)
	require.Nil(t, r.Certs[0].DER)
	require.Nil(t, r.Certs[0].CSR)
	require.Len(t, r.Consumers, 1)
	require.Nil(t, r.Consumers[0].SignKeys)
	require.Equal(t, []int64{cert.id}, r.Consumers[0].SignKeyCerts)

	s = openAt(t, path)
	defer s.Close()
	require.Equal(t, cert.der, s.certs[cert.id].der)
	require.Equal(t, cert.csr, s.certs[cert.id].csr)
	require.True(t, key.Equal(s.consumers[c.id].signKeys[cert.id]))
	require.True(t, SignKeyMatches(s, c.id, cert.id))
}

// TestOlderStateWithInlineCertificatesOpens: a state file written when the
// model held the certificates and keys inline still opens, and the next
// save moves them to files.
func TestOlderStateWithInlineCertificatesOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandboxes.db")
	s := openAt(t, path)
	c, cert, key := issuedConsumer(t, s)
	s.mu.Lock()
	r, err := s.snapshot()
	s.mu.Unlock()
	require.NoError(t, err)
	s.Close()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	r.Certs[0].CSR, r.Certs[0].DER = cert.csr, cert.der
	r.Consumers[0].SignKeys, r.Consumers[0].SignKeyCerts = map[int64][]byte{cert.id: der}, nil
	old := filepath.Join(t.TempDir(), "older.db")
	st, err := sandboxstate.Open(context.Background(), old, stateSandbox)
	require.NoError(t, err)
	require.NoError(t, st.Apply(context.Background(), sandboxstate.Put(kindModel, modelID, r)))
	require.NoError(t, st.Close())

	s = openAt(t, old)
	require.Equal(t, cert.der, s.certs[cert.id].der)
	require.True(t, SignKeyMatches(s, c.id, cert.id))
	s.Close()
	s = openAt(t, old) // reopened after the save that wrote the files
	defer s.Close()
	require.True(t, s.savedFiles[fileKey(fileDER, cert.id)])
	require.True(t, SignKeyMatches(s, c.id, cert.id))
	require.WithinDuration(t, cert.notAfter, s.certs[cert.id].notAfter, time.Second)
}
