// Package client is a typed Go client of the hiretrack JSON API. A Client
// holds the base URL and the API key. Each method sends one request and
// returns the decoded body, or an *Error that carries the API's error code,
// field, message and request id.
//
// The client does not retry. To retry a write safely after a timeout, send
// it again with the same WithIdempotencyKey option.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client sends requests to one hiretrack server with one API key. It is
// safe for concurrent use.
type Client struct {
	baseURL string
	key     string
	http    *http.Client
}

// Option changes how New builds a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc, for example to
// set a timeout or a transport with more idle connections.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a client of the server at baseURL, such as
// "http://127.0.0.1:8080", that authenticates with key. The default HTTP
// client has a timeout of one minute.
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		key:     key,
		http:    &http.Client{Timeout: time.Minute},
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// CallOption changes one request.
type CallOption func(*http.Request)

// WithIdempotencyKey sends the Idempotency-Key header, so that the server
// replays the first response when the same write is sent again.
func WithIdempotencyKey(key string) CallOption {
	return func(r *http.Request) { r.Header.Set("Idempotency-Key", key) }
}

// WithRequestID sends the X-Request-Id header, which the server logs and
// returns in error bodies.
func WithRequestID(id string) CallOption {
	return func(r *http.Request) { r.Header.Set("X-Request-Id", id) }
}

// Error is an error response of the API: a status of 400 or more with the
// JSON error envelope. Body holds the whole envelope, for the fields that
// some codes add beside the error, such as current_stage for
// stage_mismatch.
type Error struct {
	Status    int
	Code      string
	Field     string
	Message   string
	RequestID string
	Body      json.RawMessage

	// RetryAfter is the wait that a 429 response asks for in its
	// Retry-After header, 0 otherwise.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg
}

// CodeOf returns the API error code of err, or "" when err is not an *Error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// errorEnvelope is the JSON shape of every error body.
type errorEnvelope struct {
	Error struct {
		Code      string `json:"code"`
		Field     string `json:"field"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// result is the status and the raw body of a 2xx response, as do returns them.
type result struct {
	status int
	body   []byte
	header http.Header
}

// do sends one request. in, when not nil, is sent as JSON; out, when not
// nil, receives the decoded body of a 2xx response.
func (c *Client) do(ctx context.Context, method, path string, in, out any, opts []CallOption) (result, error) {
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return result{}, err
	}
	for _, opt := range opts {
		opt(req)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return result{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	res := result{status: resp.StatusCode, body: body, header: resp.Header}

	if resp.StatusCode >= 400 {
		return res, apiError(resp, body)
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return res, fmt.Errorf("%s %s: decode %d body: %w", method, path, resp.StatusCode, err)
		}
	}
	return res, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("apiKey", c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// apiError builds the *Error of a failed response. A body that is not the
// envelope, such as one from a proxy in front of the server, keeps its
// text in Message.
func apiError(resp *http.Response, body []byte) error {
	e := &Error{Status: resp.StatusCode, Body: body, RequestID: resp.Header.Get("X-Request-Id")}
	if seconds, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && seconds >= 0 {
		e.RetryAfter = time.Duration(seconds) * time.Second
	}
	var env errorEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Code == "" {
		e.Code = "http_" + fmt.Sprint(resp.StatusCode)
		e.Message = strings.TrimSpace(string(body))
		return e
	}
	e.Code, e.Field, e.Message = env.Error.Code, env.Error.Field, env.Error.Message
	if env.Error.RequestID != "" {
		e.RequestID = env.Error.RequestID
	}
	return e
}

// listOf is the {"data": [...]} envelope of list responses.
type listOf[T any] struct {
	Data []T `json:"data"`
}

// query returns "?"+v encoded, or "" when v is empty.
func query(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}
