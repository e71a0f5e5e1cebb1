package httpapi

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// annotateSpan names the request's span, when a tracing middleware in
// front of the handler started one, after the matched route, and records
// the status, the request id and the key prefix. Without tracing the span
// is a no-op and nothing happens.
func annotateSpan(ctx context.Context, route string, status int, info *requestInfo) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if route != unmatchedRoute {
		// Routes are patterns such as "PUT /tracks/candidate/advance": the
		// span name, and without the method the http.route attribute.
		span.SetName(route)
		if _, path, ok := strings.Cut(route, " "); ok {
			span.SetAttributes(attribute.String("http.route", path))
		}
	}
	span.SetAttributes(
		attribute.Int("http.response.status_code", status),
		attribute.String("hiretrack.request_id", info.id),
	)
	if info.keyPrefix != "" {
		span.SetAttributes(attribute.String("hiretrack.key_prefix", info.keyPrefix))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
}
