package faults

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Default durations used when the corresponding Spec field is zero.
const (
	DefaultHang     = 30 * time.Second
	DefaultMaxDelay = 2 * time.Second
)

// Spec says which faults to inject and how often. Every share is a
// probability in [0,1]. The inbound shares (Error, Timeout, Reset, Lost) are
// mutually exclusive bands of one draw, so they must sum to at most 1; the
// same holds for the outbound shares (Drop, Duplicate, Delay). The zero Spec
// injects nothing.
type Spec struct {
	// Seed makes the decisions reproducible: same seed and same per-key
	// request sequence give the same faults.
	Seed int64

	// Error is the share of requests answered at once with 500, 502 or 429
	// (evenly chosen; 429 carries Retry-After: 1) without calling the handler.
	Error float64
	// Latency is the upper bound of an extra delay, uniform in [0, Latency],
	// added to every request before it is handled.
	Latency time.Duration
	// Timeout is the share of requests never answered: the handler is not
	// called and the connection is dropped when the client gives up or after
	// Hang.
	Timeout float64
	// Hang bounds how long a Timeout request is held (DefaultHang if zero).
	Hang time.Duration
	// Reset is the share of requests whose connection is reset before the
	// handler runs.
	Reset float64
	// Lost is the share of requests processed by the handler whose answer is
	// then lost: the connection is closed instead of writing the answer.
	Lost float64

	// Drop is the share of outbound requests not sent at all while the
	// sender sees 200 OK.
	Drop float64
	// Duplicate is the share of outbound requests sent twice; the second
	// copy goes asynchronously after a short delay.
	Duplicate float64
	// Delay is the share of outbound requests answered 200 at once and
	// really sent later, after a uniform delay in [0, MaxDelay], so later
	// requests can overtake them.
	Delay float64
	// MaxDelay bounds the Delay fault (DefaultMaxDelay if zero).
	MaxDelay time.Duration
}

// field binds a ParseSpec key to a Spec field; exactly one of share and dur
// is set. The slice order is the order String writes the keys in.
type field struct {
	key   string
	share *float64
	dur   *time.Duration
}

func (s *Spec) fields() []field {
	return []field{
		{key: "error", share: &s.Error},
		{key: "latency", dur: &s.Latency},
		{key: "timeout", share: &s.Timeout},
		{key: "hang", dur: &s.Hang},
		{key: "reset", share: &s.Reset},
		{key: "lost", share: &s.Lost},
		{key: "drop", share: &s.Drop},
		{key: "duplicate", share: &s.Duplicate},
		{key: "delay", share: &s.Delay},
		{key: "maxdelay", dur: &s.MaxDelay},
	}
}

// allSplit is how the "all" shorthand divides its share among the inbound
// faults; the outbound faults get a third each.
var allSplit = map[string]float64{"error": 0.4, "timeout": 0.1, "reset": 0.2, "lost": 0.3}

// ParseSpec parses a comma-separated key=value list such as
//
//	seed=7,error=0.1,latency=20ms,timeout=0.02,hang=5s,reset=0.05,lost=0.05,drop=0.05,duplicate=0.1,delay=0.1,maxdelay=2s
//
// The empty string is the zero Spec. The shorthand all=X sets every share
// not given explicitly: X split among the inbound faults as error 40 %,
// timeout 10 %, reset 20 %, lost 30 %, and X/3 to each of drop, duplicate
// and delay.
func ParseSpec(str string) (Spec, error) {
	var s Spec
	seen := map[string]bool{}
	all := 0.0
	for _, part := range strings.Split(str, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return Spec{}, fmt.Errorf("faults: %q is not key=value", part)
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if seen[key] {
			return Spec{}, fmt.Errorf("faults: key %q given twice", key)
		}
		seen[key] = true
		var err error
		if key == "all" {
			all, err = parseShare(key, val)
		} else {
			err = s.set(key, val)
		}
		if err != nil {
			return Spec{}, err
		}
	}
	if seen["all"] {
		s.applyAll(all, seen)
	}
	if err := s.validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// set parses val into the field named key.
func (s *Spec) set(key, val string) error {
	if key == "seed" {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return fmt.Errorf("faults: key %q: %q is not an integer", key, val)
		}
		s.Seed = n
		return nil
	}
	for _, f := range s.fields() {
		if f.key != key {
			continue
		}
		var err error
		if f.share != nil {
			*f.share, err = parseShare(key, val)
		} else {
			*f.dur, err = parseDuration(key, val)
		}
		return err
	}
	return fmt.Errorf("faults: unknown key %q", key)
}

func parseShare(key, val string) (float64, error) {
	f, err := strconv.ParseFloat(val, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("faults: key %q: %q is not a share in [0,1]", key, val)
	}
	return f, nil
}

func parseDuration(key, val string) (time.Duration, error) {
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("faults: key %q: %q is not a non-negative duration", key, val)
	}
	return d, nil
}

// applyAll fills the shares not given explicitly from the "all" shorthand.
func (s *Spec) applyAll(all float64, seen map[string]bool) {
	outbound := map[string]bool{"drop": true, "duplicate": true, "delay": true}
	for _, f := range s.fields() {
		if f.share == nil || seen[f.key] {
			continue
		}
		if part, ok := allSplit[f.key]; ok {
			*f.share = all * part
		} else if outbound[f.key] {
			*f.share = all / 3
		}
	}
}

// sumTolerance absorbs float rounding, e.g. all=1 split into four parts.
const sumTolerance = 1e-9

func (s Spec) validate() error {
	if sum := s.inboundSum(); sum > 1+sumTolerance {
		return fmt.Errorf("faults: inbound shares error+timeout+reset+lost sum to %g, more than 1", sum)
	}
	if sum := s.outboundSum(); sum > 1+sumTolerance {
		return fmt.Errorf("faults: outbound shares drop+duplicate+delay sum to %g, more than 1", sum)
	}
	return nil
}

func (s Spec) inboundSum() float64  { return s.Error + s.Timeout + s.Reset + s.Lost }
func (s Spec) outboundSum() float64 { return s.Drop + s.Duplicate + s.Delay }

func (s Spec) inboundEnabled() bool  { return s.inboundSum() > 0 || s.Latency > 0 }
func (s Spec) outboundEnabled() bool { return s.outboundSum() > 0 }

// Enabled reports whether s injects any fault at all.
func (s Spec) Enabled() bool { return s.inboundEnabled() || s.outboundEnabled() }

func (s Spec) hang() time.Duration {
	if s.Hang <= 0 {
		return DefaultHang
	}
	return s.Hang
}

func (s Spec) maxDelay() time.Duration {
	if s.MaxDelay <= 0 {
		return DefaultMaxDelay
	}
	return s.MaxDelay
}

// String renders s in the ParseSpec syntax, writing only non-zero fields, so
// that ParseSpec(s.String()) == s. The zero Spec renders as "".
func (s Spec) String() string {
	var parts []string
	if s.Seed != 0 {
		parts = append(parts, "seed="+strconv.FormatInt(s.Seed, 10))
	}
	for _, f := range s.fields() {
		switch {
		case f.share != nil && *f.share != 0:
			// 'g' with -1 is the shortest text that parses back exactly.
			parts = append(parts, f.key+"="+strconv.FormatFloat(*f.share, 'g', -1, 64))
		case f.dur != nil && *f.dur != 0:
			parts = append(parts, f.key+"="+f.dur.String())
		}
	}
	return strings.Join(parts, ",")
}
