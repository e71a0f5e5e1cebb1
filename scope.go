package hiretrack

import (
	"strings"
)

// Scope is a permission of an API key.
type Scope string

// The scopes. Read allows the GET requests of the JSON API, write its POST,
// PUT, PATCH and DELETE requests, and admin the key endpoints under
// /api-keys, the webhook endpoints under /webhooks, candidate erasure and
// export, and the audit log, which read and write do not allow.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// AllScopes lists the scopes in the order that keys store and show them.
var AllScopes = []Scope{ScopeRead, ScopeWrite, ScopeAdmin}

// Valid reports whether s is one of AllScopes.
func (s Scope) Valid() bool {
	for _, v := range AllScopes {
		if s == v {
			return true
		}
	}
	return false
}

// NormalizeScopes checks a list of scopes and returns it without duplicates,
// in the order of AllScopes. It returns KindUnprocessable with code
// invalid_value, naming the field scopes, for an empty list or an unknown scope.
func NormalizeScopes(scopes []Scope) ([]Scope, error) {
	if len(scopes) == 0 {
		return nil, FieldErrorf(KindUnprocessable, "scopes", "invalid_value",
			"scopes is empty; name at least one of %s", ScopeList(AllScopes))
	}
	for _, s := range scopes {
		if !s.Valid() {
			return nil, FieldErrorf(KindUnprocessable, "scopes", "invalid_value",
				"scopes contains %q; allowed values are %s", string(s), ScopeList(AllScopes))
		}
	}

	var normalized []Scope
	for _, s := range AllScopes {
		for _, given := range scopes {
			if given == s {
				normalized = append(normalized, s)
				break
			}
		}
	}
	return normalized, nil
}

// ParseScopes reads a comma-separated list such as "read,write" and
// normalizes it as NormalizeScopes does. Spaces around names are ignored.
func ParseScopes(text string) ([]Scope, error) {
	var scopes []Scope
	for _, name := range strings.Split(text, ",") {
		if name = strings.TrimSpace(name); name != "" {
			scopes = append(scopes, Scope(name))
		}
	}
	return NormalizeScopes(scopes)
}

// ScopeList returns scopes as a comma-separated list, the form that the
// database and the command line use.
func ScopeList(scopes []Scope) string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return strings.Join(names, ",")
}
