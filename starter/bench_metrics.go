package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"idflow/internal/inbox"
)

// workerMetrics is one reading of the worker's /metrics.
type workerMetrics map[string]*dto.MetricFamily

// metrics reads the worker's /metrics through its gateway.
func (g *gatewayClient) metrics(ctx context.Context) (workerMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := g.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	return workerMetrics(families), nil
}

// gauge is the value of an unlabelled gauge, 0 when absent.
func (m workerMetrics) gauge(name string) float64 {
	if f := m[name]; f != nil && len(f.GetMetric()) > 0 {
		return f.GetMetric()[0].GetGauge().GetValue()
	}
	return 0
}

// counter is the value of an unlabelled counter, 0 when absent.
func (m workerMetrics) counter(name string) float64 {
	if f := m[name]; f != nil && len(f.GetMetric()) > 0 {
		return f.GetMetric()[0].GetCounter().GetValue()
	}
	return 0
}

// cpuReading is the CPU time used so far by the stack (the worker's
// process, as its /metrics reports it) and by this process.
type cpuReading struct{ stack, bench time.Duration }

func readCPU(stack workerMetrics) cpuReading {
	var own syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &own)
	return cpuReading{
		stack: time.Duration(stack.counter("process_cpu_seconds_total") * float64(time.Second)),
		bench: time.Duration(own.Utime.Nano() + own.Stime.Nano()),
	}
}

// histogram sums a histogram's series (all providers): cumulative counts
// by upper bound.
func (m workerMetrics) histogram(name string) cumulativeHistogram {
	h := cumulativeHistogram{}
	if f := m[name]; f != nil {
		for _, metric := range f.GetMetric() {
			for _, b := range metric.GetHistogram().GetBucket() {
				if !math.IsInf(b.GetUpperBound(), 1) { // the +Inf bucket is the sample count
					h[b.GetUpperBound()] += b.GetCumulativeCount()
				}
			}
			h[math.Inf(1)] += metric.GetHistogram().GetSampleCount()
		}
	}
	return h
}

// cumulativeHistogram maps a bucket's upper bound to the observations at or
// below it.
type cumulativeHistogram map[float64]uint64

// since is what was observed after earlier.
func (h cumulativeHistogram) since(earlier cumulativeHistogram) cumulativeHistogram {
	out := cumulativeHistogram{}
	for bound, n := range h {
		out[bound] = n - earlier[bound]
	}
	return out
}

// count is the number of observations.
func (h cumulativeHistogram) count() uint64 { return h[math.Inf(1)] }

// quantile estimates the q-quantile as Prometheus's histogram_quantile
// does: linearly within the bucket that holds it. Past the last finite
// bound it is that bound.
func (h cumulativeHistogram) quantile(q float64) float64 {
	total := h.count()
	if total == 0 {
		return 0
	}
	var bounds []float64
	for b := range h {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	rank := q * float64(total)
	lower, below := 0.0, uint64(0)
	for _, b := range bounds {
		n := h[b]
		if float64(n) >= rank {
			if math.IsInf(b, 1) {
				return lower
			}
			if n == below {
				return b
			}
			return lower + (b-lower)*(rank-float64(below))/float64(n-below)
		}
		lower, below = b, n
	}
	return lower
}

// callbackLatency is the stored → signalled figures of what the inbox
// delivered between two readings.
func callbackLatency(before, after workerMetrics) (count int, p50, p99 float64) {
	h := after.histogram(inbox.DeliveryLatencyMetric).since(before.histogram(inbox.DeliveryLatencyMetric))
	return int(h.count()), 1000 * h.quantile(0.5), 1000 * h.quantile(0.99)
}
