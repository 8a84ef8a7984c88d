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
