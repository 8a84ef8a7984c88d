package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Valid examples from /work/shared/providers/NOTES.md.
const (
	validINN10  = "7830002293"
	validINN12  = "500100732259"
	validSNILS  = "11223344595"
	validOGRN   = "1027700220624"
	validOGRNIP = "304500116000157"
)

func TestValidExamples(t *testing.T) {
	for name, err := range map[string]error{
		"INN10":           INN(validINN10),
		"INN12":           INN(validINN12),
		"PersonINN":       PersonINN(validINN12),
		"contract INN":    PersonINN("501716749325"),
		"SNILS":           SNILS(validSNILS),
		"SNILS formatted": SNILS("112-233-445 95"),
		"SNILS dashed":    SNILS("112-233-445-95"),
		"SNILS low":       SNILS("001-001-998 00"),
		"OGRN":            OGRN(validOGRN),
		"OGRNIP":          OGRNIP(validOGRNIP),
		"passport":        PassportRU("1111", "111111"),
		"Mandarin phone":  PhoneMandarin("+79001234567"),
		"FNS phone":       PhoneFNS("79001234567"),
		"SMS code 4":      SMSCode("0000"),
		"SMS code 6":      SMSCode("000000"),
		"SMS code 8":      SMSCode("12345678"),
	} {
		assert.NoError(t, err, name)
	}
}

func TestSNILSCheckDigitRules(t *testing.T) {
	// 001001999 is the first checked body: S = 1*7+1*4+9*3+9*2+9*1 = 65.
	assert.NoError(t, SNILS("00100199965"))
	assert.ErrorIs(t, SNILS("00100199900"), ErrChecksum)
	// S = 100 and S = 101 give "00"; S = 102 gives 102 mod 101 = 1 → "01".
	assert.NoError(t, SNILS("92000000300"))
	assert.NoError(t, SNILS("92000000400"))
	assert.NoError(t, SNILS("92000000501"))
	assert.ErrorIs(t, SNILS("92000000500"), ErrChecksum)
	// 999999999: S = 405, 405 mod 101 = 1 → "01".
	assert.NoError(t, SNILS("99999999901"))
	assert.ErrorIs(t, SNILS("99999999900"), ErrChecksum)
}

func TestNormalizeSNILS(t *testing.T) {
	assert.Equal(t, validSNILS, NormalizeSNILS("112-233-445 95"))
	assert.Equal(t, validSNILS, NormalizeSNILS(" 112 233 445 95 "))
	assert.Equal(t, "1122x", NormalizeSNILS("11-22x"))
}

// mutateEachDigit calls check on every single-digit variant of s and expects ErrChecksum.
func mutateEachDigit(t *testing.T, name, s string, check func(string) error) {
	t.Helper()
	for i := range len(s) {
		for d := byte('0'); d <= '9'; d++ {
			if d == s[i] {
				continue
			}
			m := s[:i] + string(d) + s[i+1:]
			assert.ErrorIs(t, check(m), ErrChecksum, "%s: digit %d → %c", name, i, d)
		}
	}
}

func TestEverySingleDigitChangeFails(t *testing.T) {
	mutateEachDigit(t, "INN10", validINN10, INN)
	mutateEachDigit(t, "INN12", validINN12, INN)
	mutateEachDigit(t, "PersonINN", validINN12, PersonINN)
	mutateEachDigit(t, "SNILS", validSNILS, SNILS)
	mutateEachDigit(t, "OGRN", validOGRN, OGRN)
	mutateEachDigit(t, "OGRNIP", validOGRNIP, OGRNIP)
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		kind  error
		value string
	}{
		{"SNILS empty", SNILS(""), ErrEmpty, ""},
		{"SNILS letters", SNILS("1122334459a"), ErrFormat, "1122334459a"},
		{"SNILS dot", SNILS("112.233.445 95"), ErrFormat, "112.233.445 95"},
		{"SNILS short", SNILS("1122334459"), ErrLength, "1122334459"},
		{"SNILS long", SNILS("112233445951"), ErrLength, "112233445951"},
		{"SNILS unicode digits", SNILS("１１２２３３４４５９５"), ErrFormat, "１１２２３３４４５９５"},
		{"SNILS checksum", SNILS("11223344596"), ErrChecksum, "11223344596"},
		{"INN empty", INN(""), ErrEmpty, ""},
		{"INN 11 digits", INN("78300022931"), ErrLength, "78300022931"},
		{"INN letters", INN("78300O2293"), ErrFormat, "78300O2293"},
		{"INN10 checksum", INN("7830002294"), ErrChecksum, "7830002294"},
		{"INN12 d11", INN("500100732269"), ErrChecksum, "500100732269"},
		{"INN12 d12", INN("500100732258"), ErrChecksum, "500100732258"},
		{"PersonINN rejects 10", PersonINN(validINN10), ErrLength, validINN10},
		{"OGRN length", OGRN("102770022062"), ErrLength, "102770022062"},
		{"OGRN checksum", OGRN("1027700220625"), ErrChecksum, "1027700220625"},
		{"OGRN sign", OGRN("-027700220624"), ErrFormat, "-027700220624"},
		{"OGRNIP length", OGRNIP(validOGRN), ErrLength, validOGRN},
		{"OGRNIP checksum", OGRNIP("304500116000158"), ErrChecksum, "304500116000158"},
		{"series short", PassportRU("111", "111111"), ErrLength, "111"},
		{"series letters", PassportRU("11a1", "111111"), ErrFormat, "11a1"},
		{"number long", PassportRU("1111", "1111112"), ErrLength, "1111112"},
		{"number empty", PassportRU("1111", ""), ErrEmpty, ""},
		{"phone empty", PhoneMandarin(""), ErrEmpty, ""},
		{"phone no plus", PhoneMandarin("79001234567"), ErrFormat, "79001234567"},
		{"phone +8", PhoneMandarin("+89001234567"), ErrFormat, "+89001234567"},
		{"phone short", PhoneMandarin("+7900123456"), ErrFormat, "+7900123456"},
		{"phone long", PhoneMandarin("+790012345678"), ErrFormat, "+790012345678"},
		{"phone spaces", PhoneMandarin("+7 900 123 45"), ErrFormat, "+7 900 123 45"},
		{"FNS plus", PhoneFNS("+79001234567"), ErrFormat, "+79001234567"},
		{"FNS 8", PhoneFNS("89001234567"), ErrFormat, "89001234567"},
		{"FNS empty", PhoneFNS(""), ErrEmpty, ""},
		{"SMS short", SMSCode("123"), ErrLength, "123"},
		{"SMS long", SMSCode("123456789"), ErrLength, "123456789"},
		{"SMS letters", SMSCode("12345a"), ErrFormat, "12345a"},
		{"SMS empty", SMSCode(""), ErrEmpty, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			assert.ErrorIs(t, tt.err, tt.kind)
			var ve *Error
			assert.True(t, errors.As(tt.err, &ve))
			if tt.value != "" {
				assert.NotContains(t, tt.err.Error(), tt.value, "message echoes the value")
			}
		})
	}
}

func TestParsePassport(t *testing.T) {
	for _, in := range []string{"1234-567890", "1234 567890", "1234567890"} {
		series, number, err := ParsePassport(in)
		require.NoError(t, err, in)
		assert.Equal(t, "1234", series)
		assert.Equal(t, "567890", number)
	}
	for _, in := range []string{"", "1234_567890", "12345678901", "123-4567890", "1234-56789", "12 34 567890", "1234--567890", "abcd-567890"} {
		series, number, err := ParsePassport(in)
		assert.Error(t, err, in)
		assert.Empty(t, series+number, in)
		if len(in) > 3 {
			assert.NotContains(t, err.Error(), in)
		}
	}
}

func TestErrorMessagesDoNotEchoValues(t *testing.T) {
	secrets := []string{"99988877766", "5001007322590", "9998-887776", "+79998887766", "12345a"}
	for _, s := range secrets {
		for _, err := range []error{SNILS(s), INN(s), PersonINN(s), OGRN(s), OGRNIP(s), PhoneMandarin(s), PhoneFNS(s), SMSCode(s)} {
			if err != nil {
				assert.NotContains(t, err.Error(), s)
				assert.NotContains(t, err.Error(), strings.Trim(s, "+"))
			}
		}
		if _, _, err := ParsePassport(s); err != nil {
			assert.NotContains(t, err.Error(), s)
		}
	}
	assert.Equal(t, "SNILS: checksum mismatch", SNILS("11223344596").Error())
	assert.Equal(t, "phone: invalid format: want +7 and 10 digits", PhoneMandarin("+7999").Error())
	assert.Equal(t, "SMS code: wrong length: want 4 to 8 digits", SMSCode("1").Error())
}

func TestFieldErrors(t *testing.T) {
	var fe FieldErrors
	assert.NoError(t, fe.Err())
	assert.Nil(t, fe.Err(), "an empty list must be a true nil error")

	fe.Check("person.inn", INN(validINN12))
	assert.NoError(t, fe.Err())

	fe.Add("person.lastName", "required")
	fe.Check("person.snils", SNILS("11223344596"))
	fe.Check("person.phone", PhoneMandarin("89001234567"))
	err := fe.Err()
	require.Error(t, err)
	assert.Equal(t, "person.lastName: required; person.snils: checksum mismatch; "+
		"person.phone: invalid format: want +7 and 10 digits", err.Error(), "one prefix per problem: the field names the document")

	var got FieldErrors
	require.True(t, errors.As(err, &got))
	require.Len(t, got, 3)
	assert.Equal(t, FieldError{Field: "person.lastName", Message: "required"}, got[0])
	assert.Equal(t, "person.snils", got[1].Field)
	assert.Equal(t, "person.phone", got[2].Field)
}

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+7 (900) 123-45-67": "+79001234567",
		"8 900 123 45 67":    "+79001234567",
		"79001234567":        "+79001234567",
		"+79001234567":       "+79001234567",
		"8-900-123-45-6":     "8900123456", // too short: left for the format check
		"+1 202 555 0100":    "+12025550100",
	} {
		assert.Equal(t, want, NormalizePhone(in), in)
	}
	assert.NoError(t, PhoneMandarin(NormalizePhone("+7 (900) 123-45-67")))
	assert.Error(t, PhoneMandarin(NormalizePhone("+1 202 555 0100")))
}

func FuzzSNILS(f *testing.F) {
	for _, s := range []string{validSNILS, "112-233-445 95", "", "-", "00000000000", "99999999999", "1122334459x", "１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := SNILS(s)
		n := NormalizeSNILS(s)
		if err == nil {
			if len(n) != 11 || !isDigits(n) {
				t.Fatalf("accepted a SNILS that is not 11 digits after normalization")
			}
			return
		}
		if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrFormat) &&
			!errors.Is(err, ErrLength) && !errors.Is(err, ErrChecksum) {
			t.Fatalf("unclassified error %v", err)
		}
		// Messages hold at most two digits ("11"), so an input with three or more digits must not appear.
		if countDigits(s) >= 3 && strings.Contains(err.Error(), s) {
			t.Fatalf("error message echoes the input")
		}
	})
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if isASCIIDigit(r) {
			n++
		}
	}
	return n
}

func TestDateCountryPhoneE164(t *testing.T) {
	assert.NoError(t, Date("1990-01-31"))
	assert.NoError(t, Date("2000-02-29"))
	for _, bad := range []string{"1990-13-01", "1990-02-30", "31.01.1990", "1890-01-01", "1990-1-1"} {
		assert.ErrorIs(t, Date(bad), ErrFormat, bad)
	}
	assert.ErrorIs(t, Date(""), ErrEmpty)
	assert.NoError(t, CountryAlpha3("RUS"))
	for _, bad := range []string{"RU", "rus", "RUSS", "R1S"} {
		assert.ErrorIs(t, CountryAlpha3(bad), ErrFormat, bad)
	}
	assert.NoError(t, PhoneE164("+79001234567"))
	assert.NoError(t, PhoneE164("+12025550100"))
	for _, bad := range []string{"79001234567", "+7900", "+7900123456789012", "+7 900"} {
		assert.ErrorIs(t, PhoneE164(bad), ErrFormat, bad)
	}
}

func TestCompleteSNILSAndPersonINN(t *testing.T) {
	for _, body := range []string{"112233445", "123629311", "999999999", "100000000", "004005006"} {
		snils, err := CompleteSNILS(body)
		require.NoError(t, err)
		assert.NoError(t, SNILS(snils), snils)
	}
	for _, body := range []string{"3123240145", "5001007322", "7700000000", "1000000001"} {
		inn, err := CompletePersonINN(body)
		require.NoError(t, err)
		assert.NoError(t, PersonINN(inn), inn)
	}
	inn, _ := CompletePersonINN("3123240145")
	assert.Equal(t, "312324014516", inn, "the registration walk-through's INN")
	_, err := CompleteSNILS("12345")
	assert.Error(t, err)
	_, err = CompletePersonINN("12345678x0")
	assert.Error(t, err)
}
