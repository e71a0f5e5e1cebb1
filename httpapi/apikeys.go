package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
)

// maxKeyNameLen is the maximum length of an API key's name.
const maxKeyNameLen = 100

// createdKey is the body of POST /api-keys: the stored key and, this one
// time only, the key itself.
type createdKey struct {
	hiretrack.APIKey
	Key string `json:"key"`
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	name, _ := body.OptionalString("name", maxKeyNameLen)
	scopes := readScopes(body)
	if err := body.Err(); err != nil {
		return err
	}
	scopes, err = hiretrack.NormalizeScopes(scopes)
	if err != nil {
		return err
	}

	key, stored, err := secret.NewAPIKey()
	if err != nil {
		return hiretrack.Internal("generate api key", err)
	}
	stored.Name = name
	stored.Scopes = scopes
	created, err := s.store.AddAPIKey(r.Context(), p.CompanyID, stored)
	if err != nil {
		return err
	}

	s.logger.InfoContext(r.Context(), "api key created", "key_id", created.ID, "key_prefix", created.Prefix,
		"scopes", hiretrack.ScopeList(created.Scopes), "company_id", p.CompanyID, "by_key_prefix", p.KeyPrefix)
	writeJSON(w, http.StatusCreated, createdKey{APIKey: created, Key: key})
	return nil
}

// readScopes reads the required scopes field, an array of strings. The
// caller checks the names with hiretrack.NormalizeScopes.
func readScopes(body *object) []hiretrack.Scope {
	v := body.raw("scopes")
	if v == nil {
		if body.err == nil {
			body.missing("scopes")
		}
		return nil
	}
	var names []string
	if err := json.Unmarshal(v, &names); err != nil {
		body.fail(hiretrack.KindInvalid, "scopes", "invalid_field",
			"scopes is %s; it must be an array of strings such as [\"read\", \"write\"]", clip(v))
		return nil
	}

	scopes := make([]hiretrack.Scope, len(names))
	for i, name := range names {
		scopes[i] = hiretrack.Scope(name)
	}
	return scopes
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	keys, err := s.store.APIKeys(r.Context(), p.CompanyID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(keys))
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
	keyID, err := pathID(r, "key_id")
	if err != nil {
		return err
	}
	revoked, err := s.store.RevokeAPIKey(r.Context(), p.CompanyID, keyID)
	if err != nil {
		return err
	}

	s.logger.InfoContext(r.Context(), "api key revoked", "key_id", revoked.ID, "key_prefix", revoked.Prefix,
		"company_id", p.CompanyID, "by_key_prefix", p.KeyPrefix)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requiredScope returns the scope that a route pattern such as
// "GET /modules" needs. The key and webhook endpoints, candidate erasure
// and export, and the audit log need admin. Other GET routes need read, and
// the rest need write. Webhooks need admin because an endpoint receives
// candidate data of the whole company.
func requiredScope(pattern string) hiretrack.Scope {
	method, path, _ := strings.Cut(pattern, " ")
	switch {
	case path == "/api-keys" || strings.HasPrefix(path, "/api-keys/"),
		strings.HasPrefix(path, "/candidates/"), path == "/audit":
		return hiretrack.ScopeAdmin
	case path == "/webhooks" || strings.HasPrefix(path, "/webhooks/"):
		return hiretrack.ScopeAdmin
	case method == http.MethodGet:
		return hiretrack.ScopeRead
	}
	return hiretrack.ScopeWrite
}

// withScope runs next only for a key with scope, and returns KindForbidden
// naming the missing scope otherwise.
func withScope(scope hiretrack.Scope, next apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, p hiretrack.Principal) error {
		if !p.HasScope(scope) {
			return hiretrack.Errorf(hiretrack.KindForbidden, "forbidden",
				"the API key %s lacks the %s scope that %s %s needs; it has %s, so use a key with the %s scope",
				p.KeyPrefix, scope, r.Method, r.URL.Path, scopeNames(p.Scopes), scope)
		}
		return next(w, r, p)
	}
}

// scopeNames returns scopes as a list for messages, or "no scopes".
func scopeNames(scopes []hiretrack.Scope) string {
	if len(scopes) == 0 {
		return "no scopes"
	}
	return hiretrack.ScopeList(scopes)
}
