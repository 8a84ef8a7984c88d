package fns

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
)

// CertRevoked is the state of a certificate revoked by POST /api/rb/certificate/revoke/.
const CertRevoked = "revoked"

// Messages of the revocation (the sandbox's texts: the XSD is given on request, L2626).
const (
	msgRevokeNotXML    = "Файл не является корректным XML-документом"
	msgRevokeNoSerial  = "В заявлении не указан серийный номер сертификата (SerialNumber)"
	msgRevokeBadSerial = "Неправильный формат серийного номера сертификата"
	msgRevokeUnknown   = "Сертификат подписи с таким серийным номером не найден"
	fieldRevokeFile    = "base64_encoded_xml_file"
)

// handleRevoke serves POST /api/rb/certificate/revoke/ (§1.10): the
// application is the sandbox's own minimal XML (see doc.go); the sign
// certificate of its SerialNumber becomes revoked; 200 {"result":{}} (A23),
// again for one already revoked.
func (s *Sandbox) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var in struct {
		File jstr `json:"base64_encoded_xml_file"`
	}
	if !decode(w, r, &in) {
		return
	}
	serial, msg := revocationSerial(string(in.File))
	if msg != "" {
		writeError(w, http.StatusBadRequest, map[string]any{fieldRevokeFile: []string{msg}})
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	cert := s.signCertBySerial(serial)
	if cert == nil {
		writeError(w, http.StatusBadRequest, map[string]any{fieldRevokeFile: []string{msgRevokeUnknown}})
		return
	}
	cert.state = CertRevoked
	s.touch(s.ownerOf(cert))
	writeResult(w, map[string]any{})
}

// ownerOf is the consumer cert was issued to, or nil; the caller holds s.mu.
func (s *Sandbox) ownerOf(cert *certificate) *consumer {
	for _, c := range s.consumers {
		if slices.Contains(c.certs, cert) {
			return c
		}
	}
	return nil
}

// revocationSerial reads the serial number of a revocation application
// (base64 of an XML document with a SerialNumber element, hex), or the
// message of why it cannot.
func revocationSerial(b64 string) (*big.Int, string) {
	if strings.TrimSpace(b64) == "" {
		return nil, msgRequired
	}
	doc, ok := decodeBase64(b64)
	if !ok {
		return nil, msgBadBase64
	}
	text, found, err := xmlElementText(doc, "SerialNumber")
	switch {
	case err != nil:
		return nil, msgRevokeNotXML
	case !found:
		return nil, msgRevokeNoSerial
	}
	hex := strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, text)
	n, ok := new(big.Int).SetString(hex, 16)
	if hex == "" || !ok || n.Sign() < 0 {
		return nil, msgRevokeBadSerial
	}
	return n, ""
}

// xmlElementText returns the text of the first element named local (any
// namespace) of a well-formed XML document, and whether there is one.
func xmlElementText(doc []byte, local string) (text string, found bool, err error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	depth, roots, in := 0, 0, -1
	var sb strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			if !found && t.Name.Local == local {
				found, in = true, depth
			}
		case xml.EndElement:
			if depth == in {
				in = -1
			}
			depth--
		case xml.CharData:
			if in > 0 {
				sb.Write(t)
			}
		}
	}
	if roots != 1 {
		return "", false, errors.New("not one root element")
	}
	return strings.TrimSpace(sb.String()), found, nil
}

// signCertBySerial returns the issued sign certificate of serial number n,
// or nil; the caller holds s.mu.
func (s *Sandbox) signCertBySerial(n *big.Int) *certificate {
	for _, id := range sortedKeys(s.certs) {
		c := s.certs[id]
		if c.typ != CertSign || c.der == nil {
			continue
		}
		if m, ok := new(big.Int).SetString(c.serial, 16); ok && m.Cmp(n) == 0 {
			return c
		}
	}
	return nil
}
