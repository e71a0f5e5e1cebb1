package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeConfig writes a config file in a temporary folder and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hiretrack.toml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func TestConfigFile(t *testing.T) {
	t.Parallel()

	t.Run("PrecedenceAndMasking", func(t *testing.T) {
		t.Parallel()
		path := writeConfig(t, `
addr = "0.0.0.0:9000"
db = "postgres://ht:hunter2@db.internal:5432/ht?sslmode=disable"
db-max-conns = 10
smtp-url = "smtp://mailer:mailpass@smtp.internal:587"
secret-key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
rate-limit = 5
rate-burst = 50
shutdown-timeout = "1m"

[client]
url = "http://hiretrack.internal:8080"
api-key = "htk_from_the_file"
`)
		environ := map[string]string{
			"HIRETRACK_CONFIG":            path,
			"HIRETRACK_RATE_BURST":        "7",
			"HIRETRACK_DB_MAX_CONNS":      "12",
			"HIRETRACK_API_KEY":           "htk_from_the_environment",
			"OTEL_TRACES_EXPORTER":        "otlp",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
		}

		code, stdout, stderr := runCLIEnv(t, environ, "config", "--db-max-conns", "9", "--public-url", "https://jobs.example.com")

		require.Equal(t, 0, code, stderr)
		require.Equal(t, `# The effective configuration, secrets masked; each comment names the source.
# Config file: `+path+`
# Tracing: OTLP over HTTP to http://127.0.0.1:4318/v1/traces (from the OTEL_* variables)
addr = "0.0.0.0:9000" # file `+path+`
apply-rate-limit = 10 # default
client-ip-header = "" # default
data-dir = "hiretrack-data" # default
db = "postgres://ht:xxxxx@db.internal:5432/ht?sslmode=disable" # file `+path+`
db-max-conns = 9 # flag --db-max-conns
email-max-attempts = 10 # default
email-timeout = "1m0s" # default
public-url = "https://jobs.example.com" # flag --public-url
rate-burst = 7 # environment HIRETRACK_RATE_BURST
rate-limit = 5 # file `+path+`
secret-key = "********" # file `+path+`
shutdown-timeout = "1m0s" # file `+path+`
smtp-from = "hiretrack <no-reply@localhost>" # default
smtp-url = "smtp://mailer:xxxxx@smtp.internal:587" # file `+path+`
webhook-allow-private = false # default
webhook-timeout = "10s" # default

[client]
api-key = "********" # environment HIRETRACK_API_KEY
url = "http://hiretrack.internal:8080" # file `+path+`
`, stdout)
		require.NotContains(t, stdout+stderr, "hunter2")
		require.NotContains(t, stdout+stderr, "mailpass")
		require.NotContains(t, stdout+stderr, "aabbcc")
		require.NotContains(t, stdout+stderr, "htk_from")
	})

	t.Run("NoFile", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runCLIEnv(t, map[string]string{"HIRETRACK_DB": "postgres://u@h/db?password=topsecret"}, "config")

		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "# Config file: none\n# Tracing: off (no OTEL_* variable turns it on)\n")
		require.Contains(t, stdout, `db = "postgres://u@h/db?password=xxxxx" # environment HIRETRACK_DB`+"\n")
		require.Contains(t, stdout, `addr = "127.0.0.1:8080" # default`+"\n")
		require.NotContains(t, stdout, "topsecret")
	})

	t.Run("ExampleFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join("..", "examples", "hiretrack.toml")
		code, stdout, stderr := runCLIEnv(t, nil, "config", "--config", path)

		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, `public-url = "https://jobs.example.com" # file `+path+"\n")
		require.Contains(t, stdout, `url = "http://127.0.0.1:8080" # file `+path+"\n")
	})

	t.Run("ClientCommandReadsClientTable", func(t *testing.T) {
		t.Parallel()
		e := setup(t, options{})
		path := writeConfig(t, "db = \"ignored.db\"\n[client]\nurl = \""+e.srv.URL()+"\"\napi-key = \""+e.key+"\"\n")

		code, stdout, stderr := runCLIEnv(t, nil, "tracks", "list", "--config", path)

		require.Equal(t, 0, code, stderr)
		require.Equal(t, "no tracks yet\n", stdout)
	})

	t.Run("KeysCommandReadsDB", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		db := filepath.Join(dir, "from-file.db")
		path := writeConfig(t, "db = \""+db+"\"\ndata-dir = \""+dir+"\"\n")

		code, _, stderr := runCLIEnv(t, nil, "keys", "create", "--company", "Acme", "--config", path)

		require.Equal(t, 0, code, stderr)
		_, err := os.Stat(db)
		require.NoError(t, err, "keys create used the db of the file")
	})

	errorCases := []struct {
		name, file, want string
	}{
		{"UnknownSetting", "rate-limt = 3\n",
			"hiretrack: unknown setting rate-limt in PATH; the settings at the top level are addr, apply-rate-limit, client-ip-header, data-dir, db, db-max-conns, email-max-attempts, email-timeout, public-url, rate-burst, rate-limit, secret-key, shutdown-timeout, smtp-from, smtp-url, webhook-allow-private, webhook-timeout\n"},
		{"UnknownClientSetting", "[client]\nkey = \"x\"\n",
			"hiretrack: unknown setting client.key in PATH; the settings in [client] are api-key, url\n"},
		{"BadNumber", "rate-limit = \"fast\"\n",
			"hiretrack: invalid setting rate-limit in PATH: \"fast\" is not a valid float: parse error\n"},
		{"BadDuration", "shutdown-timeout = 30\n",
			"hiretrack: invalid setting shutdown-timeout in PATH: \"30\" is not a valid duration: parse error\n"},
		{"Array", "addr = [\"a\", \"b\"]\n",
			"hiretrack: invalid setting addr in PATH: the value must be a string, a number or a boolean, not an array\n"},
		{"CheckNamesTheFile", "db-max-conns = 1\n",
			"hiretrack: invalid --db-max-conns 1: it must be at least 2 (set by file PATH)\n"},
		{"NotTOML", "addr = \"unterminated\n",
			"hiretrack: read config file PATH: toml: line 1 (last key \"addr\"): strings cannot contain newlines\n"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.file)

			// The flags would start a server on a temporary database if
			// the file were accepted.
			dir := t.TempDir()
			code, _, stderr := runCLIEnv(t, nil, "serve", "--config", path, "--addr", "127.0.0.1:0",
				"--db", filepath.Join(dir, "h.db"), "--data-dir", dir, "--shutdown-timeout", "1s")

			require.Equal(t, 1, code)
			require.Equal(t, strings.ReplaceAll(tc.want, "PATH", path), stderr)
		})
	}

	t.Run("MissingFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "missing.toml")

		code, _, stderr := runCLIEnv(t, map[string]string{"HIRETRACK_CONFIG": path}, "config")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: read config file "+path+": open "+path+": no such file or directory\n", stderr)
	})

	t.Run("EnvironmentCheckNamesTheVariable", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := runCLIEnv(t, map[string]string{"HIRETRACK_RATE_LIMIT": "-1"}, "serve")

		require.Equal(t, 1, code)
		require.Equal(t, "hiretrack: invalid --rate-limit -1: it must be a finite number of requests per second, 0 or more (set by environment HIRETRACK_RATE_LIMIT)\n", stderr)
	})
}
