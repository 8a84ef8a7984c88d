package validate

import (
	"errors"
	"strings"
)

// Kinds of validation failure, usable with errors.Is.
var (
	// ErrEmpty means that a required value is empty.
	ErrEmpty = errors.New("empty")
	// ErrFormat means that a value contains characters or a layout that is not allowed.
	ErrFormat = errors.New("invalid format")
	// ErrLength means that a value has the wrong number of digits.
	ErrLength = errors.New("wrong length")
	// ErrChecksum means that a well-formed value fails its control digits.
	ErrChecksum = errors.New("checksum mismatch")
)

// Error is a validation failure naming the document and the problem, never the value.
type Error struct {
	Doc    string // Doc names the checked document, e.g. "SNILS".
	Kind   error  // Kind is one of ErrEmpty, ErrFormat, ErrLength, ErrChecksum.
	Detail string // Detail is an optional value-free explanation, e.g. "want 11 digits".
}

// Error returns "<doc>: <kind>[: <detail>]".
func (e *Error) Error() string {
	s := e.Doc + ": " + e.Kind.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the kind so that errors.Is(err, ErrChecksum) works.
func (e *Error) Unwrap() error { return e.Kind }

func fail(doc string, kind error, detail string) error {
	return &Error{Doc: doc, Kind: kind, Detail: detail}
}

// FieldError is one problem with one field of a request.
type FieldError struct {
	Field   string // Field is a path such as "person.snils".
	Message string // Message describes the problem without the value.
}

// FieldErrors is an ordered list of field problems that implements error.
type FieldErrors []FieldError

// Add appends a problem for field.
func (fe *FieldErrors) Add(field, msg string) {
	*fe = append(*fe, FieldError{Field: field, Message: msg})
}

// Check appends err's message for field when err is not nil. A validation
// [Error] is reported by its kind and detail only: the field already names
// the document, so "passport: passport: empty" becomes "passport: empty".
func (fe *FieldErrors) Check(field string, err error) {
	var ve *Error
	switch {
	case err == nil:
	case errors.As(err, &ve):
		msg := ve.Kind.Error()
		if ve.Detail != "" {
			msg += ": " + ve.Detail
		}
		fe.Add(field, msg)
	default:
		fe.Add(field, err.Error())
	}
}

// Err returns the list as an error, or nil when it is empty.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Error joins the problems as "field: message; field: message".
func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}

// Merge appends the problems of err, a FieldErrors (as Validate methods
// return), to the list; nil adds nothing.
func (fe *FieldErrors) Merge(err error) {
	var fields FieldErrors
	if errors.As(err, &fields) {
		*fe = append(*fe, fields...)
	} else if err != nil {
		fe.Add("", err.Error())
	}
}
