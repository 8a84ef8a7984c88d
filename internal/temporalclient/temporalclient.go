// Package temporalclient connects to Temporal the way the rest of the
// ecosystem does: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS_* and the temporal.toml profile, read by the SDK's envconfig.
package temporalclient

import (
	"context"
	"fmt"
	"net"
	"os"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"idflow/internal/logging"
	"idflow/internal/subject"
)

// Options reads the client options from the environment. When
// TEMPORAL_ADDRESS is unset, fallbackAddress (the embedded -dev server) is
// used if not empty.
func Options(logger *zap.Logger, metrics client.MetricsHandler, fallbackAddress string) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return opts, fmt.Errorf("temporal client settings (TEMPORAL_*): %w", err)
	}
	if _, set := os.LookupEnv("TEMPORAL_ADDRESS"); !set && fallbackAddress != "" {
		opts.HostPort = fallbackAddress
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	if isLoopback(opts.HostPort) && opts.ConnectionOptions.GrpcCompression == nil {
		// gzip saves bytes on a network; on loopback it only costs CPU
		// (3.5 % of -dev's under the identification bench).
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if logger != nil {
		opts.Logger = logging.SDK(logger.Named("temporal-sdk"))
	}
	opts.MetricsHandler = metrics
	opts.ContextPropagators = append(opts.ContextPropagators, subject.Propagator())
	return opts, nil
}

// isLoopback reports whether hostPort names this machine (localhost or a
// loopback IP); an empty one is the SDK's default, localhost:7233.
func isLoopback(hostPort string) bool {
	if hostPort == "" {
		return true
	}
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		host = hostPort
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Dial connects with the given options and checks the server answers.
func Dial(ctx context.Context, opts client.Options) (client.Client, error) {
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}

// SearchAttributeTypes maps each key's name to its type, as the operator
// API takes them.
func SearchAttributeTypes(keys []temporal.SearchAttributeKey) map[string]enums.IndexedValueType {
	types := make(map[string]enums.IndexedValueType, len(keys))
	for _, key := range keys {
		types[key.GetName()] = key.GetValueType()
	}
	return types
}

// EnsureSearchAttributes registers the custom search attributes that the
// namespace does not have yet, reporting whether there were any; existing
// ones are left alone.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, keys []temporal.SearchAttributeKey) (added bool, err error) {
	ops := c.OperatorService()
	existing, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return false, fmt.Errorf("list search attributes: %w", err)
	}
	missing := SearchAttributeTypes(keys)
	for name := range existing.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return false, nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return false, fmt.Errorf("add search attributes: %w", err)
	}
	return true, nil
}
