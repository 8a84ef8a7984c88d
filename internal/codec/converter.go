package codec

import (
	"context"
	"net/http"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"idflow/internal/subject"
)

// DataConverter seals payloads with the keys of the subject the context
// carries: the SDK hands it each workflow's and activity's context
// (converter.ContextAware), so a person's process writes history sealed
// with that person's key. Without a subject it seals with the master key.
type DataConverter struct {
	converter.DataConverter
	ring *Ring
}

var _ converter.ContextAware = (*DataConverter)(nil)

// NewDataConverter returns the converter every client and worker of
// idflow uses; it seals with the master key until a context says whose
// data it carries.
func NewDataConverter(ring *Ring) *DataConverter {
	return &DataConverter{DataConverter: sealed(context.Background(), ring, ""), ring: ring}
}

func sealed(ctx context.Context, ring *Ring, subj string) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(ctx, ring.For(subj)))
}

// sealedInWorkflow is sealed for workflow code: a key lookup may take a
// moment (the store) without tripping the deadlock detector, and one that
// cannot be done now fails the task rather than the workflow.
func sealedInWorkflow(ring *Ring, subj string) converter.DataConverter {
	c := New(context.Background(), ring.For(subj))
	c.inWorkflow = true
	return workflow.DataConverterWithoutDeadlockDetection(converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c))
}

// WithWorkflowContext seals with the workflow's subject's key.
func (d *DataConverter) WithWorkflowContext(ctx converter.WorkflowContext) converter.DataConverter {
	s, _ := ctx.Value(subject.ContextKey).(string)
	return &DataConverter{DataConverter: sealedInWorkflow(d.ring, s), ring: d.ring}
}

// WithContext seals with the activity's (or caller's) subject's key.
func (d *DataConverter) WithContext(ctx context.Context) converter.DataConverter {
	s := subject.From(ctx)
	if s == "" {
		return d
	}
	return &DataConverter{DataConverter: sealed(ctx, d.ring, s), ring: d.ring}
}

// FailureConverter encodes failures' messages and stack traces with dc
// too, so an error text never lands in history in plaintext.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// Remote is the data converter of a client without keys (the starter, a
// service): the gateway's codec endpoint seals and opens for it, and a
// call made with a subject in its context (ExecuteWorkflow for a person)
// asks for that subject's key.
type Remote struct {
	converter.DataConverter
	endpoint string
	modify   func(*http.Request) error
}

var _ converter.ContextAware = (*Remote)(nil)

// NewRemoteDataConverter uses the codec endpoint at endpoint (…/v1/codec);
// modify adds the credential.
func NewRemoteDataConverter(endpoint string, modify func(*http.Request) error) *Remote {
	return &Remote{DataConverter: remote(endpoint, modify, ""), endpoint: endpoint, modify: modify}
}

func remote(endpoint string, modify func(*http.Request) error, subj string) converter.DataConverter {
	return converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: endpoint,
		ModifyRequest: func(r *http.Request) error {
			if subj != "" {
				r.Header.Set(SubjectHeader, subj)
			}
			return modify(r)
		}})
}

// WithContext asks the endpoint to seal with the context's subject's key.
func (d *Remote) WithContext(ctx context.Context) converter.DataConverter {
	s := subject.From(ctx)
	if s == "" {
		return d
	}
	return &Remote{DataConverter: remote(d.endpoint, d.modify, s), endpoint: d.endpoint, modify: d.modify}
}

// WithWorkflowContext: a client has no workflow context.
func (d *Remote) WithWorkflowContext(converter.WorkflowContext) converter.DataConverter { return d }
