package process

import (
	"fmt"
	"strings"
	"time"

	"idflow/workflows/proofing"
)

// Status is the core of every process's status query answer and result;
// process status types embed it, so its fields come first in their JSON.
type Status struct {
	Process string  `json:"process"`
	Stage   string  `json:"stage"`
	Outcome Outcome `json:"outcome"`
	// Reason is a stable code for the outcome (no personal data), or for a
	// failed process its error type.
	Reason string `json:"reason,omitempty"`
	// Error says why a failed process stopped, in the provider's or the
	// worker's words (never personal data).
	Error string `json:"error,omitempty"`
	// Waiting lists what the process waits for now; empty once it has ended.
	Waiting []Wait `json:"waiting,omitempty"`
	// Proofing is the status as the issuer's getProofingStatus reports it.
	Proofing proofing.Status `json:"proofing,omitzero"`
}

// Wait is something a process waits for, shown by the status query, the
// UI's current details and the summary of the timer that bounds it, so an
// operator sees why a process is not moving.
type Wait struct {
	// For says what is awaited, e.g. "SMS code (submit-sms-code update)".
	For string `json:"for"`
	// From says who is expected to act: "person", "provider", "operator".
	From string `json:"from"`
	// Until is the deadline, after which the process moves on without it.
	Until time.Time `json:"until,omitzero"`
}

// Who is expected to act on a Wait.
const (
	FromPerson   = "person"
	FromProvider = "provider"
	FromOperator = "operator"
	FromAgent    = "agent" // an identification agent, in person
)

// String is the wait as one line: "SMS code from person until 15:04:05 UTC".
func (w Wait) String() string {
	s := w.For + " from " + w.From
	if !w.Until.IsZero() {
		s += " until " + w.Until.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s
}

// Summary names a timer that bounds this wait, for the UI's timeline.
func (w Wait) Summary() string {
	return "deadline: " + w.String()
}

// details is the Markdown the UI shows as the workflow's current details.
func (s Status) details() string {
	parts := []string{fmt.Sprintf("**%s** · stage `%s` · outcome `%s`", s.Process, s.Stage, s.Outcome)}
	if s.Reason != "" {
		parts[0] += " (" + s.Reason + ")"
	}
	if s.Error != "" {
		parts = append(parts, "Error: "+s.Error)
	}
	if len(s.Waiting) > 0 {
		lines := []string{"Waiting for:"}
		for _, w := range s.Waiting {
			lines = append(lines, "- "+w.String())
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	return strings.Join(parts, "\n\n")
}

// Duration writes d as people read it: "24h", "30m", "1h30m", "200ms"
// (not "24h0m0s").
func Duration(d time.Duration) string {
	s := d.String()
	if d >= time.Minute && strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if d >= time.Hour && strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
