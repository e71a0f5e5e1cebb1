package app_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/client"
)

// otlpReceiver is an OTLP/HTTP trace receiver on loopback: it decodes each
// export request and keeps its spans with their service name.
type otlpReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests int
	spans    []receivedSpan
}

type receivedSpan struct {
	service string
	span    *tracepb.Span
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.export))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *otlpReceiver) export(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces with application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(body)
	var msg coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(raw, &msg)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	r.mu.Lock()
	r.requests++
	for _, rs := range msg.ResourceSpans {
		service := stringAttr(rs.GetResource().GetAttributes(), "service.name")
		for _, ss := range rs.ScopeSpans {
			for _, span := range ss.Spans {
				r.spans = append(r.spans, receivedSpan{service: service, span: span})
			}
		}
	}
	r.mu.Unlock()

	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// waitForSpan returns the first span with the name that has the attribute
// hiretrack.request_id, or for store spans the given parent, waiting up
// to 10 s for the batch to arrive.
func (r *otlpReceiver) waitForSpan(t *testing.T, match func(*tracepb.Span) bool) receivedSpan {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, s := range r.spans {
			if match(s.span) {
				r.mu.Unlock()
				return s
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no matching span arrived within 10 s")
	return receivedSpan{}
}

func (r *otlpReceiver) requestCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func stringAttr(attrs []*commonpb.KeyValue, key string) string {
	for _, kv := range attrs {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}

// attrs returns the span's attributes as Go values, for exact comparison.
func attrs(span *tracepb.Span) map[string]any {
	out := map[string]any{}
	for _, kv := range span.Attributes {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.Key] = v.IntValue
		default:
			out[kv.Key] = kv.Value.String()
		}
	}
	return out
}

func spanWithRequestID(id string) func(*tracepb.Span) bool {
	return func(s *tracepb.Span) bool { return attrs(s)["hiretrack.request_id"] == id }
}

func childNamed(parent *tracepb.Span, name string) func(*tracepb.Span) bool {
	return func(s *tracepb.Span) bool { return s.Name == name && string(s.ParentSpanId) == string(parent.SpanId) }
}

func TestTracing(t *testing.T) {
	t.Parallel()

	t.Run("ExportsRequestAndStoreSpans", func(t *testing.T) {
		t.Parallel()
		rcv := startOTLPReceiver(t)
		environ := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.srv.URL + "/", "OTEL_BSP_SCHEDULE_DELAY": "50"}
		cfg, err := app.TracingFromEnv(func(k string) string { return environ[k] })
		require.NoError(t, err)
		require.Equal(t, app.TracingConfig{Endpoint: rcv.srv.URL + "/v1/traces", BatchDelay: 50 * time.Millisecond}, cfg)
		e := setup(t, options{tracing: cfg})
		c := e.apiClient()
		ctx := context.Background()

		_, err = c.ListTracks(ctx, client.WithRequestID("trace-list-1"))
		require.NoError(t, err)

		server := rcv.waitForSpan(t, spanWithRequestID("trace-list-1"))
		require.Equal(t, "hiretrack", server.service)
		require.Equal(t, "GET /tracks", server.span.Name)
		require.Equal(t, tracepb.Span_SPAN_KIND_SERVER, server.span.Kind)
		require.Equal(t, map[string]any{
			"http.request.method": "GET", "http.route": "/tracks", "http.response.status_code": int64(200),
			"hiretrack.request_id": "trace-list-1", "hiretrack.key_prefix": e.key[:12],
		}, attrs(server.span))
		auth := rcv.waitForSpan(t, childNamed(server.span, "store.Authenticate"))
		require.Equal(t, server.span.TraceId, auth.span.TraceId)
		rcv.waitForSpan(t, childNamed(server.span, "store.Tracks"))
	})

	t.Run("ErrorCodeAndCallerTrace", func(t *testing.T) {
		t.Parallel()
		rcv := startOTLPReceiver(t)
		e := setup(t, options{tracing: app.TracingConfig{Endpoint: rcv.srv.URL + "/v1/traces", BatchDelay: 50 * time.Millisecond}})

		traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
		req, err := http.NewRequest(http.MethodPut, e.srv.URL()+"/tracks/candidate/advance",
			strings.NewReader(`{"track_id": 99, "application_id": 1, "invite_format": "getlink"}`))
		require.NoError(t, err)
		req.Header.Set("apiKey", e.key)
		req.Header.Set("X-Request-Id", "trace-advance-1")
		req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		server := rcv.waitForSpan(t, spanWithRequestID("trace-advance-1"))
		require.Equal(t, "PUT /tracks/candidate/advance", server.span.Name)
		require.Equal(t, traceID, hex.EncodeToString(server.span.TraceId))
		require.Equal(t, "00f067aa0ba902b7", hex.EncodeToString(server.span.ParentSpanId))
		require.Equal(t, int64(404), attrs(server.span)["http.response.status_code"])
		require.Equal(t, tracepb.Status_STATUS_CODE_UNSET, server.span.Status.GetCode(), "a 4xx is not a server fault")
		transition := rcv.waitForSpan(t, childNamed(server.span, "store.Transition"))
		require.Equal(t, "not_found", attrs(transition.span)["hiretrack.error_code"])
	})

	t.Run("CandidatePageKeepsTokenOut", func(t *testing.T) {
		t.Parallel()
		rcv := startOTLPReceiver(t)
		e := setup(t, options{tracing: app.TracingConfig{Endpoint: rcv.srv.URL + "/v1/traces", BatchDelay: 50 * time.Millisecond}})
		token := "SecretTokenThatMustNotBeTraced0123456789abc"

		req, err := http.NewRequest(http.MethodGet, e.srv.URL()+"/invite/"+token, nil)
		require.NoError(t, err)
		req.Header.Set("X-Request-Id", "trace-page-1")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()

		server := rcv.waitForSpan(t, spanWithRequestID("trace-page-1"))
		require.Equal(t, "GET /invite/{token}", server.span.Name)
		require.Equal(t, "/invite/{token}", attrs(server.span)["http.route"])
		require.NotContains(t, server.span.String(), token)
	})

	t.Run("OffWithoutConfiguration", func(t *testing.T) {
		t.Parallel()
		rcv := startOTLPReceiver(t)
		for _, environ := range []map[string]string{
			{},
			{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": rcv.srv.URL},
			{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": rcv.srv.URL},
		} {
			cfg, err := app.TracingFromEnv(func(k string) string { return environ[k] })
			require.NoError(t, err)
			require.Equal(t, app.TracingConfig{}, cfg, "%v", environ)
		}

		e := setup(t, options{})
		_, err := e.apiClient().ListTracks(context.Background())
		require.NoError(t, err)
		time.Sleep(200 * time.Millisecond) // four times the batch delay of the tests above
		require.Equal(t, 0, rcv.requestCount())
	})

	t.Run("FromEnv", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			name    string
			environ map[string]string
			want    app.TracingConfig
			err     string
		}{
			{"ExporterWithoutEndpoint", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"},
				app.TracingConfig{Endpoint: "http://localhost:4318/v1/traces"}, ""},
			{"SignalEndpointAsIs", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://otel.example.com/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318"},
				app.TracingConfig{Endpoint: "https://otel.example.com/custom"}, ""},
			{"Grpc", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
				app.TracingConfig{}, `invalid OTEL_EXPORTER_OTLP_PROTOCOL "grpc": hiretrack sends traces over http/protobuf only`},
			{"Console", map[string]string{"OTEL_TRACES_EXPORTER": "console"},
				app.TracingConfig{}, `invalid OTEL_TRACES_EXPORTER "console": hiretrack supports otlp and none`},
			{"BadEndpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4318"},
				app.TracingConfig{}, `invalid OTLP traces endpoint "collector:4318": it must be an http or https URL such as http://localhost:4318/v1/traces`},
			{"BadDelay", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_BSP_SCHEDULE_DELAY": "5s"},
				app.TracingConfig{}, `invalid OTEL_BSP_SCHEDULE_DELAY "5s": it must be a positive number of milliseconds`},
		}
		for _, tc := range cases {
			cfg, err := app.TracingFromEnv(func(k string) string { return tc.environ[k] })
			if tc.err != "" {
				require.EqualError(t, err, tc.err, tc.name)
				continue
			}
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.want, cfg, tc.name)
		}
	})

	t.Run("ServeRejectsUnsupportedExporter", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		code, _, stderr := runCLIEnv(t, map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"},
			"serve", "--addr", "127.0.0.1:0", "--db", dir+"/h.db", "--data-dir", dir)

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid OTEL_TRACES_EXPORTER \"zipkin\": hiretrack supports otlp and none\n", stderr)
	})
}
