package hiretrack

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the transport layer, which maps each kind to
// one status code. The domain never picks status codes itself.
type Kind string

// The error kinds.
const (
	KindInvalid       Kind = "invalid"       // malformed input: bad JSON, wrong type, missing field
	KindUnprocessable Kind = "unprocessable" // well-formed input with a value outside the allowed set
	KindUnauthorized  Kind = "unauthorized"  // no credentials, or unknown or revoked ones
	KindForbidden     Kind = "forbidden"     // valid credentials without the scope the request needs
	KindNotFound      Kind = "not_found"     // missing, or owned by another company
	KindConflict      Kind = "conflict"      // the request does not fit the current state
	KindGone          Kind = "gone"          // a link that existed but can no longer be used
	KindTooLarge      Kind = "too_large"     // a body over the size limit
	KindRateLimited   Kind = "rate_limited"  // more requests than the key's rate limit allows
	KindUnavailable   Kind = "unavailable"   // a service the request needs, such as the database, cannot be reached for now
	KindInternal      Kind = "internal"      // a fault; its text never reaches a client
)

// Error is the coded error every layer returns. Code is the public,
// machine-readable code sent to clients (such as "stage_mismatch"); Message
// names the field or state and what is allowed. Extra holds fields that the
// API contract places at the top level of the error body.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	Extra   map[string]any
	Err     error
}

// Error returns the message, followed by the wrapped cause for internal errors.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause, so that errors.Is and errors.As reach it through an Error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error of the given kind and public code.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an Error about one request field.
func FieldErrorf(kind Kind, field, code, format string, args ...any) *Error {
	e := Errorf(kind, code, format, args...)
	e.Field = field
	return e
}

// NotFoundf returns a KindNotFound error with the public code "not_found".
func NotFoundf(format string, args ...any) *Error {
	return Errorf(KindNotFound, "not_found", format, args...)
}

// Internal wraps a fault. Its cause is logged, never sent to a client.
func Internal(op string, err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: op, Err: err}
}

// ErrorKind returns the kind of err, or KindInternal for errors not of type *Error.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrorCode returns the public code of err, or "internal".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal"
}
