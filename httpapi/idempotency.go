package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// The headers of idempotent requests. A client sends Idempotency-Key on a
// write; a response replayed from an earlier request carries
// Idempotent-Replayed: true.
const (
	idempotencyKeyHeader = "Idempotency-Key"
	replayedHeader       = "Idempotent-Replayed"
)

// maxIdempotencyKeyLen is the maximum length of an Idempotency-Key. It leaves
// room for a UUID or a client's own composite key.
const maxIdempotencyKeyLen = 255

// settleTimeout bounds the store write that completes or releases a key
// after the handler returned. That write runs even when the client has gone
// away, because a committed change must not stay retryable.
const settleTimeout = 10 * time.Second

// isWriteRoute reports whether a route pattern such as
// "PUT /tracks/candidate/advance" is for POST, PUT or PATCH.
func isWriteRoute(pattern string) bool {
	method, _, _ := strings.Cut(pattern, " ")
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// withIdempotencyKey runs a write handler once per Idempotency-Key of a
// company and replays its response to a retry with the same key and request.
// Responses of status 500 and above are not stored, and neither is a handler
// that panicked, so that a retry can act. Requests without the header go
// straight to next.
func (s *Server) withIdempotencyKey(next apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
		values := r.Header.Values(idempotencyKeyHeader)
		if len(values) == 0 {
			return next(w, r, p)
		}
		key, err := parseIdempotencyKey(values)
		if err != nil {
			return err
		}

		// The hash needs the whole body, and the handler reads it again.
		body, err := readBody(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))

		claim := hiretrack.IdempotencyClaim{CompanyID: p.CompanyID, Key: key, RequestHash: requestHash(r, body)}
		record, err := s.store.ClaimIdempotencyKey(r.Context(), claim)
		if err != nil {
			return err
		}
		if record.Replay != nil {
			return s.replay(w, r, key, *record.Replay)
		}

		if record.TookOver {
			s.logger.WarnContext(r.Context(), "idempotency key taken over from an abandoned request",
				idempotencyAttrs(r, key)...)
		}
		s.runClaimed(w, r, p, next, claim, record.ClaimedAt)
		return nil
	}
}

// parseIdempotencyKey checks the values of the Idempotency-Key header.
func parseIdempotencyKey(values []string) (string, error) {
	invalid := func(format string, args ...any) error {
		return hiretrack.FieldErrorf(hiretrack.KindInvalid, idempotencyKeyHeader, "invalid_header", format, args...)
	}

	if len(values) > 1 {
		return "", invalid("Idempotency-Key is sent %d times; send it once", len(values))
	}
	key := values[0]
	if key == "" {
		return "", invalid("Idempotency-Key is empty; send a unique value such as a UUID, or leave the header out")
	}
	for i, c := range key {
		if c < 0x20 || c > 0x7e {
			return "", invalid("Idempotency-Key has the character %q at byte %d; only printable ASCII characters are allowed, as in a UUID", c, i)
		}
	}
	if len(key) > maxIdempotencyKeyLen {
		return "", invalid("Idempotency-Key is %d characters long; the maximum is %d", len(key), maxIdempotencyKeyLen)
	}
	return key, nil
}

// readBody reads the whole request body within the body limit.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	return data, nil
}

// requestHash returns the hex SHA-256 of the method, the route pattern, the
// path with its query and the body. The path is part of it because the
// pattern alone does not tell /responses/1/result from /responses/2/result.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	for _, part := range []string{r.Method, infoFrom(r.Context()).route, r.URL.RequestURI()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// replay writes the response stored by the first request with this key.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, key string, resp hiretrack.IdempotentResponse) error {
	body, err := s.sealer.Open(resp.Body)
	if err != nil {
		return hiretrack.Internal("open the response stored under an idempotency key", err)
	}
	s.logger.InfoContext(r.Context(), "idempotent request replayed",
		append(idempotencyAttrs(r, key), "status", resp.StatusCode)...)

	// The marker that an erasure stored becomes a fresh error, so that its
	// body carries this request's id like every other error body.
	if resp.StatusCode == http.StatusGone && body == erasedReplayBody {
		w.Header().Set(replayedHeader, "true")
		return erasedReplayError()
	}

	header := w.Header()
	if resp.ContentType != "" {
		header.Set("Content-Type", resp.ContentType)
	}
	header.Set("Cache-Control", "no-store")
	header.Set(replayedHeader, "true")
	w.WriteHeader(resp.StatusCode)
	// A write error here means the client went away; there is no one left to tell.
	_, _ = io.WriteString(w, body)
	return nil
}

// runClaimed runs next for a claimed key, stores or releases the key, and
// then sends the response. Storing first means that a retry sent after the
// client received the response is replayed instead of rejected as in progress.
func (s *Server) runClaimed(w http.ResponseWriter, r *http.Request, p hiretrack.Principal, next apiHandler,
	claim hiretrack.IdempotencyClaim, claimedAt time.Time) {
	handled := false
	defer func() {
		// A panic skips the code below; net/http then closes the connection.
		if !handled {
			s.releaseKey(r, claim, claimedAt, "the handler panicked")
		}
	}()

	rec := &responseRecorder{header: w.Header()}
	if err := next(rec, r, p); err != nil {
		s.writeError(rec, r, err)
	}
	handled = true

	resp := rec.response()
	if resp.StatusCode >= http.StatusInternalServerError {
		s.releaseKey(r, claim, claimedAt, fmt.Sprintf("status %d", resp.StatusCode))
	} else {
		s.completeKey(r, claim, claimedAt, resp)
	}
	rec.writeTo(w)
}

// completeKey stores the response under the key. The body is sealed with
// the server key because it can hold an invite link, which the database
// must not hold in the clear. On failure the key stays in progress until
// the store's takeover window ends, so a retry cannot act twice at once.
//
// NOTE: the response is stored in a write of its own after the handler's
// transaction committed. When the process dies between the two, a retry
// after the takeover window acts a second time.
func (s *Server) completeKey(r *http.Request, claim hiretrack.IdempotencyClaim, claimedAt time.Time, resp hiretrack.IdempotentResponse) {
	sealed, err := s.sealer.Seal(string(resp.Body))
	if err == nil {
		resp.Body = sealed
		ctx, cancel := settleContext(r)
		defer cancel()
		err = s.store.CompleteIdempotencyKey(ctx, claim, claimedAt, resp)
	}
	if err != nil {
		s.logger.ErrorContext(r.Context(), "storing the response of an idempotency key failed",
			append(idempotencyAttrs(r, claim.Key), "error", err)...)
	}
}

// releaseKey deletes the reservation of the key, so that a retry can act.
func (s *Server) releaseKey(r *http.Request, claim hiretrack.IdempotencyClaim, claimedAt time.Time, reason string) {
	ctx, cancel := settleContext(r)
	defer cancel()
	if err := s.store.ReleaseIdempotencyKey(ctx, claim, claimedAt); err != nil {
		s.logger.ErrorContext(r.Context(), "releasing an idempotency key failed",
			append(idempotencyAttrs(r, claim.Key), "reason", reason, "error", err)...)
		return
	}
	s.logger.InfoContext(r.Context(), "idempotency key released",
		append(idempotencyAttrs(r, claim.Key), "reason", reason)...)
}

// settleContext returns a context that outlives a cancelled request by at
// most settleTimeout.
func settleContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), settleTimeout)
}

// idempotencyAttrs returns the log attributes that name the request and the
// key. Only the key's first characters are logged, as for other secrets.
func idempotencyAttrs(r *http.Request, key string) []any {
	return []any{
		slog.String("request_id", infoFrom(r.Context()).id),
		slog.String("route", routeOf(r)),
		slog.String("idempotency_key_prefix", secret.Redact(key)),
	}
}

// responseRecorder buffers a handler's response, so that it can be stored
// before the client receives it. Headers go to the real writer's map.
type responseRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *responseRecorder) Header() http.Header { return rec.header }

func (rec *responseRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
}

func (rec *responseRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.body.Write(b)
}

// response returns what the handler wrote. A handler that wrote nothing
// sent 200, as net/http does.
func (rec *responseRecorder) response() hiretrack.IdempotentResponse {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	return hiretrack.IdempotentResponse{
		StatusCode: status, ContentType: rec.header.Get("Content-Type"), Body: rec.body.Bytes(),
	}
}

// writeTo sends the buffered response to w.
func (rec *responseRecorder) writeTo(w http.ResponseWriter) {
	resp := rec.response()
	w.WriteHeader(resp.StatusCode)
	// A write error here means the client went away; there is no one left to tell.
	_, _ = w.Write(resp.Body)
}
