// Package fns is a typed HTTP client for the FNS «Мобильная подпись»
// partner API (document v2.23, /work/shared/providers/fns-mobile-signature-api.ru.txt;
// English reading aid FNS-INVENTORY.md): the calls a registration process
// makes, under the partner account and under agent accounts at once.
//
// The registration flow is: Register (scenario 80: identification + TLS
// certificate; state wait-pkcs10) → the user installs the app (callback
// "installed"; state wait-consumer-identification) → an agent's
// SearchIdentification (which makes the request available to that agent),
// ConfirmationDocuments + UploadConfirmationDocument, ChangeState(identify)
// (→ certificate-issue) → complete, with a certificate-issuing child
// (Workflow.ChildIDs) → DocumentScans + UploadDocumentScan (or
// UploadCertificate) → ChangeState(scan_confirm_received) → complete.
// GetWorkflowFull, SearchWorkflows and SearchConsumers read the state;
// RemoveWorkflows removes workflows; CreateAgent, ListAgents, UpdateAgent
// and BlockAgent manage agent accounts. SignDocuments sends documents for
// signing (scenario 82, or 88 for one of several legal entities);
// SignSimplified sends them knowing only INN and phone
// (POST /api/rb/workflow/fns); SignedDocuments lists a signing workflow's
// documents with their file and signature links and MergeSignatures
// combines signatures into one CMS. CreatePause (134), CreateExternalActivity
// (102) and CreateExtraSignature (84) are thin helpers over CreateWorkflow;
// Push sends a push notification and RevokeCertificate a revocation
// application. Callbacks are decoded elsewhere
// (callback.go); this package only shares the names and polymorphic types.
//
// # Accounts and authentication
//
// A Client holds the partner credentials (Config.Partner) and makes sessions
// for any other account: Client.Partner() and Client.As(Credentials). In
// AuthToken mode (the default) a session logs in with POST /api/rb/auth on
// first use and sends "Authorization: token …"; tokens are cached per
// credential (Username, Password, Token as a whole) and are safe for
// concurrent use. On a 401 the client logs in once more and repeats the call
// once; a second 401 is final (IsUnauthorized). In AuthBasic mode every call
// carries basic auth and /api/rb/auth is never called. An agent created by
// CreateAgent acts under the token of its create answer
// (Agent.Credentials()); a credential with a Token and no password is sent
// as "Authorization: token …" in both modes and cannot be renewed (a 401 is
// final). A refused login (4xx from /api/rb/auth) is IsUnauthorized too.
//
// # Decoding
//
// Every answer is {"result": …} (a 2xx body without "result" is decoded as
// the result itself) or {"error": …}. Decoding is lenient: unknown fields are
// ignored and a value of an unexpected type leaves its field zero; only
// malformed JSON fails (retryable, like any unusable 2xx). Polymorphic
// fields have their own types: ConsumerRef ("consumer": UUID string or
// object), ScenarioRef (number, numeric string or object), Certificates
// ("certificate" object or "certificates" array), LegalEntities
// ("legal_entity" / "legal_entities"), IDList ("children" array, "child_id"
// / "parent" / "parent_id" single id or null; Workflow.ChildIDs and
// Workflow.ParentID merge them), ID (number or numeric string), Company and
// IdentificationPoint (object or bare id, as in the agent answers). Consumer
// names and state, company and identification-point names are trimmed (the
// provider may add stray spaces). Ids that are not
// well-formed UUIDs are kept as they are.
//
// Workflow types and states are normalised to one canonical, hyphenated,
// lower-case form (NormalizeName: "certificate_issuing" →
// "certificate-issuing"), with constants for every type and state of the
// document's table plus the callback-only "installed". State commands
// (CommandIdentify, CommandScanConfirmReceived,
// CommandCompleteExternalActivity) keep the provider's underscores.
//
// Scenario numbers are configuration (Config.Scenarios); zero fields take
// DefaultScenarios: registration 80, extra signature 84, signing 82, signing
// for one of several legal entities 88, simplified signing 564, external
// activity 102, pause 134. Scenario is sent as a JSON number.
//
// # Errors
//
// Failures are *Error values: HTTP status (0 for transport failures), the
// call ("POST /api/rb/workflow", ids replaced by {id}) and the provider's
// messages as FieldErrors with paths: an object of lists gives
// "consumer.snils: …", per-item arrays give "consumer.addresses[0].city: …",
// a bare list under a key is about that key ("consumer: Данный клиент
// заблокирован…"), and non_field_errors (string or list) and a bare string
// have the empty path. errors.Is matches ErrBlocked («Данный клиент
// заблокирован…»), ErrNotFound («Поток работ не найден», «Клиент с такими
// данными не найден», HTTP 404), ErrUnauthorized (HTTP 401, refused login)
// and ErrInvalidArgument (refused before sending); IsBlocked, IsNotFound,
// IsUnauthorized, IsRetryable and FieldErrors are the predicates. Network
// errors, timeouts, HTTP 408, 425, 429 and 5xx (the endpoint package's
// policy) and unusable 2xx bodies are retryable; every other answer is final
// with the provider's text. Errors never contain request bodies, URLs with
// ids or credentials; each provider message is cleaned and cut to 300 bytes
// and at most 50 are kept. Credentials redact themselves in fmt and slog.
//
// # Links
//
// Relative links of response bodies (document, signature, scan, template,
// request and certificate file URLs, pagination "next") are resolved by
// Client.ResolveLink and fetched by Session.Fetch with the same session's
// credentials. Base URL policy (https, http only on loopback, no redirects)
// comes from the endpoint package.
//
// # Choices where the document is silent
//
//   - 401 / token lifetime are undocumented: a 401 (any body) triggers one
//     re-login and one repetition in token mode; basic mode never repeats.
//     A 401 body may be {"detail": "…"} (Django REST style) or {"error": …}.
//   - Undocumented statuses (403, 404, 5xx) are classified by status; a 404
//     counts as not found. A 2xx body carrying only {"error": …} is treated
//     as a final 400.
//   - Uploads: the document describes JSON bodies with base64 content
//     ("path", "certificate") and never multipart, so every upload is JSON
//     with standard, padded base64. No size limit is documented; the client
//     imposes none on uploads and reads at most 8 MB of an API answer and
//     64 MB of a fetched file.
//   - Any 2xx is success (the certificate upload answers 204 with no body).
//   - Link resolution: a root-relative link ("/api/rb/…") is appended to the
//     base URL's path prefix, like the API paths themselves (a link that
//     already starts with the prefix is not prefixed twice); a relative link
//     without a leading slash is treated the same; an absolute link is
//     followed only on the base URL's scheme and host, otherwise it is an
//     ErrInvalidArgument and no request is sent. The provider's percent
//     escaping of a link is kept; raw Cyrillic is escaped.
//   - Pagination parameters are undocumented: listings (SearchWorkflows,
//     ListAgents) follow "next" links, at most 100 pages.
//   - The confirmation-document upload answer nests its fields under
//     "document" and repeats "title" (the kind of document, then the file
//     name): both are kept (DocumentTitle, Title) and the nested fields are
//     lifted.
//   - Not-found and blocked are recognised by the documented texts (prefix
//     match after trimming), only on 4xx answers.
//   - Field errors are ordered by path (JSON object order is not kept).
//   - No client-side validation of consumer data (another package owns it):
//     the client checks only what it needs to build the request (ids > 0,
//     required identifiers present, consumer is valid JSON, at most one of
//     entrepreneur and legal entity, a known state command).
//   - The block example answers is_active: true (L2552); BlockAgent returns
//     the answer as is.
//   - The agent list's "next" and the workflow search's "next" are resolved
//     like any link, so a provider that answers absolute URLs on its own
//     host works, and one on another host is refused.
//   - Signing (SignDocuments): titles are trimmed and then sanitised with
//     validate.SanitizeFNSTitle (the document's [^\.\(\)\w\s-] → "_" with a
//     Unicode \w, as the server keeps Cyrillic names); 1..50 documents, a
//     non-blank title of at most 250 characters (code points) after
//     sanitising and a non-empty content are checked before any call. A
//     legal entity INN selects scenario SigningLegalEntity and is sent as
//     legal_entity {"inn"} alone; whether the consumer holds two or more
//     legal-entity signatures is not known to the client, so the caller
//     decides. The INN is not checked here (validate owns identifiers).
//   - data.attributes is described with .key and .value but never shown:
//     the client sends a list, {"attributes": [{"key", "value"}, …]}, and
//     omits "data" when there is no sender attribute.
//   - Simplified signing (SignSimplified): the document gives one scenario,
//     564, for an individual entrepreneur; it is the default
//     (Scenarios.SimplifiedSigning) and SimplifiedSigningRequest.Scenario
//     overrides it for other client kinds, whose numbers the document does
//     not give. INN and phone are required and sent as trimmed strings, not
//     checked (validate owns identifiers); documents, backref, data and
//     legal_entity are built and checked as for SignDocuments. The
//     documented error («Клиент с такими данными не найден», L830) matches
//     ErrNotFound.
//   - Signed documents: GET /api/rb/workflow/{id}/document returns the same
//     Document type as the create answers; Signature is empty until the
//     document is signed (the document shows only signed ones). The second,
//     stray block after the example (L2436) is not part of it.
//   - Signatures merge: at least one signature; each item is either content
//     (base64_file, standard padded base64) or an internal link (url, sent
//     trimmed, not resolved: the provider reads it); mixing both kinds in
//     one request is not documented and is left to the provider. The
//     answer's result is kept as the base64 text (MergedSignature.Base64,
//     the example's "MIAGCSqG..." is abbreviated); Bytes decodes it
//     leniently (padding optional, line breaks ignored). An empty result is
//     an unusable 2xx (retryable).
//   - Push: workflow_id is "числовой" but the only example sends it as a
//     string ("123456", L2616), like every other numeric field of the
//     examples; the client sends a string and omits it when zero. The
//     consumer id is one escaped path segment; the trailing slash of the
//     documented path is kept. Title and message are required and not
//     checked against the agreed templates (the provider owns them).
//   - Push and revoke document no answer and no error: any 2xx is success
//     and the body is ignored; errors are decoded as for every call.
//   - Revoke: the XML is sent as standard padded base64 and not checked
//     (its XSD is given on request only). The example's base64 has non-zero
//     padding bits ("…IiB="), so the tests compare the decoded content.
//   - External activity: the table lists url and headers at the top level
//     and calls headers an array, but the example nests them in
//     "external_activity" with headers as an object; the client follows the
//     example (nested, map of name → value; headers omitted when empty) and
//     requires an absolute http(s) URL.
//   - Additional signature (84): the document shows only the entrepreneur
//     variant; a legal-entity block is sent when given (inferred), at most
//     one of the two, neither required (the provider decides).
//   - Pause (134): only consumer (plus the common callback and external_id).
//
// Testdata: testdata/ holds every example response body of these endpoints,
// named after the endpoint and the document line, and the request examples
// of the calls added for signing (request-*.json); the document's malformed
// examples were repaired (syntax only), see testdata/README.md.
package fns
