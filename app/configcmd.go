package app

import (
	"flag"
	"fmt"
	"io"
)

// configCommand runs "hiretrack config": it resolves the serve settings and
// the client settings as those commands would, and prints them as TOML
// with secrets masked and the source of each value.
func configCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg Config
	fs := newFlagSet("config", stderr)
	bindServe(fs, &cfg, getenv)
	serve, err := parseSettings(fs, args, getenv, "")
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: config takes the flags of serve only", fs.Arg(0))
	}

	// The client table is read from the same file, without the serve flags
	// of the command line, which the client commands do not take.
	clientFS := flag.NewFlagSet("client", flag.ContinueOnError)
	bindClient(clientFS, &clientConfig{}, getenv)
	client, err := parseSettings(clientFS, configArgs(serve.file), getenv, clientSection)
	if err != nil {
		return err
	}

	fmt.Fprintln(stdout, "# The effective configuration, secrets masked; each comment names the source.")
	if serve.file != "" {
		fmt.Fprintf(stdout, "# Config file: %s\n", serve.file)
	} else {
		fmt.Fprintln(stdout, "# Config file: none")
	}
	printTracing(stdout, getenv)
	serve.print(stdout, "")
	client.print(stdout, clientSection)

	if err := cfg.check(); err != nil {
		return serve.explain(err)
	}
	return nil
}

// configArgs passes the config file found for serve on to another parse,
// so both read the same file.
func configArgs(file string) []string {
	if file == "" {
		return nil
	}
	return []string{"--config", file}
}

// printTracing states whether the OTEL_* variables turn tracing on, as a
// comment: tracing has no setting in the file.
func printTracing(w io.Writer, getenv func(string) string) {
	tracing, err := TracingFromEnv(getenv)
	switch {
	case err != nil:
		fmt.Fprintf(w, "# Tracing: %v\n", err)
	case tracing.Endpoint == "":
		fmt.Fprintln(w, "# Tracing: off (no OTEL_* variable turns it on)")
	default:
		fmt.Fprintf(w, "# Tracing: OTLP over HTTP to %s (from the OTEL_* variables)\n", maskURL(tracing.Endpoint))
	}
}
