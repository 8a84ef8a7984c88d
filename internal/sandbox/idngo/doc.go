// Package idngo is a faithful fake of IDnGO's KYC API (the same API shape as
// Sumsub's), served over real HTTP for tests and local runs, with a review
// engine steered by test values and signed webhooks with redelivery.
//
// Mount Sandbox.Handler on any listener (httptest.NewServer in tests), under
// any prefix with http.StripPrefix. It serves:
//
//	POST  /resources/applicants?levelName=L                 {externalUserId, info?, fixedInfo?, email?, phone?}
//	                                                         → 201 applicant JSON
//	POST  /resources/applicants/{id}/info/idDoc             multipart "metadata" (JSON) + "content" (file)
//	                                                         → 200 metadata JSON, header X-Image-Id
//	PATCH /resources/applicants/{id}/fixedInfo              {field: value|null} → 200 applicant JSON
//	POST  /resources/applicants/{id}/status/pending         → 200 {"ok":1}
//	POST  /resources/applicants/{id}/status/testCompleted   {reviewAnswer, reviewRejectType, rejectLabels,
//	                                                         moderationComment, clientComment} → 200 {"ok":1}
//	GET   /resources/applicants/{id}/one                    → 200 applicant JSON
//	GET   /resources/applicants/-;externalUserId={ext}/one  → 200 applicant JSON
//	GET   /resources/applicants/{id}/requiredIdDocsStatus   → 200 {"IDENTITY": step|null, "SELFIE": step|null}
//	POST  /sandbox/applicants/{id}/blacklist                → 200 {"ok":1} (operator helper, see Blacklist)
//	GET   /sandbox/applicants/{id}                          → 200 ApplicantSnapshot as JSON (operator helper)
//
// Other paths answer 404 and other methods 405 (http.ServeMux defaults).
// Errors are {"description", "code", "correlationId", "errorCode"?, "errorName"?}.
// An unknown applicant is 404 "Applicant not found".
//
// # Authentication
//
// Every endpoint above, the /sandbox helpers included, needs X-App-Token equal
// to Config.AppToken, X-App-Access-Ts (Unix seconds) within ClockSkew (±60 s)
// of Config.Clock, and X-App-Access-Sig = lowercase hex
// HMAC-SHA256(SecretKey, ts + METHOD + requestURI + rawBody). The body is
// read once and the signature checked over those exact bytes, multipart
// included. requestURI may be the path with query as the handler sees it
// (after http.StripPrefix) or as the client sent it (r.RequestURI), so a
// client behind a path prefix may sign the full path. Anything else is
// 401 {"description":"Invalid signature"}. Requests over 65 MiB are 413.
//
// # Levels and documents
//
//	Level                         | Steps (idDocSetType): document types
//	------------------------------|--------------------------------------------------------
//	LevelBasic "basic-kyc-level"  | IDENTITY: PASSPORT, ID_CARD, DRIVERS, RESIDENCE_PERMIT
//	  (used without levelName)    | SELFIE: SELFIE
//	LevelIDOnly "id-only-level"   | IDENTITY: PASSPORT, ID_CARD, DRIVERS, RESIDENCE_PERMIT
//
// Another levelName is 400. ID_CARD, DRIVERS and RESIDENCE_PERMIT need a
// FRONT_SIDE and a BACK_SIDE image; PASSPORT and SELFIE need one image.
//
// # Upload rules (POST .../info/idDoc)
//
//	Condition (checked in this order)                 | Answer
//	--------------------------------------------------|----------------------------------------------
//	not multipart, no metadata part, metadata not a   | 400
//	  JSON object, no idDocType, country not three    |
//	  uppercase letters, idDocSubType not "",         |
//	  FRONT_SIDE or BACK_SIDE                         |
//	unknown applicant                                 | 404
//	applicant has a RED/FINAL review                  | 409 errorCode 1009 applicant-with-final-reject
//	review pending                                    | 409
//	idDocType not in the applicant's level            | 409 errorCode 1010 doc-type-not-in-req-docs
//	content part missing or empty                     | 400 errorCode 1003 empty-file
//	content over MaxFileBytes (64 MiB)                | 400 errorCode 1002 file-too-big
//
// Every accepted upload adds an image (nothing is replaced) with a new,
// increasing X-Image-Id; the response echoes the metadata JSON (plus empty
// "errors" and "warnings" with X-Return-Doc-Warnings: true). The file bytes
// are not kept; the file name is, because it steers the review.
//
// A step's current document is the (idDocType, country) of its latest upload;
// its active images are that document's images, except that an image rejected
// RED/RETRY is superseded by any later upload of the same document and side.
// requiredIdDocsStatus, the completeness check and the review all look at the
// active images only.
//
// # Statuses
//
// init → pending → completed. status/pending answers 409 when the applicant
// has a RED/FINAL review (errorCode 1009), is already pending, or misses
// required documents (a required step with no active image, or a two-sided
// document without both sides; the description names what is missing). It
// starts a new attempt (attemptCnt+1, new attemptId and reviewId, reviewResult
// cleared), sends applicantPending and decides ReviewDelay later. After
// RED/RETRY (or GREEN) uploads are accepted again and pending starts another
// attempt. The real service's prechecked/queued/onHold statuses are not
// simulated.
//
// # Review engine (test values)
//
// At the verdict every active image not judged by an earlier review is judged
// from its uploaded file name (case-insensitive); images judged before keep
// their result. So after a RED/RETRY, uploading a clean image of the rejected
// side and submitting again gives GREEN.
//
//	Trigger                                  | Image / step result            | Applicant
//	-----------------------------------------|--------------------------------|-----------------------------------------
//	file name contains FileMarkerForgery     | RED/FINAL [FORGERY]            | RED/FINAL; further uploads 1009
//	  "forgery"                              |   ModerationCommentForgery     |
//	file name contains FileMarkerRetry       | RED/RETRY [UNSATISFACTORY_     | RED/RETRY with the union of labels
//	  "retry"                                |   PHOTOS] ModerationComment-   |   (FINAL if any image is FINAL)
//	                                         |   Retry, ClientCommentRetry    |
//	info or fixedInfo lastName (or           | every IDENTITY image RED/FINAL | RED/FINAL [FORGERY]
//	  lastNameEn) is LastNameFraud "Fraud"   |   [FORGERY]                    |
//	  (trimmed, case-insensitive)            |                                |
//	file name contains FileMarkerBlacklist   | GREEN                          | GREEN, then BlacklistFactor (2) ×
//	  "blacklist"                            |                                |   ReviewDelay later a new review
//	                                         |                                |   RED/FINAL [BLACKLIST] with another
//	                                         |                                |   applicantReviewed (once per applicant)
//	anything else                            | GREEN                          | GREEN
//
// A step's result is the combination of its active images (GREEN when all
// are GREEN); the applicant's is the combination of its steps, with the
// distinct moderation and client comments joined by a space. Forgery wins
// over retry over blacklist within one file name.
//
// status/testCompleted sets the review by hand (reviewAnswer GREEN or RED;
// reviewRejectType RETRY, the default, or FINAL): it completes a running
// review, or else starts and completes a new attempt, gives the same result
// to every active image and every step with images, and sends
// applicantReviewed. Blacklist (and POST /sandbox/applicants/{id}/blacklist)
// gives any applicant a later RED/FINAL [BLACKLIST] review with a new
// reviewId, cancelling a running review; step results are left as they were.
//
// # Webhooks
//
// When Config.WebhookURL is set, applicantCreated, applicantPending and
// applicantReviewed are POSTed as JSON {applicantId, inspectionId,
// applicantType, correlationId (unique per event), levelName, sandboxMode:
// true, externalUserId, type, reviewStatus, reviewResult (applicantReviewed
// only), createdAtMs "yyyy-MM-dd HH:mm:ss.fff" UTC}, with X-Payload-Digest =
// lowercase hex HMAC of the raw body keyed by WebhookSecret per DigestAlg and
// X-Payload-Digest-Alg. They carry no personal data. Deliveries run in the
// background, in order per applicant (a retried event holds back that
// applicant's later ones). An attempt fails on a network error, a non-2xx
// answer or no answer within WebhookTimeout (5 s); a failed event is sent
// again after each RetrySchedule wait and dropped after the last. With
// DuplicateWebhooks every applicantReviewed is delivered twice with the same
// body. WebhookStats and WebhooksInFlight make deliveries observable.
//
// The sandbox is safe for concurrent use and never logs anything, in
// particular no personal data. Close stops the review timers and webhook
// deliveries and waits for their goroutines. Applicants live in memory until
// the Sandbox is dropped, unless Config.StatePath names an SQLite file
// (opened by Open, see internal/sandbox/sandboxstate): then every change is
// written there before it is answered, and the next Open on that file
// resumes where the last one stopped: reviews are decided when they were
// due, the later BLACKLIST review too, and undelivered webhooks (a retried
// one, the events behind it, a duplicate) are sent in order, a retry when
// it was due. Due times follow Config.Clock. A write that fails is answered
// 500; the change is kept in memory and written with the applicant's next
// one.
package idngo
