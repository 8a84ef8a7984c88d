// Package fns is a faithful fake of the FNS «Мобильная подпись» partner API
// (fns-mobile-signature-api.ru.txt v2.23; see FNS-INVENTORY.md), served over
// real HTTP for tests and local runs: registration (scenario 80) with SMEV
// checks steered by test values, a simulated person in the app, agent
// accounts and in-person identification, КЭП issuance with real X.509
// certificates from the sandbox's own test CA, document signing
// (scenarios 82 and 88) with real detached CMS signatures by the person's
// КЭП key, the signed documents and signatures merge, additional
// signatures of an entrepreneur or a legal-entity representative
// (scenario 84), external activities (102) and pauses (134), push
// notifications, certificate revocation, and callbacks with redelivery.
// It imports nothing of ours but internal/validate.
//
// Mount Sandbox.Handler on any listener (httptest.NewServer in tests). It
// serves, every path also with a trailing slash where the document writes
// one:
//
//	POST /api/rb/auth                                     {username, password} → {"result":{"token"}}
//	POST /api/rb/workflow                                 scenario 80 (§1.2.1); 84, additional signature (§1.2.2);
//	                                                      82 and 88, document signing (§1.2.3); 134, pause (§1.2.4);
//	                                                      102, external activity (§1.2.5)
//	POST /api/rb/workflow/fns                             simplified signing by inn and phone (§1.3), scenario 564 only:
//	                                                      the newest identified consumer with that INN and phone that can
//	                                                      sign (A21); none is 400 {"non_field_errors": "Клиент с такими
//	                                                      данными не найден"} (a string, as L835); then as 82, titled
//	                                                      «Подпишите документы для индивидуального предпринимателя»; its
//	                                                      documents stay "not-rejectable" (A13 says "normal": nothing here
//	                                                      lets a person reject one document, so the type would change nothing)
//	GET  /api/rb/workflow?consumer={uuid},{uuid}&type=…   workflow search (§1.11)
//	PUT  /api/rb/workflow/remove                          {"workflow_id_list":[…]} → {workflow_id_list, success_id_list, error_id_list}
//	GET  /api/rb/workflow/{id}/full                       §1.4.2
//	POST /api/rb/workflow/identification/search/          §1.4.1
//	GET  /api/rb/workflow/{id}/confirmation-document      §1.4.3
//	PUT  /api/rb/confirmation-document/{id}               {title, path(base64)}
//	GET  /api/rb/confirmation-document/{id}/path/{title}  the uploaded file
//	GET  /api/rb/confirmation-document/{id}/template      printable instruction (HTML; …/template-text plain text; …/template-tex too)
//	PUT  /api/rb/workflow/{id}/state                      identify | scan_confirm_received | complete_external_activity (§1.4.4)
//	GET  /api/rb/workflow/{id}/document-scan              §1.5
//	PUT  /api/rb/document-scan/{id}                       {title, path(base64)}
//	GET  /api/rb/document-scan/{id}/template              the КЭП certificate form to sign (HTML; …/template-text plain text)
//	GET  /api/rb/document-scan/{id}/path/{name}           the uploaded scan
//	PUT  /api/rb/workflow/{id}/certificate                {certificate(base64 DER or PEM)} → 204 (§1.6)
//	GET  /api/rb/certificate/{id}/certificate_file        the certificate, PEM
//	GET  /api/rb/certificate/{id}/request_file            the PKCS#10 request, PEM
//	GET  /api/rb/workflow/{id}/document                   signed documents with their signature links (§1.7)
//	GET  /api/rb/document/{id}/path/{title}               a document to sign, its exact bytes
//	GET  /api/rb/document/{id}/signature/{name}.p7s       its detached CMS signature, DER (application/pkcs7-signature)
//	POST /api/rb/signatures-merge                         {"signatures":[{base64_file}|{url}]} → {"result":{"result": base64 CMS}} (§1.8)
//	POST /api/rb/consumer/search                          §1.12
//	POST /api/rb/consumer/{consumer_id}/push_notification/ {title, message, workflow_id?} → {"result":{}} (§1.9)
//	POST /api/rb/certificate/revoke/                      {base64_encoded_xml_file} → {"result":{}} (§1.10)
//	POST /api/rb/staff/agent, GET /api/rb/staff/agent, PUT /api/rb/staff/agent/{id}   §1.13
//
// Successes are HTTP 200 {"result": …} (204 without a body for the
// certificate upload); errors {"error": …} in the document's shapes:
// field → [messages], arrays of objects aligned with the request's items
// ({} for a clean item), a bare list under "consumer" for the blocked
// client, "non_field_errors" as a list. Unknown paths are http.ServeMux's
// plain-text 404 and wrong methods its 405.
//
// # Authentication
//
// Basic auth or "Authorization: token <40 hex>" on every call but
// /api/rb/auth. Accounts: the partner's technical account
// (Config.Username/Password) and every agent created through
// /api/rb/staff/agent (its login and password, or the token in the create
// answer, which /api/rb/auth also returns). A token is stable for the
// account and valid until the sandbox ends (A2). Failures are 401
// {"error": {"detail": …}} with Django REST framework's Russian texts:
// «Учетные данные не были предоставлены.» (no header), «Недопустимый
// токен.», «Недопустимые имя пользователя или пароль.» (basic auth and a
// wrong password at /api/rb/auth, which the document leaves open),
// «Пользователь неактивен или удален.» (a blocked agent). A missing
// permission is 403 «У вас недостаточно прав для выполнения данного
// действия.»
//
// Who may do what (the document is silent; the sandbox's choice):
//
//	partner (technical) account  everything; identify needs idp_info and agent_info
//	agent with create_new_agent  agent create/list/update
//	agent with consumer_identify identification search; then, for the workflows its search found and
//	                             their children: /full, confirmation documents, identify, scans, templates,
//	                             certificate files, scan_confirm_received. Other workflows are 404 «Не найдено.»
//	agents                       never register nor ask for signatures (403) nor search consumers or
//	                             workflows (403) nor remove workflows (403) nor upload certificates (403)
//	                             nor merge signatures (403) nor send pushes (403) nor revoke certificates
//	                             (403) nor end external activities (403, the partner does, L149); signing,
//	                             pause, external-activity and scenario-84 workflows are never theirs to
//	                             see (none is reached through an identification search)
//
// # Process, by Config.Clock
//
// A registration is validated synchronously (400) and, once accepted, its
// identification workflow starts in wait-pkcs10 with consumer state
// unvalidated. Then, each delay counted from the step before it (a clock
// that jumps applies the steps in order, each at its own due time):
//
//	+SMEVDelay       SMEV verdict: for a test last name, rejected with the error_message below, consumer blocked
//	                 (or, for «Временный», temporarily blocked for Config.TemporaryBlock)
//	+InstallDelay    the app is installed: "installed" callback {consumer, type, id, state}
//	 +PKCS10Delay    the app sends its TLS request (a real PKCS#10, ECDSA P-256, the person's subject):
//	                 certificate {type auth, state request-created, is_received true}; wait-consumer-identification
//	agent            identification search → confirmation document upload → PUT state identify:
//	                 certificate-issue (the answer of L1368)
//	 +IssueDelay     the auth certificate is issued; the identification completes (title «Идентификация
//	                 завершена», consumer identified, agent and identification_point set); its child
//	                 certificate-issuing starts in wait-pkcs10 with children/child_id/parent linked
//	 +PKCS10Delay    child: the КЭП request; sign certificate request-created; wait-secret-key
//	 +SecretKeyDelay child: certificate-issue
//	 +IssueDelay     child: the sign certificate is issued (is_confirmed false), two scans are asked for
//	                 («Фотография клиента с подписанным сертификатом в руках», and «Скан подписанного
//	                 сертификата КЭП ФЛ» with a template); wait-scan-upload. A PUT …/certificate during
//	                 certificate-issue replaces this step with the partner's certificate.
//	both scans uploaded, then PUT state scan_confirm_received (any account that sees it): complete,
//	                 sign is_confirmed true
//
// Processes move when a request arrives and every Config.PollInterval.
//
// # Document signing (scenarios 82 and 88)
//
// POST /api/rb/workflow with scenario 82 (or 88, which also requires
// legal_entity.inn) for a consumer given by its UUID, "identified" and
// holding a confirmed sign certificate (the КЭП of the registration,
// whose private key the simulated app kept), with 1 to 50 documents
// {title ≤ 250 characters, path = base64 content}. The answer (L497–533)
// is a document-signing workflow in wait-signature (start and validation
// are passed at once: errors are synchronous 400s), consumer as a UUID,
// group 1, space 2, «Подпишите документы», its documents in request
// order, each "not-rejectable" (A13), the title sanitised as L301 says
// (what [^.()\w\s-] matches, \w in Unicode, becomes "_"). Then:
//
//	+SignDelay        the person signs every document in the app: a detached CMS/PKCS#7 SignedData (SHA-256,
//	                  ECDSA P-256, signed attributes content-type, message-digest and signing-time, the
//	                  signer's certificate embedded, no chain) over the exact document bytes with the КЭП
//	                  key and certificate; documents is_viewed true; complete, callback as L2859 (child_id
//	                  null: the chained workflow of unknown type is not simulated, as for A4)
//	                  or, for a test title (below): sign-rejected (an intermediate callback, sent with
//	                  Config.IntermediateCallbacks)
//	 +SignRejectDelay rejected, error_message «Клиент отказался от подписания документов» (the sandbox's
//	                  text), the final callback (A12)
//
// GET …/workflow/{id}/document lists the documents in request order as
// §1.7 shows them, signature null until signed (and for ever when
// refused); another type of workflow has an empty list. The signature
// link's name is 8 random uppercase letters and digits; another name is
// 404.
//
// Signatures merge (§1.8; A23): each item is {"base64_file": base64 DER
// (PEM accepted)} or {"url": a signature link of this sandbox, relative or
// absolute}, mixed as one likes. The answer is one detached SignedData
// holding every distinct SignerInfo (the same signature given twice counts
// once) and every certificate of the inputs; all signers must have signed
// the same content, compared by their digest algorithm and signed
// message-digest attribute (and embedded content, if any), else 400
// {"signatures":["Подписи относятся к разным документам"]}. Item errors
// are aligned: {"url":["Подпись не найдена"]}, {"base64_file":
// ["Неправильный формат подписи"]}; no list «Это поле обязательно.», an
// empty one «Этот список не может быть пустым.».
//
// If the sign certificate is not the app's key's (the partner uploaded
// another one, §1.6), signing ends in error, «Ошибка подписания
// документов». signing-time is the wall clock, not Config.Clock (the
// pkcs7 library sets it).
//
// # Additional signature (scenario 84)
//
// POST /api/rb/workflow {"scenario": 84 (or "84"), consumer (UUID),
// callback?, external_id?, and exactly one of entrepreneur {ogrnip} or
// legal_entity {inn, name?, ogrn?, kpp?, division?, position?,
// addresses?}} for an identified consumer (A17). It starts a
// certificate-issuing workflow with no parent in wait-pkcs10 (group 1,
// space 2, L456–471), «Получите сертификат индивидуального
// предпринимателя» or «Получите сертификат представителя юридического
// лица», that then runs the registration child's steps above, unchanged:
// +PKCS10Delay the КЭП request (the app keeps the key), wait-secret-key,
// +SecretKeyDelay certificate-issue, +IssueDelay a sign certificate of
// the test CA (is_confirmed false; or the partner's upload) and the two
// scans, wait-scan-upload; both scans uploaded and scan_confirm_received:
// complete, is_confirmed true, titled «Сертификат индивидуального
// предпринимателя выпущен» (or «… представителя юридического лица
// выпущен»), with the final callback (and the intermediate ones with
// Config.IntermediateCallbacks). Its certificate's subject carries the
// person's attributes and, as a qualified certificate does, the OGRNIP
// (1.2.643.100.5) of the entrepreneur, or the legal entity's INN
// (INNLE, 1.2.643.100.4), OGRN (1.2.643.100.1), name (O) and the
// position (T, 2.5.4.12) when given; request_data and certificate_data
// show them under those keys. On completion the consumer's entrepreneur
// block becomes the signature's (consumer search), or the legal entity is
// added to its legal_entities (after the registration's, one per INN);
// /full of the workflow shows its own entrepreneur or legal_entity.
//
// Document signing then chooses the certificate: with legal_entity.inn of
// a legal entity the consumer holds a signature of, that signature; else
// the newest usable sign certificate that is not a legal entity's (the
// person's own or the entrepreneur's); else the newest usable one. Usable:
// confirmed, issued, not revoked, its key kept by the app. A consumer with
// usable signatures of two or more legal entities must name one
// ({"legal_entity":["Это поле обязательно."]}, L302, scenario 82 or 88);
// a legal_entity.inn naming none of its legal-entity signatures, when it
// holds any, is 400 {"legal_entity":{"inn":["У клиента нет подписи этого
// юридического лица"]}}. The registration's legal_entity block is data
// only: its КЭП is the person's own and does not count.
//
// # Pause (scenario 134) and external activity (scenario 102)
//
// A pause, POST /api/rb/workflow {"scenario": 134, consumer, callback?,
// external_id?} for an identified consumer, answers the example's
// {id, scenario, consumer, external_id, group 1, space 1, «Ожидайте
// поступления документов», state "active", created, updated} (L656–668,
// with no callback key, as there) and is a blank workflow that stays
// active until a workflow of any scenario (another pause too) is created
// for its consumer: then it is complete, with its callback (A18). A
// refused create (400) and a repeated external_id (A1) start nothing.
//
// An external activity, POST /api/rb/workflow {"scenario": 102, consumer,
// callback?, external_id?, external_activity {url, headers?}} (L607) or
// with url and headers at the top level (the table's form, L316–321; the
// nested block wins when both are given, A16), for an identified
// consumer: url required and an absolute http or https URL («Введите
// правильный URL.»), headers a JSON object of strings (or numbers;
// «Ожидался словарь элементов.» otherwise); errors of the nested form are
// nested under "external_activity". The answer is L622–640's:
// external_activity {id, url, headers}, «WebView 545» (sic), state
// processing-external-activity, group 1, space 1; /full shows the block
// too. Then the person opens the page, +Config.ExternalActivityDelay,
// which matters only for the test values below; without one the activity
// waits for the partner. PUT …/state {"state":"complete_external_activity"}
// (the partner's account; agents 403) ends it from
// processing-external-activity or wait-external-review: complete, the
// final callback, and L1457–1483's answer {type, error_message,
// error_code, updated, state "complete", state_display, message,
// idp_info, agent_info, documents [], encrypted_documents null,
// external_activity, agent_external_data}; in any other state, or on
// another type of workflow, the wrong-state 400. The table's pseudo-state
// complete-external-activity is never shown; its spelling is accepted as
// the command (every state command is read with "-" as "_").
//
// Callbacks of pauses and external activities have the signing set of
// L2859 ({id, state, type, parent_id, consumer, child_id, external_id,
// error_code, error_message}) in every state.
//
// # Push notifications and revocation
//
// POST /api/rb/consumer/{consumer_id}/push_notification/ (also without the
// slash): an unknown consumer is 404 «Не найдено.»; title and message are
// required; workflow_id is optional, a number or a string of digits
// (L2616; else «Требуется целочисленное значение.») naming a workflow of
// that consumer (else «Недопустимый первичный ключ "…" - объект не
// существует.»). The answer is 200 {"result":{}} (A23); the push is
// recorded (Pushes, kept in the state file) and shown nowhere else: the
// app is simulated, and the templates agreed with the provider (L159) are
// not checked.
//
// POST /api/rb/certificate/revoke/ (also without the slash)
// {"base64_encoded_xml_file": …}: the XSD is "given on request" (L2626),
// so the sandbox defines its own minimal application, a UTF-8 XML
// document with one root element, of any name and namespace, that contains
// at any depth a SerialNumber element (any namespace) holding the sign
// certificate's serial number in hex, any case, colons and whitespace
// allowed, leading zeros too; other elements (a Reason, say) are accepted
// and ignored:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<RevocationApplication>
//	  <Certificate><SerialNumber>1f:a3:07:…</SerialNumber></Certificate>
//	  <Reason>Компрометация ключа</Reason>
//	</RevocationApplication>
//
// base64 is lenient (A15). The answer is 200 {"result":{}} (A23) and the
// certificate's state is "revoked" (consumer search, /full; kept in the
// state file); revoking it again is 200 too, and changes nothing. No
// callback is sent (none is documented). Errors are 400
// {"error":{"base64_encoded_xml_file":[…]}}: «Это поле обязательно.»,
// «Неправильный формат файла» (not base64), «Файл не является корректным
// XML-документом» (the document's own example, the base64 of
// `<?xml version="1.0" `, is one), «В заявлении не указан серийный номер
// сертификата (SerialNumber)», «Неправильный формат серийного номера
// сертификата», «Сертификат подписи с таким серийным номером не найден»
// (an unknown serial, or an auth certificate's: only sign certificates,
// the document's "сертификат подписи", are revoked). A revoked
// certificate no longer signs: a signing whose consumer has no usable
// one left is 400 {"consumer":["Сертификат электронной подписи клиента
// отозван"]}, and a signing asked for before the revocation ends in error
// with that error_message when the person would sign.
//
// # Callbacks
//
// POSTed as JSON to the callback URL given at creation (a child inherits
// its parent's, A4), in order per consumer, with no signature or auth
// header (none is documented). Sent by default: installed and the finals
// complete, rejected, error (L2786); Config.IntermediateCallbacks adds every
// other state change (the child's first state included). Bodies as §2.4:
// complete carries is_remotely_identified, agent, company (null),
// identification_point; the others {id, state, type, parent_id, consumer,
// child_id, external_id, error_code, error_message}. A delivery counts
// only when answered exactly 200 (L2782); otherwise it is retried after
// each step of DocumentRetrySchedule (1m 5m 15m 30m 1h 2h 4h 8h 12h 16h:
// 43h51m, within the document's "up to 2 days") divided by
// Config.RetryFactor, then dropped. Each attempt may take
// Config.CallbackTimeout (60 s, L2784). Callbacks and CallbacksDelivered
// show them.
//
// # Test values
//
//	consumer.last_name "Смэвснилс"   → rejected, «Не пройдены проверки: Валидация ФИО-СНИЛС»
//	consumer.last_name "Смэвинн"     → rejected, «Не пройдены проверки: Валидация ФИО-ИНН ФЛ»
//	consumer.last_name "Смэвпаспорт" → rejected, «Не пройдены проверки: Проверка действительности паспорта»
//	consumer.last_name "Временный"   → rejected, «Клиент временно заблокирован»; consumer "temporarily"
//
// (trimmed, any case). An external activity whose URL path contains
// "sandbox-review" (ExternalReviewMarker, any case) goes to
// wait-external-review once the person has opened the page
// (+Config.ExternalActivityDelay) and waits there for
// complete_external_activity; one containing "sandbox-reject"
// (ExternalRejectMarker) is then rejected, error_message «Внешняя система
// отклонила результат внешней активности» (ExternalRejectedMessage, the
// sandbox's text), with the final callback. A document title containing «отказ» or
// "refuse" (any case) makes the person refuse to sign (sign-rejected,
// then rejected). The consumer is then blocked (state "blocked", or
// "temporarily" for «Временный», as consumer search shows), and any later
// registration sharing its SNILS, its INN or a passport series and number
// (A7) answers 400 {"error":{"consumer":["Данный клиент заблокирован.
// Выполнение операции невозможно"]}}, the one blocked error the document
// gives, for both states. A temporary block lifts Config.TemporaryBlock
// (default 24 h; negative: never) after the SMEV step: the consumer is
// "unvalidated" again, its identification stays rejected, and the person
// may register again. Valid identifiers of the document:
// SNILS 12362931139, 16145625759; INN 312324014516; legal-entity INN
// 3123456448, OGRN 1193123017042; OGRNIP 321032700015430. Identification
// points: 1 «Центр идентификации», 4 «Пункт идентификации № 4»; company 1
// «Заказчик» (INN 3123456448, OGRN 1193123017042).
//
// # Choices where the document is silent (§6.2 of the inventory)
//
//   - A1: a repeated external_id answers the original workflow unchanged
//     (200, current state), before any validation; Creates counts the
//     requests per external_id. external_id must be a UUID («Введите
//     правильный UUID.»); without one the server makes one.
//   - A2: tokens never expire; the 401 shape and texts above.
//   - A3: "installed" is always sent; intermediate states on a switch.
//   - A4: a child inherits the parent's callback URL; it gets its own
//     server-made external_id; its child_id is null (the document's
//     "10911" chain of unknown type is not simulated).
//   - A5: the schedule above; only exactly 200 delivers.
//   - A6: format and checksum errors are synchronous 400s; SMEV runs
//     after creation and rejects from whatever non-final state the
//     identification is in (a verdict due after completion is ignored).
//   - A7: "same client" = same SNILS, INN or passport series+number.
//   - A8: "temporarily" is steered by the test last name «Временный» at
//     the SMEV step, in place of a verdict: the identification is rejected
//     (a final callback, error_message «Клиент временно заблокирован», the
//     sandbox's text, as the document gives none) rather than left
//     waiting; a registration meanwhile answers the blocked 400 above; the
//     block lifts after Config.TemporaryBlock.
//   - A9: the identification never uses wait-scan-upload: the passport
//     scan (one confirmation document «Скан паспорта», type
//     internal-passport, made on first listing) must be received
//     before identify, else 400 non_field_errors «Не загружены
//     документы, подтверждающие личность».
//   - A10: no timeouts to rejected; no agent cancel.
//   - Workflow search (§1.11): every workflow of the partner, newest first,
//     narrowed by consumer (a comma list of consumer UUIDs; an unknown one
//     matches nothing) and by type (compared as given, so an unknown type
//     matches nothing); all results on one page (count, next and previous
//     null; no page parameters, as none is documented). A result has the
//     example's shape: scenario.properties {has_reservation "true",
//     button_name «Получить!1»} (sic), group {1, «Регистрация бизнеса»},
//     is_rejectable null, autosign false; extended only for an
//     identification, with the example's «Очная идентификация» and its
//     details (/full keeps its own title); scenario, certificate and
//     company as in /full.
//   - A22, removal (§1.11): each id is tried in order and the answer is
//     always 200 with the ids as given, those removed (success_id_list)
//     and the rest (error_id_list): an unknown id, one already removed (an
//     id given twice fails the second time) and any complete workflow —
//     a completed signing workflow, as the document says, and also a
//     completed identification, since it issued the auth certificate.
//     Anything else (waiting, rejected, error; a certificate-issuing child
//     not yet complete) is removed. An identification has a child only
//     once complete, so removal never reaches a child through its parent;
//     a removed child stays in its parent's children and child_id.
//     A removed workflow stops where it is (no more steps, and its
//     undelivered callbacks, retries included, are dropped and never
//     sent), leaves the workflow and identification searches, and answers
//     404 {"error":{"detail":"Поток работ не найден"}} at /full and every
//     call under /workflow/{id}; its documents, scans and certificate files
//     are 404 «Не найдено.». Its external_id is forgotten, so a new
//     registration may use it again. The consumer stays as it is. A list
//     entry that is not an integer is 400 {"workflow_id_list":["Требуется
//     целочисленное значение."]}; a missing list «Это поле обязательно.».
//   - A16: an external activity's url and headers are read from the
//     nested external_activity block (the example) or, without one, from
//     the top level (the table); headers are a JSON object.
//   - A17: scenario 84 needs an identified consumer (else 400
//     {"consumer":["Клиент не прошёл идентификацию"]}; a blocked one the
//     blocked 400), exactly one of entrepreneur and legal_entity (both
//     {"non_field_errors":["Укажите либо entrepreneur, либо
//     legal_entity"]}; neither — the document has no rule for it, and the
//     scenario is tied to a user type, L91 — {"non_field_errors":["Укажите
//     entrepreneur или legal_entity"]}); the OGRNIP is checksummed, the
//     legal entity's INN required and checksummed (10 digits), its OGRN
//     and KPP checked when given; a second entrepreneur signature — one
//     requested and not rejected, in error or removed — is 400
//     {"entrepreneur":["У клиента уже есть подпись индивидуального
//     предпринимателя"]} (L77: one per person); legal-entity signatures
//     are not limited. Pauses and external activities need an identified
//     consumer too, with the same texts.
//   - A18: a pause completes when any workflow is created for its consumer
//     (see above).
//   - A23: push and revocation answer 200 {"result":{}}; merge a real CMS.
//   - A11: the certificate upload is accepted only in certificate-issue of
//     a certificate-issuing workflow (else 400 non_field_errors «Действие
//     недоступно в текущем статусе потока работ», the sandbox's text for
//     every command in the wrong state); a body that is not base64 of an
//     X.509 certificate is 400 {"certificate":["Неправильный формат
//     сертификата"]}.
//   - A15: base64 is decoded leniently (standard or URL alphabet, padding
//     optional), so the document's "KJHDS23rhfKDFsdf=" passes.
//   - A19: gender exactly «М» (Cyrillic) or «F»; a Latin "M" is refused.
//   - A20: kpp is required in a legal_entity block (the table wins).
//   - A24: agent PUT requires username; password optional; a blocked
//     (is_active false) agent's token and login stop working.
//   - A14: 51 documents is 400 {"documents":["Убедитесь, что это поле
//     содержит не более 50 элементов."]}, none «Этот список не может быть
//     пустым.», a title over 250 characters {"documents":[{}, {"title":
//     ["Убедитесь, что это поле содержит не более 250 символов."]}]}
//     (aligned items), bad base64 «Неправильный формат файла»; an unknown
//     consumer «Недопустимый первичный ключ - объект не существует.»; a
//     blocked one the blocked 400; one without a confirmed КЭП {"consumer":
//     ["У клиента нет подтвержденного сертификата электронной подписи"]}
//     (DRF's texts where it has one, else the sandbox's). backref and data
//     are accepted and not used; legal_entity.inn (10 digits) is matched
//     against the consumer's legal-entity signatures only (scenario 84's,
//     see above).
//   - A25: scenario as a number or a string; only 80, 82, 84, 88, 102 and 134 exist (another is
//     400 {"scenario":["Недопустимый первичный ключ - объект не
//     существует."]}).
//   - Texts the document does not give: phone «Неправильный формат номера
//     телефона»; date «Неправильный формат date. Используйте один из этих
//     форматов: YYYY-MM-DD.»; other formats «Неправильный формат»; OGRN
//     «Неправильный формат ОГРН», OGRNIP «… ОГРНИП»; a bad choice «Значение
//     "x" отсутствует среди допустимых вариантов.»; a required field that
//     is present but blank is «Это поле обязательно.» too; scans missing
//     at scan_confirm_received «Не загружены сканы документов»; an agent
//     with several points and no identification_point «Укажите пункт
//     идентификации»; an agent SNILS already active «Активная учетная
//     запись с таким СНИЛС уже существует» (the agent SNILS is checksummed,
//     so the document's request example 16145625754 is refused and its
//     answer's 16145625759 accepted); an identification search without
//     passport or SNILS {"consumer":{"non_field_errors":["Укажите паспорт
//     или СНИЛС"]}}; a body that is not JSON {"detail":"Неверный JSON."}.
//   - Identification search matches phone plus SNILS or passport
//     series+number over identification workflows that are not rejected
//     or error; the newest wins.
//   - Consumer search matches last and first name (trimmed, any case),
//     phone, and every optional field given; results in activation order.
//     Reactivate simulates the person activating the app again on their
//     own: a second consumer with the same data and no workflow.
//   - The test CA is ECDSA P-256, made at New or at the first Open of a
//     state file (and kept in it, so later Opens issue under the same CA), subject
//     CN «Тестовый УЦ ФНС России (песочница)» with the document's CA INN
//     007743020560 and OGRN 1027739113049. Certificates carry the person's
//     C, S, L, CN «Фамилия Имя Отчество», SN, GN, INN (1.2.643.3.131.1.1)
//     and SNILS (1.2.643.100.3); auth: one year, clientAuth; sign: 456
//     days, digitalSignature+contentCommitment. The person's private keys
//     are made by the simulated app; it forgets the TLS key and keeps
//     the КЭП key with the consumer (in the state file too, never
//     served), to sign documents with. Certificate and
//     request files are PEM.
//   - state_display for states the document does not show: «Ожидание
//     ключа защиты», «Ожидание загрузки документов», «Отклонено»,
//     «Ошибка», «Активен» (a pause), «Работа с внешним порталом» and
//     «Ожидание ревью оператора внешней системы» (from the table's
//     comments); the child's titles «Получите сертификат КЭП» and
//     «Сертификат КЭП выпущен»; a pause's and an external activity's
//     scenario title is its workflow title.
//   - Agent ids count from 1; workflow, document, scan, certificate and
//     external-activity page ids share one counter from 2050001.
//   - State: New keeps it in memory only. Open with Config.StatePath keeps
//     it in a sandboxstate file (rows of sandbox "fns"; worker -dev shares
//     sandboxes.db with the other sandboxes): the whole model but the
//     uploaded files is one JSON record, rewritten when it changed at the
//     end of every critical section, before the answer (500 when it cannot
//     be written; the pushes received are in it too); each uploaded file,
//     document to sign and signature is its own record. After a reopen
//     steps and temporary-block lifts that fell due meanwhile happen at
//     once, undelivered callbacks are retried when due (attempt counts
//     kept), tokens, ids, external ids and the test CA stay the same.
//     Callbacks() then lists only the restored undelivered callbacks.
package fns
