//go:build fault

package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"leadbox/internal/web/webtest"
)

// leadboxBin is the leadbox binary TestMain builds once for every test.
var leadboxBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "leadbox-fault-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if leadboxBin = os.Getenv("LEADBOX_FAULT_BIN"); leadboxBin == "" {
		// The binary of this tree; LEADBOX_FAULT_BIN tests another build.
		leadboxBin = filepath.Join(dir, "leadbox")
		// go test puts its own GOROOT/bin first in PATH.
		build := exec.Command("go", "build", "-o", leadboxBin, "leadbox/cmd/leadbox")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "faulttest: build leadbox:", err)
			return 1
		}
	}
	raiseFileLimit()
	return m.Run()
}

// raiseFileLimit lifts the soft limit on open files to the hard one: the
// slow-client test holds a thousand connections, and the servers it starts
// inherit the limit.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// baseEnv is the test's environment without leadbox's own variables, plus the
// admin password and no rate limits: these tests measure storage and
// shutdown, not the limiter.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LEADBOX_") {
			env = append(env, kv)
		}
	}
	return append(env, "LEADBOX_ADMIN_PASSWORD=correct horse battery staple",
		"LEADBOX_RATE_SOURCE=0", "LEADBOX_RATE_ACCOUNT=0")
}

// server is one leadbox serve process.
type server struct {
	t    testing.TB
	dsn  string
	addr string // host:port, kept across restarts
	url  string
	cmd  *exec.Cmd
	out  *webtest.SyncBuffer
	done chan struct{}
	err  error // exit status, once done
}

var listeningRE = regexp.MustCompile(`leadbox: listening on (http://\S+) `)

// startServer starts leadbox serve on dsn at a free loopback port and waits
// until it listens. It is killed when the test ends if still running.
func startServer(t testing.TB, dsn string, extraEnv ...string) *server {
	t.Helper()
	s := &server{t: t, dsn: dsn, addr: "127.0.0.1:" + strconv.Itoa(freePort(t))}
	s.start(extraEnv...)
	t.Cleanup(func() { s.kill() })
	return s
}

// start (re)starts the process on the same address.
func (s *server) start(extraEnv ...string) {
	t := s.t
	t.Helper()
	s.out = &webtest.SyncBuffer{}
	s.done = make(chan struct{})
	s.err = nil
	cmd := exec.Command(leadboxBin, "serve", "--addr", s.addr, "--db", s.dsn, "--base-url", "http://"+s.addr)
	cmd.Env = append(baseEnv(), extraEnv...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start leadbox: %v", err)
	}
	s.cmd = cmd
	done := s.done
	go func() { s.err = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(s.out.String()); m != nil {
			s.url = m[1]
			return
		}
		select {
		case <-done:
			t.Fatalf("leadbox exited before listening: %v\n%s", s.err, s.out.Tail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			t.Fatalf("leadbox not listening after 60s\n%s", s.out.Tail())
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	if s.cmd == nil || s.exited() {
		return
	}
	syscall.Kill(s.pid(), syscall.SIGKILL)
	<-s.done
}

// terminate sends SIGTERM and waits up to limit for the exit; it returns how
// long the exit took and the exit error.
func (s *server) terminate(limit time.Duration) (time.Duration, error) {
	t0 := time.Now()
	syscall.Kill(s.pid(), syscall.SIGTERM)
	select {
	case <-s.done:
		return time.Since(t0), s.err
	case <-time.After(limit):
		s.kill()
		return time.Since(t0), fmt.Errorf("still running %v after SIGTERM; killed", limit)
	}
}

// stop shuts the server down gracefully and fails the test unless it exits 0.
func (s *server) stop() {
	s.t.Helper()
	if s.exited() {
		return
	}
	if d, err := s.terminate(20 * time.Second); err != nil {
		s.t.Errorf("leadbox stop after %v: %v\n%s", d.Round(time.Millisecond), err, s.out.Tail())
	}
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// cli runs a leadbox sub-command against dsn and returns its stdout.
func cli(t testing.TB, dsn string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, leadboxBin, append(args, "--db", dsn)...)
	cmd.Env = baseEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("leadbox %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// createSource makes a webhook source and returns its id and the path of its
// URL (/hooks/TOKEN), which every server of the database answers.
func createSource(t testing.TB, dsn string) (int64, string) {
	t.Helper()
	var src struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	out := cli(t, dsn, "source", "create", "--name", "Нагрузка", "--base-url", "http://x")
	if err := json.Unmarshal(out, &src); err != nil || src.ID <= 0 {
		t.Fatalf("source create printed %q: %v", out, err)
	}
	path, ok := strings.CutPrefix(src.URL, "http://x")
	if !ok || !strings.HasPrefix(path, "/hooks/") {
		t.Fatalf("source create printed url %q", src.URL)
	}
	return src.ID, path
}

// memory reads a process's resident set size (VmRSS) in bytes.
func memory(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// ciRequired fails the test under CI=true, where every fault must be
// exercised, and skips it elsewhere.
func ciRequired(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (required under CI=true)", why)
	}
	t.Skip(why)
}
