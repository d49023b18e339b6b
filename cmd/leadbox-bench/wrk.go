package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"leadbox/internal/loadgen"
)

// A second opinion on the ratios: wrk (Debian package wrk), a load generator
// that is not ours, with bench/lead.lua, at one concurrency, after the
// harness's own rows and before the servers stop. wrk reads no ids, so its
// leads are left out of the 201 check: verify counts only the leads up to
// the largest id before the wrk rows.

// wrkResult is one wrk row.
type wrkResult struct {
	rps      float64
	p99      time.Duration
	requests int64 // completed
	non2xx   int64 // "Non-2xx or 3xx responses"
	sockErrs int64 // connect, read, write and timeout errors
}

// wrkThreads and wrkSeconds are what wrkRun gives wrk for c and d.
func wrkThreads(c int) int           { return min(2, c) }
func wrkSeconds(d time.Duration) int { return max(1, int(d.Round(time.Second)/time.Second)) }

// wrkTimeout is wrk's per-request timeout, the harness's own: with wrk's
// default of 2 s a slower answer would be a socket error and missing from
// the latency percentiles.
const wrkTimeout = "10s"

// wrkRun runs wrk against u for d with c connections. Its errors do not show
// the hook's token.
func wrkRun(ctx context.Context, bin, script string, u *url.URL, c int, d time.Duration) (wrkResult, error) {
	target := u.String()
	out, err := command(ctx, d+time.Minute, "", bin, "-t", strconv.Itoa(wrkThreads(c)), "-c", strconv.Itoa(c),
		"-d", strconv.Itoa(wrkSeconds(d))+"s", "--timeout", wrkTimeout, "--latency", "-s", script, target)
	if err != nil {
		return wrkResult{}, errors.New(strings.ReplaceAll(err.Error(), target, loadgen.Redact(u)))
	}
	return parseWrk(string(out))
}

// parseWrk reads wrk's summary.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRPS, haveP99 bool
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("wrk: requests/sec %q", f[1])
			}
			r.rps, haveRPS = v, true
		case len(f) == 2 && f[0] == "99%":
			d, err := parseWrkDuration(f[1])
			if err != nil {
				return r, err
			}
			r.p99, haveP99 = d, true
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			r.requests, _ = strconv.ParseInt(f[0], 10, 64)
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			r.non2xx, _ = strconv.ParseInt(f[len(f)-1], 10, 64)
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			// Socket errors: connect 0, read 1, write 0, timeout 0
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
				r.sockErrs += n
			}
		}
	}
	if !haveRPS || !haveP99 {
		return r, errors.New("wrk: no Requests/sec or 99% latency in its output")
	}
	return r, nil
}

// parseWrkDuration reads wrk's "850.00us", "12.34ms", "1.02s", "2.00m".
func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				break
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk: latency %q", s)
}

// wrkRows runs the wrk rows of every engine (they take turns, bare first),
// first noting each leadbox database's largest lead id. A row wrk cannot
// run is reported as such; only a server that died fails the run.
func wrkRows(ctx context.Context, cfg config, root string, engines []*engine, rep *report, logf func(string, ...any)) error {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		rep.wrkSkipped = "wrk is not installed (Debian: apt-get install wrk)"
		logf("skipping the wrk rows: %s", rep.wrkSkipped)
		return nil
	}
	for _, e := range engines {
		if e.kind == "bare" {
			continue
		}
		db, err := openDB(e.kind, e.dsn)
		if err == nil {
			e.wrkFloor, err = maxLeadID(ctx, db)
			db.Close()
		}
		if err != nil {
			// Without the floor wrk's leads could not be told from the 201s'.
			rep.wrkSkipped = fmt.Sprintf("%s: largest lead id before wrk: %v", e.name, err)
			logf("skipping the wrk rows: %s", rep.wrkSkipped)
			return nil
		}
	}
	script := filepath.Join(root, "bench", "lead.lua")
	for _, e := range engines {
		e.wrkRan = true
		r, err := wrkRun(ctx, bin, script, e.hook, cfg.wrkC, cfg.wrk)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			e.wrkErr = err.Error()
			logf("%-12s wrk: %v", e.name, err)
		} else {
			e.wrk = &r
			logf("%-12s wrk c=%-4d %8.0f req/s  p99 %7.2f ms", e.name, cfg.wrkC, r.rps, float64(r.p99)/float64(time.Millisecond))
		}
		if e.proc.exited() {
			return fmt.Errorf("%s exited during the wrk row: %v\n%s", e.name, e.proc.err, logTail(e.proc.log))
		}
	}
	return nil
}
