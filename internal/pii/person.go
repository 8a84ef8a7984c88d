package pii

import (
	"fmt"
	"strings"

	"idflow/internal/validate"
)

// Person is what simplified identification checks: full name, a Russian
// passport, SNILS or INN (at least one), and a mobile phone.
type Person struct {
	LastName       string `json:"lastName"`
	FirstName      string `json:"firstName"`
	Patronymic     string `json:"patronymic"`
	PassportSeries string `json:"passportSeries"`
	PassportNumber string `json:"passportNumber"`
	SNILS          string `json:"snils,omitempty"`
	INN            string `json:"inn,omitempty"`
	Phone          string `json:"phone"`
}

// String, GoString and Format print the type's name only (see the package doc).
func (Person) String() string             { return redacted("Person") }
func (Person) GoString() string           { return redacted("Person") }
func (Person) Format(f fmt.State, _ rune) { writeRedacted(f, "Person") }

// Normalized trims spaces, removes SNILS separators and writes the phone as
// +7 and 10 digits when it is a Russian mobile number in a common spelling.
func (p Person) Normalized() Person {
	p.LastName = strings.TrimSpace(p.LastName)
	p.FirstName = strings.TrimSpace(p.FirstName)
	p.Patronymic = strings.TrimSpace(p.Patronymic)
	p.PassportSeries = strings.TrimSpace(p.PassportSeries)
	p.PassportNumber = strings.TrimSpace(p.PassportNumber)
	p.SNILS = validate.NormalizeSNILS(strings.TrimSpace(p.SNILS))
	p.INN = strings.TrimSpace(p.INN)
	p.Phone = validate.NormalizePhone(p.Phone)
	return p
}

// Validate reports every field that Mandarin would refuse or that would be a
// certain registry miss (checksums), each under its path below prefix
// (e.g. "person"). It returns nil or a validate.FieldErrors.
func (p Person) Validate(prefix string) error {
	var errs validate.FieldErrors
	path := func(field string) string { return prefix + "." + field }
	names := []struct{ field, value string }{
		{"lastName", p.LastName}, {"firstName", p.FirstName}, {"patronymic", p.Patronymic},
	}
	for _, n := range names {
		if n.value == "" {
			errs.Add(path(n.field), "required")
		}
	}
	errs.Check(path("passport"), validate.PassportRU(p.PassportSeries, p.PassportNumber))
	switch {
	case p.SNILS == "" && p.INN == "":
		errs.Add(path("snils"), "SNILS or INN required")
	case p.SNILS != "":
		errs.Check(path("snils"), validate.SNILS(p.SNILS))
	}
	if p.INN != "" {
		errs.Check(path("inn"), validate.PersonINN(p.INN))
	}
	errs.Check(path("phone"), validate.PhoneMandarin(p.Phone))
	return errs.Err()
}
