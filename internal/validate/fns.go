package validate

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// Limits of a signing request's documents (L299–300, L757–758).
const (
	MaxFNSDocuments = 50  // documents: at most 50 elements
	MaxFNSTitleLen  = 250 // documents.title: at most 250 characters (code points)
)

// SanitizeFNSTitle replaces by "_" every character the FNS replaces in a
// document title (L300, L758): anything but ".", "(", ")", "-", "_", letters,
// digits and white space. The document's class is [^\.\(\)\w\s-] with a
// Unicode \w (the server keeps Cyrillic names), so letters and digits are
// Unicode ones, not Go's ASCII \w. An invalid UTF-8 byte becomes "_" too.
func SanitizeFNSTitle(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if keptInFNSTitle(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func keptInFNSTitle(r rune) bool {
	switch r {
	case '.', '(', ')', '-', '_':
		return true
	case utf8.RuneError:
		return false
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsSpace(r)
}

// FNSTitle checks a document title (file name with extension, L300): not
// blank and at most MaxFNSTitleLen characters. Sanitizing keeps the count
// (one character for one), so the limit holds before and after it.
func FNSTitle(s string) error {
	if strings.TrimSpace(s) == "" {
		return fail("document title", ErrEmpty, "")
	}
	if utf8.RuneCountInString(s) > MaxFNSTitleLen {
		return fail("document title", ErrLength, "want at most "+strconv.Itoa(MaxFNSTitleLen)+" characters")
	}
	return nil
}

// UUID checks the canonical textual form of a UUID, 8-4-4-4-12 hexadecimal
// digits (either case), as external_id must be (L233, L755).
func UUID(s string) error {
	if s == "" {
		return fail("UUID", ErrEmpty, "")
	}
	if len(s) != 36 {
		return fail("UUID", ErrLength, "want 36 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return fail("UUID", ErrFormat, "want 8-4-4-4-12 hexadecimal digits")
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return fail("UUID", ErrFormat, "want 8-4-4-4-12 hexadecimal digits")
			}
		}
	}
	return nil
}

// Base64 checks standard, padded base64 (RFC 4648 §4), as a document's path
// (content) is sent (L301); an empty string is refused.
func Base64(s string) error {
	if s == "" {
		return fail("base64", ErrEmpty, "")
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
		return fail("base64", ErrFormat, "want standard padded base64")
	}
	return nil
}
