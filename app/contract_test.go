package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/httpapi"
)

// contract is the validator of the server's OpenAPI document, built once
// for all tests. Its use is serialized by contractMu, because the tests
// send requests from many goroutines and the validator's caches are not
// documented as safe for concurrent use.
var (
	contract = sync.OnceValues(func() (validator.Validator, error) {
		doc, err := libopenapi.NewDocument(httpapi.OpenAPI)
		if err != nil {
			return nil, fmt.Errorf("parse httpapi/openapi.yaml: %w", err)
		}
		v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
		if len(errs) > 0 {
			return nil, fmt.Errorf("build the validator of httpapi/openapi.yaml: %w", errors.Join(errs...))
		}
		return v, nil
	})
	contractMu sync.Mutex
)

// contractTransport checks every request and response that passes through
// it against httpapi/openapi.yaml, so that the document and the server
// cannot drift apart. A response that the document does not describe
// fails the test and reaches the caller as an error naming the method,
// path, status and reason.
//
// A request is checked only when its response is a success: the tests
// send malformed requests on purpose, and a success for a request that
// the document calls malformed means the two disagree.
type contractTransport struct {
	t    testing.TB
	next http.RoundTripper
}

// withContract wraps next, or http.DefaultTransport when it is nil.
func withContract(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &contractTransport{t: t, next: next}
}

// contractClient returns a client that checks its exchanges against the
// document, for tests that cannot use an env's client.
func contractClient(t testing.TB) *http.Client {
	return &http.Client{Transport: withContract(t, nil)}
}

func (c *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	reqBody, err := drain(req.Body)
	if err != nil {
		return nil, err
	}
	sent := req.Clone(req.Context())
	sent.Body = bodyOf(reqBody)

	resp, err := c.next.RoundTrip(sent)
	if err != nil {
		return nil, err
	}
	respBody, err := drain(resp.Body)
	if err != nil {
		return nil, err
	}
	resp.Body = bodyOf(respBody)

	if problem := checkContract(sent, reqBody, resp, respBody); problem != "" {
		c.t.Errorf("%s", problem)
		return nil, errors.New(problem)
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the wrapped
// transport, so that http.Client.CloseIdleConnections reaches them.
func (c *contractTransport) CloseIdleConnections() {
	if closer, ok := c.next.(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
	}
}

// checkContract returns what the document gets wrong about one exchange,
// or "" when it describes it.
func checkContract(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) string {
	v, err := contract()
	if err != nil {
		return err.Error()
	}

	// The validator reads the bodies, so each check gets fresh copies.
	checked := req.Clone(req.Context())
	checked.Body = bodyOf(reqBody)
	resp.Body = bodyOf(respBody)
	defer func() { resp.Body = bodyOf(respBody) }()

	contractMu.Lock()
	_, errs := v.ValidateHttpResponse(checked, resp)
	if len(errs) == 0 && resp.StatusCode < 300 {
		_, errs = v.ValidateHttpRequest(asServerReads(checked, reqBody))
	}
	contractMu.Unlock()

	if len(errs) == 0 || isNoEndpoint(errs, resp, respBody) {
		return ""
	}
	return fmt.Sprintf("httpapi/openapi.yaml does not describe %s %s → %d: %s; request body: %.300s; response body: %.300s",
		req.Method, req.URL.RequestURI(), resp.StatusCode, reasons(errs), reqBody, respBody)
}

// asServerReads returns req as the server reads it, by the rules that the
// document states in words: a body is read as JSON whatever its
// Content-Type, and a query parameter with an empty value counts as absent.
func asServerReads(req *http.Request, body []byte) *http.Request {
	req = req.Clone(req.Context())
	req.Body = bodyOf(body)
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}

	query := req.URL.Query()
	for name, values := range query {
		if len(values) == 1 && strings.TrimSpace(values[0]) == "" {
			query.Del(name)
		}
	}
	req.URL.RawQuery = query.Encode()
	return req
}

// isNoEndpoint reports whether resp is the 404 not_found with the message
// "no endpoint …" that the server sends for a method and path that match no
// route. The document states this rule in words, because it cannot list the
// paths that do not exist.
func isNoEndpoint(errs []*verrors.ValidationError, resp *http.Response, body []byte) bool {
	for _, e := range errs {
		if e.ValidationType != helpers.PathValidation {
			return false
		}
	}
	var envelope struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	return resp.StatusCode == http.StatusNotFound && json.Unmarshal(body, &envelope) == nil &&
		envelope.Error.Code == "not_found" && strings.HasPrefix(envelope.Error.Message, "no endpoint ")
}

// reasons joins the validator's messages with the schema failures under them.
func reasons(errs []*verrors.ValidationError) string {
	var parts []string
	for _, e := range errs {
		text := e.Message
		if e.Reason != "" {
			text += " (" + e.Reason + ")"
		}
		for _, f := range e.SchemaValidationErrors {
			text += fmt.Sprintf("; at %s: %s", f.FieldPath, f.Reason)
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, " | ")
}

// drain reads and closes a body, which may be nil.
func drain(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	return io.ReadAll(body)
}

// bodyOf returns a body that reads data, or http.NoBody for none.
func bodyOf(data []byte) io.ReadCloser {
	if data == nil {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(data))
}

// TestContractCatchesDrift feeds the checker exchanges that differ from the
// document in one way each, and checks that it names the method, path,
// status and reason. These responses are made up: the server cannot be
// made to send them, which is the point of the check.
func TestContractCatchesDrift(t *testing.T) {
	t.Parallel()
	healthz := `{"status":"ok"}`
	cases := []struct {
		name, method, target, body string
		status                     int
		respBody                   string
		want                       []string
	}{
		{"UnknownField", "GET", "/healthz", "", 200, `{"status":"ok","uptime":3}`,
			[]string{"GET /healthz → 200", "uptime"}},
		{"UndocumentedStatus", "GET", "/healthz", "", 418, healthz,
			[]string{"GET /healthz → 418", "418"}},
		{"UndocumentedRoute", "POST", "/webhooks", `{}`, 201, `{"webhook_id":1}`,
			[]string{"POST /webhooks → 201", "/webhooks"}},
		{"UndocumentedMethod", "DELETE", "/tracks/1", "", 204, "",
			[]string{"DELETE /tracks/1 → 204", "DELETE"}},
		{"UnknownErrorCode", "GET", "/tracks/1", "", 404,
			`{"error":{"code":"track_missing","message":"track 1 not found","request_id":"r1"}}`,
			[]string{"GET /tracks/1 → 404", "track_missing"}},
		{"RequestTheServerAccepted", "PUT", "/tracks/candidate/advance",
			`{"track_id":1,"application_id":1,"invite_format":"smoke_signal"}`, 200,
			`{"name":"Jane Doe","email":"jane@example.com","stage_moved":"Coding","candidate_id":1,"application_id":1,` +
				`"module_id":2,"response_id":2,"invite_link":"http://127.0.0.1/invite/x","status":"link_generated",` +
				`"track_id":1,"stage_id":"stg_a","expires_at":"2026-12-11T20:07:10Z"}`,
			[]string{"PUT /tracks/candidate/advance → 200", "$.invite_format"}},
		{"BadTime", "GET", "/api-keys", "", 200,
			`{"data":[{"id":1,"prefix":"htk_x","name":"","scopes":["read"],"created_at":"yesterday","revoked_at":null}]}`,
			[]string{"GET /api-keys → 200", "created_at"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			problem := checkContract(exchange(t, c.method, c.target, c.body, c.status, c.respBody))
			require.NotEmpty(t, problem, "the checker accepted the exchange")
			t.Log(problem)
			for _, want := range c.want {
				require.Contains(t, problem, want)
			}
		})
	}

	t.Run("MissingRequestID", func(t *testing.T) {
		t.Parallel()
		req, reqBody, resp, respBody := exchange(t, "GET", "/healthz", "", 200, healthz)
		resp.Header.Del("X-Request-Id")
		problem := checkContract(req, reqBody, resp, respBody)
		require.Contains(t, problem, "GET /healthz → 200")
		require.Contains(t, problem, "X-Request-Id")
	})
	t.Run("NoEndpointIsDocumented", func(t *testing.T) {
		t.Parallel()
		body := `{"error":{"code":"not_found","message":"no endpoint POST /no-such-endpoint","request_id":"r1"}}`
		require.Empty(t, checkContract(exchange(t, "POST", "/no-such-endpoint", `{}`, 404, body)))
	})
	t.Run("DocumentedExchangePasses", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, checkContract(exchange(t, "GET", "/healthz", "", 200, healthz)))
	})
}

// exchange builds a request and a JSON response with an X-Request-Id, as
// checkContract receives them.
func exchange(t *testing.T, method, target, body string, status int, respBody string) (*http.Request, []byte, *http.Response, []byte) {
	t.Helper()
	var reqBody []byte
	if body != "" {
		reqBody = []byte(body)
	}
	req, err := http.NewRequest(method, "http://127.0.0.1:8080"+target, bodyOf(reqBody))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("apiKey", "htk_test")

	resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
	resp.Header.Set("X-Request-Id", "r1")
	if respBody != "" {
		resp.Header.Set("Content-Type", "application/json")
	}
	return req, reqBody, resp, []byte(respBody)
}

// webhookBody is the schema of the requests the server sends to webhook
// endpoints, from the webhooks section of httpapi/openapi.yaml.
var webhookBody = sync.OnceValues(func() (*base.Schema, error) {
	doc, err := libopenapi.NewDocument(httpapi.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("parse httpapi/openapi.yaml: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build the model of httpapi/openapi.yaml: %w", err)
	}
	hook := model.Model.Webhooks.GetOrZero("event")
	if hook == nil || hook.Post == nil || hook.Post.RequestBody == nil {
		return nil, errors.New("httpapi/openapi.yaml describes no POST request in webhooks.event")
	}
	return hook.Post.RequestBody.Content.GetOrZero("application/json").Schema.Schema(), nil
})

// checkWebhookBody returns why body, a request that a webhook endpoint
// received, does not match the document, or "" when it does.
func checkWebhookBody(body []byte) string {
	schema, err := webhookBody()
	if err != nil {
		return err.Error()
	}
	contractMu.Lock()
	defer contractMu.Unlock()
	if ok, errs := schema_validation.NewSchemaValidator(config.WithFormatAssertions()).ValidateSchemaBytes(schema, body); !ok {
		return fmt.Sprintf("httpapi/openapi.yaml does not describe the webhook request %.300s: %s", body, reasons(errs))
	}
	return ""
}
