package mandarin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"idflow/internal/validate"
)

// maxBodyBytes caps request bodies.
const maxBodyBytes = 64 << 10

// Error bodies of the sandbox.
const (
	errInvalidRequest = "Invalid request"
	errUnauthorized   = "Unauthorized"
	errInternal       = "Internal error" // errInternal answers a failed write of the state file.
)

// initBody is the POST body.
type initBody struct {
	FirstName      string `json:"firstName"`
	Patronymic     string `json:"patronymic"`
	LastName       string `json:"lastName"`
	PassportSeries string `json:"passportSeries"`
	PassportNumber string `json:"passportNumber"`
	SNILS          string `json:"snils"`
	INN            string `json:"inn"`
	Phone          string `json:"phone"`
}

// smsBody is the PUT body.
type smsBody struct {
	SMSCode string `json:"smsCode"`
}

// idBody is the POST and PUT answer.
type idBody struct {
	ID string `json:"id"`
}

// Handler returns the HTTP handler serving the three identification endpoints.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/personidentification", s.authed(s.handleInit))
	mux.HandleFunc("PUT /api/personidentification/{id}", s.authed(s.handleSMS))
	mux.HandleFunc("GET /api/personidentification/{id}", s.authed(s.handleStatus))
	return mux
}

// authed rejects requests whose X-Auth is invalid or replayed with 401.
func (s *Sandbox) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		requestID, ok := s.checkAuth(r.Header.Get("X-Auth"))
		if ok {
			var err error
			s.mu.Lock()
			ok, err = s.useRequestID(requestID)
			s.mu.Unlock()
			if err != nil {
				writeError(w, http.StatusInternalServerError, errInternal)
				return
			}
		}
		if !ok {
			writeError(w, http.StatusUnauthorized, errUnauthorized)
			return
		}
		next(w, r)
	}
}

// handleInit creates a session after validating the person's data.
func (s *Sandbox) handleInit(w http.ResponseWriter, r *http.Request) {
	var in initBody
	if !decode(w, r, &in) {
		return
	}
	miss, ok := checkInit(in)
	if !ok {
		writeError(w, http.StatusBadRequest, errInvalidRequest)
		return
	}
	timing, notFound := classify(in.LastName)
	id := uuid.NewString()
	sess := &session{created: s.cfg.Clock(), timing: timing, notFound: notFound, registryMiss: miss}
	s.mu.Lock()
	err := s.saveSession(id, sess)
	if err == nil {
		s.sessions[id] = sess
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, errInternal)
		return
	}
	s.cfg.Counts.Add(CountSession, personDigest(in))
	writeJSON(w, http.StatusOK, idBody{ID: id})
}

// CountSession counts the sessions created per person (Config.Counts).
const CountSession = "mandarin.session"

// personDigest keys a person's sessions without showing their data.
func personDigest(in initBody) string {
	b, _ := json.Marshal(in) // strings only: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// checkInit validates formats and reports whether the SNILS/INN would miss in the registry.
func checkInit(in initBody) (registryMiss, ok bool) {
	for _, name := range []string{in.FirstName, in.Patronymic, in.LastName} {
		if strings.TrimSpace(name) == "" {
			return false, false
		}
	}
	if validate.PassportRU(in.PassportSeries, in.PassportNumber) != nil || validate.PhoneMandarin(in.Phone) != nil {
		return false, false
	}
	snilsOK := in.SNILS == "" || isDigits(in.SNILS, 11)
	innOK := in.INN == "" || isDigits(in.INN, 12)
	if !snilsOK || !innOK || in.SNILS+in.INN == "" {
		return false, false
	}
	found := (in.SNILS != "" && validate.SNILS(in.SNILS) == nil) ||
		(in.INN != "" && validate.PersonINN(in.INN) == nil)
	return !found, true
}

// isDigits reports whether s is exactly n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// handleSMS checks an SMS code against a session.
func (s *Sandbox) handleSMS(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in smsBody
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	ok, err := s.checkCode(id, in.SMSCode)
	s.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, errInternal)
		return
	}
	if !ok {
		writeError(w, http.StatusBadRequest, errInvalidRequest)
		return
	}
	writeJSON(w, http.StatusOK, idBody{ID: id})
}

// checkCode applies one SMS attempt and reports whether it was accepted for
// checking; the caller holds the lock. When the attempt cannot be saved the
// session is left as it was.
func (s *Sandbox) checkCode(id, code string) (bool, error) {
	sess, found := s.sessions[id]
	switch {
	case !found || validate.SMSCode(code) != nil:
		return false, nil
	case sess.phoneOK:
		return true, nil
	case sess.attempts >= MaxSMSAttempts:
		return false, nil
	}
	next := *sess
	next.attempts++
	next.phoneChecked = true
	next.phoneOK = subtle.ConstantTimeCompare([]byte(code), []byte(s.cfg.AcceptedCode)) == 1
	if err := s.saveSession(id, &next); err != nil {
		return false, err
	}
	*sess = next
	return true, nil
}

// handleStatus reports the state of a session.
func (s *Sandbox) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	sess, found := s.sessions[id]
	var body statusBody
	if found {
		body = s.status(id, sess, s.cfg.Clock())
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusBadRequest, errInvalidRequest)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// decode reads a JSON body into v, answering 400 when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, errInvalidRequest)
		return false
	}
	return true
}

// writeError answers {"error": msg} with status code.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// writeJSON answers v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
