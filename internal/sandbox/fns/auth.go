package fns

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
)

// Texts of the answers the document does not give (Django REST framework's
// Russian texts, as the documented «Это поле обязательно.» is DRF's).
const (
	msgRequired          = "Это поле обязательно."
	msgSNILS             = "Неправильный формат СНИЛС"
	msgINN               = "Неправильный формат ИНН"
	msgBlocked           = "Данный клиент заблокирован. Выполнение операции невозможно"
	msgWorkflowNotFound  = "Поток работ не найден"
	msgClientNotFound    = "Клиент с такими данными не найден"
	msgNoCredentials     = "Учетные данные не были предоставлены."
	msgBadToken          = "Недопустимый токен."
	msgBadLogin          = "Недопустимые имя пользователя или пароль."
	msgInactive          = "Пользователь неактивен или удален."
	msgForbidden         = "У вас недостаточно прав для выполнения данного действия."
	msgNotFound          = "Не найдено."
	msgBadJSON           = "Неверный JSON."
	msgPhone             = "Неправильный формат номера телефона"
	msgDate              = "Неправильный формат date. Используйте один из этих форматов: YYYY-MM-DD."
	msgUUID              = "Введите правильный UUID."
	msgOGRN              = "Неправильный формат ОГРН"
	msgOGRNIP            = "Неправильный формат ОГРНИП"
	msgDigits            = "Неправильный формат"
	msgWrongState        = "Действие недоступно в текущем статусе потока работ"
	msgConfDocsMissing   = "Не загружены документы, подтверждающие личность"
	msgScansMissing      = "Не загружены сканы документов"
	msgPointRequired     = "Укажите пункт идентификации"
	msgAgentSNILSActive  = "Активная учетная запись с таким СНИЛС уже существует"
	msgUsernameTaken     = "Пользователь с таким именем уже существует."
	msgBadCertificate    = "Неправильный формат сертификата"
	msgBadBase64         = "Неправильный формат файла"
	msgUnknownScenario   = "Недопустимый первичный ключ - объект не существует."
	msgUnknownPermission = "Значение отсутствует среди допустимых вариантов."
)

// account is the partner's technical account or an agent's personal one.
type account struct {
	username string
	password string
	token    string
	partner  bool
	active   bool
	agent    *agent // nil for the partner
}

// can reports whether a holds permission p (the partner holds all).
func (a *account) can(p string) bool {
	if a.partner {
		return true
	}
	for _, q := range a.agent.permissions {
		if q == p {
			return true
		}
	}
	return false
}

// Agent permissions (§1.13).
const (
	PermCreateAgent = "create_new_agent"
	PermIdentify    = "consumer_identify"
)

type ctxKey struct{}

// caller returns the authenticated account of r.
func caller(r *http.Request) *account { return r.Context().Value(ctxKey{}).(*account) }

// writeJSON writes status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeResult writes 200 {"result": v}.
func writeResult(w http.ResponseWriter, v any) {
	writeJSON(w, http.StatusOK, map[string]any{"result": v})
}

// writeError writes {"error": v}.
func writeError(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, map[string]any{"error": v})
}

// writeDetail writes {"error": {"detail": msg}}.
func writeDetail(w http.ResponseWriter, status int, msg string) {
	writeError(w, status, map[string]any{"detail": msg})
}

// writeNonField writes 400 {"error": {"non_field_errors": [msg]}}.
func writeNonField(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, map[string]any{"non_field_errors": []string{msg}})
}

// authed authenticates r by "Authorization: token …" or HTTP basic auth and
// moves the process engine on before next runs (saving what it moved).
func (s *Sandbox) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		s.mu.Lock()
		var acc *account
		msg := msgNoCredentials
		switch {
		case h == "":
		case len(h) > 6 && strings.EqualFold(h[:6], "token "):
			acc = s.tokens[strings.TrimSpace(h[6:])]
			msg = msgBadToken
		default:
			if u, p, ok := r.BasicAuth(); ok {
				acc = s.login(u, p)
				msg = msgBadLogin
			}
		}
		if acc != nil && !acc.active {
			acc, msg = nil, msgInactive
		}
		var saveErr error
		if s.advance() {
			saveErr = s.save()
		}
		s.mu.Unlock()
		switch {
		case saveErr != nil:
			writeSaveError(w)
			return
		case acc == nil:
			w.Header().Set("WWW-Authenticate", `Token`)
			writeDetail(w, http.StatusUnauthorized, msg)
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, acc)
		if !s.persistent {
			next(w, r.WithContext(ctx))
			return
		}
		// With a state file the answer waits until the handler's critical
		// section saved its change (see unlock), and is 500 if it could not.
		buf := &bufferedResponse{header: http.Header{}}
		next(buf, r.WithContext(context.WithValue(ctx, saveErrKey{}, &saveErr)))
		if saveErr != nil {
			writeSaveError(w)
			return
		}
		buf.flush(w)
	}
}

// login returns the account of username and password, or nil; the caller holds s.mu.
func (s *Sandbox) login(username, password string) *account {
	a, ok := s.accounts[username]
	if !ok || subtle.ConstantTimeCompare([]byte(a.password), []byte(password)) != 1 {
		return nil
	}
	return a
}

// handleAuth serves POST /api/rb/auth.
func (s *Sandbox) handleAuth(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username jstr `json:"username"`
		Password jstr `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	fe := map[string]any{}
	if in.Username == "" {
		fe["username"] = []string{msgRequired}
	}
	if in.Password == "" {
		fe["password"] = []string{msgRequired}
	}
	if len(fe) > 0 {
		writeError(w, http.StatusBadRequest, fe)
		return
	}
	s.mu.Lock()
	acc := s.login(string(in.Username), string(in.Password))
	s.mu.Unlock()
	switch {
	case acc == nil:
		writeDetail(w, http.StatusUnauthorized, msgBadLogin)
	case !acc.active:
		writeDetail(w, http.StatusUnauthorized, msgInactive)
	default:
		writeResult(w, map[string]any{"token": acc.token})
	}
}

// maxBody caps request bodies (base64 files included).
const maxBody = 32 << 20

// decode reads a JSON object body into v, answering 400 when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		writeDetail(w, http.StatusBadRequest, msgBadJSON)
		return false
	}
	return true
}
