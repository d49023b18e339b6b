package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"leadbox/internal/loadgen"
)

func TestParseConc(t *testing.T) {
	for in, want := range map[string][]int{"8,64,256": {8, 64, 256}, " 64 ": {64}, "8,8,1,": {8, 1}} {
		got, err := parseConc(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("parseConc(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ",", "0", "8,x", "-1", "10001"} {
		if _, err := parseConc(in); err == nil {
			t.Errorf("parseConc(%q) accepted", in)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil || cfg.n != 20000 || !slices.Equal(cfg.conc, []int{8, 64, 256}) || cfg.dup != 0.2 ||
		cfg.preload != 0 || cfg.out != "bench/RESULTS.md" || cfg.pg != defaultPG || cfg.wrk != 10*time.Second || cfg.wrkC != 64 {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-n", "0"}, {"-dup", "2"}, {"-preload", "-1"}, {"-c", ""}, {"x"}, {"-starts", "0"}, {"-wrk", "-1s"}, {"-wrk-c", "0"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestProcParsing(t *testing.T) {
	if got := parseKB("VmHWM:\t   12345 kB"); got != 12345<<10 {
		t.Errorf("parseKB = %d", got)
	}
	stat := "4242 (leadbox (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 100 0"
	if d, err := parseStat(stat); err != nil || d != 3*time.Second {
		t.Errorf("parseStat = %v, %v; want 3s", d, err)
	}
	if _, err := parseStat("garbage"); err == nil {
		t.Error("parseStat accepted garbage")
	}
	if m, err := readMem(1); err == nil && m.rss < 0 {
		t.Errorf("readMem(1) = %+v", m)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{1_000_000: "1M", 250_000: "250k", 1234: "1234"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

func result(rps, p99 float64, created int64, ids int) loadgen.Result {
	r := loadgen.Result{ReqPerSec: rps, Completed: created, Status: map[int]int64{201: created}}
	r.LatencyMs.P99 = p99
	r.IDs = make([]int64, ids)
	return r
}

func TestReport(t *testing.T) {
	cfg, _ := parseFlags([]string{"-c", "8,64", "-preload", "1000"}, io.Discard)
	bare := &engine{name: "bare", kind: "bare", starts: []time.Duration{50 * time.Millisecond}}
	sq := &engine{name: "sqlite", kind: "sqlite", starts: []time.Duration{90 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond}}
	sq1k := &engine{name: "sqlite 1k", kind: "sqlite", twin: "sqlite", preloaded: 1000, starts: []time.Duration{time.Second}}
	pg := &engine{name: "postgres", kind: "postgres", starts: []time.Duration{100 * time.Millisecond}}
	bare.runs = []*runResult{{c: 8, res: result(10000, 2, 100, 100)}, {c: 64, res: result(20000, 9, 100, 100)}}
	sq.runs = []*runResult{
		{c: 8, warmup: true, res: result(1, 1, 5, 5), found: 5},
		{c: 8, res: result(4000, 5, 100, 100), found: 100, rssPeak: 50 << 20},
		{c: 64, res: result(11000, 20, 100, 100), found: 100, rssPeak: 60 << 20},
	}
	sq1k.runs = []*runResult{
		{c: 8, res: result(3000, 5, 100, 100), found: 100},
		{c: 64, res: result(10500, 20, 100, 100), found: 99},
	}
	pg.runs = []*runResult{
		{c: 8, res: result(3000, 5, 100, 100), found: 100, rssPeak: 120 << 20},
		{c: 64, res: result(7000, 40, 100, 100), found: 100},
	}
	rep := &report{cfg: cfg, engines: []*engine{bare, sq, sq1k, pg}, loadBefore: "1.00 2.00 3.00", loadAfter: "4.00 5.00 6.00"}
	for _, tc := range []struct {
		e    *engine
		r    *runResult
		want string
	}{
		{bare, bare.runs[0], "—"},
		{sq, sq.runs[1], "yes"}, // c=8: ratio and p99 targets apply at 64 only
		{sq, sq.runs[2], "yes"}, // 55% of bare, p99 20 ms
		{sq1k, sq1k.runs[0], "**no**: 75% of empty < 90%"},
		{sq1k, sq1k.runs[1], "**no**: 99 of 100 201s in the DB"},
		{pg, pg.runs[0], "**no**: RSS 120 MB > 100"},
		{pg, pg.runs[1], "**no**: 35% of bare < 40%, p99 40.0 ms > 30"},
	} {
		if got := rep.verdict(tc.e, tc.r); got != tc.want {
			t.Errorf("verdict(%s, c=%d) = %q, want %q", tc.e.name, tc.r.c, got, tc.want)
		}
	}
	f := strings.Join(rep.failures(), "\n")
	for _, want := range []string{"sqlite 1k start-up 1s > 200 ms", "postgres c=64: 35% of bare"} {
		if !strings.Contains(f, want) {
			t.Errorf("failures lack %q:\n%s", want, f)
		}
	}
	if strings.Contains(f, "sqlite start-up") {
		t.Errorf("sqlite's median start (100 ms) reported as missed:\n%s", f)
	}
	bare.wrk = &wrkResult{rps: 25000, p99: 40 * time.Millisecond, requests: 250000}
	sq.wrk = &wrkResult{rps: 9000, p99: 15 * time.Millisecond, requests: 90000, non2xx: 3, sockErrs: 1}
	pg.wrkErr = "wrk -t 2 … http://127.0.0.1:1/hooks/***: exit status 1\nunable|to connect"
	md := rep.markdown()
	for _, want := range []string{
		"`wrk -t2 -c64 -d10s --timeout 10s --latency -s bench/lead.lua`",
		"| postgres | 64 | error: wrk -t 2 … http://127.0.0.1:1/hooks/***: exit status 1 unable/to connect |",
		"| bare | 64 | 25000 | 40.00 | — | 250000 | 0 | 0 |",
		"| sqlite | 64 | 9000 | 15.00 | 36% | 90000 | 3 | 1 |",
		"| sqlite | 64 | 11000 | 0.00 | 20.00 | 55% |",
		"| bare | 8 | 10000 |",
		"1.00 2.00 3.00 before the run",
		"## Targets missed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| sqlite | 8 | 1 |") {
		t.Error("report shows the warm-up run")
	}
	rep.wrkSkipped = "wrk is not installed"
	if md := rep.markdown(); !strings.Contains(md, "Not run: wrk is not installed.") || strings.Contains(md, "| sqlite | 64 | 9000 |") {
		t.Errorf("report without wrk:\n%s", md)
	}
}
