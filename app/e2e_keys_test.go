package app_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// apiKey is a key as POST /api-keys and GET /api-keys return it. Key is
// set only in the response of POST /api-keys.
type apiKey struct {
	ID        int64    `json:"id"`
	Prefix    string   `json:"prefix"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	CreatedAt string   `json:"created_at"`
	RevokedAt *string  `json:"revoked_at"`
	Key       string   `json:"key"`
}

// keyListFields are the fields of each item of GET /api-keys.
var keyListFields = []string{"id", "prefix", "name", "scopes", "created_at", "revoked_at"}

// createKey creates a key with the env's key through the API and requires 201 Created.
func (e *env) createKey(name string, scopes ...string) apiKey {
	e.t.Helper()
	r := e.do("POST", "/api-keys", map[string]any{"name": name, "scopes": scopes})
	require.Equal(e.t, http.StatusCreated, r.Status, "body: %s", r.Raw)
	return decode[apiKey](e.t, r)
}

// listKeys reads GET /api-keys with key and requires 200 OK.
func (e *env) listKeys(key string) ([]apiKey, result) {
	e.t.Helper()
	r := e.doWithKey(key, "GET", "/api-keys", nil)
	require.Equal(e.t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return decode[struct {
		Data []apiKey `json:"data"`
	}](e.t, r).Data, r
}

// keyByID returns the key with id from a list and fails the test when it is missing.
func keyByID(t testing.TB, keys []apiKey, id int64) apiKey {
	t.Helper()
	for _, k := range keys {
		if k.ID == id {
			return k
		}
	}
	require.FailNow(t, "key not in the list", "id %d, list %v", id, keys)
	return apiKey{}
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	shared := setup(t, options{})

	t.Run("CreateShowsKeyOnce", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		r := e.do("POST", "/api-keys", map[string]any{"name": "  CI deploys  ", "scopes": []string{"write", "read", "read"}})

		require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Raw)
		require.ElementsMatch(t, append(slices.Clone(keyListFields), "key"), slices.Collect(maps.Keys(r.Body)))
		k := decode[apiKey](t, r)
		require.Positive(t, k.ID)
		require.True(t, strings.HasPrefix(k.Key, "htk_"), "key %q", k.Key)
		require.Equal(t, k.Key[:secret.KeyPrefixLen], k.Prefix)
		require.Equal(t, "CI deploys", k.Name)
		require.Equal(t, []string{"read", "write"}, k.Scopes)
		requireUTC(t, k.CreatedAt)
		require.Nil(t, k.RevokedAt)

		modules := e.doWithKey(k.Key, "GET", "/modules", nil)
		require.Equal(t, http.StatusOK, modules.Status, "body: %s", modules.Raw)
		listed := keyByID(t, mustList(e), k.ID)
		require.Equal(t, k.Prefix, listed.Prefix)
		require.Empty(t, listed.Key)
	})

	t.Run("ListNeverShowsKeyOrHash", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		k := e.createKey("reporting", "read")

		keys, r := e.listKeys(e.key)

		items := r.Body["data"].([]any)
		require.Len(t, items, len(keys))
		for _, item := range items {
			require.ElementsMatch(t, keyListFields, slices.Collect(maps.Keys(item.(map[string]any))))
		}
		for _, secretText := range []string{k.Key, string(secret.Hash(k.Key)), e.key, string(secret.Hash(e.key))} {
			require.NotContains(t, string(r.Raw), secretText)
		}
		listed := keyByID(t, keys, k.ID)
		require.Equal(t, apiKey{ID: k.ID, Prefix: k.Prefix, Name: "reporting", Scopes: []string{"read"},
			CreatedAt: k.CreatedAt}, listed)
	})

	t.Run("ScopesPerMethod", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		tr := e.newTrack("Scoped Engineer")
		readKey := e.createKey("read only", "read").Key
		writeKey := e.createKey("write only", "write").Key
		adminKey := e.createKey("admin only", "admin").Key
		module := map[string]any{"type": "review", "name": "Panel review"}
		move := fmt.Sprintf("/tracks/%d/applicants/1/move", tr.ID)

		cases := []struct {
			name    string
			key     string
			method  string
			path    string
			body    any
			status  int
			missing string // the scope a 403 names
		}{
			{"ReadKeyGet", readKey, "GET", "/modules", nil, http.StatusOK, ""},
			{"ReadKeyPost", readKey, "POST", "/modules", module, http.StatusForbidden, "write"},
			{"ReadKeyPut", readKey, "PUT", "/tracks/candidate/advance", map[string]any{}, http.StatusForbidden, "write"},
			{"ReadKeyPatch", readKey, "PATCH", move, map[string]any{}, http.StatusForbidden, "write"},
			{"ReadKeyDelete", readKey, "DELETE", "/api-keys/1", nil, http.StatusForbidden, "admin"},
			{"ReadKeyListKeys", readKey, "GET", "/api-keys", nil, http.StatusForbidden, "admin"},
			{"WriteKeyGet", writeKey, "GET", "/modules", nil, http.StatusForbidden, "read"},
			{"WriteKeyPost", writeKey, "POST", "/modules", module, http.StatusCreated, ""},
			{"WriteKeyCreateKey", writeKey, "POST", "/api-keys", map[string]any{"scopes": []string{"read"}}, http.StatusForbidden, "admin"},
			{"AdminKeyListKeys", adminKey, "GET", "/api-keys", nil, http.StatusOK, ""},
			{"AdminKeyGet", adminKey, "GET", fmt.Sprintf("/tracks/%d", tr.ID), nil, http.StatusForbidden, "read"},
			{"AdminKeyPost", adminKey, "POST", "/modules", module, http.StatusForbidden, "write"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.forTest(t).doWithKey(c.key, c.method, c.path, c.body)

				if c.missing == "" {
					require.Equal(t, c.status, r.Status, "body: %s", r.Raw)
					return
				}
				requireError(t, r, http.StatusForbidden, "forbidden", "")
				message := r.Body["error"].(map[string]any)["message"].(string)
				require.Contains(t, message, "lacks the "+c.missing+" scope")
				require.Contains(t, message, c.method+" "+c.path)
			})
		}
	})

	t.Run("ForbiddenWriteChangesNothing", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		e.key = e.newKey("Forbidden Writes Inc")
		readKey := e.createKey("read only", "read").Key

		r := e.doWithKey(readKey, "POST", "/modules", map[string]any{"type": "review", "name": "Panel review"})

		requireError(t, r, http.StatusForbidden, "forbidden", "")
		list := e.do("GET", "/modules", nil)
		require.Equal(t, http.StatusOK, list.Status, "body: %s", list.Raw)
		require.Equal(t, []any{}, list.Body["data"])
	})

	t.Run("InvalidRequests", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		cases := []struct {
			name   string
			body   any
			status int
			code   string
			field  string
		}{
			{"MissingScopes", map[string]any{"name": "x"}, http.StatusBadRequest, "missing_field", "scopes"},
			{"ScopesNotArray", map[string]any{"scopes": "read"}, http.StatusBadRequest, "invalid_field", "scopes"},
			{"EmptyScopes", map[string]any{"scopes": []string{}}, http.StatusUnprocessableEntity, "invalid_value", "scopes"},
			{"UnknownScope", map[string]any{"scopes": []string{"read", "owner"}}, http.StatusUnprocessableEntity, "invalid_value", "scopes"},
			{"NameTooLong", map[string]any{"name": strings.Repeat("n", 101), "scopes": []string{"read"}}, http.StatusBadRequest, "invalid_field", "name"},
			{"NameWithControl", map[string]any{"name": "a\x00b", "scopes": []string{"read"}}, http.StatusBadRequest, "invalid_field", "name"},
			{"NotObject", "[]", http.StatusBadRequest, "invalid_json", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.forTest(t).do("POST", "/api-keys", c.body)

				requireError(t, r, c.status, c.code, c.field)
			})
		}

		unknown := e.do("POST", "/api-keys", map[string]any{"scopes": []string{"owner"}})
		require.Equal(t, `scopes contains "owner"; allowed values are read,write,admin`,
			unknown.Body["error"].(map[string]any)["message"])
	})

	t.Run("RevokeEffectiveOnNextRequest", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		k := e.createKey("to revoke", "read")
		before := e.doWithKey(k.Key, "GET", "/modules", nil)
		require.Equal(t, http.StatusOK, before.Status, "body: %s", before.Raw)

		r := e.do("DELETE", fmt.Sprintf("/api-keys/%d", k.ID), nil)

		require.Equal(t, http.StatusNoContent, r.Status, "body: %s", r.Raw)
		require.Empty(t, r.Raw)
		after := e.doWithKey(k.Key, "GET", "/modules", nil)
		requireError(t, after, http.StatusUnauthorized, "unauthorized", "")
		revoked := keyByID(t, mustList(e), k.ID)
		require.NotNil(t, revoked.RevokedAt)
		requireUTC(t, *revoked.RevokedAt)

		again := e.do("DELETE", fmt.Sprintf("/api-keys/%d", k.ID), nil)
		require.Equal(t, http.StatusNoContent, again.Status, "body: %s", again.Raw)
		require.Equal(t, revoked.RevokedAt, keyByID(t, mustList(e), k.ID).RevokedAt, "a second revoke keeps the first time")
	})

	t.Run("RevokeOwnKey", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		k := e.createKey("self", "admin")

		r := e.doWithKey(k.Key, "DELETE", fmt.Sprintf("/api-keys/%d", k.ID), nil)

		require.Equal(t, http.StatusNoContent, r.Status, "body: %s", r.Raw)
		requireError(t, e.doWithKey(k.Key, "GET", "/api-keys", nil), http.StatusUnauthorized, "unauthorized", "")
	})

	t.Run("CrossCompanyRevokeNotFound", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)
		other := shared.forTest(t)
		other.key = other.newKey("Globex")
		otherKey := other.createKey("globex reporting", "read")

		r := e.do("DELETE", fmt.Sprintf("/api-keys/%d", otherKey.ID), nil)

		requireError(t, r, http.StatusNotFound, "not_found", "")
		still := e.doWithKey(otherKey.Key, "GET", "/modules", nil)
		require.Equal(t, http.StatusOK, still.Status, "body: %s", still.Raw)
		for _, k := range mustList(e) {
			require.NotEqual(t, otherKey.ID, k.ID, "another company's key is listed")
		}
	})

	t.Run("RevokeUnknownOrInvalidID", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		requireError(t, e.do("DELETE", "/api-keys/999999", nil), http.StatusNotFound, "not_found", "")
		requireError(t, e.do("DELETE", "/api-keys/abc", nil), http.StatusBadRequest, "invalid_path", "key_id")
	})

	t.Run("NoKey", func(t *testing.T) {
		t.Parallel()
		e := shared.forTest(t)

		requireError(t, e.doWithKey("", "GET", "/api-keys", nil), http.StatusUnauthorized, "unauthorized", "")
	})
}

// mustList returns the keys of e's company, read with e's key.
func mustList(e *env) []apiKey {
	e.t.Helper()
	keys, _ := e.listKeys(e.key)
	return keys
}

func TestKeysCLI(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "h.db")

	code, stdout, stderr := runCLI(t, "keys", "create", "--db", db, "--company", "Acme", "--scopes", "read", "--name", "Reporting")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	readKey := lines[len(lines)-1]
	require.Contains(t, stdout, "scopes read)")

	code, stdout, stderr = runCLI(t, "keys", "create", "--db", db, "--company", "Acme")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "scopes read,write,admin)", "the default scopes keep existing use working")

	t.Run("List", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "keys", "list", "--db", db, "--company", "Acme")

		require.Equal(t, 0, code, stderr)
		rows := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, rows, 3)
		require.Equal(t, []string{"ID", "PREFIX", "NAME", "SCOPES", "CREATED", "REVOKED"}, strings.Fields(rows[0]))
		first := strings.Fields(rows[1])
		require.Equal(t, []string{"1", readKey[:secret.KeyPrefixLen], "Reporting", "read"}, first[:4])
		require.Equal(t, "-", first[5])
		require.Equal(t, []string{"-", "read,write,admin"}, strings.Fields(rows[2])[2:4])
		require.NotContains(t, stdout, readKey)
	})

	t.Run("ListUnknownCompany", func(t *testing.T) {
		code, _, stderr := runCLI(t, "keys", "list", "--db", db, "--company", "Initech")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: company \"Initech\" not found; it exists once \"keys create\" has named it\n", stderr)
	})

	t.Run("InvalidScopes", func(t *testing.T) {
		code, _, stderr := runCLI(t, "keys", "create", "--db", db, "--company", "Acme", "--scopes", "read,owner")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid --scopes \"read,owner\": name one or more of read,write,admin, separated by commas\n", stderr)
	})

	t.Run("RevokeUnknownID", func(t *testing.T) {
		code, _, stderr := runCLI(t, "keys", "revoke", "--db", db, "--company", "Acme", "42")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: company \"Acme\" has no API key with id 42; \"keys list\" shows its keys\n", stderr)
	})

	t.Run("RevokeMissingID", func(t *testing.T) {
		code, _, stderr := runCLI(t, "keys", "revoke", "--db", db, "--company", "Acme")

		require.Equal(t, 1, code)
		require.Contains(t, stderr, "keys revoke needs one key id")
	})

	t.Run("UnknownSubcommand", func(t *testing.T) {
		code, _, stderr := runCLI(t, "keys", "rotate")

		require.Equal(t, 2, code)
		require.True(t, strings.HasPrefix(stderr, "hiretrack: unknown command \"keys rotate\"\n"), stderr)
	})

	// Revoke last, because the subtests above read the list as it was.
	t.Run("Revoke", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "keys", "revoke", "--db", db, "--company", "Acme", "1")

		require.Equal(t, 0, code, stderr)
		require.True(t, strings.HasPrefix(stdout, "Revoked API key "+readKey[:secret.KeyPrefixLen]+" (id 1) of company \"Acme\" at "), stdout)

		opened, err := sqlstore.Open(db, sqlstore.Options{})
		require.NoError(t, err)
		defer opened.Close()
		_, err = sqlstore.NewStore(opened, nil, nil, nil).Authenticate(context.Background(), secret.Hash(readKey))
		require.Equal(t, hiretrack.KindUnauthorized, hiretrack.ErrorKind(err))

		code, stdout, stderr = runCLI(t, "keys", "list", "--db", db, "--company", "Acme")
		require.Equal(t, 0, code, stderr)
		revokedAt := strings.Fields(strings.Split(stdout, "\n")[1])[5]
		require.NotEqual(t, "-", revokedAt)
	})
}
