package fns

import (
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"idflow/internal/validate"
)

var (
	reDigits    = regexp.MustCompile(`^\d+$`)
	reIssueCode = regexp.MustCompile(`^\d{3}-\d{3}$`)
	reAlpha3    = regexp.MustCompile(`^[A-Z]{3}$`)
)

// errs collects field errors in the document's shape: field → [messages],
// or field → [per-item objects] for arrays of objects.
type errs map[string]any

func (e errs) add(field, msg string) {
	if l, ok := e[field].([]string); ok {
		e[field] = append(l, msg)
		return
	}
	e[field] = []string{msg}
}

// required adds «Это поле обязательно.» for an empty v and reports whether v is set.
func (e errs) required(field string, v jstr) bool {
	if strings.TrimSpace(string(v)) == "" {
		e.add(field, msgRequired)
		return false
	}
	return true
}

// date checks a required YYYY-MM-DD.
func (e errs) date(field string, v jstr) {
	if !e.required(field, v) {
		return
	}
	if _, err := time.Parse(time.DateOnly, string(v)); err != nil {
		e.add(field, msgDate)
	}
}

// digits checks an optional all-digit field of length n (0: any).
func (e errs) digits(field string, v jstr, n int) {
	if v == "" {
		return
	}
	if !reDigits.MatchString(string(v)) || (n > 0 && len(v) != n) {
		e.add(field, msgDigits)
	}
}

// items puts per-item errors under field when any item has one.
func (e errs) items(field string, list []errs) {
	out := make([]any, len(list))
	bad := false
	for i, l := range list {
		out[i] = map[string]any(l)
		if len(l) > 0 {
			bad = true
		}
	}
	if bad {
		e[field] = out
	}
}

// validatePerson checks the consumer block of a registration (§1.2.1, §4).
func validatePerson(p *person) errs {
	e := errs{}
	e.required("last_name", p.LastName)
	e.required("first_name", p.FirstName)
	e.required("middle_name", p.MiddleName)
	if e.required("gender", p.Gender) && p.Gender != "М" && p.Gender != "F" {
		e.add("gender", `Значение "`+string(p.Gender)+`" отсутствует среди допустимых вариантов.`)
	}
	e.date("birthed", p.Birthed)
	if e.required("snils", p.SNILS) && validate.SNILS(string(p.SNILS)) != nil {
		e.add("snils", msgSNILS)
	}
	if e.required("inn", p.INN) && validate.PersonINN(string(p.INN)) != nil {
		e.add("inn", msgINN)
	}
	if e.required("phone", p.Phone) && validate.PhoneFNS(string(p.Phone)) != nil {
		e.add("phone", msgPhone)
	}
	if p.Citizenship != "" && !reAlpha3.MatchString(string(p.Citizenship)) {
		e.add("citizenship", msgDigits)
	}
	if len(p.Addresses) == 0 {
		e.add("addresses", msgRequired)
	} else {
		e.items("addresses", addressErrs(p.Addresses, "permanent"))
	}
	if len(p.Identities) == 0 {
		e.add("identities", msgRequired)
	} else {
		list := make([]errs, len(p.Identities))
		for i, id := range p.Identities {
			ie := errs{}
			if ie.required("type", id.Type) && id.Type != "internal-passport" {
				ie.add("type", `Значение "`+string(id.Type)+`" отсутствует среди допустимых вариантов.`)
			}
			if ie.required("series", id.Series) {
				ie.digits("series", id.Series, 4)
			}
			if ie.required("number", id.Number) {
				ie.digits("number", id.Number, 6)
			}
			if ie.required("issue_code", id.IssueCode) && !reIssueCode.MatchString(string(id.IssueCode)) {
				ie.add("issue_code", msgDigits)
			}
			ie.required("issued_by", id.IssuedBy)
			ie.date("issued", id.Issued)
			list[i] = ie
		}
		e.items("identities", list)
	}
	return e
}

// addressErrs checks addresses of type typ.
func addressErrs(addrs []address, typ string) []errs {
	list := make([]errs, len(addrs))
	for i, a := range addrs {
		ae := errs{}
		if ae.required("type", a.Type) && string(a.Type) != typ {
			ae.add("type", `Значение "`+string(a.Type)+`" отсутствует среди допустимых вариантов.`)
		}
		ae.digits("index", a.Index, 6)
		if ae.required("region", a.Region) {
			ae.digits("region", a.Region, 0)
		}
		ae.required("city", a.City)
		list[i] = ae
	}
	return list
}

// validateEntrepreneur checks the ИП block.
func validateEntrepreneur(en *entrepreneur) errs {
	e := errs{}
	if e.required("ogrnip", en.OGRNIP) && validate.OGRNIP(string(en.OGRNIP)) != nil {
		e.add("ogrnip", msgOGRNIP)
	}
	return e
}

// validateLegalEntity checks the ЮЛ block (kpp required, as the table says).
func validateLegalEntity(le *legalEntity) errs {
	e := errs{}
	e.required("name", le.Name)
	if e.required("ogrn", le.OGRN) && validate.OGRN(string(le.OGRN)) != nil {
		e.add("ogrn", msgOGRN)
	}
	if e.required("inn", le.INN) && (len(le.INN) != 10 || validate.INN(string(le.INN)) != nil) {
		e.add("inn", msgINN)
	}
	if e.required("kpp", le.KPP) && !regexp.MustCompile(`^\d{4}[\dA-Z]{2}\d{3}$`).MatchString(string(le.KPP)) {
		e.add("kpp", msgDigits)
	}
	e.required("position", le.Position)
	if len(le.Addresses) == 0 {
		e.add("addresses", msgRequired)
	} else {
		e.items("addresses", addressErrs(le.Addresses, "legal"))
	}
	return e
}

// validUUID reports whether s is a UUID.
func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
