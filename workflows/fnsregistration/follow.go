package fnsregistration

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"idflow/workflows/process"
)

// Follower reads an FNS workflow (/full) whenever something may have
// changed (a callback, a step of ours, or a poll that backs off while
// nothing does) and hands every state it reads to the process. A callback
// is only a hint: the state read back is the truth, so a forged, duplicated
// or lost callback changes nothing. Every FNS process (registration, extra
// signature, pause, external activity) follows its FNS workflows with one.
type Follower struct {
	pollInitial, pollMax time.Duration
	callbacks            workflow.ReceiveChannel
	counted              *int
	changed              bool
	since                time.Time
	// version is readCoversEarlierHints's, asked at the first read.
	version      workflow.Version
	versionAsked bool
}

// readCoversEarlierHints is the change id of the follower's versions.
// From version 1, a read takes the hints that came before it as it starts:
// what it reads covers them, so only those that come during or after it
// ask for another (before, they were taken after it and made a second read
// at once). From version 2, a wait that a hint or a step ends cancels its
// poll timer (before, the timer fired later into an empty workflow task).
// Both are versions of one change id: one marker a workflow, not two.
const readCoversEarlierHints = "fns-follow-read-covers-earlier-hints"

const (
	takeHintsBeforeRead workflow.Version = 1
	cancelPollTimer     workflow.Version = 2
)

// NewFollower listens for CallbackSignal and counts the callbacks in counted.
func NewFollower(ctx workflow.Context, pollInitial, pollMax time.Duration, counted *int) *Follower {
	return &Follower{pollInitial: pollInitial, pollMax: pollMax, counted: counted,
		callbacks: workflow.GetSignalChannel(ctx, CallbackSignal)}
}

// Changed tells the follower that a step of ours moved FNS on: the next
// read comes at once instead of at the next poll.
func (f *Follower) Changed() { f.changed = true }

// StateSince is when the followed workflow entered the state last read,
// the start of that state's deadline.
func (f *Follower) StateSince() time.Time { return f.since }

// Follow reads FNS workflow fnsID until onState reports it done. A state's
// wait that passes its Until without a change calls expire and ends.
func (f *Follower) Follow(ctx workflow.Context, fnsID int64, onState func(FNSWorkflow) (process.Wait, bool),
	expire func(state string)) (FNSWorkflow, error) {
	interval, last := f.pollInitial, ""
	for {
		wf, err := f.read(ctx, fnsID)
		if err != nil {
			return wf, err
		}
		if wf.State != last {
			last, f.since, interval = wf.State, workflow.Now(ctx), f.pollInitial
		}
		wait, done := onState(wf)
		if done {
			return wf, nil
		}
		if !wait.Until.IsZero() && !workflow.Now(ctx).Before(wait.Until) {
			expire(wf.State)
			return wf, nil
		}
		woke, err := f.awaitChange(ctx, interval, wait)
		if err != nil {
			return wf, err
		}
		if !woke {
			interval = min(2*interval, f.pollMax)
		}
	}
}

// awaitChange waits for a callback, a step of ours, the poll interval or
// the wait's deadline, and reports whether something (not the poll) woke it.
func (f *Follower) awaitChange(ctx workflow.Context, interval time.Duration, wait process.Wait) (bool, error) {
	timeout := interval
	if !wait.Until.IsZero() {
		// At least a moment: a zero timeout would wait without a timer.
		timeout = max(min(timeout, wait.Until.Sub(workflow.Now(ctx))), time.Millisecond)
	}
	await := process.AwaitWithTimeout
	if f.version >= cancelPollTimer {
		await = process.AwaitCancelingTimer
	}
	woke, err := await(ctx, timeout, process.Wait{For: "next read of the FNS workflow (or " + wait.For + ")",
		From: wait.From, Until: workflow.Now(ctx).Add(timeout)}, func() bool { return f.changed || f.callbacks.Len() > 0 })
	if err != nil {
		return false, err
	}
	f.changed = false
	f.takeCallbacks(ctx)
	return woke, nil
}

// takeCallbacks counts the callbacks that came; they are hints only.
func (f *Follower) takeCallbacks(ctx workflow.Context) {
	var cb Callback
	for f.callbacks.ReceiveAsync(&cb) {
		*f.counted++
		workflow.GetLogger(ctx).Info("FNS callback", "FNSWorkflowID", cb.FNSWorkflowID, "Type", cb.Type, "State", cb.State)
	}
}

// Drain takes the callbacks left when the process ends, so none is
// reported as lost by the SDK.
func (f *Follower) Drain() {
	var cb Callback
	for f.callbacks.ReceiveAsync(&cb) {
	}
}

func (f *Follower) read(ctx workflow.Context, fnsID int64) (FNSWorkflow, error) {
	if !f.versionAsked {
		f.version, f.versionAsked = workflow.GetVersion(ctx, readCoversEarlierHints, workflow.DefaultVersion, cancelPollTimer), true
	}
	if f.version >= takeHintsBeforeRead {
		f.changed = false
		f.takeCallbacks(ctx)
	}
	var wf FNSWorkflow
	actx := process.WithSummary(CallOptions(ctx), fmt.Sprintf("FNS: read workflow %d (/full)", fnsID))
	err := workflow.ExecuteActivity(actx, ReadWorkflowActivity, ReadWorkflowInput{FNSWorkflowID: fnsID}).Get(ctx, &wf)
	return wf, err
}

// CallOptions: FNS calls of a minute at most, for an hour with retries.
func CallOptions(ctx workflow.Context) workflow.Context {
	return process.ProviderCall(ctx, time.Minute, time.Hour)
}

// StepCallOptions are CallOptions for the steps an agent or the person waits
// for (the updates), retried at most process.InteractiveStepRetryMax apart.
func StepCallOptions(ctx workflow.Context) workflow.Context {
	return process.InteractiveCall(ctx, time.Minute, time.Hour)
}

// RemoveAtFNS removes FNS workflows nobody will finish (a cancelled or
// expired process) on a disconnected context, so that it runs after a
// cancellation too. A failure is logged and returned as the text to show
// in the status ("" when removed); FNS keeps what it cannot remove.
func RemoveAtFNS(ctx workflow.Context, summary string, ids ...int64) string {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id == 0 })
	if len(ids) == 0 {
		return ""
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := process.WithSummary(CallOptions(dctx), summary)
	if err := workflow.ExecuteActivity(actx, RemoveWorkflowsActivity, RemoveWorkflowsInput{FNSWorkflowIDs: ids}).Get(dctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("FNS workflows not removed", "Error", err)
		return "not removed at FNS: " + process.ErrorText(err)
	}
	return ""
}
