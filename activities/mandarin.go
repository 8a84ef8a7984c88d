package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"idflow/internal/providers/mandarin"
	"idflow/internal/store"
	"idflow/internal/validate"
	"idflow/workflows/identity"
)

// PersonMediaType marks a document-store entry that holds an identity.Person as JSON.
const PersonMediaType = "application/vnd.idflow.person+json"

// Mandarin runs the calls of Mandarin simplified identification.
type Mandarin struct {
	// Client is nil when the worker has no Mandarin credentials.
	Client *mandarin.Client
	Store  *store.Store
}

// InitIdentificationInput names the person to identify: inline, or by a
// document-store id (claim check: the data then stays out of workflow history).
type InitIdentificationInput struct {
	Person           *identity.Person `json:"person,omitempty"`
	PersonDocumentID string           `json:"personDocumentId,omitempty"`
}

// InitIdentificationResult carries Mandarin's session id.
type InitIdentificationResult struct {
	SessionID string `json:"sessionId"`
}

// InitIdentification validates the person and opens a Mandarin session,
// which sends the SMS code. Every request is billable after the first 50, so
// nothing invalid is sent.
func (m *Mandarin) InitIdentification(ctx context.Context, in InitIdentificationInput) (InitIdentificationResult, error) {
	if m.Client == nil {
		return InitIdentificationResult{}, finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	person, err := m.resolvePerson(ctx, in)
	if err != nil {
		return InitIdentificationResult{}, err
	}
	id, err := m.Client.InitIdentification(ctx, mandarin.InitRequest{
		FirstName: person.FirstName, Patronymic: person.Patronymic, LastName: person.LastName,
		PassportSeries: person.PassportSeries, PassportNumber: person.PassportNumber,
		SNILS: person.SNILS, INN: person.INN, Phone: person.Phone,
	})
	if err != nil {
		return InitIdentificationResult{}, providerError(err)
	}
	activity.GetLogger(ctx).Info("mandarin session opened", "SessionID", id)
	return InitIdentificationResult{SessionID: id}, nil
}

// resolvePerson loads the person when passed by reference, normalizes and
// validates it; problems are final errors listing the fields (never values).
func (m *Mandarin) resolvePerson(ctx context.Context, in InitIdentificationInput) (identity.Person, error) {
	var p identity.Person
	switch {
	case in.Person != nil:
		p = *in.Person
	case in.PersonDocumentID != "":
		if err := loadJSON(ctx, m.Store, "person", in.PersonDocumentID, &p); err != nil {
			return p, err
		}
	default:
		return p, finalError(ErrTypeInvalidInput, errors.New("person: neither data nor a document id given"))
	}
	p = p.Normalized()
	if err := p.Validate("person"); err != nil {
		return p, invalidFields(err)
	}
	return p, nil
}

// SubmitSMSCodeInput is one code the person typed.
type SubmitSMSCodeInput struct {
	SessionID string `json:"sessionId"`
	Code      string `json:"code"`
}

// SubmitSMSCode sends a code to Mandarin; its verdict is read by PhoneCheck.
func (m *Mandarin) SubmitSMSCode(ctx context.Context, in SubmitSMSCodeInput) error {
	if m.Client == nil {
		return finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	if err := validate.SMSCode(in.Code); err != nil {
		return invalidFields(validate.FieldErrors{{Field: "code", Message: err.Error()}})
	}
	return providerError(m.Client.SubmitSMSCode(ctx, in.SessionID, in.Code))
}

// PhoneCheckResult is Mandarin's verdict on the last code.
type PhoneCheckResult struct {
	Verified bool `json:"verified"`
}

// PhoneCheck reads the phone verdict, retrying (as a pending error) until
// Mandarin has finished checking the last code.
func (m *Mandarin) PhoneCheck(ctx context.Context, sessionID string) (PhoneCheckResult, error) {
	st, err := m.status(ctx, sessionID)
	if err != nil {
		return PhoneCheckResult{}, err
	}
	if !st.PhoneVerificationFinished || st.PhoneVerified == nil {
		return PhoneCheckResult{}, errPending("phone check")
	}
	return PhoneCheckResult{Verified: *st.PhoneVerified}, nil
}

// CheckPersonInput asks for the SMEV person check of a session.
type CheckPersonInput struct {
	SessionID string `json:"sessionId"`
	// UntilFinished makes an unfinished check a retryable error, so that the
	// activity's retry policy does the polling.
	UntilFinished bool `json:"untilFinished"`
}

// PersonCheckResult is SMEV's answer, with its error text as given.
type PersonCheckResult struct {
	Finished bool   `json:"finished"`
	Verified bool   `json:"verified"`
	Error    string `json:"error,omitempty"`
}

// CheckPerson reads the SMEV person check.
func (m *Mandarin) CheckPerson(ctx context.Context, in CheckPersonInput) (PersonCheckResult, error) {
	st, err := m.status(ctx, in.SessionID)
	if err != nil {
		return PersonCheckResult{}, err
	}
	if !st.PersonVerificationFinished {
		if in.UntilFinished {
			return PersonCheckResult{}, errPending("SMEV person check")
		}
		return PersonCheckResult{}, nil
	}
	verified := st.PersonVerified != nil && *st.PersonVerified
	return PersonCheckResult{Finished: true, Verified: verified, Error: st.PersonVerificationError}, nil
}

func (m *Mandarin) status(ctx context.Context, sessionID string) (mandarin.Status, error) {
	if m.Client == nil {
		return mandarin.Status{}, finalError(ErrTypeProviderNotConfigured, errNotConfigured)
	}
	st, err := m.Client.Status(ctx, sessionID)
	return st, providerError(err)
}

// providerError keeps retryable provider errors as they are and makes final
// ones non-retryable.
func providerError(err error) error {
	if err == nil || mandarin.IsRetryable(err) {
		return err
	}
	return finalError(ErrTypeProviderRejected, err)
}

// invalidFields is a final InvalidInput error whose details list the fields.
func invalidFields(err error) error {
	var fields validate.FieldErrors
	errors.As(err, &fields)
	return temporal.NewNonRetryableApplicationError("invalid input: "+err.Error(), ErrTypeInvalidInput, nil, fields)
}
