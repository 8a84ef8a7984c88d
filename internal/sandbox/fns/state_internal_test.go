package fns

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
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
	s.touch(c)
	require.NoError(t, s.save())
	return c, cert, key
}

func openAt(t testing.TB, path string) *Sandbox {
	t.Helper()
	s, err := Open(Config{Username: "partner", Password: "partner-pass", StatePath: path})
	require.NoError(t, err)
	return s
}

// TestCertificatesAreFilesNotParts: the certificates' requests and DER and
// the signing keys are written once as files; the consumer's part holds
// none of their bytes, and a reopen has them all.
func TestCertificatesAreFilesNotParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandboxes.db")
	s := openAt(t, path)
	c, cert, key := issuedConsumer(t, s)
	s.Close()

	st, err := sandboxstate.Open(context.Background(), path, stateSandbox)
	require.NoError(t, err)
	defer st.Close()
	parts, err := st.Load(context.Background(), kindConsumer)
	require.NoError(t, err)
	require.Len(t, parts, 1)
	var p consumerPart
	require.NoError(t, json.Unmarshal(parts[0].Body, &p))
	require.Len(t, p.Certs, 1)
	require.Nil(t, p.Certs[0].DER)
	require.Nil(t, p.Certs[0].CSR)
	require.Nil(t, p.Consumer.SignKeys)
	require.Equal(t, []int64{cert.id}, p.Consumer.SignKeyCerts)

	s = openAt(t, path)
	defer s.Close()
	require.Equal(t, cert.der, s.certs[cert.id].der)
	require.Equal(t, cert.csr, s.certs[cert.id].csr)
	require.True(t, key.Equal(s.consumers[c.id].signKeys[cert.id]))
	require.True(t, SignKeyMatches(s, c.id, cert.id))
}

// TestOlderStateOfOneRecordOpens: a state file written when the whole
// model was one record, certificates and keys inline, still opens, and
// the first save replaces it with parts and files.
func TestOlderStateOfOneRecordOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandboxes.db")
	s := openAt(t, path)
	c, cert, key := issuedConsumer(t, s)
	s.mu.Lock()
	r := snapshot(s)
	s.mu.Unlock()
	s.Close()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	r.Version = 1
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
	s = openAt(t, old) // reopened after the save that wrote the parts and files
	defer s.Close()
	require.True(t, s.savedFiles[fileKey(fileDER, cert.id)])
	st, err = sandboxstate.Open(context.Background(), old, stateSandbox)
	require.NoError(t, err)
	defer st.Close()
	models, err := st.Load(context.Background(), kindModel)
	require.NoError(t, err)
	require.Empty(t, models, "the one record is gone")
	require.True(t, SignKeyMatches(s, c.id, cert.id))
	require.WithinDuration(t, cert.notAfter, s.certs[cert.id].notAfter, time.Second)
}

// snapshot is the whole model as one record, as a state file of stateVersion
// 1 held it; the caller holds s.mu.
func snapshot(s *Sandbox) stateRecord {
	r := stateRecord{globalRecord: s.globalRec(), Creates: s.creates, Pushes: s.pushRecs(0)}
	for _, c := range sortedConsumers(s.consumers) {
		r.addPart(s.part(c))
	}
	r.sortParts()
	return r
}

// sortedConsumers is the consumers in activation order.
func sortedConsumers(m map[string]*consumer) []*consumer {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *consumer) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// TestAChangeWithoutTouchIsFound: the check the package's tests run at
// every save finds a consumer changed without touch.
func TestAChangeWithoutTouchIsFound(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "sandboxes.db"))
	defer s.Close()
	c, _, _ := issuedConsumer(t, s)
	found := len(unsavedChanges)
	defer func() { unsavedChanges = unsavedChanges[:found] }()
	s.mu.Lock()
	c.state = ConsumerBlocked
	require.NoError(t, s.save())
	s.mu.Unlock()
	require.Len(t, unsavedChanges, found+1)
	require.Contains(t, unsavedChanges[found], "changed without touch")
}
