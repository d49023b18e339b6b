// Command leadbox-bench is leadbox's benchmark harness. One command builds
// leadbox and the bare reference server (cmd/leadbox-bare), starts leadbox on
// SQLite and on PostgreSQL and the bare server side by side on loopback,
// drives each with the same load (internal/loadgen) at every concurrency,
// checks that every 201 answer's lead is in the database afterwards, and
// writes a markdown report: req/s, p50/p99 latency, the ratio to the bare
// server, peak RSS, start-up time and the plans of the hot queries. When wrk
// is installed it also loads every server with wrk (wrk.go), for a second
// opinion from a load generator that is not ours.
//
//	go run ./cmd/leadbox-bench                     # -n 20000 -c 8,64,256
//	go run ./cmd/leadbox-bench -preload 1000000    # also on a million leads
//
// See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"leadbox/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first Ctrl-C the run winds down and cleans up; a second one
	// kills it (the servers get SIGKILL from the kernel then).
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "leadbox-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	pg       string
	n        int
	conc     []int
	dup      float64
	preload  int
	out      string
	keep     bool
	maxRun   time.Duration // wall-time cap of one load run
	wrk      time.Duration // length of each wrk row; 0: none
	wrkC     int           // wrk's connections
	starts   int           // measured starts on the existing database
	warmup   int
	noPG     bool
	args     []string
	startAll time.Time
}

const defaultPG = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("leadbox-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{args: args}
	var conc string
	fs.StringVar(&cfg.pg, "pg", defaultPG, "PostgreSQL server URL; the harness creates and drops its own leadbox_bench_* databases there")
	fs.BoolVar(&cfg.noPG, "no-pg", false, "skip PostgreSQL")
	fs.IntVar(&cfg.n, "n", 20000, "requests per run (one run per engine and concurrency)")
	fs.StringVar(&conc, "c", "8,64,256", "comma-separated list of concurrencies")
	fs.Float64Var(&cfg.dup, "dup", 0.2, "share of requests repeating the phone and email of an earlier lead of the run")
	fs.IntVar(&cfg.preload, "preload", 0, "when > 0, also run leadbox on databases preloaded with this many leads")
	fs.StringVar(&cfg.out, "out", "bench/RESULTS.md", `markdown report file ("" or "-": print only)`)
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory (binaries, SQLite files, server logs)")
	fs.DurationVar(&cfg.maxRun, "max-run", 3*time.Minute, "wall-time cap of one load run")
	fs.IntVar(&cfg.starts, "starts", 3, "how many times to start each server on its existing database to measure start-up")
	fs.IntVar(&cfg.warmup, "warmup", 2000, "requests sent to each server before the measured runs")
	fs.DurationVar(&cfg.wrk, "wrk", 10*time.Second, "length of each server's wrk row (a second opinion with bench/lead.lua, when wrk is installed); 0 for none")
	fs.IntVar(&cfg.wrkC, "wrk-c", targetC, "connections of the wrk rows")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if cfg.conc, err = parseConc(conc); err != nil {
		return cfg, err
	}
	switch {
	case cfg.n < 1 || cfg.n > loadgen.MaxRequests:
		return cfg, fmt.Errorf("-n must be between 1 and %d", loadgen.MaxRequests)
	case math.IsNaN(cfg.dup) || cfg.dup < 0 || cfg.dup > 1:
		return cfg, fmt.Errorf("-dup must be between 0 and 1")
	case cfg.preload < 0 || cfg.preload > 100_000_000:
		return cfg, fmt.Errorf("-preload must be between 0 and 100000000")
	case cfg.maxRun <= 0:
		return cfg, fmt.Errorf("-max-run must be positive")
	case cfg.starts < 1 || cfg.starts > 20:
		return cfg, fmt.Errorf("-starts must be between 1 and 20")
	case cfg.warmup < 0 || cfg.warmup > loadgen.MaxRequests:
		return cfg, fmt.Errorf("-warmup must be between 0 and %d", loadgen.MaxRequests)
	case cfg.wrk < 0 || cfg.wrk > 10*time.Minute:
		return cfg, fmt.Errorf("-wrk must be between 0 and 10m")
	case cfg.wrkC < 1 || cfg.wrkC > 10_000:
		return cfg, fmt.Errorf("-wrk-c must be between 1 and 10000")
	}
	return cfg, nil
}

// parseConc reads "8,64,256".
func parseConc(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		c, err := strconv.Atoi(f)
		if err != nil || c < 1 || c > 10_000 {
			return nil, fmt.Errorf("-c: %q is not a concurrency between 1 and 10000", f)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-c: no concurrency given")
	}
	return out, nil
}

// engine is one server under test.
type engine struct {
	name      string // as the report shows it: bare, sqlite, postgres, sqlite 1M…
	kind      string // bare, sqlite or postgres
	twin      string // for a preloaded engine: the name of the empty one
	dsn       string
	preloaded int
	preloadT  time.Duration
	floor     int64 // largest lead id before the runs
	wrkFloor  int64 // largest lead id before the wrk rows, with wrkRan
	wrkRan    bool  // a wrk row was started: leads above wrkFloor are wrk's
	port      int
	proc      *child
	hook      *url.URL
	migrate   time.Duration   // leadbox migrate on the new database
	starts    []time.Duration // exec to first 200 on /readyz, existing database
	hwm       int64           // VmHWM at the end of the runs
	runs      []*runResult
	inDB      int   // leads above floor after the runs
	dupIDs    int64 // ids answered twice
	verifyErr string
	plans     []plan
	planErr   string
	wrk       *wrkResult
	wrkErr    string // why the wrk row has no result
}

// runResult is one load run against one engine.
type runResult struct {
	c         int
	warmup    bool
	res       loadgen.Result
	rssPeak   int64         // largest VmRSS sampled during the run
	serverCPU time.Duration // user+system CPU of the server during the run
	clientCPU time.Duration // of the harness (the load generator) during the run
	load      string        // /proc/loadavg right after the run
	found     int64         // 201 ids found in the database
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg.startAll = time.Now()
	rep := &report{cfg: cfg, loadBefore: loadAvg(), cpu: cpuModel(), cores: runtime.NumCPU(), goVersion: runtime.Version()}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "leadbox-bench: "+format+"\n", a...) }

	gomod, err := command(ctx, time.Minute, "", "go", "env", "GOMOD")
	if err != nil {
		return err
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	tmp, err := os.MkdirTemp("", "leadbox-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bins := map[string]string{}
	for _, name := range []string{"leadbox", "leadbox-bare"} {
		logf("building %s", name)
		bins[name] = filepath.Join(tmp, name)
		if _, err := command(ctx, 5*time.Minute, root, "go", "build", "-o", bins[name], "./cmd/"+name); err != nil {
			return err
		}
	}

	// The engines, in the order each concurrency visits them.
	engines := []*engine{{name: "bare", kind: "bare"}, {name: "sqlite", kind: "sqlite", dsn: filepath.Join(tmp, "sqlite.db")}}
	if cfg.preload > 0 {
		engines = append(engines, &engine{name: "sqlite " + count(cfg.preload), kind: "sqlite", twin: "sqlite",
			dsn: filepath.Join(tmp, "sqlite-preload.db"), preloaded: cfg.preload})
	}
	if cfg.noPG {
		rep.pgSkipped = "-no-pg given"
	} else if admin, err := connectPG(ctx, cfg.pg); err != nil {
		rep.pgSkipped = fmt.Sprintf("PostgreSQL at -pg is unreachable (%v)", err)
		logf("skipping PostgreSQL: %v", err)
	} else {
		defer admin.dropAll() // after the servers have stopped (defers run last first)
		rep.pgVersion = admin.version
		dsn, err := admin.createDB(ctx, "")
		if err != nil {
			return err
		}
		engines = append(engines, &engine{name: "postgres", kind: "postgres", dsn: dsn})
		if cfg.preload > 0 {
			dsn, err := admin.createDB(ctx, "_preload")
			if err != nil {
				return err
			}
			engines = append(engines, &engine{name: "postgres " + count(cfg.preload), kind: "postgres", twin: "postgres",
				dsn: dsn, preloaded: cfg.preload})
		}
	}
	rep.engines = engines

	procs := &children{}
	defer procs.stopAll()
	for _, e := range engines {
		if err := setUp(ctx, cfg, e, bins, tmp, procs, logf); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}

	// Warm-up, then every concurrency over every engine: the engines take
	// turns so that a change in the machine's background load hits them alike.
	if cfg.warmup > 0 {
		for _, e := range engines {
			r, err := loadRun(ctx, cfg, e, cfg.conc[0], min(cfg.warmup, loadgen.MaxRequests))
			if err != nil {
				return err
			}
			r.warmup = true
			logf("%-12s warm-up %d requests: %.0f req/s", e.name, r.res.Requested, r.res.ReqPerSec)
		}
	}
	for _, c := range cfg.conc {
		for _, e := range engines {
			r, err := loadRun(ctx, cfg, e, c, cfg.n)
			if err != nil {
				return err
			}
			logf("%-12s c=%-4d %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  RSS %5.1f MB  load %s",
				e.name, c, r.res.ReqPerSec, r.res.LatencyMs.P50, r.res.LatencyMs.P99, mb(r.rssPeak), r.load)
		}
	}

	if cfg.wrk > 0 {
		if err := wrkRows(ctx, cfg, root, engines, rep, logf); err != nil {
			return err
		}
	} else {
		rep.wrkSkipped = "-wrk 0 given"
	}

	// Stop the servers (they finish what is in flight), then look in the
	// databases.
	for _, e := range engines {
		if m, err := readMem(e.proc.pid()); err == nil {
			e.hwm = m.hwm
		}
		if err := e.proc.stop(30 * time.Second); err != nil {
			logf("%s: stop: %v", e.name, err)
		}
	}
	for _, e := range engines {
		if e.kind == "bare" {
			continue
		}
		logf("%s: checking the 201s and explaining the queries", e.name)
		verify(ctx, e)
	}
	rep.loadAfter = loadAvg()
	rep.wall = time.Since(cfg.startAll)

	text := rep.markdown()
	if _, err := io.WriteString(stdout, text); err != nil {
		return err
	}
	if cfg.out != "" && cfg.out != "-" {
		if err := os.WriteFile(cfg.out, []byte(text), 0o644); err != nil {
			return err
		}
		logf("wrote %s", cfg.out)
	}
	if failed := rep.failures(); len(failed) > 0 {
		logf("targets missed: %s", strings.Join(failed, "; "))
	}
	return nil
}

// setUp creates an engine's database and source, preloads it, and starts
// its server cfg.starts times on the existing database, keeping the last.
func setUp(ctx context.Context, cfg config, e *engine, bins map[string]string, tmp string, procs *children, logf func(string, ...any)) error {
	var err error
	if e.port, err = freePort(); err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(e.port)
	logName := filepath.Join(tmp, strings.ReplaceAll(e.name, " ", "-")+".log")
	if e.kind == "bare" {
		t0 := time.Now()
		if e.proc, err = procs.start(e.name, logName, bins["leadbox-bare"], "-addr", "127.0.0.1:"+strconv.Itoa(e.port)); err != nil {
			return err
		}
		d, err := waitReady(ctx, e.proc, base+"/readyz", t0, 15*time.Second)
		if err != nil {
			return err
		}
		e.starts = append(e.starts, d)
		e.hook, _ = url.Parse(base + "/hooks/bench")
		return nil
	}

	lb := bins["leadbox"]
	t0 := time.Now()
	if _, err := command(ctx, 2*time.Minute, tmp, lb, "migrate", "--db", e.dsn); err != nil {
		return err
	}
	e.migrate = time.Since(t0)
	out, err := command(ctx, time.Minute, tmp, lb, "source", "create", "--db", e.dsn, "--base-url", base, "--name", "bench")
	if err != nil {
		return err
	}
	var src struct {
		ID        int64  `json:"id"`
		AccountID int64  `json:"accountId"`
		URL       string `json:"url"`
	}
	if err := json.Unmarshal(out, &src); err != nil || src.URL == "" {
		return fmt.Errorf("source create printed %q: %v", out, err)
	}
	if e.hook, err = loadgen.CheckURL(src.URL, false); err != nil {
		return err
	}
	if e.preloaded > 0 {
		logf("%s: preloading %d leads", e.name, e.preloaded)
		t := time.Now()
		if err := preload(ctx, e.kind, e.dsn, e.preloaded, src.AccountID, src.ID); err != nil {
			return fmt.Errorf("preload: %w", err)
		}
		e.preloadT = time.Since(t)
		logf("%s: preloaded in %v", e.name, e.preloadT.Round(time.Second))
	}
	db, err := openDB(e.kind, e.dsn)
	if err != nil {
		return err
	}
	e.floor, err = maxLeadID(ctx, db)
	db.Close()
	if err != nil {
		return err
	}

	args := []string{"serve", "--db", e.dsn, "--addr", "127.0.0.1:" + strconv.Itoa(e.port), "--base-url", base,
		"--rate-source", "0", "--rate-account", "0"}
	for i := range cfg.starts {
		t0 := time.Now()
		if e.proc, err = procs.start(e.name, logName, lb, args...); err != nil {
			return err
		}
		d, err := waitReady(ctx, e.proc, base+"/readyz", t0, 30*time.Second)
		if err != nil {
			return err
		}
		e.starts = append(e.starts, d)
		if i < cfg.starts-1 {
			if err := e.proc.stop(30 * time.Second); err != nil {
				return err
			}
		}
	}
	logf("%s: ready in %v", e.name, e.starts)
	return nil
}

// loadRun runs the load generator once against e, sampling the server's
// memory and CPU.
func loadRun(ctx context.Context, cfg config, e *engine, c, n int) (*runResult, error) {
	pid := e.proc.pid()
	spid := strconv.Itoa(pid)
	s0, _ := cpuTime(spid)
	c0, _ := cpuTime("self")
	sctx, stop := context.WithCancel(ctx)
	peak := sampleMem(sctx, pid, 25*time.Millisecond)
	res, err := loadgen.Run(ctx, loadgen.Options{Target: e.hook, N: n, C: c, Duration: cfg.maxRun, Dup: cfg.dup,
		Timeout: 10 * time.Second, CollectIDs: true})
	stop()
	rss := <-peak
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	s1, _ := cpuTime(spid)
	c1, _ := cpuTime("self")
	r := &runResult{c: c, res: res, rssPeak: rss, serverCPU: s1 - s0, clientCPU: c1 - c0, load: strings.Fields(loadAvg() + " ?")[0]}
	e.runs = append(e.runs, r)
	if e.proc.exited() {
		return r, fmt.Errorf("%s exited during the run: %v\n%s", e.name, e.proc.err, logTail(e.proc.log))
	}
	return r, nil
}

// verify looks up every 201's id in e's database and explains the queries.
func verify(ctx context.Context, e *engine) {
	db, err := openDB(e.kind, e.dsn)
	if err != nil {
		e.verifyErr = err.Error()
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	ids, err := leadIDsAbove(ctx, db, e.floor)
	if err != nil {
		e.verifyErr = err.Error()
		return
	}
	if e.wrkRan {
		maps.DeleteFunc(ids, func(id int64, _ bool) bool { return id > e.wrkFloor }) // wrk's: it reads no ids
	}
	e.inDB = len(ids)
	seen := make(map[int64]bool, len(ids))
	for _, r := range e.runs {
		for _, id := range r.res.IDs {
			if ids[id] {
				r.found++
			}
			if seen[id] {
				e.dupIDs++
			}
			seen[id] = true
		}
	}
	if e.plans, err = explain(ctx, e.kind, db); err != nil {
		e.planErr = err.Error()
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// count renders 1000000 as "1M", 250000 as "250k".
func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
