package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hiretrack/hiretrack"
	"github.com/hiretrack/hiretrack/secret"
	"github.com/hiretrack/hiretrack/sqlstore"
)

// keysCommand runs "hiretrack keys SUBCOMMAND".
func keysCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	if len(args) == 0 {
		return unknownCommandError{name: "keys"}
	}
	switch args[0] {
	case "create":
		return keysCreateCommand(ctx, args[1:], stdout, stderr, getenv, logger)
	case "list":
		return keysListCommand(ctx, args[1:], stdout, stderr, getenv, logger)
	case "revoke":
		return keysRevokeCommand(ctx, args[1:], stdout, stderr, getenv, logger)
	}
	return unknownCommandError{name: "keys " + args[0]}
}

// keysCreateCommand creates a company when needed and prints a new key.
func keysCreateCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("keys create", stderr)
	bindDB(fs, &cfg, getenv)
	company := fs.String("company", "", "name of the company the key acts for; created when it does not exist")
	scopesText := fs.String("scopes", hiretrack.ScopeList(hiretrack.AllScopes),
		"comma-separated scopes of the key: read (GET requests), write (POST, PUT, PATCH, DELETE) and admin (/api-keys)")
	name := fs.String("name", "", "optional label that tells the key apart in lists, at most 100 characters")
	if _, err := parseSettings(fs, args, getenv, ""); err != nil {
		return err
	}
	if strings.TrimSpace(*company) == "" {
		return fmt.Errorf("--company is required: name the company the key acts for")
	}
	scopes, err := hiretrack.ParseScopes(*scopesText)
	if err != nil {
		return fmt.Errorf("invalid --scopes %q: name one or more of %s, separated by commas", *scopesText, hiretrack.ScopeList(hiretrack.AllScopes))
	}
	if n := len([]rune(strings.TrimSpace(*name))); n > 100 {
		return fmt.Errorf("invalid --name: it is %d characters long; the maximum is 100", n)
	}

	db, err := openMigrated(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()

	key, stored, err := secret.NewAPIKey()
	if err != nil {
		return err
	}
	stored.Scopes = scopes
	stored.Name = strings.TrimSpace(*name)
	store := sqlstore.NewStore(db, nil, nil, logger)
	p, err := store.CreateAPIKey(ctx, strings.TrimSpace(*company), stored)
	if err != nil {
		return err
	}
	recordCLIAudit(ctx, store, logger, p.CompanyID, "api_key.create", p.KeyID)
	fmt.Fprintf(stdout, "Created API key %s (id %d, scopes %s) for company %q (id %d). It is shown only this once:\n%s\n",
		p.KeyPrefix, p.KeyID, hiretrack.ScopeList(p.Scopes), *company, p.CompanyID, key)
	return nil
}

// keysListCommand prints a table of a company's keys. It never prints a
// key or its hash, which the database does not hold in the clear.
func keysListCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("keys list", stderr)
	bindDB(fs, &cfg, getenv)
	company := fs.String("company", "", "name of the company whose keys to list")
	if _, err := parseSettings(fs, args, getenv, ""); err != nil {
		return err
	}

	store, closeDB, companyID, err := openCompany(ctx, cfg, *company, logger)
	if err != nil {
		return err
	}
	defer closeDB()

	keys, err := store.APIKeys(ctx, companyID)
	if err != nil {
		return err
	}
	table := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "ID\tPREFIX\tNAME\tSCOPES\tCREATED\tREVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(table, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, orDash(k.Name),
			hiretrack.ScopeList(k.Scopes), k.CreatedAt.Format(time.RFC3339), revoked)
	}
	return table.Flush()
}

// keysRevokeCommand revokes one key of a company.
func keysRevokeCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, logger *slog.Logger) error {
	var cfg Config
	fs := newFlagSet("keys revoke", stderr)
	bindDB(fs, &cfg, getenv)
	company := fs.String("company", "", "name of the company that owns the key")
	if _, err := parseSettings(fs, args, getenv, ""); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("keys revoke needs one key id after the flags, as \"keys list\" shows it; got %d arguments", fs.NArg())
	}
	keyID, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || keyID <= 0 {
		return fmt.Errorf("invalid key id %q: it must be a positive integer, as \"keys list\" shows it", fs.Arg(0))
	}

	store, closeDB, companyID, err := openCompany(ctx, cfg, *company, logger)
	if err != nil {
		return err
	}
	defer closeDB()

	k, err := store.RevokeAPIKey(ctx, companyID, keyID)
	if hiretrack.ErrorKind(err) == hiretrack.KindNotFound {
		return fmt.Errorf("company %q has no API key with id %d; \"keys list\" shows its keys", strings.TrimSpace(*company), keyID)
	}
	if err != nil {
		return err
	}
	recordCLIAudit(ctx, store, logger, companyID, "api_key.revoke", k.ID)
	fmt.Fprintf(stdout, "Revoked API key %s (id %d) of company %q at %s.\n",
		k.Prefix, k.ID, strings.TrimSpace(*company), k.RevokedAt.Format(time.RFC3339))
	return nil
}

// openCompany opens the database and finds the company named by --company.
// The caller calls closeDB when it is done.
func openCompany(ctx context.Context, cfg Config, company string, logger *slog.Logger) (store *sqlstore.Store, closeDB func(), companyID int64, err error) {
	company = strings.TrimSpace(company)
	if company == "" {
		return nil, nil, 0, fmt.Errorf("--company is required: name the company that owns the keys")
	}
	db, err := openMigrated(ctx, cfg, logger)
	if err != nil {
		return nil, nil, 0, err
	}

	store = sqlstore.NewStore(db, nil, nil, logger)
	companyID, err = store.CompanyID(ctx, company)
	if hiretrack.ErrorKind(err) == hiretrack.KindNotFound {
		err = fmt.Errorf("company %q not found; it exists once \"keys create\" has named it", company)
	}
	if err != nil {
		db.Close()
		return nil, nil, 0, err
	}
	return store, func() { db.Close() }, companyID, nil
}

// orDash returns s, or "-" when it is empty, for table cells.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// recordCLIAudit writes an audit event of the command line about one key.
// A failure is logged and does not undo the change, which is already done.
func recordCLIAudit(ctx context.Context, store *sqlstore.Store, logger *slog.Logger, companyID int64, action string, keyID int64) {
	err := store.RecordAudit(ctx, hiretrack.AuditEvent{
		CompanyID: companyID, Actor: hiretrack.ActorCLI, Action: action, IDs: map[string]int64{"key_id": keyID},
	})
	if err != nil {
		logger.Error("recording an audit event failed", "action", action, "key_id", keyID, "error", err)
	}
}
