package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The targets of issue 6, as ratios to the bare server in the same run.
const (
	targetC        = 64        // the concurrency the throughput and p99 targets are set at
	maxRSS         = 100 << 20 // resident memory under load
	maxStart       = 200 * time.Millisecond
	minPreloadRate = 0.90 // req/s on a preloaded database over the empty one's
)

var targets = map[string]struct {
	minRatio float64 // of the bare server's req/s
	maxP99   float64 // ms
}{
	"sqlite":   {0.50, 25},
	"postgres": {0.40, 30},
}

type report struct {
	cfg                   config
	cpu                   string
	cores                 int
	goVersion, pgVersion  string
	pgSkipped             string
	wrkSkipped            string
	loadBefore, loadAfter string
	engines               []*engine
	wall                  time.Duration
}

// measured returns e's non-warm-up run at concurrency c.
func measured(e *engine, c int) *runResult {
	if e == nil {
		return nil
	}
	for _, r := range e.runs {
		if !r.warmup && r.c == c {
			return r
		}
	}
	return nil
}

func (rep *report) engine(name string) *engine {
	for _, e := range rep.engines {
		if e.name == name {
			return e
		}
	}
	return nil
}

// verdict lists the targets run r of e misses; "" when it meets them all,
// "—" when none apply.
func (rep *report) verdict(e *engine, r *runResult) string {
	if e.kind == "bare" {
		return "—"
	}
	var miss []string
	if r.rssPeak > maxRSS {
		miss = append(miss, fmt.Sprintf("RSS %.0f MB > 100", mb(r.rssPeak)))
	}
	if n := r.res.Status[201]; r.found != n || r.res.BadIDs > 0 || e.verifyErr != "" {
		miss = append(miss, fmt.Sprintf("%d of %d 201s in the DB", r.found, n))
	}
	if r.res.Errors > 0 || r.res.FiveXX() > 0 {
		miss = append(miss, fmt.Sprintf("%d errors, %d 5xx", r.res.Errors, r.res.FiveXX()))
	}
	if t, ok := targets[e.kind]; ok && r.c == targetC && e.preloaded == 0 {
		if ratio, ok := rep.ratio(e, r); ok && ratio < t.minRatio {
			miss = append(miss, fmt.Sprintf("%.0f%% of bare < %.0f%%", 100*ratio, 100*t.minRatio))
		}
		if r.res.LatencyMs.P99 > t.maxP99 {
			miss = append(miss, fmt.Sprintf("p99 %.1f ms > %.0f", r.res.LatencyMs.P99, t.maxP99))
		}
	}
	if e.twin != "" {
		if tr := measured(rep.engine(e.twin), r.c); tr != nil && tr.res.ReqPerSec > 0 {
			if share := r.res.ReqPerSec / tr.res.ReqPerSec; share < minPreloadRate {
				miss = append(miss, fmt.Sprintf("%.0f%% of empty < 90%%", 100*share))
			}
		}
	}
	if len(miss) == 0 {
		return "yes"
	}
	return "**no**: " + strings.Join(miss, ", ")
}

// ratio is r's req/s over the bare server's at the same concurrency.
func (rep *report) ratio(e *engine, r *runResult) (float64, bool) {
	b := measured(rep.engine("bare"), r.c)
	if b == nil || b.res.ReqPerSec == 0 {
		return 0, false
	}
	return r.res.ReqPerSec / b.res.ReqPerSec, true
}

// failures lists every missed target, for the closing line.
func (rep *report) failures() []string {
	var out []string
	for _, e := range rep.engines {
		for _, r := range e.runs {
			if r.warmup {
				continue
			}
			if v := rep.verdict(e, r); strings.HasPrefix(v, "**no**") {
				out = append(out, fmt.Sprintf("%s c=%d: %s", e.name, r.c, strings.TrimPrefix(v, "**no**: ")))
			}
		}
		if e.kind != "bare" && len(e.starts) > 0 && median(e.starts) > maxStart {
			out = append(out, fmt.Sprintf("%s start-up %v > 200 ms", e.name, median(e.starts).Round(time.Millisecond)))
		}
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(d))
	return s[len(s)/2]
}

func (rep *report) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	cfg := rep.cfg
	w("# leadbox benchmark results\n\n")
	w("Written by `go run ./cmd/leadbox-bench")
	if len(cfg.args) > 0 {
		w(" %s", strings.Join(cfg.args, " "))
	}
	w("` on %s (%v in all). See [README.md](README.md) for what is measured and how.\n\n",
		cfg.startAll.UTC().Format("2006-01-02 15:04 MST"), rep.wall.Round(time.Second))
	w("- Machine: %s, %d cores, Linux; %s", rep.cpu, rep.cores, rep.goVersion)
	if rep.pgVersion != "" {
		w("; PostgreSQL %s", rep.pgVersion)
	}
	w(".\n- Load average (`/proc/loadavg`, 1/5/15 min): %s before the run, %s after it. The machine is shared; the load generator runs on the same cores as the server.\n", rep.loadBefore, rep.loadAfter)
	w("- Load: %d requests per row, %.0f%% of them repeating the phone and email of an earlier lead of the row; every server got a %d-request warm-up first. ", cfg.n, 100*cfg.dup, cfg.warmup)
	w("The servers ran side by side on 127.0.0.1 with rate limits off; at each concurrency they were loaded one after the other.\n")
	if rep.pgSkipped != "" {
		w("- PostgreSQL was skipped: %s.\n", rep.pgSkipped)
	}
	w("\n## Intake\n\n")
	w("| engine | c | req/s | p50 ms | p99 ms | of bare | peak RSS MB | server CPU µs/req | client CPU µs/req | 201s found in DB | other answers | load avg after | targets met |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n")
	for _, c := range cfg.conc {
		for _, e := range rep.engines {
			r := measured(e, c)
			if r == nil {
				continue
			}
			ratio := "—"
			if x, ok := rep.ratio(e, r); ok && e.kind != "bare" {
				ratio = fmt.Sprintf("%.0f%%", 100*x)
			}
			found := "—"
			if e.kind != "bare" {
				found = fmt.Sprintf("%d / %d", r.found, r.res.Status[201])
			}
			w("| %s | %d | %.0f | %.2f | %.2f | %s | %.1f | %s | %s | %s | %s | %s | %s |\n",
				e.name, c, r.res.ReqPerSec, r.res.LatencyMs.P50, r.res.LatencyMs.P99, ratio, mb(r.rssPeak),
				perReq(r.serverCPU, r.res.Completed), perReq(r.clientCPU, r.res.Completed),
				found, others(r), r.load, rep.verdict(e, r))
		}
	}
	w("\nTargets at c=%d: SQLite ≥ 50%% of bare and p99 ≤ 25 ms; PostgreSQL ≥ 40%% and p99 ≤ 30 ms. At every c: peak RSS ≤ 100 MB, every 201 in the database, no errors", targetC)
	if cfg.preload > 0 {
		w("; on the preloaded databases ≥ 90%% of the empty database's req/s")
	}
	w(". Peak RSS is the largest VmRSS sampled every 25 ms during the row; CPU is user+system time from /proc over completed requests.\n")

	rep.wrkSection(w)

	w("\n## Servers\n\n")
	w("| engine | `leadbox migrate` on a new database | start to ready on the existing database (each start) | ≤ 200 ms | VmHWM at the end | leads created by the runs | 201s answered | ids answered twice | preload |\n")
	w("|---|---:|---|---|---:|---:|---:|---:|---|\n")
	for _, e := range rep.engines {
		var starts []string
		for _, d := range e.starts {
			starts = append(starts, fmtMs(d))
		}
		mig, ok, inDB, answered, twice, pre := "—", "—", "—", "—", "—", "—"
		if e.kind != "bare" {
			mig = fmtMs(e.migrate)
			ok = "yes"
			if len(e.starts) > 0 && median(e.starts) > maxStart {
				ok = "**no**"
			}
			var n int64
			for _, r := range e.runs {
				n += r.res.Status[201]
			}
			inDB, answered, twice = fmt.Sprint(e.inDB), fmt.Sprint(n), fmt.Sprint(e.dupIDs)
			if e.verifyErr != "" {
				inDB = "error: " + e.verifyErr
			}
		}
		if e.preloaded > 0 {
			pre = fmt.Sprintf("%d leads in %v", e.preloaded, e.preloadT.Round(time.Second))
		}
		w("| %s | %s | %s | %s | %.1f MB | %s | %s | %s | %s |\n", e.name, mig, strings.Join(starts, ", "), ok, mb(e.hwm), inDB, answered, twice, pre)
	}
	w("\n\"Leads created by the runs\" counts every lead above the largest id before the runs; it equals the 201s answered (warm-up included) when nothing was lost or invented. A request canceled in flight (at -max-run) may have created a lead whose answer was never read, so it may be higher by the number canceled. The wrk rows' leads are not counted: wrk reads no ids.\n")

	w("\n## Query plans\n\n")
	w("Taken after the runs, with the account, phone and email key of the newest lead. On PostgreSQL after `ANALYZE leads`: a run is shorter than the minute autovacuum can take to notice that a table has grown, and until it does, the planner still believes the account has the few leads of the last statistics and answers the inbox page with a bitmap scan and a sort of all its leads (measured: 29–44 ms at 65,000–100,000 leads) instead of reading 50 down an index.\n")
	for _, e := range rep.engines {
		if e.kind == "bare" {
			continue
		}
		w("\n### %s\n\n", e.name)
		if e.planErr != "" {
			w("Could not explain: %s\n", e.planErr)
		}
		for _, p := range e.plans {
			w("%s:\n\n```sql\n%s\n```\n\n```text\n%s\n```\n\n", p.title, p.query, p.text)
		}
	}

	if f := rep.failures(); len(f) > 0 {
		w("\n## Targets missed\n\n")
		for _, s := range f {
			w("- %s\n", s)
		}
	} else {
		w("\n## Targets\n\nAll targets met in this run.\n")
	}
	return b.String()
}

func perReq(d time.Duration, n int64) string {
	if n == 0 || d == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", float64(d.Microseconds())/float64(n))
}

// others renders the answers that were not 201, and transport errors.
func others(r *runResult) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(r.res.Status)) {
		if code != 201 {
			parts = append(parts, fmt.Sprintf("%d×%d", r.res.Status[code], code))
		}
	}
	if r.res.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d errors", r.res.Errors))
	}
	if r.res.Canceled > 0 {
		parts = append(parts, fmt.Sprintf("%d canceled", r.res.Canceled))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func fmtMs(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

// wrkSection writes the wrk rows: req/s, p99 and the ratio to bare's wrk row.
func (rep *report) wrkSection(w func(string, ...any)) {
	w("\n## Cross-check with wrk\n\n")
	if rep.wrkSkipped != "" {
		w("Not run: %s.\n", rep.wrkSkipped)
		return
	}
	w("The same servers, after the rows above, each loaded by `wrk -t%d -c%d -d%ds --timeout %s --latency -s bench/lead.lua` (a load generator that is not ours; 20%% repeated contacts), one after the other, bare first. wrk's req/s count every answer; see non-2xx.\n\n",
		wrkThreads(rep.cfg.wrkC), rep.cfg.wrkC, wrkSeconds(rep.cfg.wrk), wrkTimeout)
	w("| engine | c | req/s | p99 ms | of bare | requests | non-2xx | socket errors |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	bare := rep.engine("bare")
	for _, e := range rep.engines {
		if e.wrkErr != "" {
			w("| %s | %d | error: %s | | | | | |\n", e.name, rep.cfg.wrkC, strings.ReplaceAll(strings.ReplaceAll(e.wrkErr, "\n", " "), "|", "/"))
			continue
		}
		r := e.wrk
		if r == nil {
			continue
		}
		ratio := "—"
		if e.kind != "bare" && bare != nil && bare.wrk != nil && bare.wrk.rps > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*r.rps/bare.wrk.rps)
		}
		w("| %s | %d | %.0f | %.2f | %s | %d | %d | %d |\n", e.name, rep.cfg.wrkC, r.rps,
			float64(r.p99)/float64(time.Millisecond), ratio, r.requests, r.non2xx, r.sockErrs)
	}
}
