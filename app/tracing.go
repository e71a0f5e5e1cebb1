package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// defaultTracesEndpoint is the OTLP/HTTP traces URL that the OpenTelemetry
// specification sets for OTEL_TRACES_EXPORTER=otlp without an endpoint.
const defaultTracesEndpoint = "http://localhost:4318/v1/traces"

// TracingConfig selects OpenTelemetry tracing. The zero value turns it off.
type TracingConfig struct {
	// Endpoint is the full OTLP/HTTP URL that spans are sent to, such as
	// http://collector:4318/v1/traces; empty turns tracing off.
	Endpoint string

	// BatchDelay is the longest time a finished span waits before it is
	// sent, from OTEL_BSP_SCHEDULE_DELAY; 0 keeps the SDK's 5 s.
	BatchDelay time.Duration
}

// TracingFromEnv reads the standard OpenTelemetry variables. Tracing is
// off unless OTEL_TRACES_EXPORTER is otlp or an OTLP endpoint variable is
// set, and OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off.
// Only OTLP over HTTP with protobuf is supported; another exporter or
// protocol is an error, so that a setting is never silently ignored.
func TracingFromEnv(getenv func(string) string) (TracingConfig, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return TracingConfig{}, nil
	}
	exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	switch exporter {
	case "none":
		return TracingConfig{}, nil
	case "", "otlp":
	default:
		return TracingConfig{}, fmt.Errorf("invalid OTEL_TRACES_EXPORTER %q: hiretrack supports otlp and none", exporter)
	}

	endpoint := tracesEndpoint(getenv)
	if exporter == "" && endpoint == "" {
		return TracingConfig{}, nil
	}
	if endpoint == "" {
		endpoint = defaultTracesEndpoint
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return TracingConfig{}, fmt.Errorf("invalid OTLP traces endpoint %q: it must be an http or https URL such as %s", endpoint, defaultTracesEndpoint)
	}

	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := strings.TrimSpace(getenv(name)); p != "" {
			if p != "http/protobuf" {
				return TracingConfig{}, fmt.Errorf("invalid %s %q: hiretrack sends traces over http/protobuf only", name, p)
			}
			break
		}
	}
	cfg := TracingConfig{Endpoint: endpoint}
	if d := strings.TrimSpace(getenv("OTEL_BSP_SCHEDULE_DELAY")); d != "" {
		ms, err := strconv.Atoi(d)
		if err != nil || ms <= 0 {
			return TracingConfig{}, fmt.Errorf("invalid OTEL_BSP_SCHEDULE_DELAY %q: it must be a positive number of milliseconds", d)
		}
		cfg.BatchDelay = time.Duration(ms) * time.Millisecond
	}
	return cfg, nil
}

// tracesEndpoint applies the specification's rule: the signal-specific
// variable is the URL as it is, and the general one is a base URL that
// /v1/traces is appended to.
func tracesEndpoint(getenv func(string) string) string {
	if e := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); e != "" {
		return e
	}
	if e := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); e != "" {
		return strings.TrimRight(e, "/") + "/v1/traces"
	}
	return ""
}

// tracing is the tracer provider of a server, or nil when tracing is off.
type tracing struct {
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
}

// startTracing creates the exporter and the provider. The exporter
// connects lazily, so a collector that is down does not stop the server;
// failed exports are logged by the SDK's batch processor.
func startTracing(ctx context.Context, cfg TracingConfig, logger *slog.Logger) (*tracing, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("create the OTLP trace exporter for %s: %w", cfg.Endpoint, err)
	}

	// service.name defaults to hiretrack; OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES, read by WithFromEnv, override it.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "hiretrack")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("describe the tracing resource: %w", err)
	}

	var batch []sdktrace.BatchSpanProcessorOption
	if cfg.BatchDelay > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(cfg.BatchDelay))
	}
	// The SDK reports failed exports to a handler that is global to the
	// process. Without this one they would go to the standard log package
	// instead of the server's structured log.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing export failed", "endpoint", cfg.Endpoint, "error", err)
	}))
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter, batch...), sdktrace.WithResource(res))
	logger.Info("tracing enabled", "endpoint", cfg.Endpoint)
	return &tracing{provider: provider, tracer: provider.Tracer("github.com/hiretrack/hiretrack")}, nil
}

// propagator reads W3C trace context and baggage from incoming requests,
// so that a server span continues the trace of a caller that sent one.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// handler starts a server span around each request. httpapi names the span
// after the matched route and adds the status and request id once the
// handler has run, because only the router finds the route.
func (t *tracing) handler(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		// The raw path is not recorded: on candidate pages it holds the
		// invite token.
		ctx, span := t.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method)))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// shutdown sends the spans still buffered and stops the provider.
func (t *tracing) shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("flush traces: %w", err)
	}
	return nil
}
