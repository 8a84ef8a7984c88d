package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Identifiers from the FNS document (fns-mobile-signature-api.ru.txt), with
// the verdicts of FNS-INVENTORY.md §7.
const (
	fnsValidLegalINN   = "3123456448"      // L372
	fnsInvalidLegalINN = "7721641988"      // L1068, expected check digit 0
	fnsBadLegalINN2    = "1118022722"      // L1217
	fnsPaddedINN       = "007743020560"    // L1838: 00 + a valid INN-10
	fnsInvalidINN12    = "111300627666"    // L1705
	fnsValidOGRNIP     = "321032700015430" // L449
	fnsInvalidOGRNIP   = "319240000120000" // L366
)

func TestFNSValid(t *testing.T) {
	for name, err := range map[string]error{
		"legal INN":          LegalINN(fnsValidLegalINN),
		"legal INN NOTES":    LegalINN(validINN10),
		"padded INN tail":    LegalINN(fnsPaddedINN[2:]),
		"INN still takes 10": INN(fnsValidLegalINN),
		"KPP digits":         KPP("312301001"),
		"KPP letters":        KPP("7730AB001"),
		"KPP mixed":          KPP("77301Z001"),
		"gender М":           GenderFNS("\u041c"),
		"gender F":           GenderFNS("F"),
		"passport series":    PassportSeries("1234"),
		"passport number":    PassportNumber("001001"),
		"issue code":         IssueCode("362-391"),
		"index":              PostalIndex("426054"),
		"region":             RegionCode("18"),
		"region leading 0":   RegionCode("02"),
		"OGRNIP from doc":    OGRNIP(fnsValidOGRNIP),
	} {
		assert.NoError(t, err, name)
	}
}

func TestFNSInvalid(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		kind  error
		value string
	}{
		{"legal INN doc L1068", LegalINN(fnsInvalidLegalINN), ErrChecksum, fnsInvalidLegalINN},
		{"legal INN doc L1217", LegalINN(fnsBadLegalINN2), ErrChecksum, fnsBadLegalINN2},
		{"legal INN 12 digits", LegalINN(validINN12), ErrLength, validINN12},
		{"legal INN padded", LegalINN(fnsPaddedINN), ErrLength, fnsPaddedINN},
		{"legal INN letters", LegalINN("31234S6448"), ErrFormat, "31234S6448"},
		{"legal INN empty", LegalINN(""), ErrEmpty, ""},
		{"person INN doc L1705", PersonINN(fnsInvalidINN12), ErrChecksum, fnsInvalidINN12},
		{"person INN padded", PersonINN(fnsPaddedINN), ErrChecksum, fnsPaddedINN},
		{"OGRNIP doc L366", OGRNIP(fnsInvalidOGRNIP), ErrChecksum, fnsInvalidOGRNIP},
		{"KPP empty", KPP(""), ErrEmpty, ""},
		{"KPP short", KPP("31230100"), ErrLength, "31230100"},
		{"KPP long", KPP("3123010011"), ErrLength, "3123010011"},
		{"KPP lower letters", KPP("7730ab001"), ErrFormat, "7730ab001"},
		{"KPP letter in office", KPP("77A0AB001"), ErrFormat, "77A0AB001"},
		{"KPP letter in sequence", KPP("773001A01"), ErrFormat, "773001A01"},
		{"KPP Cyrillic", KPP("7730А001"), ErrFormat, "7730А001"},
		{"gender empty", GenderFNS(""), ErrEmpty, ""},
		{"gender Latin M", GenderFNS("M"), ErrFormat, ""},
		{"gender Ж", GenderFNS("Ж"), ErrFormat, ""},
		{"gender Cyrillic Ф", GenderFNS("Ф"), ErrFormat, ""},
		{"gender word", GenderFNS("male"), ErrFormat, "male"},
		{"series short", PassportSeries("123"), ErrLength, "123"},
		{"number letters", PassportNumber("56789O"), ErrFormat, "56789O"},
		{"issue code empty", IssueCode(""), ErrEmpty, ""},
		{"issue code no dash", IssueCode("362391"), ErrFormat, "362391"},
		{"issue code space", IssueCode("362 391"), ErrFormat, "362 391"},
		{"issue code letters", IssueCode("36a-391"), ErrFormat, "36a-391"},
		{"index short", PostalIndex("42605"), ErrLength, "42605"},
		{"index empty", PostalIndex(""), ErrEmpty, ""},
		{"region one digit", RegionCode("8"), ErrLength, ""},
		{"region three digits", RegionCode("118"), ErrLength, "118"},
		{"region 00", RegionCode("00"), ErrFormat, ""},
		{"region name", RegionCode("Удмуртия"), ErrFormat, "Удмуртия"},
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

func TestLegalINNEverySingleDigitChangeFails(t *testing.T) {
	for i := 0; i < len(fnsValidLegalINN); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == fnsValidLegalINN[i] {
				continue
			}
			s := fnsValidLegalINN[:i] + string(d) + fnsValidLegalINN[i+1:]
			assert.ErrorIs(t, LegalINN(s), ErrChecksum, "position %d", i)
		}
	}
}

func TestNormalizeFNS(t *testing.T) {
	for in, want := range map[string]string{
		"+7 (900) 586-34-54": "79005863454",
		"8 900 586 34 54":    "79005863454",
		"79005863454":        "79005863454",
		" +79005863454 ":     "79005863454",
		"+7900586345":        "+7900586345", // too short: left for PhoneFNS to refuse
		"+1 202 555 0100":    "+12025550100",
	} {
		assert.Equal(t, want, NormalizePhoneFNS(in), in)
	}
	assert.NoError(t, PhoneFNS(NormalizePhoneFNS("+7 (900) 586-34-54")))
	assert.Error(t, PhoneFNS(NormalizePhoneFNS("+1 202 555 0100")))

	for in, want := range map[string]string{
		"M": "\u041c", "m": "\u041c", "\u043c": "\u041c", " \u041c ": "\u041c", "f": "F", "F": "F",
		"Ж": "Ж", "male": "male",
	} {
		assert.Equal(t, want, NormalizeGenderFNS(in), in)
	}

	for in, want := range map[string]string{
		"362391": "362-391", "362 391": "362-391", " 362-391 ": "362-391", "36239": "36239", "362--391": "362--391",
	} {
		assert.Equal(t, want, NormalizeIssueCode(in), in)
	}
}

func TestFNSMessagesDoNotEchoValues(t *testing.T) {
	secrets := []string{"3123456449", "7730AB0019", "36a-391", "4260541", "999", "ЖЕНСКИЙ"}
	for _, s := range secrets {
		for _, err := range []error{LegalINN(s), KPP(s), GenderFNS(s), PassportSeries(s), PassportNumber(s),
			IssueCode(s), PostalIndex(s), RegionCode(s)} {
			require.Error(t, err, s)
			assert.NotContains(t, err.Error(), s)
		}
	}
	assert.Equal(t, "KPP: invalid format: want 4 digits, 2 digits or capital Latin letters, 3 digits", KPP("7730ab001").Error())
}

func FuzzKPP(f *testing.F) {
	for _, s := range []string{"312301001", "7730AB001", "", "7730ab001", "АБВГДЕЁЖЗ", "123456789\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := KPP(s)
		if err == nil {
			if len(s) != 9 || !isDigits(s[:4]) || !isDigits(s[6:]) {
				t.Fatalf("accepted a malformed KPP")
			}
			return
		}
		if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrLength) {
			t.Fatalf("unclassified error %v", err)
		}
		// The messages hold at most three digits ("4 digits, 2 digits ..., 3 digits").
		if countDigits(s) >= 4 && strings.Contains(err.Error(), s) {
			t.Fatalf("error message echoes the input")
		}
	})
}

func FuzzLegalINN(f *testing.F) {
	for _, s := range []string{fnsValidLegalINN, fnsInvalidLegalINN, "", "123", "１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := LegalINN(s)
		if err == nil {
			if len(s) != 10 || !isDigits(s) {
				t.Fatalf("accepted a legal INN that is not 10 digits")
			}
			return
		}
		if countDigits(s) >= 3 && strings.Contains(err.Error(), s) {
			t.Fatalf("error message echoes the input")
		}
	})
}

func TestSanitizeFNSTitle(t *testing.T) {
	for in, want := range map[string]string{
		"Договор №5 (копия).pdf":     "Договор _5 (копия).pdf",
		"act_2021-03-30.txt":         "act_2021-03-30.txt",
		"a/b\\c:d*e?f\"g<h>i|j.docx": "a_b_c_d_e_f_g_h_i_j.docx",
		"tab\there.pdf":              "tab\there.pdf",
		"Ёлка,ёж;.pdf":               "Ёлка_ёж_.pdf",
		"Ⅻ²٣.txt":                    "Ⅻ²٣.txt", // Unicode numbers are \w
		"bad\xffbyte.txt":            "bad_byte.txt",
		"e\u0301.txt":                "e_.txt", // a combining mark is not \w
	} {
		got := SanitizeFNSTitle(in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, got, SanitizeFNSTitle(got), "sanitizing twice changes nothing")
	}
}

func TestFNSTitleUUIDBase64(t *testing.T) {
	assert.NoError(t, FNSTitle("Договор.pdf"))
	assert.NoError(t, FNSTitle(strings.Repeat("я", MaxFNSTitleLen)))
	assert.ErrorIs(t, FNSTitle(strings.Repeat("я", MaxFNSTitleLen+1)), ErrLength)
	assert.ErrorIs(t, FNSTitle(" "), ErrEmpty)

	assert.NoError(t, UUID("80668f72-901c-4bdc-809a-2b903a831a42")) // L395
	assert.NoError(t, UUID("80668F72-901C-4BDC-809A-2B903A831A42"))
	assert.ErrorIs(t, UUID("cac28584-7aa7-49c4-84f4-c0260e98dela"), ErrFormat) // L570: an "l"
	assert.ErrorIs(t, UUID("0628104f-f033-4ebb-873e-3e0e025c70e"), ErrLength)  // L1530: 35 characters
	assert.ErrorIs(t, UUID("80668f72901c-4bdc-809a-2b903a831a42-"), ErrFormat)
	assert.ErrorIs(t, UUID(""), ErrEmpty)
	assert.NotContains(t, UUID("cac28584-7aa7-49c4-84f4-c0260e98dela").Error(), "cac28584")

	assert.NoError(t, Base64("0YLQtdGB0YI="))
	assert.ErrorIs(t, Base64("0YLQtdGB0YI"), ErrFormat)
	assert.ErrorIs(t, Base64("0YLQ*dGB0YI="), ErrFormat)
	assert.ErrorIs(t, Base64(""), ErrEmpty)
}
