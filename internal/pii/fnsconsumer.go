package pii

import (
	"fmt"
	"strconv"
	"strings"

	"idflow/internal/validate"
)

// The personal part of an FNS «Мобильная подпись» registration request
// (scenario 80, POST /api/rb/workflow), in the document's JSON shape. Line
// numbers ("L243") refer to /work/shared/providers/fns-mobile-signature-api.ru.txt
// (v2.23), parameter table L235–287, example L333–380.
//
// In the request, consumer, entrepreneur and legal_entity are siblings of
// scenario, callback and external_id; FNSRegistration holds the three, so a
// client's request type can embed it next to its own fields. Every
// "numeric" (числовой) field is a string, as in every example: leading
// zeros matter ("001001", "02").

// Address types (L249, L276) and the identity document type (L261), the only
// values the document lists.
const (
	FNSAddressPermanent         = "permanent"
	FNSAddressLegal             = "legal"
	FNSIdentityInternalPassport = "internal-passport"
)

// FNSRegistration is the personal data of a registration request: the
// consumer and at most one of an entrepreneur and a legal entity (L267–287;
// the example marks them as alternatives; neither is a natural person only).
type FNSRegistration struct {
	Consumer     FNSConsumer      `json:"consumer"`
	Entrepreneur *FNSEntrepreneur `json:"entrepreneur,omitempty"`
	LegalEntity  *FNSLegalEntity  `json:"legal_entity,omitempty"`
}

// FNSConsumer is the natural person being registered (consumer, L238–266).
type FNSConsumer struct {
	Citizenship string        `json:"citizenship,omitempty"` // ОКСМ alpha-3; required for a foreign citizen
	LastName    string        `json:"last_name"`
	FirstName   string        `json:"first_name"`
	MiddleName  string        `json:"middle_name"`
	Gender      string        `json:"gender"`  // validate.GenderMaleFNS (Cyrillic М) or validate.GenderFemaleFNS
	Birthed     string        `json:"birthed"` // YYYY-MM-DD
	SNILS       string        `json:"snils"`   // 11 digits
	INN         string        `json:"inn"`     // 12 digits
	Phone       string        `json:"phone"`   // 7 and 10 digits
	Addresses   []FNSAddress  `json:"addresses"`
	Identities  []FNSIdentity `json:"identities"`
}

// FNSAddress is one element of consumer.addresses (type permanent, L249–258)
// or legal_entity.addresses (type legal, apartment = office, L276–286).
type FNSAddress struct {
	Type      string `json:"type"`
	Index     string `json:"index,omitempty"` // postcode, 6 digits
	Region    string `json:"region"`          // region digit code, "18"
	District  string `json:"district,omitempty"`
	City      string `json:"city"`
	Street    string `json:"street,omitempty"`
	House     string `json:"house,omitempty"`
	Housing   string `json:"housing,omitempty"`  // корпус
	Building  string `json:"building,omitempty"` // строение
	Apartment string `json:"apartment,omitempty"`
}

// FNSIdentity is one element of consumer.identities (L260–266).
type FNSIdentity struct {
	Type      string `json:"type"`
	Series    string `json:"series"`
	Number    string `json:"number"`
	IssueCode string `json:"issue_code"` // NNN-NNN
	IssuedBy  string `json:"issued_by"`
	Issued    string `json:"issued"` // YYYY-MM-DD
}

// FNSEntrepreneur is the entrepreneur block, required when the client is an
// individual entrepreneur (L267–268).
type FNSEntrepreneur struct {
	OGRNIP string `json:"ogrnip"`
}

// FNSLegalEntity is the legal_entity block, required when the client
// represents a legal entity (L269–286).
type FNSLegalEntity struct {
	Name      string       `json:"name"`
	OGRN      string       `json:"ogrn"`
	INN       string       `json:"inn"` // 10 digits
	KPP       string       `json:"kpp"`
	Division  string       `json:"division,omitempty"`
	Position  string       `json:"position"`
	Addresses []FNSAddress `json:"addresses"`
}

// String, GoString and Format print the type's name only (see the package doc).
func (FNSRegistration) String() string             { return redacted("FNSRegistration") }
func (FNSRegistration) GoString() string           { return redacted("FNSRegistration") }
func (FNSRegistration) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSRegistration") }

func (FNSConsumer) String() string             { return redacted("FNSConsumer") }
func (FNSConsumer) GoString() string           { return redacted("FNSConsumer") }
func (FNSConsumer) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSConsumer") }

func (FNSAddress) String() string             { return redacted("FNSAddress") }
func (FNSAddress) GoString() string           { return redacted("FNSAddress") }
func (FNSAddress) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSAddress") }

func (FNSIdentity) String() string             { return redacted("FNSIdentity") }
func (FNSIdentity) GoString() string           { return redacted("FNSIdentity") }
func (FNSIdentity) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSIdentity") }

func (FNSEntrepreneur) String() string             { return redacted("FNSEntrepreneur") }
func (FNSEntrepreneur) GoString() string           { return redacted("FNSEntrepreneur") }
func (FNSEntrepreneur) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSEntrepreneur") }

func (FNSLegalEntity) String() string             { return redacted("FNSLegalEntity") }
func (FNSLegalEntity) GoString() string           { return redacted("FNSLegalEntity") }
func (FNSLegalEntity) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSLegalEntity") }

var (
	_ fmt.Formatter = FNSRegistration{}
	_ fmt.Formatter = FNSConsumer{}
	_ fmt.Formatter = FNSAddress{}
	_ fmt.Formatter = FNSIdentity{}
	_ fmt.Formatter = FNSEntrepreneur{}
	_ fmt.Formatter = FNSLegalEntity{}
)

// Normalized returns a copy with every block normalized; r is not changed.
func (r FNSRegistration) Normalized() FNSRegistration {
	r.Consumer = r.Consumer.Normalized()
	if r.Entrepreneur != nil {
		e := r.Entrepreneur.Normalized()
		r.Entrepreneur = &e
	}
	if r.LegalEntity != nil {
		le := r.LegalEntity.Normalized()
		r.LegalEntity = &le
	}
	return r
}

// Normalized returns a copy (slices included) with every field trimmed, the
// citizenship upper-cased, the gender's look-alikes mapped to М or F, SNILS
// separators removed, the phone written 7 and 10 digits (no plus) from
// common spellings, and the addresses and identities normalized.
func (c FNSConsumer) Normalized() FNSConsumer {
	c.Citizenship = strings.ToUpper(strings.TrimSpace(c.Citizenship))
	c.LastName = strings.TrimSpace(c.LastName)
	c.FirstName = strings.TrimSpace(c.FirstName)
	c.MiddleName = strings.TrimSpace(c.MiddleName)
	c.Gender = validate.NormalizeGenderFNS(c.Gender)
	c.Birthed = strings.TrimSpace(c.Birthed)
	c.SNILS = validate.NormalizeSNILS(strings.TrimSpace(c.SNILS))
	c.INN = strings.TrimSpace(c.INN)
	c.Phone = validate.NormalizePhoneFNS(c.Phone)
	c.Addresses = normalizedAddresses(c.Addresses)
	if c.Identities != nil {
		ids := make([]FNSIdentity, len(c.Identities))
		for i, id := range c.Identities {
			ids[i] = id.Normalized()
		}
		c.Identities = ids
	}
	return c
}

func normalizedAddresses(in []FNSAddress) []FNSAddress {
	if in == nil {
		return nil
	}
	out := make([]FNSAddress, len(in))
	for i, a := range in {
		out[i] = a.Normalized()
	}
	return out
}

// Normalized trims every field and lower-cases the type.
func (a FNSAddress) Normalized() FNSAddress {
	a.Type = strings.ToLower(strings.TrimSpace(a.Type))
	a.Index = strings.TrimSpace(a.Index)
	a.Region = strings.TrimSpace(a.Region)
	a.District = strings.TrimSpace(a.District)
	a.City = strings.TrimSpace(a.City)
	a.Street = strings.TrimSpace(a.Street)
	a.House = strings.TrimSpace(a.House)
	a.Housing = strings.TrimSpace(a.Housing)
	a.Building = strings.TrimSpace(a.Building)
	a.Apartment = strings.TrimSpace(a.Apartment)
	return a
}

// Normalized trims every field, lower-cases the type, removes spaces from
// the series ("12 34") and writes the issue code NNN-NNN.
func (id FNSIdentity) Normalized() FNSIdentity {
	id.Type = strings.ToLower(strings.TrimSpace(id.Type))
	id.Series = strings.ReplaceAll(strings.TrimSpace(id.Series), " ", "")
	id.Number = strings.TrimSpace(id.Number)
	id.IssueCode = validate.NormalizeIssueCode(id.IssueCode)
	id.IssuedBy = strings.TrimSpace(id.IssuedBy)
	id.Issued = strings.TrimSpace(id.Issued)
	return id
}

// Normalized trims the OGRNIP.
func (e FNSEntrepreneur) Normalized() FNSEntrepreneur {
	e.OGRNIP = strings.TrimSpace(e.OGRNIP)
	return e
}

// Normalized trims every field, upper-cases the KPP (its letters are capital
// Latin) and normalizes the addresses.
func (le FNSLegalEntity) Normalized() FNSLegalEntity {
	le.Name = strings.TrimSpace(le.Name)
	le.OGRN = strings.TrimSpace(le.OGRN)
	le.INN = strings.TrimSpace(le.INN)
	le.KPP = strings.ToUpper(strings.TrimSpace(le.KPP))
	le.Division = strings.TrimSpace(le.Division)
	le.Position = strings.TrimSpace(le.Position)
	le.Addresses = normalizedAddresses(le.Addresses)
	return le
}

// fnsJoin returns prefix.field, or field alone when prefix is empty.
func fnsJoin(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// fnsIndex returns path[i].
func fnsIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// fnsRequired adds "required" for every empty (or blank) field.
func fnsRequired(errs *validate.FieldErrors, prefix string, fields ...[2]string) {
	for _, f := range fields {
		if strings.TrimSpace(f[1]) == "" {
			errs.Add(fnsJoin(prefix, f[0]), "required")
		}
	}
}

// fnsCheck adds "required" for an empty value and err's message otherwise.
func fnsCheck(errs *validate.FieldErrors, path, value string, err error) {
	if value == "" {
		errs.Add(path, "required")
		return
	}
	errs.Check(path, err)
}

// Validate reports every problem of the request's personal data at once,
// each under its JSON path below prefix ("" gives consumer.addresses[0].city,
// entrepreneur.ogrnip, legal_entity.kpp). It returns nil or a
// validate.FieldErrors whose messages never hold a value. Validate checks
// the wire form: call Normalized first to accept common spellings.
func (r FNSRegistration) Validate(prefix string) error {
	var errs validate.FieldErrors
	errs.Merge(r.Consumer.Validate(fnsJoin(prefix, "consumer")))
	if r.Entrepreneur != nil {
		errs.Merge(r.Entrepreneur.Validate(fnsJoin(prefix, "entrepreneur")))
	}
	if r.LegalEntity != nil {
		if r.Entrepreneur != nil {
			errs.Add(fnsJoin(prefix, "legal_entity"), "not allowed together with entrepreneur: at most one of them")
		}
		errs.Merge(r.LegalEntity.Validate(fnsJoin(prefix, "legal_entity")))
	}
	return errs.Err()
}

// Validate reports every problem of the consumer block at once, each under
// its JSON path below prefix (e.g. "consumer"); see FNSRegistration.Validate.
func (c FNSConsumer) Validate(prefix string) error {
	var errs validate.FieldErrors
	path := func(field string) string { return fnsJoin(prefix, field) }
	if c.Citizenship != "" { // required for a foreign citizen only (L239): not decidable here
		fnsCheck(&errs, path("citizenship"), c.Citizenship, validate.CountryAlpha3(c.Citizenship))
	}
	fnsRequired(&errs, prefix, [2]string{"last_name", c.LastName}, [2]string{"first_name", c.FirstName},
		[2]string{"middle_name", c.MiddleName})
	fnsCheck(&errs, path("gender"), c.Gender, validate.GenderFNS(c.Gender))
	fnsCheck(&errs, path("birthed"), c.Birthed, validate.Date(c.Birthed))
	if c.SNILS != "" && validate.NormalizeSNILS(c.SNILS) != c.SNILS {
		errs.Add(path("snils"), "invalid format: want 11 digits without separators")
	} else {
		fnsCheck(&errs, path("snils"), c.SNILS, validate.SNILS(c.SNILS))
	}
	fnsCheck(&errs, path("inn"), c.INN, validate.PersonINN(c.INN))
	fnsCheck(&errs, path("phone"), c.Phone, validate.PhoneFNS(c.Phone))
	fnsValidateAddresses(&errs, path("addresses"), c.Addresses, FNSAddressPermanent)
	if len(c.Identities) == 0 {
		errs.Add(path("identities"), "required: at least one identity document")
	}
	for i, id := range c.Identities {
		errs.Merge(id.Validate(fnsIndex(path("identities"), i)))
		// Two valid yyyy-mm-dd dates compare as strings (inferred: the
		// document has no cross-field rule, but no passport predates its holder).
		if validate.Date(id.Issued) == nil && validate.Date(c.Birthed) == nil && id.Issued < c.Birthed {
			errs.Add(fnsJoin(fnsIndex(path("identities"), i), "issued"), "before "+path("birthed"))
		}
	}
	return errs.Err()
}

func fnsValidateAddresses(errs *validate.FieldErrors, path string, addresses []FNSAddress, wantType string) {
	if len(addresses) == 0 {
		errs.Add(path, "required: at least one address")
	}
	for i, a := range addresses {
		errs.Merge(a.validate(fnsIndex(path, i), wantType))
	}
}

// validate checks an address whose type must be wantType: region and city
// required, index 6 digits when given.
func (a FNSAddress) validate(prefix, wantType string) error {
	var errs validate.FieldErrors
	switch a.Type {
	case wantType:
	case "":
		errs.Add(fnsJoin(prefix, "type"), "required")
	default:
		errs.Add(fnsJoin(prefix, "type"), "want "+strconv.Quote(wantType))
	}
	if a.Index != "" {
		fnsCheck(&errs, fnsJoin(prefix, "index"), a.Index, validate.PostalIndex(a.Index))
	}
	fnsCheck(&errs, fnsJoin(prefix, "region"), a.Region, validate.RegionCode(a.Region))
	fnsRequired(&errs, prefix, [2]string{"city", a.City})
	return errs.Err()
}

// Validate checks one identity document below prefix (e.g.
// "consumer.identities[0]"): the type internal-passport, its 4-digit series,
// 6-digit number, NNN-NNN issue code, issuer and date of issue.
func (id FNSIdentity) Validate(prefix string) error {
	var errs validate.FieldErrors
	switch id.Type {
	case FNSIdentityInternalPassport:
	case "":
		errs.Add(fnsJoin(prefix, "type"), "required")
	default:
		errs.Add(fnsJoin(prefix, "type"), "want "+strconv.Quote(FNSIdentityInternalPassport))
	}
	fnsCheck(&errs, fnsJoin(prefix, "series"), id.Series, validate.PassportSeries(id.Series))
	fnsCheck(&errs, fnsJoin(prefix, "number"), id.Number, validate.PassportNumber(id.Number))
	fnsCheck(&errs, fnsJoin(prefix, "issue_code"), id.IssueCode, validate.IssueCode(id.IssueCode))
	fnsRequired(&errs, prefix, [2]string{"issued_by", id.IssuedBy})
	fnsCheck(&errs, fnsJoin(prefix, "issued"), id.Issued, validate.Date(id.Issued))
	return errs.Err()
}

// Validate checks the entrepreneur block below prefix (e.g. "entrepreneur").
func (e FNSEntrepreneur) Validate(prefix string) error {
	var errs validate.FieldErrors
	fnsCheck(&errs, fnsJoin(prefix, "ogrnip"), e.OGRNIP, validate.OGRNIP(e.OGRNIP))
	return errs.Err()
}

// Validate checks the legal_entity block below prefix (e.g. "legal_entity"):
// name, OGRN, 10-digit INN, KPP, position and legal addresses required,
// division optional.
func (le FNSLegalEntity) Validate(prefix string) error {
	var errs validate.FieldErrors
	fnsRequired(&errs, prefix, [2]string{"name", le.Name})
	fnsCheck(&errs, fnsJoin(prefix, "ogrn"), le.OGRN, validate.OGRN(le.OGRN))
	fnsCheck(&errs, fnsJoin(prefix, "inn"), le.INN, validate.LegalINN(le.INN))
	fnsCheck(&errs, fnsJoin(prefix, "kpp"), le.KPP, validate.KPP(le.KPP))
	fnsRequired(&errs, prefix, [2]string{"position", le.Position})
	fnsValidateAddresses(&errs, fnsJoin(prefix, "addresses"), le.Addresses, FNSAddressLegal)
	return errs.Err()
}

// FNSSigner names a signer by INN and phone, for the simplified signing
// (POST /api/rb/workflow/fns): FNS sends the documents to the person's
// latest app activation holding the needed certificate.
type FNSSigner struct {
	INN   string `json:"inn"`   // the person's (12 digits) or, for an entrepreneur, its INN
	Phone string `json:"phone"` // 7 and 10 digits, as FNS wants it
}

func (FNSSigner) String() string             { return redacted("FNSSigner") }
func (FNSSigner) GoString() string           { return redacted("FNSSigner") }
func (FNSSigner) Format(f fmt.State, _ rune) { writeRedacted(f, "FNSSigner") }

// Normalized returns the signer with the phone as FNS wants it.
func (s FNSSigner) Normalized() FNSSigner {
	return FNSSigner{INN: strings.TrimSpace(s.INN), Phone: validate.NormalizePhoneFNS(s.Phone)}
}

// Validate reports a bad INN or phone under prefix.
func (s FNSSigner) Validate(prefix string) error {
	var errs validate.FieldErrors
	errs.Check(prefix+"inn", validate.PersonINN(s.INN))
	errs.Check(prefix+"phone", validate.PhoneFNS(s.Phone))
	return errs.Err()
}
