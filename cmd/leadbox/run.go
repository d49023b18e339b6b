package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

const usage = `leadbox — a self-hosted CRM lead inbox.

Usage:
  leadbox [serve] [flags]              migrate, then serve HTTP (the default)
  leadbox migrate [flags]              apply database migrations and exit
  leadbox account create|list          tenants
  leadbox source create|list|rotate|disable|enable|log
  leadbox user create|list
  leadbox office create|list
  leadbox city create|list
  leadbox stage create|list            funnel stages
  leadbox token create|list|revoke     REST API tokens
  leadbox jobs list|stats|retry        the job queue (lead events, chores)

Every command takes --db (LEADBOX_DB) and --base-url (LEADBOX_BASE_URL);
run "leadbox COMMAND [SUBCOMMAND] -h" for its flags.
`

// run is the whole program: main only supplies the process's arguments,
// environment and streams, so tests can start the real thing.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		err = migrate(ctx, rest, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
	default:
		err = runAdmin(ctx, cmd, rest, getenv, stdout, stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
