package fns

import (
	"crypto/ecdsa"
	"crypto/x509"
)

// SignKeyMatches reports whether the consumer holds the private key of its
// sign certificate certID, for tests only (the key is never served).
func SignKeyMatches(s *Sandbox, consumerID string, certID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.consumers[consumerID]
	if c == nil {
		return false
	}
	k := c.signKeys[certID]
	ce := s.certs[certID]
	if k == nil || ce == nil || ce.der == nil {
		return false
	}
	x, err := x509.ParseCertificate(ce.der)
	if err != nil {
		return false
	}
	pub, ok := x.PublicKey.(*ecdsa.PublicKey)
	return ok && pub.Equal(&k.PublicKey)
}

// Signed returns the content and the detached signature of each document
// of a document-signing workflow, for tests.
func Signed(s *Sandbox, workflowID int64) (contents, signatures [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wf := s.workflows[workflowID]; wf != nil {
		for _, d := range wf.docs {
			contents, signatures = append(contents, d.content), append(signatures, d.signature)
		}
	}
	return contents, signatures
}
