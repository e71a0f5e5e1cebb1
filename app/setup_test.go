package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/secret"
)

// env is a running server on a fresh SQLite file with one company and key.
type env struct {
	t      testing.TB
	srv    *app.Server
	dbPath string
	key    string
	client *http.Client
}

// options change what setup starts.
type options struct {
	smtpURL string // empty: emails go to .eml files under the data folder
}

// setup starts a server on a loopback port with a new database in a
// temporary folder and stops it when the test ends.
func setup(t testing.TB, opts options) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := app.Config{
		Addr: "127.0.0.1:0", DB: filepath.Join(dir, "hiretrack.db"), DataDir: filepath.Join(dir, "data"),
		SMTPURL: opts.smtpURL, SMTPFrom: "hiretrack <no-reply@example.com>", ShutdownTimeout: 10e9,
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}

	srv, err := app.Start(context.Background(), cfg, logger)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })

	e := &env{t: t, srv: srv, dbPath: cfg.DB, client: &http.Client{}}
	e.key = e.newKey("Acme")
	return e
}

// newKey creates a key for a company, creating the company when needed.
func (e *env) newKey(company string) string {
	e.t.Helper()
	key, stored, err := secret.NewAPIKey()
	require.NoError(e.t, err)
	_, err = e.srv.Store().CreateAPIKey(context.Background(), company, stored)
	require.NoError(e.t, err)
	return key
}

// result is a decoded HTTP response.
type result struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// do sends a JSON request with the env's key and decodes the JSON answer.
func (e *env) do(method, path string, body any) result {
	e.t.Helper()
	return e.doWithKey(e.key, method, path, body)
}

// doWithKey sends a request with the given key; an empty key sends none.
// A string body is sent as it is, anything else is encoded as JSON.
func (e *env) doWithKey(key, method, path string, body any) result {
	e.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		reader = bytes.NewReader(data)
	}

	req, err := http.NewRequest(method, e.srv.URL()+path, reader)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("apiKey", key)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) result {
	e.t.Helper()
	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	r := result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(e.t, json.Unmarshal(raw, &r.Body), "body: %s", raw)
	}
	return r
}

// testWriter sends log output to t.Log, so it shows only for failing or verbose tests.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
