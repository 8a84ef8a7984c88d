// Package identity holds the personal data shared by workflows and
// activities, and its validation. It is pure (no I/O, no clock), so workflow
// code may call it.
//
// Values of these types are personal data: they never go into workflow ids,
// search attributes, logs or error texts. Validation errors name fields only.
package identity

import (
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

// String hides the person's data from accidental printing.
func (Person) String() string { return "identity.Person{REDACTED}" }

// GoString hides the person's data from %#v.
func (Person) GoString() string { return "identity.Person{REDACTED}" }

// Normalized trims spaces and removes SNILS separators.
func (p Person) Normalized() Person {
	p.LastName = strings.TrimSpace(p.LastName)
	p.FirstName = strings.TrimSpace(p.FirstName)
	p.Patronymic = strings.TrimSpace(p.Patronymic)
	p.PassportSeries = strings.TrimSpace(p.PassportSeries)
	p.PassportNumber = strings.TrimSpace(p.PassportNumber)
	p.SNILS = validate.NormalizeSNILS(strings.TrimSpace(p.SNILS))
	p.INN = strings.TrimSpace(p.INN)
	p.Phone = strings.TrimSpace(p.Phone)
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
