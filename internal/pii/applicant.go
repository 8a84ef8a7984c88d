package pii

import (
	"fmt"
	"strings"

	"idflow/internal/validate"
)

// ApplicantInfo is what a KYC applicant declares; IDnGO compares it with the
// documents (PROBLEMATIC_APPLICANT_DATA when they differ).
type ApplicantInfo struct {
	FirstName  string `json:"firstName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	DOB        string `json:"dob,omitempty"`     // yyyy-mm-dd
	Country    string `json:"country,omitempty"` // ISO alpha-3
	Phone      string `json:"phone,omitempty"`
}

// String, GoString and Format print the type's name only (see the package doc).
func (ApplicantInfo) String() string             { return redacted("ApplicantInfo") }
func (ApplicantInfo) GoString() string           { return redacted("ApplicantInfo") }
func (ApplicantInfo) Format(f fmt.State, _ rune) { writeRedacted(f, "ApplicantInfo") }

// Normalized trims every field, upper-cases the country and writes a
// Russian mobile number as +7 and 10 digits.
func (a ApplicantInfo) Normalized() ApplicantInfo {
	a.FirstName = strings.TrimSpace(a.FirstName)
	a.LastName = strings.TrimSpace(a.LastName)
	a.MiddleName = strings.TrimSpace(a.MiddleName)
	a.DOB = strings.TrimSpace(a.DOB)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	if a.Phone != "" {
		a.Phone = validate.NormalizePhone(a.Phone)
	}
	return a
}

// Validate reports every declared field IDnGO would refuse, each under its
// path below prefix (e.g. "applicant"); every field is optional. It returns
// nil or a validate.FieldErrors.
func (a ApplicantInfo) Validate(prefix string) error {
	var errs validate.FieldErrors
	if a.DOB != "" {
		errs.Check(prefix+".dob", validate.Date(a.DOB))
	}
	if a.Country != "" {
		errs.Check(prefix+".country", validate.CountryAlpha3(a.Country))
	}
	if a.Phone != "" {
		errs.Check(prefix+".phone", validate.PhoneE164(a.Phone))
	}
	return errs.Err()
}
