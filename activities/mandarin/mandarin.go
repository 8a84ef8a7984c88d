// Package mandarin runs the calls of Mandarin simplified identification
// (the activities of workflows/simplifiedid).
package mandarin

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"idflow/activities/claimcheck"
	"idflow/internal/pii"
	provider "idflow/internal/providers/mandarin"
	"idflow/internal/store"
	"idflow/internal/validate"
	"idflow/workflows/process"
	"idflow/workflows/simplifiedid"
)

// Activities holds what the Mandarin calls need.
type Activities struct {
	// Client is nil when the worker has no Mandarin credentials.
	Client *provider.Client
	Store  *store.Store
}

// Register puts the activities on a worker (or a test environment) under
// the names the simplifiedid contract gives them.
func Register(r worker.ActivityRegistry, a *Activities) {
	for name, fn := range map[string]any{
		simplifiedid.InitIdentificationActivity: a.InitIdentification,
		simplifiedid.SubmitSMSCodeActivity:      a.SubmitSMSCode,
		simplifiedid.PhoneCheckActivity:         a.PhoneCheck,
		simplifiedid.CheckPersonActivity:        a.CheckPerson,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// InitIdentification validates the person and opens a Mandarin session,
// which sends the SMS code. Every request is billable after the first 50, so
// nothing invalid is sent, and a session is opened at most once per
// workflow run: Mandarin has no idempotency key, so the session id is
// recorded the moment Mandarin answers and a retried activity reuses it.
// Only a crash inside the HTTP exchange itself can leave a session
// unrecorded; a retry then counts it in UncertainSessions.
func (m *Activities) InitIdentification(ctx context.Context, in simplifiedid.InitIdentificationInput) (simplifiedid.InitIdentificationResult, error) {
	if m.Client == nil {
		return simplifiedid.InitIdentificationResult{}, claimcheck.ErrNotConfigured()
	}
	person, err := m.resolvePerson(ctx, in)
	if err != nil {
		return simplifiedid.InitIdentificationResult{}, err
	}
	log := activity.GetLogger(ctx)
	key := sessionKey(activity.GetInfo(ctx))
	rec, err := m.Store.BeginOnce(ctx, key)
	if err != nil {
		return simplifiedid.InitIdentificationResult{}, err // the store may come back: retried
	}
	out := simplifiedid.InitIdentificationResult{SessionID: rec.Value, UncertainSessions: rec.Attempts - 1}
	if rec.Value != "" {
		log.Info("mandarin session already opened by an earlier attempt: reused", "SessionID", rec.Value)
		return out, nil
	}
	if out.UncertainSessions > 0 {
		log.Warn("an earlier attempt to open the session ended unrecorded: Mandarin may have opened (and billed) a session",
			"UncertainSessions", out.UncertainSessions)
		activity.GetMetricsHandler(ctx).Counter("idflow_mandarin_uncertain_sessions").Inc(1)
	}
	out.SessionID, err = m.Client.InitIdentification(ctx, provider.InitRequest{
		FirstName: person.FirstName, Patronymic: person.Patronymic, LastName: person.LastName,
		PassportSeries: person.PassportSeries, PassportNumber: person.PassportNumber,
		SNILS: person.SNILS, INN: person.INN, Phone: person.Phone,
	})
	if err != nil {
		return simplifiedid.InitIdentificationResult{}, providerError(err)
	}
	m.recordSession(ctx, key, out.SessionID)
	log.Info("mandarin session opened", "SessionID", out.SessionID)
	return out, nil
}

// sessionKey names the one session of a workflow run.
func sessionKey(info activity.Info) string {
	return "mandarin-session/" + info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID
}

// recordSession keeps the session id, retrying briefly. The session is open
// whatever happens here, so the activity succeeds even if the record fails
// (a retry would open a second one); the failure is logged.
func (m *Activities) recordSession(ctx context.Context, key, sessionID string) {
	var err error
	for range 3 {
		if err = m.Store.CompleteOnce(context.WithoutCancel(ctx), key, sessionID); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	activity.GetLogger(ctx).Error("mandarin session opened but not recorded", "SessionID", sessionID, "Error", err)
}

// resolvePerson loads the person when passed by reference, normalizes and
// validates it; problems are final errors listing the fields (never values).
func (m *Activities) resolvePerson(ctx context.Context, in simplifiedid.InitIdentificationInput) (pii.Person, error) {
	var p pii.Person
	switch {
	case in.Person != nil:
		p = *in.Person
	case in.PersonDocumentID != "":
		if err := claimcheck.LoadJSON(ctx, m.Store, "person", in.PersonDocumentID, &p); err != nil {
			return p, err
		}
	default:
		return p, process.FinalError(process.ErrTypeInvalidInput, errors.New("person: neither data nor a document id given"))
	}
	p = p.Normalized()
	var fields validate.FieldErrors
	if errors.As(p.Validate("person"), &fields) {
		return p, process.InvalidInput(fields)
	}
	return p, nil
}

// SubmitSMSCode sends a code to Mandarin; its verdict is read by PhoneCheck.
func (m *Activities) SubmitSMSCode(ctx context.Context, in simplifiedid.SubmitSMSCodeInput) error {
	if m.Client == nil {
		return claimcheck.ErrNotConfigured()
	}
	if err := validate.SMSCode(in.Code); err != nil {
		return process.InvalidInput(validate.FieldErrors{{Field: "code", Message: err.Error()}})
	}
	return providerError(m.Client.SubmitSMSCode(ctx, in.SessionID, in.Code))
}

// PhoneCheck reads the phone verdict, retrying (as a pending error) until
// Mandarin has finished checking the last code.
func (m *Activities) PhoneCheck(ctx context.Context, sessionID string) (simplifiedid.PhoneCheckResult, error) {
	st, err := m.status(ctx, sessionID)
	if err != nil {
		return simplifiedid.PhoneCheckResult{}, err
	}
	if !st.PhoneVerificationFinished || st.PhoneVerified == nil {
		return simplifiedid.PhoneCheckResult{}, process.PendingError("phone check")
	}
	return simplifiedid.PhoneCheckResult{Verified: *st.PhoneVerified}, nil
}

// CheckPerson reads the SMEV person check.
func (m *Activities) CheckPerson(ctx context.Context, in simplifiedid.CheckPersonInput) (simplifiedid.PersonCheckResult, error) {
	st, err := m.status(ctx, in.SessionID)
	if err != nil {
		return simplifiedid.PersonCheckResult{}, err
	}
	if !st.PersonVerificationFinished {
		if in.UntilFinished {
			return simplifiedid.PersonCheckResult{}, process.PendingError("SMEV person check")
		}
		return simplifiedid.PersonCheckResult{}, nil
	}
	verified := st.PersonVerified != nil && *st.PersonVerified
	return simplifiedid.PersonCheckResult{Finished: true, Verified: verified, Error: st.PersonVerificationError}, nil
}

func (m *Activities) status(ctx context.Context, sessionID string) (provider.Status, error) {
	if m.Client == nil {
		return provider.Status{}, claimcheck.ErrNotConfigured()
	}
	st, err := m.Client.Status(ctx, sessionID)
	return st, providerError(err)
}

// providerError keeps retryable provider errors as they are and makes final
// ones non-retryable.
func providerError(err error) error {
	if err == nil || provider.IsRetryable(err) {
		return err
	}
	return process.FinalError(process.ErrTypeProviderRejected, err)
}
