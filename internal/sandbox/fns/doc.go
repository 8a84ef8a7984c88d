// Package fns is a faithful fake of the FNS «Мобильная подпись» partner API
// (fns-mobile-signature-api.ru.txt v2.23; see FNS-INVENTORY.md), served over
// real HTTP for tests and local runs: registration (scenario 80) with SMEV
// checks steered by test values, a simulated person in the app, agent
// accounts and in-person identification, КЭП issuance with real X.509
// certificates from the sandbox's own test CA, document signing
// (scenarios 82 and 88) with real detached CMS signatures by the person's
// КЭП key, the signed documents and signatures merge, and callbacks with
// redelivery. It imports nothing of ours but internal/validate.
//
// Mount Sandbox.Handler on any listener (httptest.NewServer in tests). It
// serves, every path also with a trailing slash where the document writes
// one:
//
//	POST /api/rb/auth                                     {username, password} → {"result":{"token"}}
//	POST /api/rb/workflow                                 scenario 80 (§1.2.1); 82 and 88, document signing (§1.2.3)
//	GET  /api/rb/workflow?consumer={uuid},{uuid}&type=…   workflow search (§1.11)
//	PUT  /api/rb/workflow/remove                          {"workflow_id_list":[…]} → {workflow_id_list, success_id_list, error_id_list}
//	GET  /api/rb/workflow/{id}/full                       §1.4.2
//	POST /api/rb/workflow/identification/search/          §1.4.1
//	GET  /api/rb/workflow/{id}/confirmation-document      §1.4.3
//	PUT  /api/rb/confirmation-document/{id}               {title, path(base64)}
//	GET  /api/rb/confirmation-document/{id}/path/{title}  the uploaded file
//	GET  /api/rb/confirmation-document/{id}/template      printable instruction (HTML; …/template-text plain text; …/template-tex too)
//	PUT  /api/rb/workflow/{id}/state                      identify | scan_confirm_received (§1.4.4)
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
//	                             nor merge signatures (403); signing workflows are never theirs to see
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
// (trimmed, any case). A document title containing «отказ» or
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
//     are accepted and not used; legal_entity.inn (10 digits) is not
//     matched against the consumer's legal entities.
//   - A25: scenario as a number or a string; only 80, 82 and 88 exist (another is
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
//     «Ошибка»; the child's titles «Получите сертификат КЭП» and
//     «Сертификат КЭП выпущен».
//   - Agent ids count from 1; workflow, document, scan and certificate ids
//     share one counter from 2050001.
//   - State: New keeps it in memory only. Open with Config.StatePath keeps
//     it in a sandboxstate file (rows of sandbox "fns"; worker -dev shares
//     sandboxes.db with the other sandboxes): the whole model but the
//     uploaded files is one JSON record, rewritten when it changed at the
//     end of every critical section, before the answer (500 when it cannot
//     be written); each uploaded file, document to sign and signature is
//     its own record. After a reopen
//     steps and temporary-block lifts that fell due meanwhile happen at
//     once, undelivered callbacks are retried when due (attempt counts
//     kept), tokens, ids, external ids and the test CA stay the same.
//     Callbacks() then lists only the restored undelivered callbacks.
package fns
