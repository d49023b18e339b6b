package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
)

// bootstrap creates the first account and its admin on an empty database and
// tells out how to log in. It returns the account to act on when there is
// exactly one.
func bootstrap(ctx context.Context, s *store.Store, cfg Config, getenv func(string) string, out io.Writer) (lead.Account, error) {
	// Hashing a password costs ~20 MiB and tens of milliseconds: not on
	// every start, only when there may be an account to create.
	if accts, err := s.ListAccounts(ctx); err != nil || len(accts) > 0 {
		return lead.Account{}, err
	}
	email := getenv("LEADBOX_ADMIN_EMAIL")
	if email == "" {
		email = "admin@localhost"
	}
	pass, generated := getenv("LEADBOX_ADMIN_PASSWORD"), false
	if pass == "" {
		pass, generated = password.Generate(), true
	}
	hash, err := password.Hash(pass)
	if err != nil {
		return lead.Account{}, fmt.Errorf("LEADBOX_ADMIN_PASSWORD: %w", err)
	}
	name := getenv("LEADBOX_ACCOUNT_NAME")
	if name == "" {
		name = "Моя компания"
	}
	acct, user, created, err := s.Bootstrap(ctx, name, lead.User{Name: "Администратор", Email: email, PasswordHash: hash})
	if err != nil {
		return acct, fmt.Errorf("create first account: %w", err)
	}
	if created {
		fmt.Fprintf(out, "leadbox: created account %d %q and its admin user %d.\n", acct.ID, acct.Name, user.ID)
		fmt.Fprintf(out, "leadbox: log in at %s as %s", cfg.BaseURL, user.Email)
		if generated {
			fmt.Fprintf(out, " with password %s\n(shown once; set LEADBOX_ADMIN_PASSWORD to choose it)\n", pass)
		} else {
			fmt.Fprintln(out, " with the password in LEADBOX_ADMIN_PASSWORD")
		}
		fmt.Fprintf(out, "leadbox: create a webhook source with: %s source create%s --name \"My site\"\n",
			commandName(os.Args[0]), dbFlag(cfg.DB, getenv))
	}
	return acct, nil
}

// commandName is how the user ran leadbox, for hints to run it again: `go
// run` builds into a temporary go-build…/exe/ directory, and that path is of
// no use to anyone.
func commandName(arg0 string) string {
	p := filepath.ToSlash(arg0)
	if strings.Contains(p, "/go-build") && path.Base(path.Dir(p)) == "exe" {
		return "go run ./cmd/leadbox"
	}
	if arg0 == "" {
		return "leadbox"
	}
	return shellQuote(arg0)
}

// dbFlag is the --db a hint needs to reach the same database: none for the
// default, or when LEADBOX_DB names it anyway.
func dbFlag(db string, getenv func(string) string) string {
	if db == "leadbox.db" || db == getenv("LEADBOX_DB") {
		return ""
	}
	return " --db " + shellQuote(db)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// admin is one run of an administrative command.
type admin struct {
	ctx     context.Context
	cfg     Config
	store   *store.Store
	account int64
	stdout  io.Writer
}

// command is a leaf command: its flags and what it does.
type command struct {
	flags func(fs *flag.FlagSet) func(a *admin) (any, error)
}

func runAdmin(ctx context.Context, group string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	subs, ok := commands[group]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", group)
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%s: missing sub-command (%s)", group, strings.Join(keys(subs), ", "))
	}
	cmd, ok := subs[args[0]]
	if !ok {
		return fmt.Errorf("%s: unknown sub-command %q (%s)", group, args[0], strings.Join(keys(subs), ", "))
	}
	var cfg Config
	fs := flagSet(group+" "+args[0], &cfg, getenv, stderr)
	var accountID int64
	fs.Int64Var(&accountID, "account", 0, "account id (default: the only account)")
	do := cmd.flags(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	s, err := openStore(ctx, cfg.DB, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := bootstrap(ctx, s, cfg, getenv, stderr); err != nil {
		return err
	}
	a := &admin{ctx: ctx, cfg: cfg, store: s, account: accountID, stdout: stdout}
	switch {
	case a.account == 0 && group != "account" && group != "jobs":
		a.account, err = onlyAccount(ctx, s)
	case a.account != 0:
		err = accountExists(ctx, s, a.account)
	}
	if err != nil {
		return err
	}
	v, err := do(a)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func onlyAccount(ctx context.Context, s *store.Store) (int64, error) {
	accts, err := s.ListAccounts(ctx)
	if err != nil {
		return 0, err
	}
	if len(accts) != 1 {
		names := make([]string, len(accts))
		for i, a := range accts {
			names[i] = fmt.Sprintf("%d (%s)", a.ID, a.Name)
		}
		return 0, fmt.Errorf("there are %d accounts: say which with --account ID: %s", len(accts), strings.Join(names, ", "))
	}
	return accts[0].ID, nil
}

// accountExists fails unless id names an account, so that --account with a
// wrong id is an error rather than an empty answer.
func accountExists(ctx context.Context, s *store.Store, id int64) error {
	accts, err := s.ListAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if a.ID == id {
			return nil
		}
	}
	return fmt.Errorf("--account %d: no such account", id)
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
