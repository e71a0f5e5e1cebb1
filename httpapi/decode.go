package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hiretrack/hiretrack"
)

// object is a decoded JSON object whose fields are read one by one, so each
// error names the field, the value and what is allowed. The first error
// sticks and later reads return zero values.
type object struct {
	prefix string
	fields map[string]json.RawMessage
	err    error
}

// decodeObject reads the request body as one JSON object.
func decodeObject(r *http.Request) (*object, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	return parseObject(data, "")
}

// decodeOptionalObject reads the request body as a JSON object, or as an
// empty one when there is no body, for endpoints whose fields are all optional.
func decodeOptionalObject(r *http.Request) (*object, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &object{fields: map[string]json.RawMessage{}}, nil
	}
	return parseObject(data, "")
}

// readError translates a failure to read the body.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return hiretrack.Errorf(hiretrack.KindTooLarge, "body_too_large",
			"request body is larger than the limit of %d bytes", tooLarge.Limit)
	}
	return hiretrack.Errorf(hiretrack.KindInvalid, "invalid_body", "could not read the request body: %v", err)
}

// parseObject parses data as a JSON object whose field names get prefix.
func parseObject(data []byte, prefix string) (*object, error) {
	what := "request body"
	if prefix != "" {
		what = strings.TrimSuffix(prefix, ".")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, hiretrack.Errorf(hiretrack.KindInvalid, "invalid_json", "%s is empty; send a JSON object", what)
	}

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
			return nil, hiretrack.FieldErrorf(hiretrack.KindInvalid, strings.TrimSuffix(prefix, "."), "invalid_json",
				"%s must be a JSON object", what)
		}
		return nil, hiretrack.Errorf(hiretrack.KindInvalid, "invalid_json", "%s is not valid JSON: %v", what, err)
	}
	if fields == nil {
		return nil, hiretrack.Errorf(hiretrack.KindInvalid, "invalid_json", "%s must be a JSON object", what)
	}
	return &object{prefix: prefix, fields: fields}, nil
}

// Err returns the first error met while reading fields.
func (o *object) Err() error { return o.err }

// raw returns a field's JSON, or nil when it is absent or null.
func (o *object) raw(name string) json.RawMessage {
	v, ok := o.fields[name]
	if !ok || bytes.Equal(v, []byte("null")) {
		return nil
	}
	return v
}

func (o *object) fail(kind hiretrack.Kind, name, code, format string, args ...any) {
	if o.err == nil {
		o.err = hiretrack.FieldErrorf(kind, o.prefix+name, code, format, args...)
	}
}

func (o *object) missing(name string) {
	o.fail(hiretrack.KindInvalid, name, "missing_field", "%s%s is required", o.prefix, name)
}

// ID reads a required positive integer id, sent as a JSON number or as a
// string of decimal digits.
func (o *object) ID(name string) int64 {
	v := o.raw(name)
	if v == nil {
		o.missing(name)
		return 0
	}

	text := string(v)
	if unquoted, err := strconv.Unquote(text); err == nil && v[0] == '"' {
		text = unquoted
	}
	id, ok := parseID(text)
	if !ok {
		o.fail(hiretrack.KindInvalid, name, "invalid_field",
			"%s%s is %s; it must be a positive integer, as a JSON number or a string of decimal digits", o.prefix, name, clip(v))
		return 0
	}
	return id
}

// String reads a required non-empty string of at most maxLen characters.
func (o *object) String(name string, maxLen int) string {
	s, ok := o.OptionalString(name, maxLen)
	if !ok && o.err == nil {
		o.missing(name)
	}
	if ok && s == "" {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s must not be empty", o.prefix, name)
	}
	return s
}

// OptionalString reads a string field; ok is false when it is absent or null.
func (o *object) OptionalString(name string, maxLen int) (s string, ok bool) {
	v := o.raw(name)
	if v == nil {
		return "", false
	}
	if err := json.Unmarshal(v, &s); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; it must be a string", o.prefix, name, clip(v))
		return "", false
	}

	s = strings.TrimSpace(s)
	if len([]rune(s)) > maxLen {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %d characters long; the maximum is %d",
			o.prefix, name, len([]rune(s)), maxLen)
	}
	if !utf8.Valid(v) || strings.ContainsFunc(s, isForbiddenControl) {
		o.fail(hiretrack.KindInvalid, name, "invalid_field",
			"%s%s is %s; it must be valid UTF-8 without control characters other than tab and line breaks", o.prefix, name, clip(v))
	}
	return s, true
}

// isForbiddenControl reports control characters that have no place in
// names, titles or messages shown in emails and pages. Tab and line breaks
// are allowed for multi-line texts such as a rejection message.
func isForbiddenControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// Enum reads a required string that must be one of allowed; a value
// outside the set is KindUnprocessable.
func (o *object) Enum(name string, allowed ...string) string {
	s := o.String(name, 100)
	if o.err != nil {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	o.fail(hiretrack.KindUnprocessable, name, "invalid_value", "%s%s is %q; allowed values are %s",
		o.prefix, name, s, quoteList(allowed))
	return ""
}

// Bool reads an optional boolean, false when absent.
func (o *object) Bool(name string) bool {
	v := o.raw(name)
	if v == nil {
		return false
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; it must be true or false", o.prefix, name, clip(v))
	}
	return b
}

// OptionalBool reads an optional boolean; nil when absent.
func (o *object) OptionalBool(name string) *bool {
	if o.raw(name) == nil {
		return nil
	}
	b := o.Bool(name)
	if o.err != nil {
		return nil
	}
	return &b
}

// Number reads an optional number in [min, max]; nil when absent.
func (o *object) Number(name string, min, max float64) *float64 {
	v := o.raw(name)
	if v == nil {
		return nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; it must be a number", o.prefix, name, clip(v))
		return nil
	}
	if f < min || f > max {
		o.fail(hiretrack.KindUnprocessable, name, "out_of_range", "%s%s is %s; it must be between %g and %g",
			o.prefix, name, clip(v), min, max)
		return nil
	}
	return &f
}

// Objects reads an array of objects of at most maxLen items.
func (o *object) Objects(name string, maxLen int, required bool) []*object {
	v := o.raw(name)
	if v == nil {
		if required {
			o.missing(name)
		}
		return nil
	}

	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s must be an array", o.prefix, name)
		return nil
	}
	if len(items) > maxLen {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s has %d items; the maximum is %d",
			o.prefix, name, len(items), maxLen)
		return nil
	}

	out := make([]*object, 0, len(items))
	for i, item := range items {
		child, err := parseObject(item, fmt.Sprintf("%s%s[%d].", o.prefix, name, i))
		if err != nil {
			o.err = err
			return nil
		}
		out = append(out, child)
	}
	return out
}

// StringMap reads an optional object of string values with at most maxLen
// entries; it returns an empty map when the field is absent.
func (o *object) StringMap(name string, maxLen int) map[string]string {
	out := map[string]string{}
	v := o.raw(name)
	if v == nil {
		return out
	}
	if err := json.Unmarshal(v, &out); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field",
			"%s%s is %s; it must be an object whose values are strings, such as {\"Why us?\": \"…\"}", o.prefix, name, clip(v))
		return map[string]string{}
	}
	if len(out) > maxLen {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s has %d entries; the maximum is %d",
			o.prefix, name, len(out), maxLen)
	}
	return out
}

// IDs reads a required array of 1 to maxLen distinct ids, each sent as a
// JSON number or a string of decimal digits.
func (o *object) IDs(name string, maxLen int) []int64 {
	v := o.raw(name)
	var items []json.RawMessage
	if v == nil {
		o.missing(name)
		return nil
	}
	if err := json.Unmarshal(v, &items); err != nil {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s is %s; it must be an array of 1 to %d ids",
			o.prefix, name, clip(v), maxLen)
		return nil
	}
	if len(items) == 0 || len(items) > maxLen {
		o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s has %d ids; it must have 1 to %d",
			o.prefix, name, len(items), maxLen)
		return nil
	}

	ids := make([]int64, 0, len(items))
	seen := map[int64]bool{}
	for i, item := range items {
		element := &object{prefix: o.prefix, fields: map[string]json.RawMessage{fmt.Sprintf("%s[%d]", name, i): item}}
		id := element.ID(fmt.Sprintf("%s[%d]", name, i))
		if element.err != nil {
			o.err = element.err
			return nil
		}
		if seen[id] {
			o.fail(hiretrack.KindInvalid, name, "invalid_field", "%s%s has id %d more than once", o.prefix, name, id)
			return nil
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}

// clip returns a field's JSON for an error message, cut to a readable length.
func clip(v json.RawMessage) string {
	const max = 60
	if len(v) > max {
		return string(v[:max]) + "…"
	}
	return string(v)
}

func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	if len(quoted) <= 1 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	text := r.PathValue(name)
	id, ok := parseID(text)
	if !ok {
		return 0, hiretrack.FieldErrorf(hiretrack.KindInvalid, name, "invalid_path",
			"%s in the path is %q; it must be a positive integer", name, text)
	}
	return id, nil
}

// parseID parses a positive integer of decimal digits only, because
// strconv.ParseInt alone also accepts a sign, as in "+12".
func parseID(text string) (int64, bool) {
	if text == "" || strings.TrimLeft(text, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(text, 10, 64)
	return id, err == nil && id > 0
}
