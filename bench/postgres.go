package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// createPostgresDatabase creates a database bench_<random> on the server
// that serverURL names and returns its URL and a function that drops it.
func createPostgresDatabase(ctx context.Context, serverURL string) (string, func() error, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("invalid --postgres URL: %w", err)
	}
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	name := "bench_" + strings.ToLower(rand.Text())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database %s on %s: %w", name, u.Redacted(), err)
	}

	drop := func() error {
		defer admin.Close()
		// FORCE ends the sessions that a failed run left open.
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// redactURL replaces the password in a URL, or in the value of a
// --postgres=URL argument, with xxxxx.
func redactURL(arg string) string {
	prefix, raw, found := strings.Cut(arg, "=")
	if !found || !strings.HasPrefix(prefix, "-") {
		prefix, raw = "", arg
	} else {
		prefix += "="
	}
	u, err := url.Parse(raw)
	if err != nil {
		return prefix + "(invalid URL)"
	}
	return prefix + u.Redacted()
}
