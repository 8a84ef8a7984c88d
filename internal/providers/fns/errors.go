package fns

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"idflow/internal/providers/endpoint"
)

// Sentinels matched by errors.Is on an *Error (and wrapped by argument errors).
var (
	// ErrBlocked: the provider refuses the consumer because it failed the
	// automated checks earlier («Данный клиент заблокирован. Выполнение операции невозможно»).
	ErrBlocked = errors.New("fns: consumer blocked")
	// ErrNotFound: «Поток работ не найден», «Клиент с такими данными не найден», or HTTP 404.
	ErrNotFound = errors.New("fns: not found")
	// ErrUnauthorized: HTTP 401 (after the one re-authentication in token
	// mode), or the auth call itself refused the credentials.
	ErrUnauthorized = errors.New("fns: unauthorized")
	// ErrInvalidArgument: the call was refused before any request was sent.
	ErrInvalidArgument = errors.New("fns: invalid argument")
)

// Provider texts the client recognises (inventory §3), compared after trimming.
const (
	TextBlocked             = "Данный клиент заблокирован"        // prefix of «… Выполнение операции невозможно»
	TextWorkflowNotFound    = "Поток работ не найден"             // identification search without requests
	TextConsumerNotFound    = "Клиент с такими данными не найден" // simplified signing without a matching client
	TextFieldRequired       = "Это поле обязательно."             // a required field is missing
	TextInvalidSNILSFormat  = "Неправильный формат СНИЛС"         // SNILS checksum failure
	TextInvalidINNFormat    = "Неправильный формат ИНН"           // INN checksum failure
	nonFieldErrorsKey       = "non_field_errors"
	maxMessageLen           = 300 // one provider message is cut to this many bytes
	maxFieldErrors          = 50  // at most this many field errors are kept
	maxErrorStringFieldErrs = 5   // Error() lists at most this many
)

// FieldError is one message of the provider's error body with the path of
// the field it is about: "consumer.snils", "consumer.addresses[0].city";
// "" for errors about the whole request (non_field_errors, a bare string).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// String returns "field: message", or the message alone.
func (f FieldError) String() string {
	if f.Field == "" {
		return f.Message
	}
	return f.Field + ": " + f.Message
}

// Error is a failed call: the HTTP status (0 when no response arrived) and
// the provider's messages. It never holds request data.
type Error struct {
	StatusCode int          // StatusCode is the HTTP status, or 0 for transport failures.
	Op         string       // Op names the call, e.g. "POST /api/rb/workflow" (ids replaced by {id}).
	Message    string       // Message is a short summary when the body carried no provider text.
	Fields     []FieldError // Fields are the provider's messages with their paths, in path order.
	Retryable  bool         // Retryable tells that the same call may succeed later.
	cause      error
}

// Error returns e.g. "fns: POST /api/rb/workflow: HTTP 400: consumer.snils: Неправильный формат СНИЛС".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fns: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	if e.StatusCode != 0 {
		b.WriteString("HTTP " + strconv.Itoa(e.StatusCode) + ": ")
	}
	var parts []string
	for i, f := range e.Fields {
		if i == maxErrorStringFieldErrs {
			parts = append(parts, "… ("+strconv.Itoa(len(e.Fields)-i)+" more)")
			break
		}
		parts = append(parts, f.String())
	}
	if len(parts) == 0 {
		parts = append(parts, e.Message)
	}
	b.WriteString(strings.Join(parts, "; "))
	return b.String()
}

// Unwrap returns the underlying transport error, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is matches ErrBlocked, ErrNotFound and ErrUnauthorized by the provider's texts and status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBlocked:
		return e.hasText(func(m string) bool { return strings.HasPrefix(m, TextBlocked) })
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.hasText(func(m string) bool {
			return strings.HasPrefix(m, TextWorkflowNotFound) || strings.HasPrefix(m, TextConsumerNotFound)
		})
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	}
	return false
}

func (e *Error) hasText(match func(string) bool) bool {
	if e.StatusCode < 400 || e.StatusCode > 499 {
		return false
	}
	for _, f := range e.Fields {
		if match(strings.TrimSpace(f.Message)) {
			return true
		}
	}
	return false
}

// IsRetryable reports whether err is an *Error marked retryable: a network
// failure or timeout, HTTP 408, 425, 429 or 5xx, or a 2xx with an unusable body.
func IsRetryable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Retryable
}

// IsBlocked reports whether the provider refused the consumer as blocked.
func IsBlocked(err error) bool { return errors.Is(err, ErrBlocked) }

// IsNotFound reports whether the provider found no workflow / client (or answered 404).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsUnauthorized reports whether the credentials were refused.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// FieldErrors returns the provider's messages with their paths, or nil.
func FieldErrors(err error) []FieldError {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Fields
	}
	return nil
}

// invalid is a final argument error found before any request.
func invalid(msg string) error {
	return &Error{Message: "invalid argument: " + msg, cause: ErrInvalidArgument}
}

// transportError wraps a failure to get a response; it is retryable. A
// *url.Error is unwrapped so that the URL (with ids) is not repeated.
func transportError(op string, err error) error {
	msg := err.Error()
	if ue, ok := errors.AsType[*url.Error](err); ok {
		msg = ue.Err.Error()
	}
	return &Error{Op: op, Message: "transport: " + endpoint.CleanText(msg, maxMessageLen), Retryable: true, cause: err}
}

// undecodable is the error for a 2xx answer whose body cannot be used; it is retryable.
func undecodable(op string, code int, what string) error {
	return &Error{Op: op, StatusCode: code, Message: what, Retryable: true}
}

// statusError builds the error of a non-2xx answer from its status and body.
func statusError(op string, code int, body []byte) *Error {
	e := &Error{Op: op, StatusCode: code, Retryable: endpoint.RetryableStatus(code)}
	e.Fields = decodeErrorBody(body)
	if len(e.Fields) == 0 {
		e.Message = http.StatusText(code)
		if e.Message == "" {
			e.Message = "unexpected status"
		}
	}
	return e
}

// decodeErrorBody flattens the provider's error body into field errors. It
// understands {"error": …} in all documented shapes (object of lists, per-item
// arrays of objects, a bare list, a string, non_field_errors as string or
// list) and, for undocumented statuses, a DRF-style top-level {"detail": "…"}.
func decodeErrorBody(body []byte) []FieldError {
	var env struct {
		Error  json.RawMessage `json:"error"`
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	var out []FieldError
	switch {
	case len(env.Error) > 0 && !isNull(env.Error):
		flattenErrors(env.Error, "", &out)
	case len(env.Detail) > 0 && !isNull(env.Detail):
		flattenErrors(env.Detail, "", &out)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	if len(out) > maxFieldErrors {
		out = out[:maxFieldErrors]
	}
	return out
}

// flattenErrors walks one value of the error body.
func flattenErrors(raw json.RawMessage, path string, out *[]FieldError) {
	if len(*out) >= maxFieldErrors*2 {
		return
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return
		}
		for k, v := range obj {
			p := joinPath(path, k)
			if k == nonFieldErrorsKey || k == "detail" {
				p = path
			}
			flattenErrors(v, p, out)
		}
	case '[':
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return
		}
		for i, v := range arr {
			v = bytes.TrimSpace(v)
			if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
				flattenErrors(v, path+"["+strconv.Itoa(i)+"]", out)
				continue
			}
			flattenErrors(v, path, out)
		}
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if m := endpoint.CleanText(s, maxMessageLen); m != "" {
				*out = append(*out, FieldError{Field: path, Message: m})
			}
		}
	default: // numbers, booleans: keep them as text
		if !isNull(raw) {
			*out = append(*out, FieldError{Field: path, Message: endpoint.CleanText(string(raw), maxMessageLen)})
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }
