package fns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Validity of the issued certificates.
const (
	AuthValidity = 365 * 24 * time.Hour // AuthValidity is the TLS (auth) certificate's lifetime.
	SignValidity = 456 * 24 * time.Hour // SignValidity is the КЭП (sign) certificate's: 15 months.
)

// Attribute OIDs of Russian qualified certificates (Приказ ФСБ № 795).
var (
	oidSN     = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGN     = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidEmail  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidINN    = asn1.ObjectIdentifier{1, 2, 643, 3, 131, 1, 1}
	oidSNILS  = asn1.ObjectIdentifier{1, 2, 643, 100, 3}
	oidOGRN   = asn1.ObjectIdentifier{1, 2, 643, 100, 1}
	oidStreet = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidOGRNIP = asn1.ObjectIdentifier{1, 2, 643, 100, 5}
	oidINNLE  = asn1.ObjectIdentifier{1, 2, 643, 100, 4}
	oidTitle  = asn1.ObjectIdentifier{2, 5, 4, 12}
)

// holderOIDs are the subject attributes of a signature for an entrepreneur
// (OGRNIP) or a legal entity (INNLE, OGRN, T), in this order after the
// person's; the subject map's keys.
var holderOIDs = []struct {
	key string
	oid asn1.ObjectIdentifier
}{{"OGRNIP", oidOGRNIP}, {"INNLE", oidINNLE}, {"OGRN", oidOGRN}, {"T", oidTitle}}

// The test CA's issuer fields, as certificate_data.issuer shows them.
var caIssuer = map[string]string{
	"C": "RU", "E": "ca@sandbox.fns.test", "L": "г. Москва", "O": "ФНС России (песочница)", "S": "77 г. Москва",
	"CN": "Тестовый УЦ ФНС России (песочница)", "INN": "007743020560", "OGRN": "1027739113049",
	"STREET": "ул. Неглинная, д. 23",
}

// testCA is the sandbox's own certification authority.
type testCA struct {
	key    *ecdsa.PrivateKey
	keyDER []byte // keyDER is key as PKCS#8, as the state file keeps it
	cert   *x509.Certificate
}

// newTestCA makes a self-signed ECDSA P-256 CA valid ten years from now.
func newTestCA(now time.Time) (*testCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	name := pkix.Name{Country: []string{"RU"}, Organization: []string{caIssuer["O"]}, Locality: []string{caIssuer["L"]},
		Province: []string{caIssuer["S"]}, StreetAddress: []string{caIssuer["STREET"]}, CommonName: caIssuer["CN"],
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidEmail, Value: caIssuer["E"]},
			{Type: oidINN, Value: caIssuer["INN"]}, {Type: oidOGRN, Value: caIssuer["OGRN"]}}}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: name, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(10 * 365 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &testCA{key: key, keyDER: keyDER, cert: cert}, nil
}

// subjectOf is the certificate subject of a consumer, as request_data.subject shows it.
func subjectOf(c *consumer) map[string]string {
	p := &c.person
	m := map[string]string{"C": "RU", "CN": p.fullName(), "SN": strings.TrimSpace(string(p.LastName)),
		"G": strings.Join(strings.Fields(string(p.FirstName+" "+p.MiddleName)), " "), "INN": string(p.INN), "SNILS": string(p.SNILS)}
	if len(p.Addresses) > 0 {
		a := addressJSON(p.Addresses[0])
		m["L"], m["S"] = string(p.Addresses[0].City), a["full_region"].(string)
	}
	return m
}

// certSubject is the subject of the certificate a workflow asks for: the
// person's and, for a scenario-84 signature, its entrepreneur's OGRNIP or
// its legal entity's INN, OGRN, name (O) and the position (T), where a
// qualified certificate carries them.
func (w *workflow) certSubject() map[string]string {
	m := subjectOf(w.consumer)
	set := func(k string, v jstr) {
		if v := strings.TrimSpace(string(v)); v != "" {
			m[k] = v
		}
	}
	if e := w.entrepreneur; e != nil {
		set("OGRNIP", e.OGRNIP)
	}
	if le := w.legalEntity; le != nil {
		set("INNLE", le.INN)
		set("OGRN", le.OGRN)
		set("O", le.Name)
		set("T", le.Position)
	}
	return m
}

// pkixName turns a subject map into a distinguished name.
func pkixName(m map[string]string) pkix.Name {
	n := pkix.Name{Country: []string{m["C"]}, CommonName: m["CN"]}
	if m["L"] != "" {
		n.Locality = []string{m["L"]}
	}
	if m["S"] != "" {
		n.Province = []string{m["S"]}
	}
	if m["O"] != "" {
		n.Organization = []string{m["O"]}
	}
	n.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidSN, Value: m["SN"]}, {Type: oidGN, Value: m["G"]},
		{Type: oidINN, Value: m["INN"]}, {Type: oidSNILS, Value: m["SNILS"]}}
	for _, h := range holderOIDs {
		if v := m[h.key]; v != "" {
			n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{Type: h.oid, Value: v})
		}
	}
	return n
}

// request simulates the app: a fresh ECDSA P-256 key of the person and its
// PKCS#10 request with subject subj. The key is returned so that the app
// can keep the signing (КЭП) key; the TLS key is dropped.
func (ca *testCA) request(id int64, typ string, subj map[string]string) (*certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkixName(subj)}, key)
	if err != nil {
		return nil, nil, err
	}
	return &certificate{id: id, typ: typ, state: CertRequestCreated, csr: csr, subject: subj}, key, nil
}

// issue signs cert's request.
func (ca *testCA) issue(cert *certificate, now time.Time) error {
	req, err := x509.ParseCertificateRequest(cert.csr)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	validity, usage, ext := AuthValidity, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyAgreement, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if cert.typ == CertSign {
		validity, usage, ext = SignValidity, x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
	}
	tmpl := &x509.Certificate{SerialNumber: serial, RawSubject: req.RawSubject, NotBefore: now.Truncate(time.Second),
		NotAfter: now.Add(validity).Truncate(time.Second), KeyUsage: usage, ExtKeyUsage: ext, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, req.PublicKey, ca.key)
	if err != nil {
		return err
	}
	cert.setIssued(der, tmpl.NotAfter, fmt.Sprintf("%X", serial), caIssuer)
	return nil
}

// setIssued records an issued certificate.
func (c *certificate) setIssued(der []byte, notAfter time.Time, serial string, issuer map[string]string) {
	c.der, c.notAfter, c.serial, c.issuer, c.state = der, notAfter, serial, issuer, CertIssued
}

// issuerOf reads the issuer map of a certificate the partner uploaded.
func issuerOf(x *x509.Certificate) map[string]string {
	m := map[string]string{"CN": x.Issuer.CommonName}
	if len(x.Issuer.Country) > 0 {
		m["C"] = x.Issuer.Country[0]
	}
	if len(x.Issuer.Organization) > 0 {
		m["O"] = x.Issuer.Organization[0]
	}
	return m
}
