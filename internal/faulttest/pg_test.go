//go:build fault

package faulttest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// privatePG is a PostgreSQL server of the test's own: its own data
// directory, port and socket directory, so that stopping it disturbs nobody
// else's tests on the machine's shared server.
type privatePG struct {
	t    *testing.T
	bin  string // directory of initdb and pg_ctl
	dir  string // owned by the postgres user; data/ and the socket live here
	port int
}

// startPrivatePG initialises and starts a private PostgreSQL. It needs root
// (PostgreSQL refuses to run as root, so it runs as the postgres user); it
// skips without, or fails under CI=true.
func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	if os.Geteuid() != 0 {
		ciRequired(t, "a private PostgreSQL needs root (to run it as the postgres user)")
	}
	bin := pgBinDir()
	if bin == "" {
		ciRequired(t, "no PostgreSQL server binaries (initdb, pg_ctl) found; set LEADBOX_FAULT_PGBIN")
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		ciRequired(t, "no postgres user to run a private PostgreSQL as")
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir, err := os.MkdirTemp("", "leadbox-fault-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	p := &privatePG{t: t, bin: bin, dir: dir, port: freePort(t)}
	p.run(60*time.Second, "initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	p.start()
	t.Cleanup(func() {
		if p.running() {
			p.pgctl(30*time.Second, "stop", "-m", "immediate")
		}
	})
	return p
}

// pgBinDir finds the newest PostgreSQL's server binaries.
func pgBinDir() string {
	if d := os.Getenv("LEADBOX_FAULT_PGBIN"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func (p *privatePG) data() string { return filepath.Join(p.dir, "data") }

// DSN is the URL of the instance's postgres database.
func (p *privatePG) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// run runs one of PostgreSQL's programs as the postgres user.
func (p *privatePG) run(limit time.Duration, prog string, args ...string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", filepath.Join(p.bin, prog)}, args...)...)
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		p.t.Fatalf("%s %s: %v\n%s\n%s", prog, strings.Join(args, " "), err, out, log)
	}
}

func (p *privatePG) pgctl(limit time.Duration, args ...string) {
	p.t.Helper()
	p.run(limit, "pg_ctl", append([]string{"-D", p.data(), "-l", filepath.Join(p.dir, "log"), "-w", "-t", "60"}, args...)...)
}

// start starts the server and waits until it accepts connections. fsync is
// off: the instance is thrown away, and the tests that use it are about
// availability, not about surviving a power cut.
func (p *privatePG) start() {
	p.t.Helper()
	p.pgctl(90*time.Second, "start", "-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", p.port, p.dir))
}

// stop terminates every client backend, then shuts the server down.
func (p *privatePG) stop() {
	p.t.Helper()
	db, err := sql.Open("pgx", p.DSN())
	if err != nil {
		p.t.Fatal(err)
	}
	var n int
	err = db.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	db.Close()
	if err != nil {
		p.t.Fatalf("terminate backends: %v", err)
	}
	p.t.Logf("terminated %d backends", n)
	p.pgctl(60*time.Second, "stop", "-m", "fast")
}

func (p *privatePG) running() bool {
	_, err := os.Stat(filepath.Join(p.data(), "postmaster.pid"))
	return err == nil
}
