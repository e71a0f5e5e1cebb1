package app_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/app"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// runCLI runs the command line with an empty environment.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = app.Run(context.Background(), args, &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

func TestCLI(t *testing.T) {
	t.Parallel()

	t.Run("UnknownCommand", func(t *testing.T) {
		code, _, stderr := runCLI(t, "frobnicate")

		require.Equal(t, 2, code)
		require.True(t, strings.HasPrefix(stderr, "hiretrack: unknown command \"frobnicate\"\n"), stderr)
		require.Contains(t, stderr, "Usage:")
	})

	t.Run("KeysCreateMissingCompany", func(t *testing.T) {
		code, _, stderr := runCLI(t, "keys", "create", "--db", filepath.Join(t.TempDir(), "h.db"))

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: --company is required: name the company the key acts for\n", stderr)
	})

	t.Run("KeysCreatePrintsKeyLast", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "h.db")
		code, stdout, stderr := runCLI(t, "keys", "create", "--db", db, "--company", "Acme")

		require.Equal(t, 0, code, stderr)
		require.Empty(t, stderr, "migrations log below warning level")
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		key := lines[len(lines)-1]
		require.True(t, strings.HasPrefix(key, "htk_"), stdout)

		opened, err := sqlstore.Open(db, sqlstore.Options{})
		require.NoError(t, err)
		defer opened.Close()
		p, err := sqlstore.NewStore(opened, nil, nil, nil).Authenticate(context.Background(), secret.Hash(key))
		require.NoError(t, err)
		require.Equal(t, key[:secret.KeyPrefixLen], p.KeyPrefix)
	})

	t.Run("DemoMissingTrackFile", func(t *testing.T) {
		dir := t.TempDir()
		code, _, stderr := runCLI(t, "demo", "--db", filepath.Join(dir, "h.db"), "--data-dir", dir,
			"--track", filepath.Join(dir, "missing.json"))

		require.Equal(t, 1, code)
		require.Contains(t, stderr, "set its path with --track")
	})
}
