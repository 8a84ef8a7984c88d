package validate

import (
	"strings"
)

// Checks for the fields of an FNS «Мобильная подпись» registration request
// (scenario 80) that the older functions do not cover. Line numbers ("L243")
// refer to /work/shared/providers/fns-mobile-signature-api.ru.txt (v2.23).

// FNS gender values (L243: «М» или «F»): the М is Cyrillic (U+041C), as in
// every example of the document; the F is Latin (U+0046).
const (
	GenderMaleFNS   = "\u041c"
	GenderFemaleFNS = "F"
)

// LegalINN checks a 10-digit INN of a legal entity with its checksum
// (legal_entity.inn, L272). INN accepts both lengths; PersonINN only 12.
func LegalINN(s string) error {
	if err := digitsOf("INN", s, 10); err != nil {
		return err
	}
	return innCheck(s, inn10Weights)
}

// KPP checks a tax registration reason code (legal_entity.kpp, L273): nine
// characters, four digits (tax office), two digits or capital Latin letters
// (reason), three digits (sequence). A KPP has no check digit. The document
// only says "numeric"; the letter positions are the FNS standard format.
func KPP(s string) error {
	if s == "" {
		return fail("KPP", ErrEmpty, "")
	}
	if len(s) != 9 {
		return fail("KPP", ErrLength, "want 9 characters")
	}
	for i := 0; i < 9; i++ {
		c := s[i]
		isDigit := c >= '0' && c <= '9'
		if i == 4 || i == 5 {
			if !isDigit && (c < 'A' || c > 'Z') {
				return fail("KPP", ErrFormat, "want 4 digits, 2 digits or capital Latin letters, 3 digits")
			}
		} else if !isDigit {
			return fail("KPP", ErrFormat, "want 4 digits, 2 digits or capital Latin letters, 3 digits")
		}
	}
	return nil
}

// GenderFNS checks consumer.gender: exactly GenderMaleFNS (Cyrillic М) or
// GenderFemaleFNS (Latin F), L243. A Latin M is refused here; see
// NormalizeGenderFNS.
func GenderFNS(s string) error {
	switch s {
	case GenderMaleFNS, GenderFemaleFNS:
		return nil
	case "":
		return fail("gender", ErrEmpty, "")
	}
	return fail("gender", ErrFormat, "want Cyrillic М or Latin F")
}

// NormalizeGenderFNS trims s and maps the look-alike spellings of the two
// letters the FNS takes onto them: Latin M, m and Cyrillic м become the
// Cyrillic М, f becomes F. Anything else (Ж, Cyrillic Ф, words) is returned
// trimmed for GenderFNS to refuse: guessing a meaning is not normalizing.
func NormalizeGenderFNS(s string) string {
	s = strings.TrimSpace(s)
	switch s {
	case "M", "m", "\u043c":
		return GenderMaleFNS
	case "f":
		return GenderFemaleFNS
	}
	return s
}

// NormalizePhoneFNS writes a Russian mobile number in a common spelling
// (+7 900 123-45-67, 8 (900) 123 45 67, 79001234567) as the FNS wants it:
// 7 and 10 digits, no plus (L247). Anything else is returned with only the
// separators dropped, for PhoneFNS to refuse.
func NormalizePhoneFNS(s string) string {
	s = NormalizePhone(s)
	if len(s) == 12 && strings.HasPrefix(s, "+7") && isDigits(s[2:]) {
		return s[1:]
	}
	return s
}

// PassportSeries checks the 4-digit series of a Russian internal passport.
func PassportSeries(s string) error { return digitsOf("passport series", s, 4) }

// PassportNumber checks the 6-digit number of a Russian internal passport.
func PassportNumber(s string) error { return digitsOf("passport number", s, 6) }

// IssueCode checks a passport's issuing-unit code (код подразделения,
// identities.issue_code, L264) written NNN-NNN as in the document's
// examples ("362-391"); NormalizeIssueCode adds the dash.
func IssueCode(s string) error {
	if s == "" {
		return fail("issue code", ErrEmpty, "")
	}
	if len(s) != 7 || s[3] != '-' || !isDigits(s[:3]) || !isDigits(s[4:]) {
		return fail("issue code", ErrFormat, "want 3 digits, a dash, 3 digits")
	}
	return nil
}

// NormalizeIssueCode trims s and writes six digits, or two groups of three
// separated by a space, as NNN-NNN; anything else is returned trimmed.
func NormalizeIssueCode(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case len(s) == 6 && isDigits(s):
		return s[:3] + "-" + s[3:]
	case len(s) == 7 && s[3] == ' ' && isDigits(s[:3]) && isDigits(s[4:]):
		return s[:3] + "-" + s[4:]
	}
	return s
}

// PostalIndex checks a Russian postcode (addresses.index, L250): 6 digits.
func PostalIndex(s string) error { return digitsOf("postal index", s, 6) }

// RegionCode checks a region's digit code (addresses.region, L252, "цифровой
// код региона"): two digits, 01 to 99, as in every example ("18", "78").
func RegionCode(s string) error {
	if err := digitsOf("region", s, 2); err != nil {
		return err
	}
	if s == "00" {
		return fail("region", ErrFormat, "no region has code 00")
	}
	return nil
}
