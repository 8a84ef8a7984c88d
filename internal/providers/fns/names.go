package fns

import (
	"encoding/json"
	"strings"
)

// WorkflowType is a workflow type in its canonical, hyphenated form
// ("certificate-issuing"); decoding accepts "certificate_issuing" too.
type WorkflowType string

// Workflow types (inventory §2.1).
const (
	TypeIdentification          WorkflowType = "identification"            // registration: identification + TLS certificate (scenario 80)
	TypeCertificateIssuing      WorkflowType = "certificate-issuing"       // КЭП issuance (child of identification; scenario 84)
	TypeDocumentSigning         WorkflowType = "document-signing"          // scenarios 82, 88, 564
	TypeBlank                   WorkflowType = "blank"                     // pause / long wait (scenario 134)
	TypeExternalActivity        WorkflowType = "external-activity"         // web page inside the app (scenario 102)
	TypeFileDecryption          WorkflowType = "file-decryption"           // no API
	TypeTLSCertificateReissuing WorkflowType = "tls-certificate-reissuing" // no API
	TypeCertificateReissuing    WorkflowType = "certificate-reissuing"     // no API
)

// State is a workflow state in its canonical, hyphenated form
// ("wait-consumer-identification"); decoding accepts underscores too.
type State string

// Workflow states of every type (inventory §2.1) plus the callback-only "installed".
const (
	StateStart                      State = "start"
	StateValidation                 State = "validation"
	StateRejected                   State = "rejected" // final
	StateWaitPKCS10                 State = "wait-pkcs10"
	StateWaitConsumerIdentification State = "wait-consumer-identification"
	StateCertificateIssue           State = "certificate-issue"
	StateWaitScanUpload             State = "wait-scan-upload"
	StateWaitSecretKey              State = "wait-secret-key"
	StateWaitSignature              State = "wait-signature"
	StateSignRejected               State = "sign-rejected" // intermediate: the client refused; rejected follows
	StateActive                     State = "active"
	StateProcessingExternalActivity State = "processing-external-activity"
	StateWaitExternalReview         State = "wait-external-review"
	StateCompleteExternalActivity   State = "complete-external-activity"
	StateWaitDecryption             State = "wait-decryption"
	StateWaitCertificateReceive     State = "wait-certificate-receive"
	StateComplete                   State = "complete"  // final
	StateError                      State = "error"     // final
	StateInstalled                  State = "installed" // callback only: the app was installed and activated
)

// IsFinal reports whether s is rejected, error or complete.
func (s State) IsFinal() bool {
	return s == StateRejected || s == StateError || s == StateComplete
}

// StateCommand is the "state" of PUT /api/rb/workflow/{id}/state. Commands
// keep the provider's underscores on the wire.
type StateCommand string

// State commands (§1.4.4).
const (
	CommandIdentify                 StateCommand = "identify"                   // confirm the identification (agent)
	CommandScanConfirmReceived      StateCommand = "scan_confirm_received"      // confirm the scans / the КЭП certificate
	CommandCompleteExternalActivity StateCommand = "complete_external_activity" // end an external activity
)

// Consumer states (§1.12).
const (
	ConsumerUnvalidated = "unvalidated" // identification not finished
	ConsumerTemporarily = "temporarily" // temporarily blocked
	ConsumerBlocked     = "blocked"     // blocked (failed the automated checks)
	ConsumerIdentified  = "identified"  // identified; see the sign certificate's is_confirmed
)

// Certificate types and states (§1.6).
const (
	CertificateAuth           = "auth" // TLS certificate
	CertificateSign           = "sign" // КЭП
	CertificateRequestCreated = "request-created"
	CertificateIssued         = "issued"
)

// Agent permissions (§1.13).
const (
	PermissionCreateNewAgent   = "create_new_agent"
	PermissionConsumerIdentify = "consumer_identify"
)

// NormalizeName returns a type or state name in canonical form: trimmed,
// lower case, underscores replaced by hyphens.
func NormalizeName(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
}

// UnmarshalJSON accepts either spelling.
func (t *WorkflowType) UnmarshalJSON(b []byte) error {
	s, err := lenientString(b)
	*t = WorkflowType(NormalizeName(s))
	return err
}

// UnmarshalJSON accepts either spelling.
func (s *State) UnmarshalJSON(b []byte) error {
	v, err := lenientString(b)
	*s = State(NormalizeName(v))
	return err
}

// lenientString decodes a JSON string; null and non-strings give "" (numbers their text).
func lenientString(b []byte) (string, error) {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		return n.String(), nil
	}
	return "", nil
}
