// Package codec seals Temporal payloads: every payload a worker, the
// starter or a test writes into history is encrypted with AES-256-GCM
// (internal/aead) before it leaves the process, and opened on the way
// back.
//
// An encrypted payload is the original payload, marshalled and sealed,
// with the metadata of Temporal's encryption sample:
//
//	encoding           binary/encrypted
//	encryption-key-id  the key that sealed it: a master key's id, or a
//	                   subject's data key ("sk_…", internal/store)
//
// The key id is the associated data, so a payload cannot be relabelled.
// A payload without that encoding passes through unchanged: histories
// written before encryption was switched on still read.
//
// Which key seals: a process that carries a subject (internal/subject)
// seals with that person's data key, so erasing the subject makes the
// payloads unreadable in every history; anything else with the active
// master key. Opening looks the key up by the id in the metadata.
package codec

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// Metadata of an encrypted payload (Temporal's encryption sample).
const (
	MetadataEncoding      = converter.MetadataEncoding
	MetadataEncryptionKey = "encryption-key-id"
	EncodingEncrypted     = "binary/encrypted"
)

// Key seals and opens with one key.
type Key interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// Keys gives the key to seal with, and any key by its id.
type Keys interface {
	SealKey(ctx context.Context) (id string, key Key, err error)
	OpenKey(ctx context.Context, id string) (Key, error)
}

// ErrUnknownKey: the payload names a key this process does not have
// (not configured, or destroyed by an erasure).
var ErrUnknownKey = errors.New("codec: encryption key not available")

// lookupTimeout bounds a key lookup (a subject key is read from the store).
const lookupTimeout = 10 * time.Second

// Codec is a converter.PayloadCodec over keys. PayloadCodec has no
// context, so a Codec is bound to one (the subject's) when it is made.
type Codec struct {
	keys Keys
	ctx  context.Context
	// inWorkflow: a key that cannot be looked up now (the store down)
	// must fail the workflow task, which Temporal retries, not the
	// workflow: a conversion error would reach workflow code as a result.
	inWorkflow bool
}

// New returns a codec that seals with keys' SealKey for ctx.
func New(ctx context.Context, keys Keys) *Codec {
	return &Codec{keys: keys, ctx: context.WithoutCancel(ctx)}
}

var _ converter.PayloadCodec = (*Codec)(nil)

// Encode seals every payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if len(payloads) == 0 {
		return payloads, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, lookupTimeout)
	defer cancel()
	id, key, err := c.keys.SealKey(ctx)
	if err != nil {
		return nil, c.lookupFailed(fmt.Errorf("codec: no key to seal with: %w", err))
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) == EncodingEncrypted {
			out[i] = p // sealed already (e.g. sent back to the codec endpoint): not twice
			continue
		}
		plain, err := p.Marshal()
		if err != nil {
			return nil, fmt.Errorf("codec: marshal payload: %w", err)
		}
		sealed, err := key.Seal(plain, []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: seal: %w", err)
		}
		out[i] = &commonpb.Payload{Metadata: map[string][]byte{
			MetadataEncoding:      []byte(EncodingEncrypted),
			MetadataEncryptionKey: []byte(id),
		}, Data: sealed}
	}
	return out, nil
}

// Decode opens every encrypted payload; others pass through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		decoded, err := c.open(p)
		if err != nil {
			return nil, err
		}
		out[i] = decoded
	}
	return out, nil
}

func (c *Codec) open(p *commonpb.Payload) (*commonpb.Payload, error) {
	id := string(p.GetMetadata()[MetadataEncryptionKey])
	if id == "" {
		return nil, errors.New("codec: encrypted payload without encryption-key-id")
	}
	ctx, cancel := context.WithTimeout(c.ctx, lookupTimeout)
	defer cancel()
	key, err := c.keys.OpenKey(ctx, id)
	if err != nil {
		return nil, c.lookupFailed(fmt.Errorf("codec: key %s: %w", id, err))
	}
	plain, err := key.Open(p.GetData(), []byte(id))
	if err != nil {
		return nil, fmt.Errorf("codec: payload sealed with key %s does not open", id)
	}
	var decoded commonpb.Payload
	if err := decoded.Unmarshal(plain); err != nil {
		return nil, fmt.Errorf("codec: payload sealed with key %s: %w", id, err)
	}
	return &decoded, nil
}

// lookupFailed returns err, or, inside a workflow, panics when the key may
// be found later (only ErrUnknownKey is final): the SDK fails the workflow
// task and retries it, so a store outage delays a workflow instead of
// failing it or sending it down another branch.
func (c *Codec) lookupFailed(err error) error {
	if errors.Is(err, ErrUnknownKey) {
		return err
	}
	if c.inWorkflow {
		panic(err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// ErrUnavailable: a key could not be looked up now (the store down); the
// same call may succeed later.
var ErrUnavailable = errors.New("codec: keys not available now")
