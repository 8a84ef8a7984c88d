package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"idflow/internal/pii"
	sandboxmandarin "idflow/internal/sandbox/mandarin"
	"idflow/internal/validate"
	"idflow/workflows/fnsregistration"
	"idflow/workflows/kyc"
	"idflow/workflows/process"
	"idflow/workflows/simplifiedid"
)

// bench is what every kind's flows share: the connections and the run's
// id, which keeps one run's workflow ids and people apart from another's.
type bench struct {
	env *environment
	c   client.Client
	gw  *gatewayClient
	run string
	// queries counts the status queries of the flows running now (reset
	// before each kind's flows; the rounds run one after the other).
	queries *atomic.Int64
}

// benchFlow drives flow i of a kind to its expected outcome.
type benchFlow func(ctx context.Context, i int) (workflowID string, err error)

// benchKind is a process `starter bench --kind` drives; prepare runs once
// before the flows (an FNS agent is created, for instance).
type benchKind struct {
	name, about string
	prepare     func(b *bench, ctx context.Context) (benchFlow, error)
}

var benchKinds = []benchKind{
	{"identification", "simplified identification: the person, the right SMS code (start the stack with IDFLOW_DEV_SMEV_DELAY=0)",
		func(b *bench, _ context.Context) (benchFlow, error) { return b.identification, nil }},
	{"kyc", "IDnGO KYC: three images, the sandbox's GREEN review by webhook, the shortest monitoring (10 s; IDFLOW_DEV_IDNGO_REVIEW_DELAY=0)",
		func(b *bench, _ context.Context) (benchFlow, error) { return b.kyc, nil }},
	{"fns-registration", "FNS registration: the app, an agent's identification, the scans, the КЭП (IDFLOW_DEV_FNS_DELAY=0)",
		(*bench).prepareFNSRegistration},
}

func benchKindNames() []string {
	var names []string
	for _, k := range benchKinds {
		names = append(names, k.name)
	}
	return names
}

// identification runs one simplified identification to acceptance.
func (b *bench) identification(ctx context.Context, i int) (string, error) {
	requestID := fmt.Sprintf("bench-%s-%d", b.run, i)
	workflowID := simplifiedid.WorkflowID(requestID)
	ctx = b.env.subjectContext(ctx, workflowID)
	wf, err := startBenchIdentification(ctx, b.env, b.c, b.gw, requestID)
	if err != nil {
		return workflowID, err
	}
	var res simplifiedid.SMSCodeResult
	if err := b.update(ctx, workflowID, simplifiedid.SubmitSMSCodeUpdate,
		simplifiedid.SMSCodeRequest{Code: sandboxmandarin.DefaultAcceptedCode}, &res); err != nil {
		return workflowID, fmt.Errorf("SMS code: %w", err)
	}
	var out simplifiedid.Status
	if err := wf.Get(ctx, &out); err != nil {
		return workflowID, err
	}
	return workflowID, wantAccepted(out.Outcome, out.Reason)
}

// kyc runs one IDnGO verification to GREEN and the end of its monitoring.
func (b *bench) kyc(ctx context.Context, i int) (string, error) {
	user := fmt.Sprintf("bench-%s-%d", b.run, i)
	workflowID := kyc.WorkflowID(user)
	ctx = b.env.subjectContext(ctx, workflowID)
	var docs []kyc.Document
	for _, d := range []struct{ typ, side, name string }{{"ID_CARD", "FRONT_SIDE", "front.jpg"}, {"ID_CARD", "BACK_SIDE", "back.jpg"}, {"SELFIE", "", "selfie.jpg"}} {
		// IDnGO refuses an image it has seen before: each flow's are its own.
		content := fmt.Appendf(nil, "\xff\xd8\xff\xe0 %s of %s", d.name, user)
		doc, err := b.gw.putBytes(ctx, content, d.name, workflowID, "image/jpeg")
		if err != nil {
			return workflowID, fmt.Errorf("store an image: %w", err)
		}
		docs = append(docs, kyc.Document{IDDocType: d.typ, IDDocSubType: d.side, Country: "RUS", DocumentID: doc.ID})
	}
	in := kyc.Input{ExternalUserID: user, LevelName: "basic-kyc-level", Documents: docs,
		Applicant:      kyc.ApplicantRef{Info: &pii.ApplicantInfo{FirstName: "Иван", LastName: "Иванов"}},
		ReconcileAfter: time.Minute, MonitorReconcileEvery: time.Hour, MonitoringPeriod: 10 * time.Second}
	wf, err := b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: b.env.cfg.TaskQueue,
		TypedSearchAttributes: kyc.StartSearchAttributes()}, kyc.WorkflowType, in)
	if err != nil {
		return workflowID, fmt.Errorf("start: %w", err)
	}
	var out kyc.Status
	if err := wf.Get(ctx, &out); err != nil {
		return workflowID, err
	}
	return workflowID, wantAccepted(out.Outcome, out.Reason)
}

// prepareFNSRegistration creates the run's identification agent; each flow
// then registers a person of its own (valid, distinct SNILS and INN).
func (b *bench) prepareFNSRegistration(ctx context.Context) (benchFlow, error) {
	agent := fnsAgentRequest{Username: "bench_" + b.run, Password: "bench-" + b.run + "-pass1",
		LastName: "Агентов", FirstName: "Агент", MiddleName: "Агентович", Phone: "79012345678",
		UnstructuredIdentity: "4500 023 Выдан ПВД ОВД 12.05.2011", SNILS: benchNumber(b.run+"/agent", 0, 9, validate.CompleteSNILS),
		Position: "оператор", Company: 1, Permissions: []string{"consumer_identify"}, IdentificationPoints: []int64{1}}
	var created fnsAgent
	if err := b.gw.fnsCall(ctx, http.MethodPost, "/v1/fns/agents", agent, http.StatusCreated, &created); err != nil {
		return nil, fmt.Errorf("create the bench's FNS agent: %w", redactError(err, agent.Password))
	}
	return func(ctx context.Context, i int) (string, error) { return b.fnsRegistration(ctx, i, created.ID) }, nil
}

// fnsRegistration takes one person through the FNS sandbox to an issued КЭП,
// as the agent and the person would: identification, then the scans.
func (b *bench) fnsRegistration(ctx context.Context, i int, agentID string) (string, error) {
	requestID := fmt.Sprintf("bench-%s-%d", b.run, i)
	workflowID := fnsregistration.WorkflowID(requestID)
	ctx = b.env.subjectContext(ctx, workflowID)
	body, err := json.Marshal(benchFNSPerson(b.run, i))
	if err != nil {
		return workflowID, err
	}
	doc, err := b.gw.putBytes(ctx, body, "registration.json", workflowID, fnsregistration.RegistrationMediaType)
	if err != nil {
		return workflowID, fmt.Errorf("store the registration: %w", err)
	}
	in := fnsregistration.Input{RequestID: requestID, RegistrationDocumentID: doc.ID, PollInitial: time.Second, PollMax: 2 * time.Second}
	wf, err := b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID, TaskQueue: b.env.cfg.TaskQueue,
		TypedSearchAttributes: fnsregistration.StartSearchAttributes()}, fnsregistration.WorkflowType, in)
	if err != nil {
		return workflowID, fmt.Errorf("start: %w", err)
	}
	steps := []struct {
		stage, update string
		scans         []string
		request       func(ids []string) any
	}{
		{fnsregistration.StageAwaitingAgent, fnsregistration.AgentIdentifyUpdate, []string{"passport.jpg"},
			func(ids []string) any {
				return fnsregistration.AgentIdentifyRequest{AgentID: agentID, PassportScanDocumentIDs: ids}
			}},
		{fnsregistration.StageAwaitingScans, fnsregistration.UploadScansUpdate, []string{"photo.jpg", "form.jpg"},
			func(ids []string) any { return fnsregistration.UploadScansRequest{ScanDocumentIDs: ids} }},
	}
	for _, step := range steps {
		if err := b.awaitStage(ctx, workflowID, step.stage); err != nil {
			return workflowID, err
		}
		var ids []string
		for _, name := range step.scans {
			scan, err := b.gw.putBytes(ctx, fmt.Appendf(nil, "\xff\xd8 %s of %s", name, requestID), name, workflowID, "image/jpeg")
			if err != nil {
				return workflowID, fmt.Errorf("store a scan: %w", err)
			}
			ids = append(ids, scan.ID)
		}
		var res fnsregistration.StepResult
		if err := b.update(ctx, workflowID, step.update, step.request(ids), &res); err != nil {
			return workflowID, fmt.Errorf("%s: %w", step.update, err)
		}
	}
	var out fnsregistration.Status
	if err := wf.Get(ctx, &out); err != nil {
		return workflowID, err
	}
	return workflowID, wantAccepted(out.Outcome, out.Reason)
}

// awaitStage polls the status query, as a service's screen would, until
// the workflow reaches stage; an outcome before it is a failure.
func (b *bench) awaitStage(ctx context.Context, workflowID, stage string) error {
	for {
		b.queries.Add(1)
		v, err := b.c.QueryWorkflow(ctx, workflowID, "", process.StatusQuery)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		var st fnsregistration.Status
		if err := v.Get(&st); err != nil {
			return fmt.Errorf("status: %w", err)
		}
		switch {
		case st.Stage == stage:
			return nil
		case st.Outcome != "" && st.Outcome != process.OutcomePending:
			return fmt.Errorf("outcome %s before %s: %s", st.Outcome, stage, st.Reason)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", stage, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// update sends an update and waits for its result.
func (b *bench) update(ctx context.Context, workflowID, name string, arg, result any) error {
	h, err := b.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateName: name,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{arg}})
	if err != nil {
		return err
	}
	return h.Get(ctx, result)
}

// wantAccepted turns any other outcome into a failure named by it.
func wantAccepted(outcome process.Outcome, reason string) error {
	if outcome != process.OutcomeAccepted {
		return fmt.Errorf("outcome %s: %s", outcome, reason)
	}
	return nil
}

// benchFNSPerson is flow i's person: the sandbox's test data with a SNILS
// and an INN of its own, so that no two flows register the same consumer.
func benchFNSPerson(run string, i int) pii.FNSRegistration {
	return pii.FNSRegistration{Consumer: pii.FNSConsumer{
		LastName: "Иванов", FirstName: "Иван", MiddleName: "Иванович", Gender: "М", Birthed: "1990-01-01",
		SNILS: benchNumber(run, i, 9, validate.CompleteSNILS), INN: benchNumber(run, i, 10, validate.CompletePersonINN),
		Phone:     "7902" + benchDigits(run+"/phone", i, 7),
		Addresses: []pii.FNSAddress{{Type: "permanent", Index: "426000", Region: "18", City: "Ижевск", Street: "Пушкинская", House: "1"}},
		Identities: []pii.FNSIdentity{{Type: "internal-passport", Series: "9400", Number: benchDigits(run+"/passport", i, 6), IssueCode: "180-001",
			IssuedBy: "МВД по Удмуртской Республике", Issued: "2010-01-01"}},
	}}
}

// benchNumber is a number of digits+2 digits that complete accepts: digits
// digits derived from (run, i), no leading zero, then their checks.
func benchNumber(run string, i, digits int, complete func(string) (string, error)) string {
	n, _ := complete(benchDigits(run, i, digits)) // always digits digits
	return n
}

// benchDigits are n (more than 4) digits: n-4 derived from key, the first
// not 0, then i's last four, so that a run's first 10,000 flows differ.
func benchDigits(key string, i, n int) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	low := uint64(1)
	for range n - 5 {
		low *= 10
	}
	return fmt.Sprintf("%d%04d", low+h.Sum64()%(9*low), i%10000)
}
