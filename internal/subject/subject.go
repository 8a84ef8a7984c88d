// Package subject carries the subject of a process — the person its
// personal data is about, named by an opaque id without personal data —
// from the caller that starts a workflow to its activities and child
// workflows, in a Temporal header (a context propagator). The document
// store seals a subject's documents with the subject's key; erasing the
// subject makes them, and what else that key sealed, unreadable.
package subject

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Header is the Temporal header that carries the subject.
const Header = "idflow-subject"

type key struct{}

// ContextKey is the key under which a context holds the subject (for
// code that reads it from a context of another kind, e.g. the data
// converter's workflow context).
var ContextKey any = key{}

// With returns ctx carrying subject ("" carries none).
func With(ctx context.Context, subject string) context.Context {
	if subject == "" {
		return ctx
	}
	return context.WithValue(ctx, key{}, subject)
}

// From is the subject ctx carries, or "".
func From(ctx context.Context) string {
	s, _ := ctx.Value(key{}).(string)
	return s
}

// FromWorkflow is the subject a workflow context carries, or "".
func FromWorkflow(ctx workflow.Context) string {
	s, _ := ctx.Value(key{}).(string)
	return s
}

// Propagator carries the subject through Temporal headers: from a
// client's start to the workflow, and from the workflow to its activities
// and child workflows.
func Propagator() workflow.ContextPropagator { return propagator{} }

type propagator struct{}

func (propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return write(From(ctx), w)
}

func (propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	return write(FromWorkflow(ctx), w)
}

func (propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	s, err := read(r)
	if err != nil || s == "" {
		return ctx, err
	}
	return context.WithValue(ctx, key{}, s), nil
}

func (propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	s, err := read(r)
	if err != nil || s == "" {
		return ctx, err
	}
	return workflow.WithValue(ctx, key{}, s), nil
}

// The header is plain JSON: it names a key, and is read before any
// payload can be decoded with it.
func write(s string, w workflow.HeaderWriter) error {
	if s == "" {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(s)
	if err != nil {
		return err
	}
	w.Set(Header, p)
	return nil
}

func read(r workflow.HeaderReader) (string, error) {
	p, ok := r.Get(Header)
	if !ok {
		return "", nil
	}
	var s string
	err := converter.GetDefaultDataConverter().FromPayload(p, &s)
	return s, err
}
