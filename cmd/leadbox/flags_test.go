package main

import (
	"slices"
	"strings"
	"testing"

	"leadbox/internal/store/storetest"
)

func TestHoistFlags(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"--db x.db source list", "source list --db x.db"},
		{"--db=x.db --account 2 source log --id 1", "source log --db=x.db --account 2 --id 1"},
		{"--db x.db migrate", "migrate --db x.db"},
		{"--db x.db serve --addr :9090", "serve --db x.db --addr :9090"},
		{"--db x.db jobs retry --dead", "jobs retry --db x.db --dead"},
		{"--addr :9090", "--addr :9090"}, // serve, the default
		{"source list --db x.db", "source list --db x.db"},
		{"--db x.db source --name y", "source --db x.db --name y"}, // no sub-command: the group says so
		{"", ""},
	} {
		got := strings.Join(hoistFlags(strings.Fields(c.in)), " ")
		if got != c.want {
			t.Errorf("hoistFlags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCLIGlobalFlagsFirst runs commands with --db before them, on a new
// database: lists with nothing in them print [], never null (a new account
// has a funnel, so "stage list" is never empty there).
func TestCLIGlobalFlagsFirst(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		dsn := storetest.DSN(t, engine)
		env := environ(nil)
		for _, c := range [][]string{{"office", "list"}, {"city", "list"}, {"token", "list"},
			{"source", "list"}, {"jobs", "list"}} {
			out, err := cli(t, env, slices.Concat([]string{"--db", dsn}, c)...)
			if err != nil || strings.TrimSpace(out) != "[]" {
				t.Errorf("leadbox --db … %s: %v %q, want []", strings.Join(c, " "), err, out)
			}
		}
		var accounts []struct{ ID int64 }
		cliJSON(t, env, &accounts, "--db="+dsn, "account", "list")
		if len(accounts) != 1 {
			t.Fatalf("accounts %+v", accounts)
		}
		// With a second account, a command that needs one names them all.
		var second struct{ ID int64 }
		cliJSON(t, env, &second, "account", "create", "--name", "Второй офис", "--db", dsn)
		if _, err := cli(t, env, "--db", dsn, "source", "list"); err == nil ||
			!strings.Contains(err.Error(), "(Моя компания)") || !strings.Contains(err.Error(), "(Второй офис)") {
			t.Fatalf("source list with two accounts: %v", err)
		}
		out, err := cli(t, env, "--db", dsn, "version")
		if err != nil || !strings.HasPrefix(out, "leadbox ") {
			t.Fatalf("version: %v %q", err, out)
		}
	})
}
