// Package notify announces proofing status changes to the issuer's
// configured URL (the issuer API's notifyProofingStatusUpdateAvailable
// pattern): each announcement carries the proofing id and a sequence
// number, never the status, so the receiver reads getProofingStatus. The
// announcements come from the proofing_notifications outbox, written in the
// same transaction as the status; each is signed per Standard Webhooks and
// retried with backoff until the receiver answers 2xx.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap"

	"idflow/internal/store"
)

// Options tune a Dispatcher; zero fields take the defaults shown.
type Options struct {
	Poll       time.Duration // 2s: how often the outbox is read when nobody calls Notify
	Timeout    time.Duration // 10s: one delivery attempt
	MinBackoff time.Duration // 1s: after the first failure, doubling...
	MaxBackoff time.Duration // 10m: ...up to this
	Batch      int           // 50: notifications taken per read
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Poll, 2*time.Second)
	def(&o.Timeout, 10*time.Second)
	def(&o.MinBackoff, time.Second)
	def(&o.MaxBackoff, 10*time.Minute)
	if o.Batch <= 0 {
		o.Batch = 50
	}
	return o
}

// Dispatcher delivers the outbox to one URL.
type Dispatcher struct {
	store  *store.Store
	url    string
	signer *standardwebhooks.Webhook
	client *http.Client
	log    *zap.Logger
	opts   Options
	wake   chan struct{}
}

// New makes a dispatcher; secret is a Standard Webhooks secret (whsec_…).
func New(st *store.Store, url, secret string, log *zap.Logger, opts Options) (*Dispatcher, error) {
	signer, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("notify: the signing secret: %w", err)
	}
	opts = opts.withDefaults()
	return &Dispatcher{store: st, url: url, signer: signer, client: &http.Client{Timeout: opts.Timeout},
		log: log, opts: opts, wake: make(chan struct{}, 1)}, nil
}

// Notify wakes the dispatcher: a status change was just recorded.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		case <-d.wake:
		}
		d.deliverDue(ctx)
		timer.Reset(d.opts.Poll)
	}
}

// deliverDue sends what is due; the store gives at most one notification
// per proofing (its lowest undelivered sequence), so a proofing's
// announcements arrive in order, each after the one before was taken.
func (d *Dispatcher) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := d.store.DueProofingNotifications(ctx, time.Now(), d.opts.Batch)
		if err != nil {
			d.log.Warn("proofing notifications: cannot read the outbox", zap.Error(err))
			return
		}
		delivered := 0
		for _, n := range due {
			if d.deliver(ctx, n) {
				delivered++
			}
		}
		if delivered == 0 { // nothing left due now, or every one failed and backs off
			return
		}
	}
}

// Payload is the announcement's body.
type Payload struct {
	ProofingID     string `json:"proofingId"`
	SequenceNumber string `json:"sequenceNumber"`
}

func (d *Dispatcher) deliver(ctx context.Context, n store.ProofingNotification) bool {
	err := d.send(ctx, n)
	if err == nil {
		if err := d.store.MarkProofingNotificationDelivered(ctx, n.ID, time.Now()); err != nil {
			d.log.Warn("proofing notification sent but not marked; it will be sent again", zap.String("id", n.ID), zap.Error(err))
			return false
		}
		return true
	}
	next := time.Now().Add(d.backoff(n.Attempts))
	d.log.Info("proofing notification not acknowledged; retrying", zap.String("id", n.ID), zap.String("proofingId", n.ProofingID),
		zap.Int("attempt", n.Attempts+1), zap.Time("next", next), zap.Error(err))
	if err := d.store.MarkProofingNotificationRetry(ctx, n.ID, err.Error(), next); err != nil {
		d.log.Warn("proofing notification: cannot record the retry", zap.String("id", n.ID), zap.Error(err))
	}
	return false
}

// send posts one signed announcement; a 2xx acknowledges it.
func (d *Dispatcher) send(ctx context.Context, n store.ProofingNotification) error {
	body, err := json.Marshal(Payload{ProofingID: n.ProofingID, SequenceNumber: strconv.FormatInt(n.Sequence, 10)})
	if err != nil {
		return err
	}
	now := time.Now()
	signature, err := d.signer.Sign(n.ID, now, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	// The id is the outbox row's: a retry carries the same, so the
	// receiver can drop a duplicate.
	req.Header.Set(standardwebhooks.HeaderWebhookID, n.ID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, signature)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// backoff after attempts failures: MinBackoff doubling to MaxBackoff, with
// up to a fifth of jitter so that many retries do not arrive together.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.opts.MinBackoff
	for range attempts {
		if b >= d.opts.MaxBackoff {
			break
		}
		b *= 2
	}
	b = min(b, d.opts.MaxBackoff)
	return b + time.Duration(rand.Int64N(int64(b)/5+1))
}
