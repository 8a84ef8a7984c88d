package pii

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"idflow/internal/validate"
)

// fnsDocExample is the registration example of fns-mobile-signature-api.ru.txt
// (L333–380) as given, with its broken braces closed (the example ends the
// addresses and identities arrays with "}}" and writes both alternative blocks
// with comments between them): the identifiers are the document's own.
const fnsDocExample = `{
  "consumer": {
    "last_name": "Иванов",
    "first_name": "Иван",
    "middle_name": "Иванович",
    "gender": "М",
    "birthed": "1993-03-21",
    "phone": "79005863454",
    "snils": "12362931139",
    "inn": "312324014516",
    "addresses": [{"type": "permanent", "region": "18", "index": "426054", "city": "Ижевск",
      "street": "Восстания ул.", "house": "3"}],
    "identities": [{"type": "internal-passport", "series": "1234", "number": "567890",
      "issue_code": "362-391", "issued_by": "ОВД", "issued": "2015-03-12"}]
  },
  "entrepreneur": {"ogrnip": "319240000120000"},
  "legal_entity": {
    "name": "ООО Три Толстяка",
    "ogrn": "1193123017042",
    "inn": "3123456448",
    "position": "ДИРЕКТОР",
    "addresses": [{"type": "legal", "region": "78", "city": "Санкт-Петербург", "street": "Восстания ул.",
      "house": "60", "apartment": "5"}]
  }
}`

// Substitutes for what the example lacks or gets wrong: the valid OGRNIP of
// the scenario-84 example (L449) and a well-formed KPP (the document has none).
const (
	fnsValidOGRNIP = "321032700015430"
	fnsKPP         = "312301001"
)

// fnsExample returns the document's example as given, both blocks included.
func fnsExample(t *testing.T) FNSRegistration {
	t.Helper()
	var r FNSRegistration
	require.NoError(t, json.Unmarshal([]byte(fnsDocExample), &r))
	return r
}

// fnsEntrepreneur is the example's entrepreneur variant with a valid OGRNIP.
func fnsEntrepreneur(t *testing.T) FNSRegistration {
	r := fnsExample(t)
	r.LegalEntity = nil
	r.Entrepreneur.OGRNIP = fnsValidOGRNIP
	return r
}

// fnsLegal is the example's legal-entity variant with a KPP added.
func fnsLegal(t *testing.T) FNSRegistration {
	r := fnsExample(t)
	r.Entrepreneur = nil
	r.LegalEntity.KPP = fnsKPP
	return r
}

// fnsFieldErrors returns err's problems as "path: message" lines.
func fnsFieldErrors(t *testing.T, err error) []string {
	t.Helper()
	var fields validate.FieldErrors
	require.True(t, errors.As(err, &fields), "want a validate.FieldErrors, got %v", err)
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Field + ": " + f.Message
	}
	return out
}

func TestFNSValidRegistrationsPass(t *testing.T) {
	person := fnsExample(t)
	person.Entrepreneur, person.LegalEntity = nil, nil
	for name, r := range map[string]FNSRegistration{
		"natural person": person, "entrepreneur": fnsEntrepreneur(t), "legal entity": fnsLegal(t),
	} {
		assert.NoError(t, r.Validate(""), name)
		assert.NoError(t, r.Normalized().Validate(""), name)
	}
	foreign := person
	foreign.Consumer.Citizenship = "BLR"
	assert.NoError(t, foreign.Validate(""))
	female := person
	female.Consumer.Gender = "F"
	assert.NoError(t, female.Validate(""))
	// The rest of the document's valid identifiers (FNS-INVENTORY §7).
	other := fnsLegal(t)
	other.Consumer.SNILS = "16145625759"     // L2496
	other.LegalEntity.OGRN = "1027739113049" // L1839
	assert.NoError(t, other.Validate(""))
}

func TestFNSDocumentExampleFailsOnItsBadIdentifiersOnly(t *testing.T) {
	r := fnsExample(t)
	ip := r
	ip.LegalEntity = nil
	assert.Equal(t, []string{"entrepreneur.ogrnip: checksum mismatch"}, fnsFieldErrors(t, ip.Validate("")),
		"§7: of the example's identifiers only the OGRNIP fails")
	le := r
	le.Entrepreneur = nil
	assert.Equal(t, []string{"legal_entity.kpp: required"}, fnsFieldErrors(t, le.Validate("")),
		"the example omits the KPP the table requires (L273)")
	assert.Equal(t, []string{
		"entrepreneur.ogrnip: checksum mismatch",
		"legal_entity: not allowed together with entrepreneur: at most one of them",
		"legal_entity.kpp: required",
	}, fnsFieldErrors(t, r.Validate("")))
}

func TestFNSDocumentsInvalidIdentifiersFail(t *testing.T) {
	for _, snils := range []string{"16145625754", "11150027333", "11128935222", "12343833889", "15822838450"} {
		r := fnsLegal(t)
		r.Consumer.SNILS = snils
		assert.Equal(t, []string{"consumer.snils: checksum mismatch"}, fnsFieldErrors(t, r.Validate("")), snils)
	}
	for _, inn := range []string{"111300627666", "365885220301", "555119926955", "782876423612", "007743020560"} {
		r := fnsLegal(t)
		r.Consumer.INN = inn
		assert.Equal(t, []string{"consumer.inn: checksum mismatch"}, fnsFieldErrors(t, r.Validate("")), inn)
	}
	for _, inn := range []string{"7721641988", "1118022722"} {
		r := fnsLegal(t)
		r.LegalEntity.INN = inn
		assert.Equal(t, []string{"legal_entity.inn: checksum mismatch"}, fnsFieldErrors(t, r.Validate("")), inn)
	}
	for _, ogrn := range []string{"1563866968440", "1001810337172"} {
		r := fnsLegal(t)
		r.LegalEntity.OGRN = ogrn
		assert.Equal(t, []string{"legal_entity.ogrn: checksum mismatch"}, fnsFieldErrors(t, r.Validate("")), ogrn)
	}
}

func TestFNSEveryRule(t *testing.T) {
	tests := []struct {
		name   string
		legal  bool // start from the legal-entity variant, else the entrepreneur one
		mutate func(r *FNSRegistration)
		want   string
	}{
		{"citizenship alpha-2", false, func(r *FNSRegistration) { r.Consumer.Citizenship = "RU" }, "consumer.citizenship: invalid format: want an ISO 3166-1 alpha-3 code such as RUS"},
		{"last name", false, func(r *FNSRegistration) { r.Consumer.LastName = " " }, "consumer.last_name: required"},
		{"first name", false, func(r *FNSRegistration) { r.Consumer.FirstName = "" }, "consumer.first_name: required"},
		{"middle name", false, func(r *FNSRegistration) { r.Consumer.MiddleName = "" }, "consumer.middle_name: required"},
		{"gender empty", false, func(r *FNSRegistration) { r.Consumer.Gender = "" }, "consumer.gender: required"},
		{"gender Latin M", false, func(r *FNSRegistration) { r.Consumer.Gender = "M" }, "consumer.gender: invalid format: want Cyrillic М or Latin F"},
		{"gender Ж", false, func(r *FNSRegistration) { r.Consumer.Gender = "Ж" }, "consumer.gender: invalid format: want Cyrillic М or Latin F"},
		{"birthed empty", false, func(r *FNSRegistration) { r.Consumer.Birthed = "" }, "consumer.birthed: required"},
		{"birthed dotted", false, func(r *FNSRegistration) { r.Consumer.Birthed = "21.03.1993" }, "consumer.birthed: invalid format: want a real date as yyyy-mm-dd"},
		{"snils empty", false, func(r *FNSRegistration) { r.Consumer.SNILS = "" }, "consumer.snils: required"},
		{"snils separators", false, func(r *FNSRegistration) { r.Consumer.SNILS = "123-629-311 39" }, "consumer.snils: invalid format: want 11 digits without separators"},
		{"snils short", false, func(r *FNSRegistration) { r.Consumer.SNILS = "1236293113" }, "consumer.snils: wrong length: want 11 digits"},
		{"inn empty", false, func(r *FNSRegistration) { r.Consumer.INN = "" }, "consumer.inn: required"},
		{"inn legal", false, func(r *FNSRegistration) { r.Consumer.INN = "3123456448" }, "consumer.inn: wrong length: want 12 digits"},
		{"phone empty", false, func(r *FNSRegistration) { r.Consumer.Phone = "" }, "consumer.phone: required"},
		{"phone plus", false, func(r *FNSRegistration) { r.Consumer.Phone = "+79005863454" }, "consumer.phone: invalid format: want 7 and 10 digits"},
		{"phone 8", false, func(r *FNSRegistration) { r.Consumer.Phone = "89005863454" }, "consumer.phone: invalid format: want 7 and 10 digits"},
		{"no address", false, func(r *FNSRegistration) { r.Consumer.Addresses = nil }, "consumer.addresses: required: at least one address"},
		{"address type legal", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].Type = "legal" }, `consumer.addresses[0].type: want "permanent"`},
		{"address type empty", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].Type = "" }, "consumer.addresses[0].type: required"},
		{"address index", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].Index = "42605" }, "consumer.addresses[0].index: wrong length: want 6 digits"},
		{"address region empty", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].Region = "" }, "consumer.addresses[0].region: required"},
		{"address region name", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].Region = "Удмуртия" }, "consumer.addresses[0].region: invalid format: only digits are allowed"},
		{"address region 00", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].Region = "00" }, "consumer.addresses[0].region: invalid format: no region has code 00"},
		{"address city", false, func(r *FNSRegistration) { r.Consumer.Addresses[0].City = "" }, "consumer.addresses[0].city: required"},
		{"second address city", false, func(r *FNSRegistration) {
			r.Consumer.Addresses = append(r.Consumer.Addresses, FNSAddress{Type: "permanent", Region: "18"})
		}, "consumer.addresses[1].city: required"},
		{"no identity", false, func(r *FNSRegistration) { r.Consumer.Identities = []FNSIdentity{} }, "consumer.identities: required: at least one identity document"},
		{"identity type", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Type = "foreign-passport" }, `consumer.identities[0].type: want "internal-passport"`},
		{"identity type empty", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Type = "" }, "consumer.identities[0].type: required"},
		{"series empty", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Series = "" }, "consumer.identities[0].series: required"},
		{"series short", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Series = "123" }, "consumer.identities[0].series: wrong length: want 4 digits"},
		{"number empty", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Number = "" }, "consumer.identities[0].number: required"},
		{"number letters", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Number = "56789O" }, "consumer.identities[0].number: invalid format: only digits are allowed"},
		{"issue code empty", false, func(r *FNSRegistration) { r.Consumer.Identities[0].IssueCode = "" }, "consumer.identities[0].issue_code: required"},
		{"issue code no dash", false, func(r *FNSRegistration) { r.Consumer.Identities[0].IssueCode = "362391" }, "consumer.identities[0].issue_code: invalid format: want 3 digits, a dash, 3 digits"},
		{"issued by", false, func(r *FNSRegistration) { r.Consumer.Identities[0].IssuedBy = "" }, "consumer.identities[0].issued_by: required"},
		{"issued empty", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Issued = "" }, "consumer.identities[0].issued: required"},
		{"issued bad", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Issued = "2015-02-30" }, "consumer.identities[0].issued: invalid format: want a real date as yyyy-mm-dd"},
		{"issued before birth", false, func(r *FNSRegistration) { r.Consumer.Identities[0].Issued = "1993-03-20" }, "consumer.identities[0].issued: before consumer.birthed"},
		{"ogrnip empty", false, func(r *FNSRegistration) { r.Entrepreneur.OGRNIP = "" }, "entrepreneur.ogrnip: required"},
		{"ogrnip is an OGRN", false, func(r *FNSRegistration) { r.Entrepreneur.OGRNIP = "1193123017042" }, "entrepreneur.ogrnip: wrong length: want 15 digits"},
		{"both blocks", false, func(r *FNSRegistration) {
			le := fnsLegal(t).LegalEntity
			r.LegalEntity = le
		}, "legal_entity: not allowed together with entrepreneur: at most one of them"},
		{"le name", true, func(r *FNSRegistration) { r.LegalEntity.Name = "" }, "legal_entity.name: required"},
		{"le ogrn empty", true, func(r *FNSRegistration) { r.LegalEntity.OGRN = "" }, "legal_entity.ogrn: required"},
		{"le ogrn is an OGRNIP", true, func(r *FNSRegistration) { r.LegalEntity.OGRN = fnsValidOGRNIP }, "legal_entity.ogrn: wrong length: want 13 digits"},
		{"le inn empty", true, func(r *FNSRegistration) { r.LegalEntity.INN = "" }, "legal_entity.inn: required"},
		{"le inn of a person", true, func(r *FNSRegistration) { r.LegalEntity.INN = "312324014516" }, "legal_entity.inn: wrong length: want 10 digits"},
		{"le kpp format", true, func(r *FNSRegistration) { r.LegalEntity.KPP = "3123o1001" }, "legal_entity.kpp: invalid format: want 4 digits, 2 digits or capital Latin letters, 3 digits"},
		{"le kpp length", true, func(r *FNSRegistration) { r.LegalEntity.KPP = "31230100" }, "legal_entity.kpp: wrong length: want 9 characters"},
		{"le position", true, func(r *FNSRegistration) { r.LegalEntity.Position = "" }, "legal_entity.position: required"},
		{"le no address", true, func(r *FNSRegistration) { r.LegalEntity.Addresses = nil }, "legal_entity.addresses: required: at least one address"},
		{"le address permanent", true, func(r *FNSRegistration) { r.LegalEntity.Addresses[0].Type = "permanent" }, `legal_entity.addresses[0].type: want "legal"`},
		{"le address region", true, func(r *FNSRegistration) { r.LegalEntity.Addresses[0].Region = "7" }, "legal_entity.addresses[0].region: wrong length: want 2 digits"},
		{"le address city", true, func(r *FNSRegistration) { r.LegalEntity.Addresses[0].City = "" }, "legal_entity.addresses[0].city: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fnsEntrepreneur(t)
			if tt.legal {
				r = fnsLegal(t)
			}
			tt.mutate(&r)
			assert.Equal(t, []string{tt.want}, fnsFieldErrors(t, r.Validate("")))
		})
	}
}

func TestFNSOptionalFieldsMayBeEmpty(t *testing.T) {
	r := fnsLegal(t)
	r.Consumer.Citizenship = ""
	r.Consumer.Addresses[0] = FNSAddress{Type: "permanent", Region: "18", City: "Ижевск"}
	r.LegalEntity.Division = ""
	r.LegalEntity.Addresses[0] = FNSAddress{Type: "legal", Region: "78", City: "Санкт-Петербург"}
	assert.NoError(t, r.Validate(""))
}

func TestFNSValidateReportsEverythingAtOnceWithoutValues(t *testing.T) {
	r := FNSRegistration{
		Consumer: FNSConsumer{
			Citizenship: "Russia", Gender: "мужской", Birthed: "21.03.1993", SNILS: "12362931138",
			INN: "312324014517", Phone: "+79005863454",
			Addresses:  []FNSAddress{{Type: "home", Index: "4260541", Region: "Udmurtia"}},
			Identities: []FNSIdentity{{Type: "passport-rf", Series: "12345", Number: "5678901", IssueCode: "3623910", Issued: "12.03.2015"}},
		},
		Entrepreneur: &FNSEntrepreneur{OGRNIP: "319240000120001"},
		LegalEntity: &FNSLegalEntity{OGRN: "1193123017043", INN: "3123456449", KPP: "3123010019",
			Addresses: []FNSAddress{{Type: "office", Region: "780"}}},
	}
	err := r.Validate("request")
	assert.Equal(t, []string{
		"request.consumer.citizenship: invalid format: want an ISO 3166-1 alpha-3 code such as RUS",
		"request.consumer.last_name: required",
		"request.consumer.first_name: required",
		"request.consumer.middle_name: required",
		"request.consumer.gender: invalid format: want Cyrillic М or Latin F",
		"request.consumer.birthed: invalid format: want a real date as yyyy-mm-dd",
		"request.consumer.snils: checksum mismatch",
		"request.consumer.inn: checksum mismatch",
		"request.consumer.phone: invalid format: want 7 and 10 digits",
		`request.consumer.addresses[0].type: want "permanent"`,
		"request.consumer.addresses[0].index: wrong length: want 6 digits",
		"request.consumer.addresses[0].region: invalid format: only digits are allowed",
		"request.consumer.addresses[0].city: required",
		`request.consumer.identities[0].type: want "internal-passport"`,
		"request.consumer.identities[0].series: wrong length: want 4 digits",
		"request.consumer.identities[0].number: wrong length: want 6 digits",
		"request.consumer.identities[0].issue_code: invalid format: want 3 digits, a dash, 3 digits",
		"request.consumer.identities[0].issued_by: required",
		"request.consumer.identities[0].issued: invalid format: want a real date as yyyy-mm-dd",
		"request.entrepreneur.ogrnip: checksum mismatch",
		"request.legal_entity: not allowed together with entrepreneur: at most one of them",
		"request.legal_entity.name: required",
		"request.legal_entity.ogrn: checksum mismatch",
		"request.legal_entity.inn: checksum mismatch",
		"request.legal_entity.kpp: wrong length: want 9 characters",
		"request.legal_entity.position: required",
		`request.legal_entity.addresses[0].type: want "legal"`,
		"request.legal_entity.addresses[0].region: wrong length: want 2 digits",
		"request.legal_entity.addresses[0].city: required",
	}, fnsFieldErrors(t, err))
	for _, secret := range []string{"Russia", "мужской", "21.03.1993", "12362931138", "312324014517", "9005863454",
		"home", "4260541", "Udmurtia", "passport-rf", "12345", "5678901", "3623910", "12.03.2015",
		"319240000120001", "1193123017043", "3123456449", "3123010019", "office", "780"} {
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestFNSEmptyRegistration(t *testing.T) {
	var r FNSRegistration
	assert.Equal(t, []string{
		"consumer.last_name: required", "consumer.first_name: required", "consumer.middle_name: required",
		"consumer.gender: required", "consumer.birthed: required", "consumer.snils: required",
		"consumer.inn: required", "consumer.phone: required",
		"consumer.addresses: required: at least one address",
		"consumer.identities: required: at least one identity document",
	}, fnsFieldErrors(t, r.Validate("")))
	assert.Equal(t, []string{"entrepreneur.ogrnip: required"}, fnsFieldErrors(t, FNSEntrepreneur{}.Validate("entrepreneur")))
}

func TestFNSNormalized(t *testing.T) {
	r := fnsLegal(t)
	r.Consumer.LastName = " Иванов "
	r.Consumer.Gender = "M" // Latin
	r.Consumer.Citizenship = " rus "
	r.Consumer.SNILS = "123-629-311 39"
	r.Consumer.INN = " 312324014516 "
	r.Consumer.Phone = "+7 (900) 586-34-54"
	r.Consumer.Addresses[0].Type = " Permanent "
	r.Consumer.Addresses[0].City = " Ижевск\t"
	r.Consumer.Identities[0].Series = "12 34"
	r.Consumer.Identities[0].IssueCode = "362391"
	r.LegalEntity.KPP = " 7730ab001 "
	r.LegalEntity.Addresses[0].Region = " 78 "
	require.Error(t, r.Validate(""))

	n := r.Normalized()
	require.NoError(t, n.Validate(""))
	assert.Equal(t, "Иванов", n.Consumer.LastName)
	assert.Equal(t, validate.GenderMaleFNS, n.Consumer.Gender)
	assert.Equal(t, "RUS", n.Consumer.Citizenship)
	assert.Equal(t, "12362931139", n.Consumer.SNILS)
	assert.Equal(t, "312324014516", n.Consumer.INN)
	assert.Equal(t, "79005863454", n.Consumer.Phone)
	assert.Equal(t, "permanent", n.Consumer.Addresses[0].Type)
	assert.Equal(t, "Ижевск", n.Consumer.Addresses[0].City)
	assert.Equal(t, "1234", n.Consumer.Identities[0].Series)
	assert.Equal(t, "362-391", n.Consumer.Identities[0].IssueCode)
	assert.Equal(t, "7730AB001", n.LegalEntity.KPP)
	assert.Equal(t, "78", n.LegalEntity.Addresses[0].Region)

	// The original, slices and blocks included, is left as it was.
	assert.Equal(t, " Permanent ", r.Consumer.Addresses[0].Type)
	assert.Equal(t, "12 34", r.Consumer.Identities[0].Series)
	assert.Equal(t, " 7730ab001 ", r.LegalEntity.KPP)
	assert.Equal(t, " 78 ", r.LegalEntity.Addresses[0].Region)

	e := fnsEntrepreneur(t)
	e.Entrepreneur.OGRNIP = " " + fnsValidOGRNIP + " "
	assert.NoError(t, e.Normalized().Validate(""))
	assert.Equal(t, " "+fnsValidOGRNIP+" ", e.Entrepreneur.OGRNIP)

	var empty FNSRegistration
	assert.Nil(t, empty.Normalized().Consumer.Addresses)
	assert.Nil(t, empty.Normalized().Entrepreneur)
}

func TestFNSJSONShapeAndLeadingZeros(t *testing.T) {
	r := fnsLegal(t)
	r.Consumer.SNILS = "00100199965"
	r.Consumer.INN = "007743020560" // invalid as a person INN, but here only its zeros matter
	r.Consumer.Identities[0].Series = "0123"
	r.Consumer.Identities[0].Number = "001001"
	r.Consumer.Identities[0].IssueCode = "062-001"
	r.Consumer.Addresses[0].Region = "02"
	r.Consumer.Addresses[0].Index = "012345"
	r.Consumer.Phone = "70001234567"
	r.LegalEntity.KPP = "012301001"
	body, err := json.Marshal(r)
	require.NoError(t, err)
	var back FNSRegistration
	require.NoError(t, json.Unmarshal(body, &back))
	assert.Equal(t, r, back)

	var wire map[string]map[string]any
	require.NoError(t, json.Unmarshal(body, &wire))
	assert.NotContains(t, wire, "entrepreneur", "an absent block is omitted, not null")
	c := wire["consumer"]
	for _, key := range []string{"last_name", "first_name", "middle_name", "gender", "birthed", "snils", "inn",
		"phone", "addresses", "identities"} {
		assert.Contains(t, c, key)
	}
	assert.Equal(t, "00100199965", c["snils"], "numeric fields travel as strings")
	id := c["identities"].([]any)[0].(map[string]any)
	for _, key := range []string{"type", "series", "number", "issue_code", "issued_by", "issued"} {
		assert.Contains(t, id, key)
	}
	assert.Equal(t, "001001", id["number"])
	addr := c["addresses"].([]any)[0].(map[string]any)
	assert.Equal(t, "02", addr["region"])
	assert.NotContains(t, addr, "housing", "optional address fields are omitted when empty")
	le := wire["legal_entity"]
	for _, key := range []string{"name", "ogrn", "inn", "kpp", "position", "addresses"} {
		assert.Contains(t, le, key)
	}
	assert.Equal(t, "012301001", le["kpp"])
	assert.Contains(t, string(body), "Иванов", "JSON carries the data to the provider")
}

func TestFNSTypesPrintRedacted(t *testing.T) {
	r := fnsExample(t)
	r.Consumer.Citizenship = "RUS"
	secrets := []string{"Иванов", "12362931139", "312324014516", "79005863454", "Ижевск", "567890", "362-391",
		"319240000120000", "1193123017042", "3123456448", "Толстяк"}
	core, logs := observer.New(zap.DebugLevel)
	log := zap.New(core)
	wrapped := struct{ Registration FNSRegistration }{r}
	values := []any{r, &r, r.Consumer, &r.Consumer, r.Consumer.Addresses[0], r.Consumer.Addresses,
		r.Consumer.Identities[0], r.Consumer.Identities, *r.Entrepreneur, r.Entrepreneur, *r.LegalEntity,
		r.LegalEntity, wrapped}
	for _, value := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, value)
			assert.Contains(t, out, "REDACTED", verb)
			for _, s := range secrets {
				assert.NotContains(t, out, s, "%s of %T", verb, value)
			}
		}
		// zap.Any prints a fmt.Stringer with String; anything else (a slice,
		// a struct holding these types) it encodes as JSON, which keeps the values.
		if _, ok := value.(fmt.Stringer); ok {
			log.Info("value", zap.Any("value", value))
		}
	}
	require.Len(t, logs.All(), len(values)-3)
	for _, entry := range logs.All() {
		out := fmt.Sprint(entry.ContextMap())
		for _, s := range secrets {
			assert.NotContains(t, out, s)
		}
	}
	var nilEntrepreneur *FNSEntrepreneur
	assert.NotPanics(t, func() { _ = fmt.Sprintf("%v %+v", nilEntrepreneur, FNSRegistration{}) })
	assert.True(t, strings.HasPrefix(fmt.Sprint(r), "pii.FNSRegistration{REDACTED}"))
}

func TestFNSRegistrationEmbedsInARequestBody(t *testing.T) {
	type request struct {
		Scenario   int    `json:"scenario"`
		ExternalID string `json:"external_id,omitempty"`
		FNSRegistration
	}
	body, err := json.Marshal(request{Scenario: 80, FNSRegistration: fnsEntrepreneur(t)})
	require.NoError(t, err)
	var wire map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &wire))
	assert.ElementsMatch(t, []string{"scenario", "consumer", "entrepreneur"}, fnsKeys(wire))
	assert.Equal(t, "pii.FNSRegistration{REDACTED}", fmt.Sprintf("%+v", request{Scenario: 80, FNSRegistration: fnsEntrepreneur(t)}),
		"the promoted methods redact the whole body")
}

func fnsKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
