package secret_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiretrack/hiretrack/secret"
)

func TestSealer(t *testing.T) {
	t.Parallel()
	key, _, err := secret.LoadOrCreateKey(filepath.Join(t.TempDir(), "secret.key"))
	require.NoError(t, err)
	sealer, err := secret.NewSealer(key)
	require.NoError(t, err)

	t.Run("RoundTrip", func(t *testing.T) {
		token, stored, err := sealer.NewInviteToken()
		require.NoError(t, err)
		require.Len(t, token, 43, "32 random bytes in unpadded base64url")
		require.Equal(t, secret.Hash(token), stored.Hash)
		require.NotContains(t, string(stored.Sealed), token)

		opened, err := sealer.Open(stored.Sealed)
		require.NoError(t, err)
		require.Equal(t, token, opened)
	})

	t.Run("OtherKeyFails", func(t *testing.T) {
		_, stored, err := sealer.NewInviteToken()
		require.NoError(t, err)
		other, err := secret.NewSealer(make([]byte, secret.KeySize))
		require.NoError(t, err)

		_, err = other.Open(stored.Sealed)
		require.ErrorContains(t, err, "was the server key changed?")
	})

	t.Run("TamperedFails", func(t *testing.T) {
		_, stored, err := sealer.NewInviteToken()
		require.NoError(t, err)
		stored.Sealed[len(stored.Sealed)-1] ^= 1

		_, err = sealer.Open(stored.Sealed)
		require.Error(t, err)
	})
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "secret.key")

	first, created, err := secret.LoadOrCreateKey(path)
	require.NoError(t, err)
	require.True(t, created)
	require.Len(t, first, secret.KeySize)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again, created, err := secret.LoadOrCreateKey(path)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, first, again)

	require.NoError(t, os.WriteFile(path, []byte("not hex\n"), 0o600))
	_, _, err = secret.LoadOrCreateKey(path)
	require.ErrorContains(t, err, "server key must be 64 hex characters")
}

func TestNewAPIKey(t *testing.T) {
	t.Parallel()
	key, stored, err := secret.NewAPIKey()
	require.NoError(t, err)

	require.True(t, strings.HasPrefix(key, "htk_"))
	require.Len(t, key, 4+43)
	require.Equal(t, key[:secret.KeyPrefixLen], stored.Prefix)
	require.Equal(t, secret.Hash(key), stored.Hash)
	require.Len(t, string(stored.Hash), 64)
}

func TestRedact(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abcdef…", secret.Redact("abcdefghijklmnop"))
	require.Equal(t, "***", secret.Redact("abc"))
}
