// Package pii holds the personal data that workflows and activities pass
// around (a person to identify, an applicant's declared data) and its
// validation. It is pure (no I/O, no clock), so workflow code may call it.
//
// Values of these types are personal data: they never go into workflow ids,
// search attributes, logs or error texts, and validation errors name fields,
// never values. The one rule for printing: every type here prints as its
// name and "{REDACTED}" through every fmt verb (%v, %+v, %#v, %s, %q) and
// through zap (which uses String), while JSON, the only way the data travels
// to a provider or into the document store, keeps the values.
package pii

import (
	"fmt"
	"io"
)

func redacted(typeName string) string { return "pii." + typeName + "{REDACTED}" }

func writeRedacted(w io.Writer, typeName string) { _, _ = io.WriteString(w, redacted(typeName)) }

var (
	_ fmt.Formatter = Person{}
	_ fmt.Formatter = ApplicantInfo{}
)
