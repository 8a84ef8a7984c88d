package validate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SMS code lengths accepted by SMSCode, inclusive; the Mandarin sandbox uses 6 digits.
const (
	SMSCodeMinLen = 4
	SMSCodeMaxLen = 8
)

// snilsUncheckedMax is the largest SNILS body (first nine digits, 001-001-998) exempt from the checksum.
const snilsUncheckedMax = 1001998

var (
	inn10Weights  = []int{2, 4, 10, 3, 5, 9, 4, 6, 8}
	inn11Weights  = []int{7, 2, 4, 10, 3, 5, 9, 4, 6, 8}
	inn12Weights  = []int{3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8}
	snilsReplacer = strings.NewReplacer("-", "", " ", "")
)

// isDigits reports whether s is non-empty and made of ASCII digits only.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkDigits rejects an empty s or one with anything but ASCII digits.
func checkDigits(doc, s string) error {
	if s == "" {
		return fail(doc, ErrEmpty, "")
	}
	if !isDigits(s) {
		return fail(doc, ErrFormat, "only digits are allowed")
	}
	return nil
}

// digitsOf checks that s is exactly n ASCII digits.
func digitsOf(doc, s string, n int) error {
	if err := checkDigits(doc, s); err != nil {
		return err
	}
	if len(s) != n {
		return fail(doc, ErrLength, "want "+strconv.Itoa(n)+" digits")
	}
	return nil
}

// digit returns the value of the i-th digit of s.
func digit(s string, i int) int { return int(s[i] - '0') }

// weighted returns Σ digit_i × w_i over the first len(w) digits of s.
func weighted(s string, w []int) int {
	sum := 0
	for i, k := range w {
		sum += digit(s, i) * k
	}
	return sum
}

// modDigits returns the number written with the decimal digits s, modulo m.
func modDigits(s string, m int) int {
	r := 0
	for i := 0; i < len(s); i++ {
		r = (r*10 + digit(s, i)) % m
	}
	return r
}

// NormalizeSNILS removes the "-" and " " separators; other characters are kept for SNILS to reject.
func NormalizeSNILS(s string) string {
	return snilsReplacer.Replace(s)
}

// SNILS checks an 11-digit SNILS, separators "-" and " " allowed, including its checksum.
func SNILS(s string) error {
	d := NormalizeSNILS(s)
	if err := digitsOf("SNILS", d, 11); err != nil {
		return err
	}
	if body, _ := strconv.Atoi(d[:9]); body <= snilsUncheckedMax {
		return nil
	}
	if snilsCheck(d) != modDigits(d[9:], 100) {
		return fail("SNILS", ErrChecksum, "")
	}
	return nil
}

// snilsCheck computes the two control digits of an 11-digit SNILS.
func snilsCheck(d string) int {
	s := 0
	for i := 0; i < 9; i++ {
		s += digit(d, i) * (9 - i)
	}
	if s < 100 {
		return s
	}
	return s % 101 % 100
}

// CompleteSNILS appends the two control digits to the first nine digits of
// a SNILS (above 001-001-998, where they are checked): for test data.
func CompleteSNILS(body string) (string, error) {
	if err := digitsOf("SNILS", body, 9); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%02d", body, snilsCheck(body+"00")), nil
}

// CompletePersonINN appends the two control digits to the first ten digits
// of an individual's INN: for test data.
func CompletePersonINN(body string) (string, error) {
	if err := digitsOf("INN", body, 10); err != nil {
		return "", err
	}
	s := body + strconv.Itoa(weighted(body, inn11Weights)%11%10)
	return s + strconv.Itoa(weighted(s, inn12Weights)%11%10), nil
}

// INN checks a 10-digit (legal entity) or 12-digit (individual) INN with its checksums.
func INN(s string) error {
	if err := checkDigits("INN", s); err != nil {
		return err
	}
	switch len(s) {
	case 10:
		return innCheck(s, inn10Weights)
	case 12:
		return personINN(s)
	}
	return fail("INN", ErrLength, "want 10 or 12 digits")
}

// PersonINN checks a 12-digit INN of an individual with its checksums.
func PersonINN(s string) error {
	if err := digitsOf("INN", s, 12); err != nil {
		return err
	}
	return personINN(s)
}

// personINN checks both control digits of a 12-digit string of digits.
func personINN(s string) error {
	if err := innCheck(s, inn11Weights); err != nil {
		return err
	}
	return innCheck(s, inn12Weights)
}

// innCheck checks the digit that follows the weighted prefix of s.
func innCheck(s string, w []int) error {
	if weighted(s, w)%11%10 != digit(s, len(w)) {
		return fail("INN", ErrChecksum, "")
	}
	return nil
}

// OGRN checks a 13-digit primary state registration number of a legal entity.
func OGRN(s string) error {
	return ogrnCheck("OGRN", s, 13, 11)
}

// OGRNIP checks a 15-digit primary state registration number of a sole proprietor.
func OGRNIP(s string) error {
	return ogrnCheck("OGRNIP", s, 15, 13)
}

// ogrnCheck checks n digits whose last one is (the number formed by the rest mod m) mod 10.
func ogrnCheck(doc, s string, n, m int) error {
	if err := digitsOf(doc, s, n); err != nil {
		return err
	}
	if modDigits(s[:n-1], m)%10 != digit(s, n-1) {
		return fail(doc, ErrChecksum, "")
	}
	return nil
}

// PassportRU checks a Russian internal passport: a 4-digit series and a 6-digit number.
func PassportRU(series, number string) error {
	if err := digitsOf("passport series", series, 4); err != nil {
		return err
	}
	return digitsOf("passport number", number, 6)
}

// ParsePassport splits "1234-567890", "1234 567890" or "1234567890" into series and number.
func ParsePassport(s string) (series, number string, err error) {
	if len(s) == 11 && (s[4] == '-' || s[4] == ' ') {
		s = s[:4] + s[5:]
	}
	if err := digitsOf("passport", s, 10); err != nil {
		return "", "", err
	}
	return s[:4], s[4:], nil
}

// PhoneMandarin checks a phone in the Mandarin format: "+7" and 10 digits.
func PhoneMandarin(s string) error {
	if s == "" {
		return fail("phone", ErrEmpty, "")
	}
	if len(s) != 12 || !strings.HasPrefix(s, "+7") || !isDigits(s[2:]) {
		return fail("phone", ErrFormat, "want +7 and 10 digits")
	}
	return nil
}

// PhoneFNS checks a phone in the FNS format: "7" and 10 digits, no plus sign.
func PhoneFNS(s string) error {
	if s == "" {
		return fail("phone", ErrEmpty, "")
	}
	if len(s) != 11 || s[0] != '7' || !isDigits(s) {
		return fail("phone", ErrFormat, "want 7 and 10 digits")
	}
	return nil
}

// smsCodeDetail explains the accepted SMS code lengths.
var smsCodeDetail = "want " + strconv.Itoa(SMSCodeMinLen) + " to " + strconv.Itoa(SMSCodeMaxLen) + " digits"

// SMSCode checks a code of SMSCodeMinLen to SMSCodeMaxLen ASCII digits.
func SMSCode(s string) error {
	if err := checkDigits("SMS code", s); err != nil {
		return err
	}
	if len(s) < SMSCodeMinLen || len(s) > SMSCodeMaxLen {
		return fail("SMS code", ErrLength, smsCodeDetail)
	}
	return nil
}

// NormalizePhone turns common spellings of a Russian mobile number into
// "+7" and 10 digits: it drops spaces, dashes, dots and parentheses, and
// reads a leading 8 or 7 (11 digits) as +7. Anything else is returned with
// only the separators dropped, for the format check to refuse.
func NormalizePhone(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) == 11 && isDigits(s) && (s[0] == '8' || s[0] == '7') {
		return "+7" + s[1:]
	}
	return s
}

// Date checks a calendar date written yyyy-mm-dd (as IDnGO takes a date of
// birth), from 1900 on.
func Date(s string) error {
	if s == "" {
		return fail("date", ErrEmpty, "")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fail("date", ErrFormat, "want a real date as yyyy-mm-dd")
	}
	if t.Year() < 1900 {
		return fail("date", ErrFormat, "before 1900")
	}
	return nil
}

// CountryAlpha3 checks an ISO 3166-1 alpha-3 country code's form: three
// capital Latin letters (RUS, not RU).
func CountryAlpha3(s string) error {
	if s == "" {
		return fail("country", ErrEmpty, "")
	}
	if len(s) != 3 || strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return fail("country", ErrFormat, "want an ISO 3166-1 alpha-3 code such as RUS")
	}
	return nil
}

// PhoneE164 checks an international phone number: "+" and 8 to 15 digits.
func PhoneE164(s string) error {
	if s == "" {
		return fail("phone", ErrEmpty, "")
	}
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || !isDigits(s[1:]) {
		return fail("phone", ErrFormat, "want + and 8 to 15 digits")
	}
	return nil
}
