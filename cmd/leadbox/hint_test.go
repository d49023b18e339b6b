package main

import (
	"strings"
	"testing"
)

// TestCommandName: the start-up hint names leadbox as it was run.
func TestCommandName(t *testing.T) {
	for _, c := range []struct{ arg0, db, envDB, want string }{
		{"/tmp/go-build2837465/b001/exe/leadbox", "leadbox.db", "", "go run ./cmd/leadbox source create"},
		{"./leadbox", "leadbox.db", "", "./leadbox source create"},
		{"leadbox", "/srv/leadbox.db", "", "leadbox source create --db /srv/leadbox.db"},
		{"leadbox", "/srv/leadbox.db", "/srv/leadbox.db", "leadbox source create"},
		{"/opt/my apps/leadbox", "it's.db", "", `'/opt/my apps/leadbox' source create --db 'it'\''s.db'`},
	} {
		getenv := func(k string) string {
			if k == "LEADBOX_DB" {
				return c.envDB
			}
			return ""
		}
		if got := commandName(c.arg0) + " source create" + dbFlag(c.db, getenv); got != c.want {
			t.Errorf("%s --db %s: %s, want %s", c.arg0, c.db, got, c.want)
		}
	}
}

// TestVersionStamped: a release's stamped version is what `leadbox version`
// prints (scripts/release.sh sets it with -ldflags -X main.buildVersion).
func TestVersionStamped(t *testing.T) {
	defer func(v string) { buildVersion = v }(buildVersion)
	buildVersion = "v9.8.7"
	out, err := cli(t, environ(nil), "version")
	if err != nil || !strings.HasPrefix(out, "leadbox v9.8.7 go1.") {
		t.Fatalf("leadbox version: %q %v", out, err)
	}
}
