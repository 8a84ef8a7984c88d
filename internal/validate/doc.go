// Package validate checks the formats and checksums of Russian personal and
// company identifiers (SNILS, INN, OGRN, OGRNIP, passport) and of phone numbers
// and SMS codes.
//
// Every function is pure and returns nil or an *Error. Error messages name the
// document and the problem but never echo the checked value, so they are safe
// to log and to return to API clients. Use errors.Is with ErrEmpty, ErrFormat,
// ErrLength or ErrChecksum to tell the kinds apart (a sandbox, for example,
// answers a well-formed identifier with a bad checksum as a registry miss
// rather than as a malformed request).
//
// Checksum rules:
//
//   - INN, 10 digits: weights 2,4,10,3,5,9,4,6,8; (sum mod 11) mod 10 = d10.
//   - INN, 12 digits: d11 from weights 7,2,4,10,3,5,9,4,6,8 and d12 from
//     weights 3,7,2,4,10,3,5,9,4,6,8, each (sum mod 11) mod 10.
//   - SNILS: S = Σ d_i × (10 − i), i = 1..9; check = S if S < 100, else
//     S mod 101 with 100 → 00. Numbers up to 001-001-998 are not checked.
//   - OGRN: d13 = (first 12 digits mod 11) mod 10.
//   - OGRNIP: d15 = (first 14 digits mod 13) mod 10.
//   - KPP: no check digit; 4 digits, 2 digits or capital Latin letters, 3 digits.
//
// fns.go adds the fields of an FNS registration request (LegalINN, KPP,
// GenderFNS, IssueCode, PostalIndex, RegionCode, passport series and number
// apart) and their normalizers (NormalizePhoneFNS, NormalizeGenderFNS,
// NormalizeIssueCode).
//
// FieldErrors collects several problems so that a caller can report every bad
// field of a request at once.
package validate
