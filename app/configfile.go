package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// defaultConfigFile is read when neither --config nor HIRETRACK_CONFIG
// names a file and it exists in the working folder.
const defaultConfigFile = "hiretrack.toml"

// clientSection is the table of the config file that holds the settings of
// the client commands (tracks, invite, advance). The top level holds the
// settings of "hiretrack serve", which keys and demo share where their flags
// have the same names.
const clientSection = "client"

// The sources of a setting, from the strongest to the weakest.
const (
	sourceFlag    = "flag"
	sourceEnv     = "env"
	sourceFile    = "file"
	sourceDefault = "default"
)

// settings is a parsed flag set together with where each value came from.
type settings struct {
	fs      *flag.FlagSet
	file    string            // the config file read, or "" when none
	sources map[string]string // flag name to one of the source constants
	getenv  func(string) string
}

// parseSettings registers --config on fs, parses args and then sets each
// flag that neither the command line nor its HIRETRACK_* variable gave
// from the config file's section ("" for the top level). The flags of fs
// must already take their defaults from the environment, as bindServe
// does, so the precedence is flags, environment, file, defaults.
func parseSettings(fs *flag.FlagSet, args []string, getenv func(string) string, section string) (*settings, error) {
	configFlag := fs.String("config", "", "TOML config file (default: $HIRETRACK_CONFIG, or ./"+defaultConfigFile+" when it exists)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	s := &settings{fs: fs, sources: map[string]string{}, getenv: getenv}
	fs.Visit(func(f *flag.Flag) { s.sources[f.Name] = sourceFlag })
	fs.VisitAll(func(f *flag.Flag) {
		if s.sources[f.Name] == "" && getenv(envName(f.Name)) != "" {
			s.sources[f.Name] = sourceEnv
		}
	})

	path, err := configPath(*configFlag, getenv)
	if err != nil || path == "" {
		return s, err
	}
	s.file = path
	return s, s.applyFile(section)
}

// configPath returns the config file to read: --config, else
// HIRETRACK_CONFIG, else ./hiretrack.toml when it exists, else "".
func configPath(given string, getenv func(string) string) (string, error) {
	if given == "" {
		given = getenv("HIRETRACK_CONFIG")
	}
	if given != "" {
		return given, nil
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("config file %s: %w", defaultConfigFile, err)
	}
	return "", nil
}

// applyFile reads the file, rejects the keys that are no command's flags, and
// sets the flags of the section that have no stronger source.
func (s *settings) applyFile(section string) error {
	values, err := readConfigFile(s.file)
	if err != nil {
		return err
	}
	if section != "" {
		values, _ = values[section].(map[string]any)
	}

	for _, name := range sortedKeys(values) {
		f := s.fs.Lookup(name)
		if f == nil || name == "config" {
			continue
		}
		if err := s.applySetting(f, values[name]); err != nil {
			return fmt.Errorf("invalid setting %s in %s: %w", qualified(section, name), s.file, err)
		}
	}
	return nil
}

// applySetting sets f from the file's value v unless a flag or variable
// set it already. A value that the flag or variable overrides is still
// checked, and then the stronger value is put back, so that a bad file
// fails everywhere and not only where nothing overrides it.
func (s *settings) applySetting(f *flag.Flag, v any) error {
	text, err := settingText(v)
	if err != nil {
		return err
	}
	stronger := f.Value.String()
	if err := f.Value.Set(text); err != nil {
		kind, _ := flag.UnquoteUsage(f)
		return fmt.Errorf("%q is not a valid %s: %w", text, kind, err)
	}
	if s.sources[f.Name] != "" {
		return f.Value.Set(stronger)
	}
	s.sources[f.Name] = sourceFile
	return nil
}

// readConfigFile decodes the TOML file and checks every key against the
// flags of "hiretrack serve" and of the client commands, so that a typo is
// reported by every command, not only by the one it was meant for.
func readConfigFile(path string) (map[string]any, error) {
	var values map[string]any
	if _, err := toml.DecodeFile(path, &values); err != nil {
		return nil, fmt.Errorf("read config file %s: %w", path, err)
	}

	serve, client := serveSettingNames(), clientSettingNames()
	for _, name := range sortedKeys(values) {
		if name == clientSection {
			table, ok := values[name].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("invalid setting %s in %s: it must be a table such as [client]", name, path)
			}
			if err := checkKeys(table, client, clientSection, path); err != nil {
				return nil, err
			}
			continue
		}
		if !slices.Contains(serve, name) {
			return nil, unknownSetting(name, "", path, serve)
		}
	}
	return values, nil
}

func checkKeys(table map[string]any, known []string, section, path string) error {
	for _, name := range sortedKeys(table) {
		if !slices.Contains(known, name) {
			return unknownSetting(name, section, path, known)
		}
	}
	return nil
}

func unknownSetting(name, section, path string, known []string) error {
	where := "at the top level"
	if section != "" {
		where = "in [" + section + "]"
	}
	return fmt.Errorf("unknown setting %s in %s; the settings %s are %s",
		qualified(section, name), path, where, strings.Join(known, ", "))
}

func qualified(section, name string) string {
	if section == "" {
		return name
	}
	return section + "." + name
}

// settingText turns a TOML value into the text its flag parses.
func settingText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	kind := "a date or time"
	switch v.(type) {
	case []any, []map[string]any:
		kind = "an array"
	case map[string]any:
		kind = "a table"
	}
	return "", fmt.Errorf("the value must be a string, a number or a boolean, not %s", kind)
}

// serveSettingNames returns the flag names of "hiretrack serve", which are
// the keys of the file's top level. Reading them from bindServe means that
// a flag added there is a setting of the file without further code.
func serveSettingNames() []string {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	bindServe(fs, &Config{}, func(string) string { return "" })
	return flagNames(fs)
}

// clientSettingNames returns the keys of the [client] table.
func clientSettingNames() []string {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	bindClient(fs, &clientConfig{}, func(string) string { return "" })
	return flagNames(fs)
}

func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// envName returns the environment variable of a flag: HIRETRACK_<NAME>
// with dashes as underscores.
func envName(flagName string) string {
	return "HIRETRACK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// source describes where a flag's value came from, for "hiretrack config"
// and for error messages.
func (s *settings) source(name string) string {
	switch s.sources[name] {
	case sourceFlag:
		return "flag --" + name
	case sourceEnv:
		return "environment " + envName(name)
	case sourceFile:
		return "file " + s.file
	}
	return sourceDefault
}

// flagInMessage finds the first --flag that a check error names.
var flagInMessage = regexp.MustCompile(`--([a-z0-9][a-z0-9-]*)`)

// explain adds to a check error where the setting it names was set, when
// that was not the command line, so that a bad value in the config file
// or the environment is easy to find.
func (s *settings) explain(err error) error {
	m := flagInMessage.FindStringSubmatch(err.Error())
	if m == nil || s.fs.Lookup(m[1]) == nil {
		return err
	}
	switch s.sources[m[1]] {
	case sourceFile, sourceEnv:
		return fmt.Errorf("%w (set by %s)", err, s.source(m[1]))
	}
	return err
}

// print writes the effective settings as TOML, secrets masked, each with a
// comment naming its source. section is the table the settings belong to.
func (s *settings) print(w io.Writer, section string) {
	if section != "" {
		fmt.Fprintf(w, "\n[%s]\n", section)
	}
	s.fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		fmt.Fprintf(w, "%s = %s # %s\n", f.Name, tomlValue(f, maskSetting(f.Name, f.Value.String())), s.source(f.Name))
	})
}

// tomlValue writes v as TOML: numbers and booleans bare, the rest quoted.
func tomlValue(f *flag.Flag, v string) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool, int, int64, uint, uint64, float64:
			return v
		case time.Duration:
			return strconv.Quote(v)
		}
	}
	return strconv.Quote(v)
}

// maskSetting hides secrets: the whole value of a setting whose name says
// it is a key, secret, password or token, and the password of a URL.
func maskSetting(name, value string) string {
	if value == "" {
		return value
	}
	for _, word := range []string{"key", "secret", "password", "token"} {
		if strings.Contains(name, word) {
			return "********"
		}
	}
	return maskURL(value)
}

// maskURL replaces the password of a URL, in its user information or in a
// password query parameter as PostgreSQL URLs allow, by xxxxx.
func maskURL(value string) string {
	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return value
	}
	q := u.Query()
	for _, name := range []string{"password", "sslpassword"} {
		if q.Has(name) {
			q.Set(name, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}
