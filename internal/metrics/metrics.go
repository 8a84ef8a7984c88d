// Package metrics collects the worker's metrics in one Prometheus registry:
// the Temporal SDK's (through OpenTelemetry), the Go runtime's, and the
// gateway's own. The gateway serves them at /metrics.
package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// Metrics owns the registry and the instruments shared by the worker.
type Metrics struct {
	registry *prometheus.Registry
	provider *sdkmetric.MeterProvider
	// HTTPRequests counts gateway requests by route and status code.
	HTTPRequests *prometheus.CounterVec
}

// New builds a registry with the Go and process collectors and an
// OpenTelemetry meter provider exporting into it.
func New() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	m := &Metrics{
		registry: reg,
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idflow_http_requests_total",
			Help: "Gateway HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	reg.MustRegister(m.HTTPRequests)
	return m, nil
}

// Registerer lets other packages add their own collectors.
func (m *Metrics) Registerer() prometheus.Registerer { return m.registry }

// Temporal is the metrics handler to put in the Temporal client's options.
func (m *Metrics) Temporal() client.MetricsHandler {
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: m.provider.Meter("temporal-sdk-go"),
	})
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
