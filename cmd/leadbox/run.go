package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
)

const usage = `leadbox — a self-hosted CRM lead inbox.

Usage:
  leadbox [serve] [flags]              migrate, then serve HTTP (the default)
  leadbox migrate [flags]              apply database migrations and exit
  leadbox account create|list          tenants
  leadbox source create|list|rotate|disable|enable|log
  leadbox user create|list|password    users; password sets a new one (a lost admin password)
  leadbox office create|list
  leadbox city create|list
  leadbox stage create|list            funnel stages
  leadbox token create|list|revoke     REST API tokens
  leadbox jobs list|stats|retry        the job queue (lead events, chores)
  leadbox erase --phone P --email E --reason R [--dry-run]
                                       erase a person's data (152-FZ); the same as erasure create
  leadbox erasures                     erasures done; the same as erasure list
  leadbox erasure create|list|show|purge|retention
  leadbox backup --to FILE             a consistent copy of the SQLite database, taken online
  leadbox restore --from FILE          replace the (stopped) SQLite database with a backup
  leadbox version                      the build's version

Every command takes --db (LEADBOX_DB) and --base-url (LEADBOX_BASE_URL),
before or after it; run "leadbox COMMAND [SUBCOMMAND] -h" for its flags.
`

// run is the whole program: main only supplies the process's arguments,
// environment and streams, so tests can start the real thing.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	args = hoistFlags(args)
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
	case "backup":
		err = backupCmd(ctx, rest, getenv, stdout, stderr)
	case "restore":
		err = restoreCmd(ctx, rest, getenv, stdout, stderr)
	case "erase":
		err = runAdmin(ctx, "erasure", append([]string{"create"}, rest...), getenv, stdout, stderr)
	case "erasures":
		err = runAdmin(ctx, "erasure", append([]string{"list"}, rest...), getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
	case "version":
		fmt.Fprintln(stdout, "leadbox", version())
	default:
		err = runAdmin(ctx, cmd, rest, getenv, stdout, stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// hoistFlags moves the flags written before the command to after it (and
// after an administrative command's sub-command), where that command's
// flags are read: `leadbox --db X source list` is `leadbox source list --db
// X`. Every flag given before a command takes a value (--db, --base-url,
// --account, …), as `--flag value` or `--flag=value`. Without a command
// (flags for serve) the arguments stay as they are.
func hoistFlags(args []string) []string {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		if !strings.Contains(args[i], "=") {
			i++ // its value
		}
		i++
	}
	if i == 0 || i >= len(args) || strings.HasPrefix(args[i], "-") {
		return args
	}
	flags, rest := args[:i], args[i:]
	head := rest[:1] // the command
	if c := rest[0]; !slices.Contains(singleCommands, c) && len(rest) > 1 && !strings.HasPrefix(rest[1], "-") {
		head = rest[:2] // and its sub-command
	}
	out := append(append(append([]string{}, head...), flags...), rest[len(head):]...)
	return out
}

// singleCommands are the commands without a sub-command.
var singleCommands = []string{"serve", "migrate", "backup", "restore", "version", "help", "erase", "erasures"}

// buildVersion is the release's version, stamped in by scripts/release.sh
// (-ldflags "-X main.buildVersion=v1.2.3"); empty in other builds.
var buildVersion string

// version is the release's version, else the module's version as the go
// command stamped it: a tag, a pseudo-version, or the VCS revision of a
// build from a checkout.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if buildVersion != "" {
		return buildVersion + " " + bi.GoVersion
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, st := range bi.Settings {
		switch st.Key {
		case "vcs.revision":
			rev = st.Value
		case "vcs.modified":
			if st.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		v = rev[:min(12, len(rev))] + dirty
	}
	return v + " " + bi.GoVersion
}
