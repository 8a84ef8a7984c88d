// Package mandarin is a faithful fake of Mandarin's simplified person
// identification API, served over real HTTP for tests and local runs.
//
// Mount Sandbox.Handler on any listener (httptest.NewServer in tests). It
// serves exactly:
//
//	POST /api/personidentification        {firstName, patronymic, lastName, passportSeries,
//	                                       passportNumber, snils, inn?, phone} → 200 {id}
//	PUT  /api/personidentification/{id}   {smsCode} → 200 {id}
//	GET  /api/personidentification/{id}   → 200 {id, phoneVerified, phoneVerificationFinished,
//	                                       personVerified, personVerificationFinished,
//	                                       personVerificationError}
//
// Other paths answer 404 and other methods 405 (http.ServeMux defaults).
//
// # Authentication
//
// Every request needs X-Auth: {merchantId}-{sha256hex(merchantId-requestId-secret)}-{requestId}
// with the SHA-256 sum in lowercase hex.
// A missing or malformed header, another merchant id, a wrong hash, or a
// request id already used (replay) is answered 401 {"error":"Unauthorized"}.
// The real provider's status for these is not documented; 401 was chosen so
// that clients treat it as a final, non-retryable refusal distinct from 400.
// The last ReplayWindow accepted request ids are remembered; ids that failed
// authentication are not remembered.
//
// # Input validation (400 {"error":"Invalid request"})
//
//   - malformed JSON body, or a body over 64 KiB;
//   - firstName, patronymic or lastName empty (blank);
//   - passportSeries not 4 digits or passportNumber not 6 digits;
//   - snils not "" and not exactly 11 digits (no separators), or inn not "" and
//     not exactly 12 digits, or neither given;
//   - phone not "+7" followed by 10 digits;
//   - PUT or GET of an unknown session id;
//   - PUT with smsCode not 4..8 digits (does not use up an attempt);
//   - a 6th PUT on a session whose phone is not verified yet (MaxSMSAttempts = 5).
//
// A SNILS or INN that is well-formed but fails its checksum is not a 400: like
// a real registry miss it is answered by SMEV, after the delay, with
// personVerified=false and personVerificationError = ErrorTextRegistryMiss.
// When both SNILS and INN are given, the person is found if either passes.
//
// # SMEV (person check)
//
// SMEV is simulated lazily from Config.Clock, without goroutines: a session's
// check finishes at init time + SMEVDelay (default 2s; a negative value means
// at once). Until then
// personVerified is null and personVerificationFinished false. The last name
// (trimmed, case-insensitive, Russian or Latin) forces the outcome:
//
//	Last name                               | Finishes after | personVerified | personVerificationError
//	----------------------------------------|----------------|----------------|------------------------------------------
//	LastNameNotFound "Несуществующий",      | SMEVDelay      | false          | "Сведения о физическом лице не найдены"
//	  LastNameNotFoundLatin "Notfound"      |                |                |   (ErrorTextPersonNotFound)
//	LastNameSlow "Долгов",                  | never          | null           | ""
//	  LastNameSlowLatin "Slow"              |                |                |
//	LastNameDelayed "Медленный",            | 10 × SMEVDelay | true           | ""
//	  LastNameDelayedLatin "Delayed"        |                |                |
//	anyone else, e.g. TestLastName          | SMEVDelay      | true           | ""
//	  «Шариков Полиграф Полиграфович»       |                |                |
//	any name with a checksum-failing        | as above       | false          | "Сведения не найдены"
//	  SNILS/INN, e.g. ChecksumMissSNILS     |                |                |   (ErrorTextRegistryMiss)
//
// The last-name rule decides the timing; a forced "not found" wins over a
// registry miss for the error text.
//
// # SMS code (phone check)
//
// The accepted code is Config.AcceptedCode (default DefaultAcceptedCode
// "000000"). Before any PUT phoneVerified is null and phoneVerificationFinished
// false. Each PUT with a well-formed code uses up one attempt: the accepted
// code sets phoneVerified=true; a wrong one sets phoneVerified=false with
// phoneVerificationFinished=true (finished means "the last code was checked";
// the client may try again). At most MaxSMSAttempts (5) attempts; the 6th and
// later are 400. Once the phone is verified, further PUTs answer 200, change
// nothing and are not counted.
//
// # Other test values
//
// TestFirstName, TestPatronymic, TestLastName, TestPassportSeries,
// TestPassportNumber, TestSNILS, TestINN and TestPhone form a valid identity;
// ChecksumMissSNILS and ChecksumMissINN are well-formed but fail checksums.
//
// The sandbox is safe for concurrent use and never logs anything, in
// particular no personal data. Sessions live in memory until the Sandbox is
// dropped, unless Config.StatePath names an SQLite file (opened by Open, see
// internal/sandbox/sandboxstate): then every session (with its creation
// time, so that SMEV answers on time after a restart; its SMS attempts and
// phone verdict) and every remembered request id is written there before the
// request is answered, and loaded again by the next Open. A write that fails
// is answered 500 {"error":"Internal error"} and changes nothing.
package mandarin
