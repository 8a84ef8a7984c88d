package fns

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/smallstep/pkcs7"
)

// handleSignedDocuments serves GET /api/rb/workflow/{id}/document (§1.7):
// the documents of a signing workflow with their signature links (null
// until signed); other workflows have none.
func (s *Sandbox) handleSignedDocuments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	wf := s.visible(w, r)
	if wf == nil {
		return
	}
	list := []any{}
	for _, d := range wf.docs {
		list = append(list, d.json(true))
	}
	writeResult(w, map[string]any{"documents": list})
}

// docOf returns the document of the path visible to the caller, answering 404 itself.
func (s *Sandbox) docOf(w http.ResponseWriter, r *http.Request) *signDoc {
	return visibleOf(s, w, r, s.docs, func(d *signDoc) *workflow { return d.workflow })
}

// visibleOf returns the item of the path's id if the caller may see its
// workflow, else answers 404 and returns nil; the caller holds s.mu.
func visibleOf[T any](s *Sandbox, w http.ResponseWriter, r *http.Request, items map[int64]*T, workflowOf func(*T) *workflow) *T {
	id, _ := pathID(r, "id")
	item := items[id]
	if item == nil || !s.canSee(caller(r), workflowOf(item)) {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return nil
	}
	s.touch(workflowOf(item).consumer) // what the caller may see, the handler may change
	return item
}

// handleDocumentFile serves GET /api/rb/document/{id}/path/{title}: the
// document's exact bytes.
func (s *Sandbox) handleDocumentFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	if d := s.docOf(w, r); d != nil {
		serveFile(w, d.title, d.content)
	}
}

// handleSignatureFile serves GET /api/rb/document/{id}/signature/{name}.p7s:
// the detached CMS signature, DER.
func (s *Sandbox) handleSignatureFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.unlock(r)
	d := s.docOf(w, r)
	if d == nil {
		return
	}
	if d.signature == nil || r.PathValue("name") != d.sigName+".p7s" {
		writeDetail(w, http.StatusNotFound, msgNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/pkcs7-signature")
	_, _ = w.Write(d.signature)
}

// reSignatureURL matches a signature link of §1.7.
var reSignatureURL = regexp.MustCompile(`^/api/rb/document/(\d+)/signature/([A-Z0-9]+\.p7s)$`)

// handleSignaturesMerge serves POST /api/rb/signatures-merge (§1.8): one
// detached CMS with every signer of the given signatures, which must sign
// the same content; items are {"base64_file"} or {"url"} (both kinds may
// be mixed).
func (s *Sandbox) handleSignaturesMerge(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Signatures json.RawMessage `json:"signatures"`
	}
	if !decode(w, r, &in) {
		return
	}
	if !caller(r).partner {
		writeDetail(w, http.StatusForbidden, msgForbidden)
		return
	}
	var items []struct {
		Base64File jstr `json:"base64_file"`
		URL        jstr `json:"url"`
	}
	switch {
	case len(in.Signatures) == 0 || string(in.Signatures) == "null":
		writeError(w, http.StatusBadRequest, map[string]any{"signatures": []string{msgRequired}})
		return
	case json.Unmarshal(in.Signatures, &items) != nil:
		writeError(w, http.StatusBadRequest, map[string]any{"signatures": []string{msgNotAList}})
		return
	case len(items) == 0:
		writeError(w, http.StatusBadRequest, map[string]any{"signatures": []string{msgEmptyList}})
		return
	}
	s.mu.Lock()
	defer s.unlock(r)
	list := make([]errs, len(items))
	parsed := make([]*pkcs7.PKCS7, len(items))
	for i, it := range items {
		ie := errs{}
		list[i] = ie
		var der []byte
		switch {
		case it.Base64File != "":
			b, ok := decodeBase64(string(it.Base64File))
			if p, _ := pem.Decode(b); ok && p != nil {
				b = p.Bytes
			}
			if !ok {
				ie.add("base64_file", msgBadSignature)
				continue
			}
			der = b
		case it.URL != "":
			u, err := url.Parse(string(it.URL))
			var m []string
			if err == nil {
				m = reSignatureURL.FindStringSubmatch(u.Path)
			}
			var d *signDoc
			if m != nil {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				d = s.docs[id]
			}
			if d == nil || d.signature == nil || d.sigName+".p7s" != m[2] || !s.canSee(caller(r), d.workflow) {
				ie.add("url", msgSignatureUnknown)
				continue
			}
			der = d.signature
		default:
			ie.add("base64_file", msgRequired)
			continue
		}
		p7, err := pkcs7.Parse(der)
		if err != nil || len(p7.Signers) == 0 {
			ie.add(map[bool]string{true: "base64_file", false: "url"}[it.Base64File != ""], msgBadSignature)
			continue
		}
		parsed[i] = p7
	}
	e := errs{}
	e.items("signatures", list)
	if len(e) > 0 {
		writeError(w, http.StatusBadRequest, map[string]any(e))
		return
	}
	merged, ok := mergeSignatures(parsed)
	if !ok {
		writeError(w, http.StatusBadRequest, map[string]any{"signatures": []string{msgOtherContent}})
		return
	}
	writeResult(w, map[string]any{"result": base64.StdEncoding.EncodeToString(merged)})
}

// signedDigest is what a signer signed: its digest algorithm and the
// message-digest attribute.
type signedDigest struct {
	alg    string
	digest []byte
}

// mergeSignatures builds one detached SignedData with every distinct
// signer and certificate of sigs; it reports false when the signers did
// not sign the same content (another message digest, or other embedded
// content).
func mergeSignatures(sigs []*pkcs7.PKCS7) ([]byte, bool) {
	sd, err := pkcs7.NewSignedData(nil)
	if err != nil {
		return nil, false
	}
	raw := sd.GetSignedData()
	var first *signedDigest
	var content []byte
	seenSigner := map[string]bool{}
	seenCert := map[string]bool{}
	seenAlg := map[string]bool{}
	for _, p7 := range sigs {
		if p7.Content != nil {
			if content != nil && !bytes.Equal(content, p7.Content) {
				return nil, false
			}
			content = p7.Content
		}
		for _, si := range p7.Signers {
			var dg signedDigest
			dg.alg = si.DigestAlgorithm.Algorithm.String()
			for _, a := range si.AuthenticatedAttributes {
				if a.Type.Equal(pkcs7.OIDAttributeMessageDigest) {
					_, _ = asn1.Unmarshal(a.Value.Bytes, &dg.digest)
				}
			}
			if dg.digest == nil {
				return nil, false // a signer without signed attributes: its content cannot be compared
			}
			if first == nil {
				first = &dg
			} else if first.alg != dg.alg || !bytes.Equal(first.digest, dg.digest) {
				return nil, false
			}
			key := string(si.IssuerAndSerialNumber.IssuerName.FullBytes) + si.IssuerAndSerialNumber.SerialNumber.String() + string(si.EncryptedDigest)
			if seenSigner[key] {
				continue
			}
			seenSigner[key] = true
			raw.SignerInfos = append(raw.SignerInfos, si)
			if !seenAlg[dg.alg] {
				seenAlg[dg.alg] = true
				raw.DigestAlgorithmIdentifiers = append(raw.DigestAlgorithmIdentifiers, si.DigestAlgorithm)
			}
		}
		for _, c := range p7.Certificates {
			if !seenCert[string(c.Raw)] {
				seenCert[string(c.Raw)] = true
				sd.AddCertificate(c)
			}
		}
	}
	sd.Detach()
	out, err := sd.Finish()
	return out, err == nil
}
