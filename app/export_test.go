package app

import (
	"context"
	"net/http"
)

// CloseDatabase closes the server's database pools while the server goes on
// serving, so that tests can see the readiness checks fail. Shutdown closes
// them again, which database/sql allows.
func (s *Server) CloseDatabase() error { return s.db.Close() }

// WithClientTransport returns ctx with a transport for the client commands
// of Run to send through.
func WithClientTransport(ctx context.Context, rt http.RoundTripper) context.Context {
	return context.WithValue(ctx, transportKey{}, rt)
}
